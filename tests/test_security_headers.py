"""Every response carries the security headers once; machines get no session cookie."""

import pytest
from werkzeug.wrappers import Response as WerkzeugResponse

from surveys.security import CONTENT_SECURITY_POLICY
from tests.helpers import MANAGER_EMAIL, signed_in, ticket_payload

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def report_closure(client, headers):
    return client.post("/api/v1/tickets/closed", json=ticket_payload(), headers=headers)


def assert_security_headers_once(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.getlist(name) == [value], name


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/login", 200),  # a page
        ("GET", "/reports", 302),  # a redirect to sign in
        ("GET", "/static/puas.css", 200),  # a static file
        ("GET", "/no-such-page", 404),  # an error page
        ("DELETE", "/login", 405),  # a method the route does not take
        ("POST", "/api/v1/tickets/closed", 401),  # an API error, without a key
    ],
)
def test_every_kind_of_response_carries_each_security_header_once(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert_security_headers_once(response)


def test_an_api_answer_carries_each_security_header_once(client, api_headers):
    response = report_closure(client, api_headers)
    assert response.status_code == 201
    assert_security_headers_once(response)


def test_a_response_flask_converts_from_werkzeugs_class_gets_the_headers_too(make_app):
    # Flask turns a plain werkzeug response into its own class without running __init__.
    app = make_app()
    app.add_url_rule("/plain", "plain", lambda: WerkzeugResponse("plain"))
    response = app.test_client().get("/plain")
    assert response.get_data(as_text=True) == "plain"
    assert_security_headers_once(response)


def test_https_responses_add_strict_transport_security(client):
    response = client.get("/login", base_url="https://puas.test")
    assert response.headers.getlist("Strict-Transport-Security") == ["max-age=31536000"]
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_a_request_with_an_api_key_gets_no_session_cookie(client, db, api_headers):
    signed_in(client, db, MANAGER_EMAIL, "manager")  # even with a session cookie sent
    response = report_closure(client, api_headers)
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_an_api_call_with_a_bearer_header_is_not_signed_in_by_its_cookie(client, db):
    # A call that sends a Bearer header is judged by its key alone: a manager's cookie
    # beside an empty key does not let it through.
    signed_in(client, db, MANAGER_EMAIL, "manager")
    assert client.get("/api/v1/scores").status_code == 200  # the browser's own way in
    refused = client.get("/api/v1/scores", headers={"Authorization": "Bearer "})
    assert refused.status_code == 401
    assert "Set-Cookie" not in refused.headers


@pytest.mark.parametrize(("path", "status"), [("/login", 200), ("/reports", 302)])
def test_pages_keep_their_session_whatever_authorization_a_proxy_sends(client, path, status):
    # A proxy in front may pass its own Bearer token on every request; pages still sign
    # their CSRF token and flash into the session.
    response = client.get(path, headers={"Authorization": "Bearer proxy-token"})
    assert response.status_code == status
    assert "session=" in response.headers["Set-Cookie"]
