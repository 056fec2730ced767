"""A server's kept connection copies the WAL into the database file itself, after the response
has gone, rather than inside a COMMIT while other writers wait for their turn."""

import shutil
import sqlite3

import pytest

from surveys.store import db as database
from tests.helpers import ticket_payload


def tickets_in_the_database_file(path, tmp_path):
    """The tickets the database file holds without its WAL: what checkpoints copied there."""
    copy = tmp_path / "file-only.db"
    shutil.copyfile(path, copy)
    connection = sqlite3.connect(copy)
    try:
        return connection.execute("SELECT count(*) FROM tickets").fetchone()[0]
    finally:
        connection.close()
        copy.unlink()


def wait_for_the_write_turn(path, seconds=10):
    """Take and give back the write turn, as a writer takes it: the group writer
    checkpoints inside its turn, after its batch has answered, so this waits for a
    checkpoint in progress to end (WriteTurnTimeout after `seconds`)."""
    db = database.connect(path)
    try:
        with database.write_wait(db, seconds), database.writer_turn(db):
            pass
    finally:
        db.close()


@pytest.fixture
def checkpoint_every_20_changes(monkeypatch):
    monkeypatch.setattr(database, "CHECKPOINT_EVERY_CHANGES", 20)


def test_the_kept_connection_leaves_checkpoints_to_after_the_response(app, client, api_headers):
    with app.app_context():
        kept = database.get_db()
        assert kept.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    connection = database.connect(app.config["DATABASE"])
    try:
        assert connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
    finally:
        connection.close()


def test_closures_reach_the_database_file_once_enough_rows_changed(
    app, client, api_headers, config, tmp_path, checkpoint_every_20_changes
):
    in_file = []
    for number in range(1, 11):
        response = client.post(
            "/api/v1/tickets/closed",
            json=ticket_payload(f"T-{number}", email=f"customer{number}@example.com"),
            headers=api_headers,
        )
        assert response.status_code == 201
        response.close()  # as a server does once the body is sent
        wait_for_the_write_turn(config["DATABASE"])
        in_file.append(tickets_in_the_database_file(config["DATABASE"], tmp_path))
    # Each closure changes at least three rows (its ticket, invitation and outbox row), so
    # the 20 changes come within seven closures; SQLite alone would wait for 1,000 pages.
    assert in_file[0] == 0
    first = next(index for index, count in enumerate(in_file) if count)
    assert first < 7
    # A checkpoint copies every closure committed before it.
    assert in_file[first] == first + 1
