"""Fixtures shaped like flaskr's: app, client, runner, on a fresh SQLite file per test.

Also real parts: an aiosmtpd SMTP server and a gunicorn server on 127.0.0.1.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller

from app import create_app
from surveys import db as database
from surveys.auth import create_api_key, create_user

ROOT = Path(__file__).resolve().parent.parent
MANAGER_EMAIL = "manager@example.com"
STAFF_EMAIL = "staff@example.com"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch):
    """A developer's FLASK_* variables (a real SMTP server, say) never reach a test."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


def flask_env(config):
    """Settings as FLASK_* variables, the way a deployment passes them to gunicorn."""
    return {
        f"FLASK_{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
        if key != "TESTING" and value is not None
    }


def base_config(tmp_path):
    """Settings for a test app with its own database and mail folder, and no SMTP server."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE": str(tmp_path / "puas.db"),
        "MAIL_DIR": str(tmp_path / "mail"),
        "SEND_DELAY_MINUTES": 0,
        "THROTTLE_DAYS": 0,
        "COMPANY_NAME": "Acme Support",
        "BASE_URL": "http://puas.test",
        "SMTP_HOST": None,
    }


@pytest.fixture
def config(tmp_path):
    return base_config(tmp_path)


@pytest.fixture
def make_app(config):
    """An app on the test's database with some settings changed: make_app(MIN_N=3)."""

    def make(**overrides):
        config.update(overrides)
        database.migrate(config["DATABASE"], config.get("REPEAT_WINDOW_DAYS"))
        return create_app(config)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    connection = database.connect(app.config["DATABASE"])
    yield connection
    connection.close()


@pytest.fixture
def api_key(db):
    return create_api_key(db, "test help desk")


@pytest.fixture
def api_headers(api_key):
    return {"Authorization": f"Bearer {api_key}"}


def csrf_token(html):
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, email, password=PASSWORD):
    """Sign in through the real login form (CSRF included)."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def signed_in(client, db, email, role):
    """The client, signed in as a new person with this role."""
    create_user(db, email, PASSWORD, role)
    assert sign_in(client, email).status_code == 302
    return client


@pytest.fixture
def manager_client(client, db):
    return signed_in(client, db, MANAGER_EMAIL, "manager")


@pytest.fixture
def staff_client(client, db):
    return signed_in(client, db, STAFF_EMAIL, "staff")


def ticket_payload(ticket_id="T-1", email="customer@example.com", **fields):
    """A valid ticket-closed body; fields override or add."""
    payload = {
        "ticket_id": ticket_id,
        "closed_at": "2026-11-20T10:00:00+07:00",
        # English, so pages and mail read as the tests quote them; tests of Bahasa
        # Indonesia pass customer={..., "locale": "id"}.
        "customer": {"email": email, "name": "Rina", "locale": "en"},
        "agent": {"email": "agent@example.com", "name": "Agent Smith"},
        "team": "Billing",
        "channel": "email",
    }
    payload.update(fields)
    return payload


# A real SMTP server


class RecordingHandler:
    """An aiosmtpd handler that keeps what it receives and can be told to refuse."""

    def __init__(self):
        self.messages = []
        self.replies = []  # queued replies for the next DATA commands, e.g. "451 try later"

    async def handle_DATA(self, server, session, envelope):
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.handler_ref = handler
    yield controller
    controller.stop()


@pytest.fixture
def smtp_config(config, smtp_server):
    config.update(
        {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "OUTBOX_RETRY_SECONDS": 60}
    )
    return config


# A real gunicorn


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """A gunicorn process serving Puas on 127.0.0.1 for tests that need real workers."""

    def __init__(self, config, workers=2):
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, **flask_env(dict(config, BASE_URL=self.url)))
        self.log = open(Path(config["DATABASE"]).with_suffix(".gunicorn.log"), "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--chdir",
                str(ROOT),
                "app:create_app()",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def wait_until_ready(self, timeout=60):
        # gunicorn accepts connections before its workers have imported the app, so
        # the first requests may time out rather than be refused.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                requests.get(self.url + "/login", timeout=5)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start in time")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def live_server_factory(config):
    """Start gunicorn on the test's database: live_server_factory(workers=4)."""
    database.migrate(config["DATABASE"], config.get("REPEAT_WINDOW_DAYS"))
    servers = []

    def start(workers=2, **overrides):
        server = LiveServer(dict(config, **overrides), workers=workers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# A clock the test moves


class FakeClock:
    """What surveys.clock.now() answers while the fixture is on; the test moves it."""

    def __init__(self, start):
        self.current = start

    def now(self):
        return self.current

    def advance(self, **delta):
        """Let time pass: advance(days=14), advance(minutes=5)."""
        self.current += timedelta(**delta)


@pytest.fixture
def fake_clock(monkeypatch):
    """Now is 2026-11-20 04:00 UTC (an hour after ticket_payload's closure) until moved."""
    from surveys import clock

    fake = FakeClock(datetime(2026, 11, 20, 4, 0, tzinfo=UTC))
    monkeypatch.setattr(clock, "now", fake.now)
    return fake
