"""Outbound webhooks: responses POSTed, signed, to a real HTTP server, retried on failure."""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from surveys.customers.responses import save_response
from surveys.helpdesk import outbound
from surveys.helpdesk.closures import Closure, record_closure
from tests.helpers import csrf_token, free_port


class Receiver:
    """A real HTTP server on 127.0.0.1 that records POSTs and answers with queued statuses."""

    def __init__(self):
        self.requests = []
        self.statuses = []  # the next answers, then 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/puas"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def answered_invitation(db, config, ref="T-1", answers=None):
    """A closure with an invitation, answered; returns the invitation."""
    result, _ = record_closure(
        db,
        Closure(
            ticket_ref=ref,
            closed_at=datetime(2026, 11, 20, 3, tzinfo=UTC),
            customer_email="rina@example.com",
            agent_email="ayu@example.com",
            team="Billing",
            channel="email",
        ),
        config,
    )
    invitation = result["invitation"]
    save_response(
        db, invitation, answers or {"csat": 5, "ces": 6, "nps": 9, "comment": "Quick and kind"}
    )
    return invitation


def deliveries(db):
    return list(
        db.query("SELECT event, status, attempts, last_error FROM outbound_deliveries ORDER BY id")
    )


def test_without_a_hook_nothing_is_queued(app, db):
    answered_invitation(db, app.config)
    assert deliveries(db) == []


def test_a_response_is_posted_signed_to_each_hook(app, db, receiver):
    _, secret = outbound.create_hook(db, receiver.url)
    answered_invitation(db, app.config)
    assert outbound.send_due(db, app.config) == {"sent": 1, "retry": 0, "failed": 0}
    [(headers, body)] = receiver.requests
    expected = (
        "sha256="
        + hmac.new(
            secret.encode(), f"{headers['X-Puas-Timestamp']}.".encode() + body, hashlib.sha256
        ).hexdigest()
    )
    assert headers["X-Puas-Signature"] == expected
    assert headers["X-Puas-Event"] == "response.created"
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["event"] == "response.created"
    response = payload["response"]
    assert {
        key: response[key]
        for key in ("ticket_id", "agent", "team", "channel", "csat", "ces", "nps", "comment")
    } == {
        "ticket_id": "T-1",
        "agent": "ayu@example.com",
        "team": "Billing",
        "channel": "email",
        "csat": 5,
        "ces": 6,
        "nps": 9,
        "comment": "Quick and kind",
    }
    assert deliveries(db) == [
        {"event": "response.created", "status": "sent", "attempts": 1, "last_error": None}
    ]


def test_a_changed_answer_is_posted_again_and_an_unchanged_one_is_not(app, db, receiver):
    outbound.create_hook(db, receiver.url)
    invitation = answered_invitation(db, app.config)
    save_response(db, invitation, {"csat": 5, "ces": 6, "nps": 9, "comment": "Quick and kind"})
    save_response(db, invitation, {"csat": 2, "ces": 6, "nps": 9, "comment": "Actually, no"})
    assert [row["event"] for row in deliveries(db)] == ["response.created", "response.updated"]
    outbound.send_due(db, app.config)
    assert json.loads(receiver.requests[-1][1])["response"]["csat"] == 2


@pytest.mark.parametrize("status", [503, 507])
def test_a_server_error_is_retried_later(app, db, receiver, status):
    outbound.create_hook(db, receiver.url)
    receiver.statuses = [status]
    answered_invitation(db, app.config)
    assert outbound.send_due(db, app.config) == {"sent": 0, "retry": 1, "failed": 0}
    [row] = deliveries(db)
    assert row["status"] == "pending" and row["last_error"] == f"HTTP {status}"
    # Not due again yet: the retry waits OUTBOX_RETRY_SECONDS or more.
    assert outbound.send_due(db, app.config) == {"sent": 0, "retry": 0, "failed": 0}
    db.execute("UPDATE outbound_deliveries SET next_attempt_at = '2000-01-01T00:00:00Z'")
    assert outbound.send_due(db, app.config) == {"sent": 1, "retry": 0, "failed": 0}
    assert len(receiver.requests) == 2


def test_gives_up_after_the_last_attempt(make_app, db, receiver):
    app = make_app(OUTBOX_MAX_ATTEMPTS=1)
    outbound.create_hook(db, receiver.url)
    receiver.statuses = [500]
    answered_invitation(db, app.config)
    assert outbound.send_due(db, app.config)["failed"] == 1
    [row] = deliveries(db)
    assert row["status"] == "failed" and "gave up after 1 attempts: HTTP 500" in row["last_error"]


def test_a_refusal_is_not_retried(app, db, receiver):
    outbound.create_hook(db, receiver.url)
    receiver.statuses = [400]
    answered_invitation(db, app.config)
    assert outbound.send_due(db, app.config)["failed"] == 1


def test_an_unreachable_url_is_retried(app, db):
    outbound.create_hook(db, f"http://127.0.0.1:{free_port()}/nobody-listens")
    answered_invitation(db, app.config)
    assert outbound.send_due(db, app.config)["retry"] == 1


def test_a_delivery_is_claimed_by_one_worker(app, db, receiver):
    outbound.create_hook(db, receiver.url)
    answered_invitation(db, app.config)
    first = outbound.claim_next(db, datetime.now(UTC))
    assert first is not None
    assert outbound.claim_next(db, datetime.now(UTC)) is None  # leased


def test_a_manager_adds_and_removes_a_hook(manager_client, app, db, receiver):
    page = manager_client.get("/integrations/").get_data(as_text=True)
    added = manager_client.post(
        "/integrations/hooks", data={"csrf_token": csrf_token(page), "url": receiver.url}
    )
    assert added.status_code == 201
    [hook] = db.query("SELECT id, secret FROM outbound_hooks")
    assert hook["secret"] in added.get_data(as_text=True)
    assert hook["secret"] not in manager_client.get("/integrations/").get_data(as_text=True)
    removed = manager_client.post(
        f"/integrations/hooks/{hook['id']}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert removed.status_code == 303
    answered_invitation(db, app.config)
    assert deliveries(db) == []


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://example.com/x",
        "javascript:alert(1)",
        "http://",
        "https://example.com/" + "x" * 2000,
        "http://exa mple.com/",
    ],
)
def test_a_bad_hook_url_is_422(manager_client, db, url):
    page = manager_client.get("/integrations/").get_data(as_text=True)
    response = manager_client.post(
        "/integrations/hooks", data={"csrf_token": csrf_token(page), "url": url}
    )
    assert response.status_code == 422
    assert db["outbound_hooks"].count == 0


def test_flask_outbox_send_due_also_posts_responses(app, db, runner, receiver):
    outbound.create_hook(db, receiver.url)
    answered_invitation(db, app.config)
    result = runner.invoke(args=["outbox", "send-due"])
    assert result.exit_code == 0, result.output
    assert "responses to hooks: 1 sent" in result.output
    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed(app, db, receiver):
    outbound.create_hook(db, receiver.url)
    receiver.statuses = [302]
    answered_invitation(db, app.config)
    assert outbound.send_due(db, app.config)["failed"] == 1
    [row] = deliveries(db)
    assert "redirects are not followed" in row["last_error"]
    assert len(receiver.requests) == 1  # no GET to wherever it pointed


@pytest.mark.parametrize(
    "url",
    [
        "http://%00/",
        "http://[::1/",
        "http://example.com:99999/",
        "https://user:pw@example.com/",
        "https://exämple.com/",
    ],
)
def test_urls_no_request_can_reach_are_refused(url):
    with pytest.raises(outbound.HookError):
        outbound.check_url(url)


def test_a_stored_url_that_cannot_be_requested_fails_without_stopping_the_worker(app, db):
    hook_id, _ = outbound.create_hook(db, "http://example.com/")
    db.execute("UPDATE outbound_hooks SET url = 'http://%00/' WHERE id = ?", [hook_id])
    answered_invitation(db, app.config)
    outcomes = outbound.send_due(db, app.config)
    assert outcomes["retry"] + outcomes["failed"] == 1


def test_a_newer_answer_waits_for_the_retry_of_an_older_one(app, db, receiver):
    outbound.create_hook(db, receiver.url)
    receiver.statuses = [503]
    invitation = answered_invitation(db, app.config)
    assert outbound.send_due(db, app.config)["retry"] == 1  # "created" failed once
    save_response(db, invitation, {"csat": 1, "ces": None, "nps": None, "comment": "Changed"})
    assert outbound.send_due(db, app.config) == {"sent": 0, "retry": 0, "failed": 0}
    db.execute(
        "UPDATE outbound_deliveries SET next_attempt_at = '2000-01-01T00:00:00Z' "
        "WHERE status = 'pending'"
    )
    assert outbound.send_due(db, app.config)["sent"] == 2
    events = [json.loads(body)["event"] for _, body in receiver.requests]
    assert events == ["response.created", "response.created", "response.updated"]
