"""Fixtures shaped like flaskr's: app, client, runner, on a fresh SQLite file per test.

Also real parts: an aiosmtpd SMTP server, a gunicorn server on 127.0.0.1, and Chromium.
"""

import os
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from app import create_app
from surveys.staff.accounts import create_api_key
from surveys.store import db as database
from tests.helpers import (
    MANAGER_EMAIL,
    STAFF_EMAIL,
    FakeClock,
    LiveServer,
    RecordingHandler,
    StalledServer,
    base_config,
    free_port,
    signed_in,
)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch):
    """A developer's FLASK_* variables (a real SMTP server, say) never reach a test."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


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


@pytest.fixture
def manager_client(client, db):
    return signed_in(client, db, MANAGER_EMAIL, "manager")


@pytest.fixture
def staff_client(client, db):
    return signed_in(client, db, STAFF_EMAIL, "staff")


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


@pytest.fixture
def fake_clock(monkeypatch):
    """Now is 2026-11-20 04:00 UTC (an hour after ticket_payload's closure) until moved."""
    from surveys import clock

    fake = FakeClock(datetime(2026, 11, 20, 4, 0, tzinfo=UTC))
    monkeypatch.setattr(clock, "now", fake.now)
    return fake


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless; never a downloaded one. For the browser test modules,
    which import tests.browser_helpers first (it skips them when Chromium is missing)."""
    from tests.browser_helpers import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def silent_server():
    """A mail server that takes connections, counting them, and never greets."""
    server = StalledServer()
    yield server
    server.stop()
