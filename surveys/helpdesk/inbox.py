"""The inbox: closures that arrive while the database's write lock is held for long.

Long write transactions are real (`flask rollups rebuild` and migrations hold the lock for
minutes at ten million tickets), and a help desk that gets no answer may never send the
closure again (Chatwoot does not retry). So the API and the webhooks wait only
WRITE_WAIT_SECONDS for their write turn; when it does not come, they keep the verified
delivery in this inbox, a separate SQLite file beside the database with a writer of its own,
and answer 202 `queued`. Only when the inbox itself cannot be written within
INBOX_WAIT_SECONDS is the answer 503 with Retry-After.

The mail worker (`flask outbox run`, and each `flask outbox send-due`) applies the inbox in
arrival order, each delivery as if it had just arrived (with the time it did arrive), and
marks it applied. Applying is idempotent in the database (a closure's unique key, a
webhook's delivery id), so a worker that dies between the two only applies it again to the
same effect: each delivery is stored once.

The inbox's one table is created when first needed; it is not part of the database's
migrations, because it lives in its own file and holds only what waits to be applied.
"""

import json
import sqlite3
from contextlib import closing

from surveys import clock
from surveys.helpdesk.closures import parse_closure, record_closure
from surveys.helpdesk.integrations import active_integration, handle_event

# How long a request waits for its write turn before the delivery goes to the inbox.
WRITE_WAIT_SECONDS = 5
# How long writing the inbox may take before the help desk is told 503: below gunicorn's
# worker timeout (gunicorn.conf.py), so the help desk always gets an answer.
INBOX_WAIT_SECONDS = 25
RETRY_AFTER_SECONDS = 30

SCHEMA = """CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('api', 'webhook')),
    integration_id INTEGER,
    delivery_id TEXT,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    applied_at TEXT,
    outcome TEXT
) STRICT"""


class InboxUnavailable(Exception):
    """The inbox could not be written within INBOX_WAIT_SECONDS."""


def inbox_path(config):
    """The inbox's file: beside the database."""
    return f"{config['DATABASE']}-inbox"


def connect_inbox(config):
    """A connection to the inbox (WAL, FULL sync), its table created when missing; it waits
    up to INBOX_WAIT_SECONDS for the inbox's own write lock."""
    connection = sqlite3.connect(
        inbox_path(config), timeout=INBOX_WAIT_SECONDS, isolation_level=None
    )
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(SCHEMA)
    return connection


def keep(config, kind, body, received_at, integration_id=None, delivery_id=None):
    """Keep a verified delivery to apply later; its id. InboxUnavailable past the wait."""
    try:
        with closing(connect_inbox(config)) as inbox:
            cursor = inbox.execute(
                "INSERT INTO deliveries (kind, integration_id, delivery_id, body, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [kind, integration_id, delivery_id, json.dumps(body), clock.to_iso(received_at)],
            )
            return cursor.lastrowid
    except sqlite3.OperationalError as error:
        raise InboxUnavailable(str(error)) from error


def waiting(config):
    """The deliveries not applied yet, oldest first (none when there is no inbox file)."""
    try:
        with closing(sqlite3.connect(f"file:{inbox_path(config)}?mode=ro", uri=True)) as inbox:
            inbox.row_factory = sqlite3.Row
            return [
                dict(row)
                for row in inbox.execute(
                    "SELECT * FROM deliveries WHERE applied_at IS NULL ORDER BY id"
                )
            ]
    except sqlite3.OperationalError:  # no inbox yet, or no table in it
        return []


def mark_applied(config, delivery, outcome):
    """Record that a delivery was applied, and how it was answered."""
    with closing(connect_inbox(config)) as inbox:
        inbox.execute(
            "UPDATE deliveries SET applied_at = ?, outcome = ? WHERE id = ?",
            [clock.to_iso(clock.now()), outcome, delivery["id"]],
        )


def apply_waiting(db, config):
    """Apply every waiting delivery in arrival order; how many were applied."""
    applied = 0
    for delivery in waiting(config):
        mark_applied(config, delivery, apply_delivery(db, config, delivery))
        applied += 1
    return applied


def apply_delivery(db, config, delivery):
    """Do what the delivery would have done when it arrived; the outcome, as answered."""
    body = json.loads(delivery["body"])
    received_at = clock.from_iso(delivery["received_at"])
    if delivery["kind"] == "api":
        closure, errors = parse_closure(body, now=received_at)
        if errors:  # checked before it was kept; only a change of rules can get here
            return "refused"
        _, created = record_closure(db, closure, config)
        return "created" if created else "duplicate"
    integration = active_integration(db, delivery["integration_id"])
    if integration is None:  # revoked while the delivery waited
        return "refused: the integration was revoked"
    _, kind, _, _ = integration
    answer = handle_event(
        db, config, integration[0], kind, delivery["delivery_id"], body, received_at
    )
    return answer.outcome
