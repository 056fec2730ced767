"""Backups and restores: `flask backup` while Puas serves, `flask restore` only when safe."""

import sqlite3
import threading
import time
from datetime import UTC, datetime

import pytest
import requests

from app import create_app
from surveys.config import ConfigError, apply_config
from surveys.store import backups
from tests.helpers import run_flask, ticket_payload

COUNTED = ("tickets", "invitations", "responses", "users", "ratings", "outbox")


def post_tickets(client, api_headers, count, start=0):
    for number in range(start, start + count):
        response = client.post(
            "/api/v1/tickets/closed",
            json=ticket_payload(f"T-{number}", email=f"c{number}@example.com"),
            headers=api_headers,
        )
        assert response.status_code == 201


def counts(path):
    connection = sqlite3.connect(path)
    try:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in COUNTED
        }
    finally:
        connection.close()


def test_a_backup_is_a_checked_single_file_copy(runner, client, api_headers, config, tmp_path):
    post_tickets(client, api_headers, 3)
    target = tmp_path / "copy.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    expected = counts(config["DATABASE"])
    assert expected["tickets"] == 3 and expected["invitations"] == 3
    assert result.output.splitlines() == [
        f"{target}: {target.stat().st_size:,} bytes, integrity ok",
        ", ".join(f"{count} {table}" for table, count in expected.items()),
    ]
    assert counts(target) == expected
    assert sorted(path.name for path in tmp_path.glob("copy.db*")) == ["copy.db"]
    [mode] = sqlite3.connect(target).execute("PRAGMA journal_mode").fetchone()
    assert mode == "delete"


def test_a_backup_never_overwrites_a_file(runner, tmp_path):
    target = tmp_path / "taken.db"
    target.write_text("an older backup")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 1
    assert "already exists: choose a new name" in result.output
    assert target.read_text() == "an older backup"


def corrupted_copy(runner, tmp_path):
    """A backup with a b-tree page overwritten halfway through the file."""
    path = tmp_path / "damaged.db"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    data = bytearray(path.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle : middle + page] = b"\x0d" + b"\xff" * (page - 1)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("make_file", "reason"),
    [
        (lambda runner, folder: folder / "missing.db", "is not a file"),
        (lambda runner, folder: write(folder / "notes.db", b"just text"), "not an SQLite database"),
        (lambda runner, folder: empty_sqlite(folder / "other.db"), "is not a Puas database"),
        (corrupted_copy, "integrity check"),
    ],
    ids=["missing", "not sqlite", "not puas", "corrupted"],
)
def test_restore_refuses_a_file_that_fails_the_check(
    runner, client, api_headers, config, tmp_path, make_file, reason
):
    post_tickets(client, api_headers, 40)
    before = counts(config["DATABASE"])
    path = make_file(runner, tmp_path)
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1
    assert reason in result.output or "cannot be read as a database" in result.output
    assert counts(config["DATABASE"]) == before


def write(path, data):
    path.write_bytes(data)
    return path


def empty_sqlite(path):
    sqlite3.connect(path).execute("CREATE TABLE notes (text TEXT)").connection.commit()
    return path


def test_restore_refuses_while_puas_has_the_database_open(
    runner, client, api_headers, config, tmp_path
):
    post_tickets(client, api_headers, 2)
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    post_tickets(client, api_headers, 1, start=10)
    reader = sqlite3.connect(config["DATABASE"])
    reader.execute("SELECT count(*) FROM tickets").fetchone()
    try:
        result = runner.invoke(args=["restore", str(backup), "--yes"])
    finally:
        reader.close()
    assert result.exit_code == 1
    assert "is in use: stop Puas" in result.output
    assert counts(config["DATABASE"])["tickets"] == 3


def test_restore_into_an_empty_folder_gives_back_the_backups_data(
    runner, client, api_headers, config, tmp_path
):
    post_tickets(client, api_headers, 5)
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    expected = counts(backup)
    fresh = tmp_path / "fresh" / "puas.db"  # a standby with nothing yet
    app = create_app(dict(config, DATABASE=str(fresh)))
    result = app.test_cli_runner().invoke(args=["restore", str(backup)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Replace" in result.output and f"Restored {fresh}" in result.output
    assert counts(fresh) == expected
    connection = sqlite3.connect(fresh)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_restore_asks_first_and_stops_on_no(runner, client, api_headers, config, tmp_path):
    post_tickets(client, api_headers, 1)
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    post_tickets(client, api_headers, 1, start=5)
    result = runner.invoke(args=["restore", str(backup)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert counts(config["DATABASE"])["tickets"] == 2


def test_the_daily_backup_is_taken_once_a_day_and_old_ones_pruned(app, config, tmp_path):
    folder = tmp_path / "backups"
    settings = dict(app.config, BACKUP_DIR=str(folder), BACKUP_KEEP=2)
    days = [datetime(2026, 11, day, 12, tzinfo=UTC) for day in (1, 2, 3)]
    assert backups.daily_backup(settings, days[0]).path == folder / "puas-2026-11-01.db"
    assert backups.daily_backup(settings, days[0]) is None  # once a day
    (folder / "notes.txt").write_text("not a backup: never pruned")
    for day in days[1:]:
        assert backups.daily_backup(settings, day) is not None
    assert sorted(path.name for path in folder.iterdir()) == [
        "notes.txt",
        "puas-2026-11-02.db",
        "puas-2026-11-03.db",
    ]


def test_two_workers_take_one_daily_backup(app, tmp_path):
    settings = dict(app.config, BACKUP_DIR=str(tmp_path / "b"), BACKUP_KEEP=3)
    day = datetime(2026, 11, 5, 9, tzinfo=UTC)
    reports = []
    threads = [
        threading.Thread(target=lambda: reports.append(backups.daily_backup(settings, day)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(reports) == 4
    assert sum(report is not None for report in reports) == 1
    assert [path.name for path in (tmp_path / "b").iterdir()] == ["puas-2026-11-05.db"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("BACKUP_KEEP", 0), ("BACKUP_KEEP", "7"), ("BACKUP_KEEP", True), ("BACKUP_DIR", "  ")],
)
def test_bad_backup_settings_stop_the_start(tmp_path, key, value):
    from flask import Flask

    app = Flask(__name__, instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match=key):
        apply_config(app, {"SECRET_KEY": "x", key: value})


@pytest.mark.slow
def test_backups_under_write_load_hold_every_write_acknowledged_before_they_began(
    live_server_factory, config, api_key, tmp_path
):
    server = live_server_factory(workers=2)
    headers = {"Authorization": f"Bearer {api_key}"}
    acknowledged = []  # (time the 201 arrived, ticket id)
    stop = threading.Event()

    def write():
        number = 0
        session = requests.Session()
        while not stop.is_set() and number < 5000:
            ticket = f"LOAD-{number}"
            response = session.post(
                server.url + "/api/v1/tickets/closed",
                json=ticket_payload(ticket, email=f"load{number}@example.com"),
                headers=headers,
                timeout=30,
            )
            if response.status_code == 201:
                acknowledged.append((time.monotonic(), ticket))
            number += 1

    writer = threading.Thread(target=write)
    writer.start()
    taken = []
    try:
        for round_number in range(5):
            time.sleep(0.5)
            began = time.monotonic()
            target = tmp_path / f"load-{round_number}.db"
            result = run_flask(
                config, "backup", str(target), capture_output=True, text=True, timeout=120
            )
            assert result.returncode == 0, result.stdout + result.stderr
            taken.append((target, {ticket for at, ticket in list(acknowledged) if at < began}))
    finally:
        stop.set()
        writer.join(timeout=60)
    assert taken[-1][1], "the writer acknowledged nothing"
    for target, acknowledged_before in taken:
        connection = sqlite3.connect(target)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in connection.execute("SELECT ticket_ref FROM tickets")}
        assert acknowledged_before <= stored
