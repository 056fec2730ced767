"""SMTP with STARTTLS, implicit TLS and a login, against a real aiosmtpd server and a test CA."""

import ssl

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.helpers import RecordingHandler, deliver, free_port, post_ticket

USERNAME, PASSWORD = "puas", "smtp secret"


@pytest.fixture
def certificate_authority(tmp_path, monkeypatch):
    """A throwaway CA that Puas trusts through OpenSSL's SSL_CERT_FILE."""
    authority = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    return authority


def server_context(authority):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def check_login(server, session, envelope, mechanism, auth_data):
    valid = (auth_data.login, auth_data.password) == (USERNAME.encode(), PASSWORD.encode())
    return AuthResult(
        success=valid,
        handled=False,
        message=None if valid else "535 5.7.8 Authentication credentials invalid",
    )


def start(controller):
    controller.start()
    return controller


@pytest.fixture
def app_for(make_app, db, api_headers):
    """An app sending through the given SMTP settings, with one invitation due."""

    def make(**smtp):
        app = make_app(SMTP_HOST="127.0.0.1", **smtp)
        post_ticket(app.test_client(), api_headers)
        return app, db

    return make


@pytest.fixture
def starttls_server(certificate_authority):
    """A server that insists on STARTTLS and a login before mail."""
    handler = RecordingHandler()
    controller = start(
        Controller(
            handler,
            hostname="127.0.0.1",
            port=free_port(),
            tls_context=server_context(certificate_authority),
            require_starttls=True,
            authenticator=check_login,
            auth_require_tls=True,
        )
    )
    yield controller, handler
    controller.stop()


def test_starttls_with_login(app_for, starttls_server):
    controller, handler = starttls_server
    app, db = app_for(
        SMTP_PORT=controller.port,
        SMTP_SECURITY="starttls",
        SMTP_USERNAME=USERNAME,
        SMTP_PASSWORD=PASSWORD,
    )
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}
    assert [envelope.rcpt_tos for envelope in handler.messages] == [["customer@example.com"]]


def test_wrong_smtp_password_is_retried_not_given_up(app_for, starttls_server):
    controller, handler = starttls_server
    app, db = app_for(
        SMTP_PORT=controller.port,
        SMTP_SECURITY="starttls",
        SMTP_USERNAME=USERNAME,
        SMTP_PASSWORD="wrong",
    )
    assert deliver(app) == {"sent": 0, "retry": 1, "failed": 0, "unreachable": 1}
    row = next(db["outbox"].rows)
    assert row["status"] == "pending" and "SMTP login refused: 535" in row["last_error"]
    assert handler.messages == []


def test_starttls_refuses_a_server_it_cannot_verify(app_for, tmp_path, monkeypatch):
    untrusted = trustme.CA()  # the server's certificate is signed by a CA Puas does not trust
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing-trusted.pem"))
    handler = RecordingHandler()
    controller = start(
        Controller(
            handler,
            hostname="127.0.0.1",
            port=free_port(),
            tls_context=server_context(untrusted),
            require_starttls=True,
        )
    )
    try:
        app, db = app_for(SMTP_PORT=controller.port, SMTP_SECURITY="starttls")
        assert deliver(app) == {"sent": 0, "retry": 1, "failed": 0, "unreachable": 1}
        assert "CERTIFICATE_VERIFY_FAILED" in next(db["outbox"].rows)["last_error"]
        assert handler.messages == []
    finally:
        controller.stop()


def test_implicit_tls(app_for, certificate_authority):
    handler = RecordingHandler()
    controller = start(
        Controller(
            handler,
            hostname="127.0.0.1",
            port=free_port(),
            ssl_context=server_context(certificate_authority),
        )
    )
    try:
        app, db = app_for(SMTP_PORT=controller.port, SMTP_SECURITY="ssl")
        assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}
        assert len(handler.messages) == 1
    finally:
        controller.stop()
