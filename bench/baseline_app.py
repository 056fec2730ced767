"""The benchmark's baseline: a bare Flask app whose one endpoint inserts one row into SQLite.

It does what any Flask + SQLite app must do for a write, and nothing else: a connection
per request, one INSERT, commit, close. The database is in WAL mode (set once by init_db)
with the default synchronous setting, FULL, which is also what Puas uses.

    BASELINE_DATABASE=/tmp/baseline.db gunicorn --chdir bench 'baseline_app:create_app()'
"""

import os
import sqlite3
from datetime import UTC, datetime

from flask import Flask, request

# Same wait for the write lock as Puas.
BUSY_TIMEOUT_SECONDS = 30


def init_db(path):
    """Create the table and switch the file to WAL (a persistent setting), before serving."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS entries ("
            " id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        connection.commit()
    finally:
        connection.close()


def create_app(database=None):
    """A Flask app with POST /entries; the database path comes from BASELINE_DATABASE."""
    app = Flask(__name__)
    app.config["DATABASE"] = database or os.environ["BASELINE_DATABASE"]

    @app.post("/entries")
    def insert_entry():
        connection = sqlite3.connect(app.config["DATABASE"], timeout=BUSY_TIMEOUT_SECONDS)
        try:
            with connection:  # commits, or rolls back on error
                connection.execute(
                    "INSERT INTO entries (body, created_at) VALUES (?, ?)",
                    [request.get_data(as_text=True), datetime.now(UTC).isoformat()],
                )
        finally:
            connection.close()
        return "", 201

    return app
