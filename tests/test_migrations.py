"""Migrations: each runs the SQL it shipped with, and together they build the schema the
code expects.

What the tests hold the migrations to, and why each lasts:

- SHIPPED: a digest of each migration's frozen statements (surveys/store/frozen/).
  Editing a shipped migration fails here even when a later one hides the change (m010
  replaces m009's triggers, say), because databases that ran the old text exist. A new
  migration adds its line once, when it ships.
- surveys/store/schema.sql: the whole schema a database gets from the migrations alone,
  as SQLite stores it. Regenerate it on purpose with each new migration
  (`.venv/bin/python -m tests.test_migrations`): its diff shows a reviewer what the
  migration changed, and any change the migrations make without that step fails here.
- The live code's own declarations: the rollup tables in rollups.SCHEMA, and the triggers
  `flask rollups rebuild` re-creates. They must match what the migrations made, so a
  change to the rollups without a migration that makes it fails whoever forgets it.
- One migration per run (as releases arrive) ends where one run of them all ends, and a
  migration runs its frozen statements and nothing else.

SQL is compared with whitespace outside quotes collapsed: the frozen rollups SQL is the
shipped text wrapped to fit the page, and rebuild re-creates the triggers unwrapped.
"""

import hashlib
import json
import re
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from surveys.store import db as database
from surveys.store import frozen, rollups
from surveys.store.db import immediate
from surveys.store.migrations import migrations

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "surveys" / "store" / "schema.sql"
SCHEMA_HEADER = """\
-- The schema surveys/store/migrations.py builds, as SQLite stores it (the migrations'
-- own bookkeeping table left out). Not run by the app: tests/test_migrations.py compares
-- a freshly migrated database with it. Regenerate it when adding a migration:
--     .venv/bin/python -m tests.test_migrations

"""

# sha256 of each migration's frozen statements (json list). Never change a line here.
SHIPPED = {
    "m001_wal": "0056ecbdc0d4195cf90adc019c6f098b27af67014132ef19c70e1dd82907b679",
    "m002_people": "dfc3065f2adf8429ad53248ce1d8ea52b12827dd40c715cab657f11bbe647f25",
    "m003_surveys": "5b3618290b6c64377e865e80b9e0f9488821102b6d36bf5bab776a57afe03804",
    "m004_internal_ratings": "9f636e89ad8882fae2ba613608ed49793d31819ee4e3244f93dc37ac1c618cc4",
    "m005_ticket_kpis": "0fce4312485c3b7001473bf0db3902e681e9e405401c6a6af2141a4f840348e7",
    "m006_targets": "7e79b17f0e264ed26f275f7c186530ce26556f06facc7dc53ca3101f4a3a845b",
    "m007_rollups": "bb43c6961a9b4df2a4159e4cbc9720940d3eae89f85c717994e412f1b7805723",
    "m008_integrations": "199e7d3aa9b229c0510d9c20f8ece29476588370aa9e8d00abd232d5ee960b0b",
    "m009_distribution": "841aefdf3eda786c33414a46568e65bafa5b60f4bc8be66d42670609bbb76996",
    "m010_agent_histograms": "2e5f5e33d72258c20e61d13b1b545106595d6083e775f420ef48058452dbac49",
    "m011_team_targets": "486ab8cd7b9cb97eea7099ac97750d86d90101eee53eda0c7c99c8d71f707b1c",
    "m012_agent_pages": "d8282677ae3614ab4de71a4792802207a1246743a02f109c85562a32c15f09dc",
    "m013_close_the_loop": "5b88c70f32abe81319a6e225265d3cafa26b1af0488867d89c4bdabcd2ab2ef1",
    "m014_data_protection": "9722e4a6e3cb562dd9f1b9639335e3258f29a4d75bb3bb80e7c722e6745498ee",
    "m015_comment_search": "5b22e2f831d363bb1d6b72e4ad714cece908c2ff18a7622c434a4a88ca23e53e",
    "m016_comment_terms": "b285afbd61570557bedcc216844eadc731c38938c55d137fd70a1bffba5aa382",
    "m017_business_months": "1e58c09725e059350965637220689b894e7abcd51f5dc164ea04762caec31d51",
    "m018_calls": "6ad456536f058693903844c1c4fd114e1836fed42cbc23317cb2c20a7e31821b",
    "m019_comment_words": "e09dc6cea5d3063032654feb652d06e6f055a9a5bcdf0891148c9f73c3fec4f9",
    "m020_action_form_keys": "dd126da44febd81c5aec24e86288bdbc62d89709111c527d1a654f37c3a8cfa1",
}

WRITE = re.compile(r"\s*(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|REPLACE|PRAGMA \w+ *=)", re.I)
ROLLUP_TABLES = ("survey_rollups", "ticket_rollups", "duration_rollups", "agent_duration_rollups")
CALL_ROLLUP_TABLES = ("call_rollups", "call_wait_rollups")
TERM_ROLLUP_TABLES = ("term_rollups", "term_totals", "term_forms")


def migration_names():
    """Every registered migration's name, in the order they apply."""
    return [migration.name for migration in migrations.pending(sqlite_memory())]


def sqlite_memory():
    """An empty in-memory database, as sqlite-utils wraps it."""
    return Database(sqlite3.connect(":memory:"))


def digest(statements):
    """The sha256 a migration's frozen statements are recorded by."""
    return hashlib.sha256(json.dumps(list(statements)).encode()).hexdigest()


def normalised(sql):
    """SQL with whitespace outside '...' literals collapsed to single spaces."""
    if sql is None:
        return None
    # re.split with a group keeps the quoted literals: every odd part is one.
    parts = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(
        part if index % 2 else re.sub(r"\s+", " ", part) for index, part in enumerate(parts)
    ).strip()


def schema(connection, tables=None):
    """sqlite_master as (type, name, tbl_name, normalised sql) rows, sorted; without the
    migrations' bookkeeping table, or only the rows of `tables`."""
    rows = connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE tbl_name != '_sqlite_migrations' AND tbl_name NOT LIKE 'sqlite%'"
    ).fetchall()
    return sorted(
        (kind, name, table, normalised(sql))
        for kind, name, table, sql in rows
        if tables is None or table in tables
    )


def migrated(path):
    """A connection to a database built at `path` by the migrations alone."""
    database.migrate(str(path))
    return sqlite3.connect(str(path))


def script_schema(script):
    """The schema an SQL script builds in an empty database."""
    connection = sqlite3.connect(":memory:")
    connection.executescript(script)
    return schema(connection)


def write_expected_schema():
    """Build a database by the migrations alone and write its schema to schema.sql."""
    with tempfile.TemporaryDirectory() as folder:
        connection = migrated(Path(folder) / "schema.db")
        statements = [
            sql
            for (sql,) in connection.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                "AND tbl_name != '_sqlite_migrations' "
                # A full-text index makes its own shadow tables; the file creates the index.
                "AND name NOT IN (SELECT name FROM pragma_table_list WHERE type = 'shadow') "
                "ORDER BY rowid"
            )
        ]
        connection.close()
    SCHEMA_FILE.write_text(SCHEMA_HEADER + "\n\n".join(f"{sql};" for sql in statements) + "\n")


def test_every_migration_has_a_frozen_module_and_a_recorded_digest():
    names = migration_names()
    missing = {
        name: digest(getattr(frozen, name).STATEMENTS)
        for name in names
        if name not in SHIPPED and name in frozen.__all__
    }
    assert missing == {}, "add these lines to SHIPPED when the migration ships"
    assert names == frozen.__all__ == list(SHIPPED)


@pytest.mark.parametrize(("name", "recorded"), SHIPPED.items(), ids=list(SHIPPED))
def test_a_shipped_migration_never_changes(name, recorded):
    # Databases that ran this migration keep what it did; an edit reaches only new ones.
    assert digest(getattr(frozen, name).STATEMENTS) == recorded, (
        f"{name} has shipped: put the change in a new migration instead"
    )


def test_the_migrations_build_the_committed_schema(tmp_path):
    connection = migrated(tmp_path / "fresh.db")
    assert schema(connection) == script_schema(SCHEMA_FILE.read_text()), (
        "the migrations no longer build surveys/store/schema.sql: if a new migration "
        "meant it, regenerate the file (.venv/bin/python -m tests.test_migrations)"
    )
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_rollup_tables_are_the_ones_the_rollups_declare(tmp_path):
    declared = script_schema(rollups.SCHEMA)
    tables = {name for kind, name, _, _ in declared if kind == "table"}
    assert tables == {
        *ROLLUP_TABLES,
        *CALL_ROLLUP_TABLES,
        *TERM_ROLLUP_TABLES,
        "channels",
        "rollup_settings",
    }
    assert schema(migrated(tmp_path / "fresh.db"), tables) == declared


def test_a_rollups_rebuild_leaves_the_schema_the_migrations_made(app, runner):
    connection = sqlite3.connect(app.config["DATABASE"])
    made = schema(connection)
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert schema(connection) == made


def test_one_migration_per_run_ends_where_one_run_of_them_all_ends(tmp_path):
    names = migration_names()
    path = str(tmp_path / "stepwise.db")
    for following in names[1:]:
        db = database.connect(path)
        migrations.apply(db, stop_before=following)
        assert [migration.name for migration in migrations.pending(db)][0] == following
        db.close()
    assert database.migrate(path) == names[-1:]
    one_run = migrated(tmp_path / "one_run.db")
    assert schema(sqlite3.connect(path)) == schema(one_run)


def test_a_migration_runs_its_frozen_statements_and_nothing_else(tmp_path):
    db = database.connect(str(tmp_path / "traced.db"))
    migrations.ensure_migrations_table(db)
    ran = []
    db.conn.set_trace_callback(ran.append)
    migrations.apply(db)
    db.conn.set_trace_callback(None)
    frozen_statements = [
        statement for name in migration_names() for statement in getattr(frozen, name).STATEMENTS
    ]
    assert all(WRITE.match(statement) for statement in frozen_statements)
    writes = [s for s in ran if WRITE.match(s) and "_sqlite_migrations" not in s]
    assert writes == frozen_statements


def rollup_counts(connection):
    """Every rollup row, the channels and the repeat flags, to compare two ways of filling."""
    counts = {
        table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
        for table in (*ROLLUP_TABLES, *CALL_ROLLUP_TABLES, "channels")
    }
    counts["repeated"] = connection.execute(
        "SELECT ticket_ref, repeated FROM tickets ORDER BY ticket_ref"
    ).fetchall()
    return counts


def iso(moment):
    """A UTC moment as Puas stores it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_migrations_fill_the_rollups_of_an_older_database_as_a_rebuild_would(tmp_path):
    path = str(tmp_path / "older.db")
    db = database.connect(path)
    migrations.apply(db, stop_before="m007_rollups")
    # Closures stored before the rollups existed: one customer comes back within the
    # repeat window, two channels, durations on three steps of the bucket scale.
    closed = datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    with db.atomic():
        db.execute("INSERT INTO agents (id, identity, name) VALUES (1, 'name:Ayu', 'Ayu')")
        db.execute("INSERT INTO teams (id, name) VALUES (1, 'Billing')")
        for number, (customer, channel, opened_hours, answer_hours, closed_after) in enumerate(
            (
                ("rina@example.com", "email", 30, 0.5, timedelta(0)),
                ("rina@example.com", "chat", 2, None, timedelta(days=3)),
                ("budi@example.com", "email", 0.2, 0.01, timedelta(days=1)),
            ),
            start=1,
        ):
            closed_at = closed + closed_after
            opened_at = closed_at - timedelta(hours=opened_hours)
            answered_at = opened_at + timedelta(hours=answer_hours) if answer_hours else None
            db.execute(
                "INSERT INTO tickets (id, source, ticket_ref, closed_at, closed_day, opened_at, "
                "first_response_at, customer_email, agent_id, team_id, channel, contacts, "
                "escalated, reopened, created_at) "
                "VALUES (?, 'api', ?, ?, ?, ?, ?, ?, 1, 1, ?, 1, 0, 0, ?)",
                [
                    number,
                    f"T{number}",
                    iso(closed_at),
                    closed_at.date().isoformat(),
                    iso(opened_at),
                    answered_at and iso(answered_at),
                    customer,
                    channel,
                    iso(closed_at),
                ],
            )
            db.execute(
                "INSERT INTO invitations (id, ticket_id, customer_email, agent_id, team_id, "
                "channel, closed_day, status, created_at) VALUES (?, ?, ?, 1, 1, ?, ?, 'sent', ?)",
                [number, number, customer, channel, closed_at.date().isoformat(), iso(closed_at)],
            )
        db.execute(
            "INSERT INTO responses (invitation_id, csat, ces, nps, created_at, updated_at) "
            "VALUES (1, 5, 2, 9, '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z'), "
            "(3, 2, NULL, 0, '2026-04-02T00:00:00Z', '2026-04-02T00:00:00Z')"
        )
    db.close()
    database.migrate(path)
    connection = sqlite3.connect(path)
    filled = rollup_counts(connection)
    assert filled["repeated"] == [("T1", 1), ("T2", 0), ("T3", 0)]
    assert all(filled[table] for table in (*ROLLUP_TABLES, "channels"))
    db = database.connect(path)
    with immediate(db):
        rollups.rebuild(db)
    db.close()
    assert rollup_counts(connection) == filled


if __name__ == "__main__":
    write_expected_schema()
    print(f"Wrote {SCHEMA_FILE}")
