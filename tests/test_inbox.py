"""Closures reach disk while the write lock is held for long: kept in the inbox (202 queued),
applied by the worker once, in arrival order; 503 only when the inbox itself is stuck."""

import json
import sqlite3
import threading
import time

import pytest
import requests

from surveys.helpdesk import inbox
from surveys.helpdesk.integrations import create_integration
from surveys.store.db import connect, immediate
from tests.helpers import deliver, ticket_payload
from tests.test_webhooks import generic_headers


class HeldLock:
    """The database's write lock held by another connection, as `flask rollups rebuild`
    holds it (the writers' flock and SQLite's lock), until released."""

    def __init__(self, path):
        self.db = connect(path)
        self.transaction = immediate(self.db)
        self.transaction.__enter__()

    def release(self):
        self.transaction.__exit__(None, None, None)
        self.db.close()


@pytest.fixture
def short_wait(monkeypatch):
    monkeypatch.setattr(inbox, "WRITE_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(inbox, "INBOX_WAIT_SECONDS", 0.3)


def tickets(db):
    return [row["ticket_ref"] for row in db.query("SELECT ticket_ref FROM tickets ORDER BY id")]


def test_a_closure_behind_a_held_lock_is_queued_then_stored_once(
    app, client, db, config, api_headers, short_wait
):
    lock = HeldLock(config["DATABASE"])
    try:
        started = time.monotonic()
        first = client.post(
            "/api/v1/tickets/closed", json=ticket_payload("Q-1"), headers=api_headers
        )
        second = client.post(
            "/api/v1/tickets/closed", json=ticket_payload("Q-2"), headers=api_headers
        )
        assert time.monotonic() - started < 5
    finally:
        lock.release()
    assert (first.status_code, first.get_json()) == (202, {"status": "queued"})
    assert second.status_code == 202
    assert tickets(db) == [] and len(inbox.waiting(config)) == 2
    deliver(app)  # the worker applies the inbox, in arrival order
    assert tickets(db) == ["Q-1", "Q-2"]
    assert inbox.waiting(config) == []
    again = client.post("/api/v1/tickets/closed", json=ticket_payload("Q-1"), headers=api_headers)
    assert again.status_code == 200  # the same closure, as if it had been stored at once


def test_a_webhook_behind_a_held_lock_is_queued_and_applied_with_its_delivery(
    app, client, db, config, short_wait
):
    integration_id, secret = create_integration(db, "generic", "Generic desk")
    body = json.dumps(ticket_payload("W-1")).encode()
    headers = {"Content-Type": "application/json", **generic_headers(secret, body, delivery="d-1")}
    lock = HeldLock(config["DATABASE"])
    try:
        queued = client.post(f"/api/v1/webhooks/{integration_id}", data=body, headers=headers)
    finally:
        lock.release()
    assert queued.status_code == 202 and queued.get_json() == {"status": "queued"}
    deliver(app)
    assert tickets(db) == ["W-1"]
    [event] = db.query("SELECT delivery_id, outcome FROM webhook_events")
    assert event == {"delivery_id": "d-1", "outcome": "created"}
    retried = client.post(f"/api/v1/webhooks/{integration_id}", data=body, headers=headers)
    assert retried.status_code == 200 and retried.get_json()["status"] == "duplicate"


def test_applying_a_delivery_twice_stores_it_once(app, db, config):
    delivery = {
        "kind": "api",
        "body": json.dumps(ticket_payload("T-9")),
        "received_at": "2026-11-20T04:00:00Z",
        "integration_id": None,
        "delivery_id": None,
    }
    # A worker that died after applying, before marking it applied, applies it again.
    assert inbox.apply_delivery(db, app.config, delivery) == "created"
    assert inbox.apply_delivery(db, app.config, delivery) == "duplicate"
    assert tickets(db) == ["T-9"]


def test_when_the_inbox_is_stuck_too_the_answer_is_503_with_retry_after(
    client, db, config, api_headers, short_wait
):
    lock = HeldLock(config["DATABASE"])
    stuck = inbox.connect_inbox(config)
    stuck.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/api/v1/tickets/closed", json=ticket_payload("S-1"), headers=api_headers
        )
    finally:
        stuck.execute("ROLLBACK")
        stuck.close()
        lock.release()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(inbox.RETRY_AFTER_SECONDS)
    assert tickets(db) == [] and inbox.waiting(config) == []


@pytest.mark.slow
def test_three_deliveries_behind_a_40_second_lock_each_get_an_answer_and_are_stored_once(
    live_server_factory, app, db, config, api_key
):
    server = live_server_factory(workers=2)
    lock = HeldLock(config["DATABASE"])
    answers = {}

    def send(ticket):
        try:
            response = requests.post(
                server.url + "/api/v1/tickets/closed",
                json=ticket_payload(ticket, email=f"{ticket.lower()}@example.com"),
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=70,
            )
            answers[ticket] = response.status_code
        except requests.RequestException as error:  # a dropped connection: the bug
            answers[ticket] = repr(error)

    senders = [threading.Thread(target=send, args=(f"L-{n}",)) for n in range(3)]
    for thread in senders:
        thread.start()
    time.sleep(40)
    lock.release()
    for thread in senders:
        thread.join(timeout=90)
    assert sorted(answers) == ["L-0", "L-1", "L-2"]
    assert set(answers.values()) <= {201, 202, 503}, answers
    deliver(app)
    stored = tickets(db)
    expected = sorted(ticket for ticket, status in answers.items() if status in (201, 202))
    assert sorted(stored) == expected and len(stored) == len(set(stored))
    assert 503 in answers.values() or len(stored) == 3


def test_the_inbox_is_a_file_of_its_own(app, config, client, api_headers, short_wait):
    lock = HeldLock(config["DATABASE"])
    try:
        client.post("/api/v1/tickets/closed", json=ticket_payload("F-1"), headers=api_headers)
    finally:
        lock.release()
    path = inbox.inbox_path(config)
    assert path == config["DATABASE"] + "-inbox"
    [count] = sqlite3.connect(path).execute("SELECT count(*) FROM deliveries").fetchone()
    assert count == 1
