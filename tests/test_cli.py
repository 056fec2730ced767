"""The flask commands, run as a manager would run them."""

import sqlite3

import pytest

from surveys.staff.accounts import api_key_is_valid, authenticate
from surveys.store import db as database
from surveys.store.db import connect
from surveys.store.migrations import migrations


def test_init_db_is_safe_to_run_again(runner, app):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "up to date" in result.output


def test_init_db_creates_a_new_database(tmp_path):
    from app import create_app

    app = create_app({"DATABASE": str(tmp_path / "new.db"), "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0
    database = connect(str(tmp_path / "new.db"))
    applied = [migration.name for migration in migrations.applied(database)]
    assert applied[0] == "m001_wal" and migrations.pending(database) == []
    assert f"Applied {len(applied)} migration(s)" in result.output
    assert result.output.strip().endswith(", ".join(applied))


def test_create_user_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(
        args=["create-user", "Boss@Example.com", "--role", "manager"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created manager boss@example.com" in result.output
    user = authenticate(db, "boss@example.com", "a long enough password")
    assert user.role == "manager"


def test_create_user_marks_an_admin(runner, db):
    result = runner.invoke(
        args=["create-user", "fitri@example.com", "--role", "staff", "--admin", "--name", "Fitri"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "an admin, rated by staff" in result.output
    row = next(db.query("SELECT role, rated, name FROM users"))
    assert row == {"role": "staff", "rated": 1, "name": "Fitri"}


def test_create_user_refuses_a_short_password(runner, db):
    result = runner.invoke(
        args=["create-user", "a@example.com", "--role", "staff"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert db["users"].count == 0


def test_create_user_needs_a_known_role(runner):
    result = runner.invoke(
        args=["create-user", "a@example.com", "--role", "admin"], input="a long enough password\n"
    )
    assert result.exit_code == 2
    assert "'admin' is not one of 'staff', 'manager'" in result.output


def test_api_key_create_prints_the_key_once_and_stores_its_hash(runner, db):
    result = runner.invoke(args=["api-key", "create", "Zendesk"])
    assert result.exit_code == 0
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("puas_") and len(key) > 40
    row = next(db["api_keys"].rows)
    assert row["name"] == "Zendesk" and key not in row["key_hash"]
    assert api_key_is_valid(db, key)
    listed = runner.invoke(args=["api-key", "list"])
    assert "Zendesk" in listed.output and key not in listed.output


def test_api_key_names_are_unique(runner):
    runner.invoke(args=["api-key", "create", "Zendesk"])
    result = runner.invoke(args=["api-key", "create", "Zendesk"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_api_key_revoke(runner, db):
    key = runner.invoke(args=["api-key", "create", "Old"]).output.strip().splitlines()[-1]
    assert runner.invoke(args=["api-key", "revoke", "Old"]).exit_code == 0
    assert not api_key_is_valid(db, key)
    again = runner.invoke(args=["api-key", "revoke", "Old"])
    assert again.exit_code == 1 and "no active API key" in again.output


def test_seed_demo_fills_an_empty_database_once(runner, db):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "manager@puas.example" in first.output
    assert db["tickets"].count > 300
    assert db["responses"].count > 100
    months = {
        row["month"]
        for row in db.query("SELECT DISTINCT substr(closed_day, 1, 7) AS month FROM invitations")
    }
    assert len(months) >= 6
    assert db["outbox"].count_where("status = 'pending'") == 3
    assert db["users"].count_where("rated = 1") == 3
    assert db["ratings"].count > 50
    assert db["incidents"].count > 0 and db["deliverables"].count > 0
    assert db["closed_periods"].count >= 4
    assert authenticate(db, "staff@puas.example", "puas-demo-staff").role == "staff"
    assert authenticate(db, "fitri@puas.example", "puas-demo-admin").rated
    assert authenticate(db, "manager@puas.example", "puas-demo-manager").is_manager

    tickets = db["tickets"].count
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already has data" in second.output
    assert db["tickets"].count == tickets


def test_outbox_send_due_delivers_the_demo_invitations_to_the_mailbox(runner, app):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["outbox", "send-due"])
    assert result.exit_code == 0
    assert "3 sent, 0 retry, 0 failed" in result.output


def test_every_command_has_help(runner):
    for args in (
        ["init-db"],
        ["create-user"],
        ["api-key"],
        ["api-key", "create"],
        ["api-key", "list"],
        ["api-key", "revoke"],
        ["outbox"],
        ["outbox", "run"],
        ["outbox", "send-due"],
        ["seed-demo"],
    ):
        result = runner.invoke(args=[*args, "--help"])
        assert result.exit_code == 0, args
        assert "Usage:" in result.output


def test_api_key_names_are_trimmed_and_plain(runner, db):
    created = runner.invoke(args=["api-key", "create", " Zendesk "])
    assert created.exit_code == 0 and "'Zendesk' created" in created.output
    assert runner.invoke(args=["api-key", "revoke", " Zendesk "]).exit_code == 0
    refused = runner.invoke(args=["api-key", "create", "two\nlines"])
    assert refused.exit_code == 1 and "control characters" in refused.output
    unseen = runner.invoke(args=["api-key", "create", "\u200b\ufeff"])
    assert unseen.exit_code == 1 and "needs a name" in unseen.output
    assert db["api_keys"].count == 1


@pytest.mark.parametrize(
    "args",
    [["outbox", "send-due"], ["api-key", "create", "zendesk"], ["rollups", "rebuild"]],
    ids=" ".join,
)
def test_a_command_meeting_a_locked_database_stops_with_one_line(
    runner, app, db, monkeypatch, args
):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.2)
    # Another process's write transaction, as a shell's BEGIN IMMEDIATE holds it.
    holder = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = runner.invoke(args=args)
    finally:
        holder.rollback()
        holder.close()

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines()[-1] == (
        "Error: the database stayed busy: another process held its write lock for over 0.2 s, "
        "so the write this command was making was not stored (what it finished before "
        "stays); run it again once that process is done"
    )
    assert db["api_keys"].count == 0


def test_commands_are_wrapped_once_however_many_apps_are_made(runner, app):
    from app import create_app

    for _ in range(3):
        create_app(app.config)
    command = app.cli.commands["init-db"]
    assert command.callback.stops_cleanly_when_busy
    # One wrapper: the wrapped function is the command's own.
    assert not getattr(command.callback.__wrapped__, "stops_cleanly_when_busy", False)
