"""The benchmark's baseline: the strongest simple Flask + SQLite app for Puas's two writes.

What a careful developer writes when a write endpoint must be fast and durable, and nothing
more: each gunicorn worker (each thread of a threaded worker) opens one `sqlite3`
connection on its first request (after the fork, never before) and keeps it; the database
is in WAL mode with `synchronous = FULL` (the same durability as Puas: a committed row
survives a power cut) and a 30 s busy timeout; each request parses its body and commits
one row in `BEGIN IMMEDIATE … COMMIT`.

Its routes have Puas's paths, so the benchmark sends both apps the very same requests:

- `POST /api/v1/tickets/closed`: a JSON body like a help desk's closure; stores the
  ticket id, closing time and customer's address with the body; answers 201 and a JSON
  object.
- `POST /s/<token>`: a form post like a survey answer; stores the token and the three
  scores and the comment; answers 303 to a thanks page, as a browser form expects.

It checks no key, no CSRF token, no link; it validates nothing beyond parsing. The ratio
of Puas to it is what Puas's guarantees cost (bench/README.md).

    BASELINE_DATABASE=/tmp/baseline.db gunicorn --chdir bench 'baseline_app:create_app()'
"""

import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, abort, jsonify, redirect, request

# Same wait for the write lock as Puas (surveys/store/db.py).
BUSY_TIMEOUT_SECONDS = 30

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS closures (id INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL,"
    " closed_at TEXT NOT NULL, customer_email TEXT NOT NULL, body TEXT NOT NULL,"
    " created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, token TEXT NOT NULL,"
    " csat INTEGER, ces INTEGER, nps INTEGER, comment TEXT, created_at TEXT NOT NULL)",
)
TABLES = ("closures", "answers")


def init_db(path):
    """Create the tables and switch the file to WAL (a persistent setting), before serving."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        for statement in SCHEMA:
            connection.execute(statement)
    finally:
        connection.close()


def connect(path):
    """A connection for one worker: autocommit mode (we say BEGIN ourselves), FULL sync."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    connection.execute("PRAGMA synchronous = FULL")
    return connection


class KeptConnection:
    """This thread's connection, opened on first use: gunicorn forks its workers after
    loading the app, an SQLite connection must not cross a fork, and sqlite3 wants each
    connection used by the thread that opened it (threaded workers)."""

    def __init__(self, path):
        self.path = path
        self.kept = threading.local()

    def get(self):
        """The connection of the current process and thread."""
        if getattr(self.kept, "pid", None) != os.getpid():
            self.kept.connection = connect(self.path)
            self.kept.pid = os.getpid()
        return self.kept.connection


def write_one_row(connection, statement, values):
    """One row in its own write transaction, taking the write lock up front."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(statement, values)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def now_iso():
    """Now, as ISO text in UTC."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def form_score(name):
    """A posted score as an integer, or None when it is missing or not a number."""
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else None


def create_app(database=None):
    """The baseline app; the database path comes from BASELINE_DATABASE."""
    app = Flask(__name__)
    kept = KeptConnection(database or os.environ["BASELINE_DATABASE"])

    @app.post("/api/v1/tickets/closed")
    def ticket_closed():
        """Store the JSON body with its ticket id, closing time and customer's address."""
        closure = request.get_json(silent=True)
        if not isinstance(closure, dict):
            abort(400)
        customer = closure.get("customer") or {}
        write_one_row(
            kept.get(),
            "INSERT INTO closures (ticket_id, closed_at, customer_email, body, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                str(closure.get("ticket_id")),
                str(closure.get("closed_at")),
                str(customer.get("email")),
                request.get_data(as_text=True),
                now_iso(),
            ],
        )
        return jsonify({"ticket_id": closure.get("ticket_id")}), 201

    @app.post("/s/<token>")
    def answer(token):
        """Store the posted scores and comment for the link's token."""
        write_one_row(
            kept.get(),
            "INSERT INTO answers (token, csat, ces, nps, comment, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                token,
                form_score("csat"),
                form_score("ces"),
                form_score("nps"),
                request.form.get("comment"),
                now_iso(),
            ],
        )
        return redirect(f"/s/{token}/thanks", code=303)

    @app.get("/")
    def index():
        """Something to answer while the benchmark waits for the server to start."""
        return "baseline"

    return app
