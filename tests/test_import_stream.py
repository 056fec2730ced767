"""`flask import-tickets` streams a file of any length: the upload's rules, in batches,
every refused row named by its line, killed and run again without storing anything twice."""

import os
import queue
import random
import re
import signal
import string
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from email_validator import EmailNotValidError, validate_email

from surveys.helpdesk import import_stream, imports
from surveys.helpdesk.closures import Closure, record_closure
from surveys.store import db as database
from surveys.store import rollups
from surveys.text import clean_email
from tests.helpers import ROOT, flask_env

# Closures in 2020, long enough ago that no clock calls them future.
START = datetime(2020, 1, 1, tzinfo=UTC)
INVALID_EVERY = 997  # such rows have an address that is not one
REPEATED_EVERY = 1009  # such rows are exported twice
LAST_LINE = re.compile(r"^([\d,]+) new, ([\d,]+) already stored, ([\d,]+) refused; ", re.M)


def write_export(path, rows):
    """A minimal export of `rows` closures (ticket, closing time, address); returns the
    lines of the refused rows and how many valid rows appear twice."""
    refused, repeated, line = [], 0, 1
    with open(path, "w", encoding="utf-8", newline="") as export:
        export.write("Ticket ID,Closed at,Email\n")
        for number in range(rows):
            invalid = number % INVALID_EVERY == 0
            email = "not-an-address" if invalid else f"c{number % 50_000}@example.com"
            closed_at = (START + timedelta(seconds=30 * number)).isoformat()
            row = f"T{number},{closed_at},{email}\n"
            copies = 2 if number % REPEATED_EVERY == 0 else 1
            export.write(row * copies)
            for _ in range(copies):
                line += 1
                if invalid:
                    refused.append(line)
            repeated += (copies - 1) * (not invalid)
    return refused, repeated


def last_line(output):
    """(new, already stored, refused) from the import's last line."""
    [counts] = LAST_LINE.findall(output)
    return tuple(int(count.replace(",", "")) for count in counts)


def refused_lines(stderr):
    """The line numbers the import said it refused."""
    return [int(number) for number in re.findall(r"^line (\d+): ", stderr, re.M)]


def stored_counts(db):
    """Tickets, distinct ticket references, and invitations not sent for an import."""
    return db.execute(
        "SELECT (SELECT count(*) FROM tickets), (SELECT count(DISTINCT ticket_ref) FROM tickets),"
        " (SELECT count(*) FROM invitations WHERE status = 'suppressed' AND reason = ?)",
        [imports.NOT_SURVEYED],
    ).fetchone()


def rollup_rows(db):
    """Every rollup row that counts something, and the repeat flags."""
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND (name LIKE '%rollups' OR name = 'channels') ORDER BY name"
        )
    ]
    snapshot = {}
    for table in tables:
        # A rebuild also writes the cells that count nothing (zero invitations sent)
        columns = db.execute(f"PRAGMA table_info({table})").fetchall()
        counts = [index for index, column in enumerate(columns) if not column[5]]  # not in pk
        snapshot[table] = sorted(
            row
            for row in db.execute(f"SELECT * FROM {table}")  # noqa: S608
            if not counts or any(row[index] for index in counts)
        )
    snapshot["repeated"] = db.execute("SELECT id FROM tickets WHERE repeated = 1").fetchall()
    return snapshot


def assert_rollups_equal_a_rebuild(db):
    kept = rollup_rows(db)
    assert any(kept["ticket_rollups"])
    with database.immediate(db):
        rollups.rebuild(db)
    assert rollup_rows(db) == kept


@pytest.mark.slow  # a million rows: about a minute on a quiet machine, minutes on a busy one
def test_a_million_rows_store_every_valid_row_once_and_name_every_refused_line(
    runner, db, tmp_path
):
    rows = 1_000_000
    path = tmp_path / "export.csv"
    refused, repeated = write_export(path, rows)
    invalid = len(range(0, rows, INVALID_EVERY))

    result = runner.invoke(args=["import-tickets", str(path)])

    assert result.exit_code == 0, result.output[-2000:]
    assert last_line(result.stdout) == (rows - invalid, repeated, len(refused))
    assert refused_lines(result.stderr) == refused
    assert stored_counts(db) == (rows - invalid, rows - invalid, rows - invalid)
    assert (
        db.execute("SELECT count(*) FROM tickets WHERE customer_email NOT LIKE 'c%'").fetchone()[0]
        == 0
    )
    progress = re.findall(r"^([\d,]+) of ([\d,]+) rows read: ", result.stderr, re.M)
    total = f"{rows + len(range(0, rows, REPEATED_EVERY)):,}"
    assert progress == [(f"{read:,}", total) for read in range(10_000, rows + 1, 10_000)]


def start_import(config, path):
    """`flask import-tickets path` in its own process, and a queue of its stderr lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "import-tickets", str(path)],
        cwd=ROOT,
        env=dict(os.environ, **flask_env(config)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = queue.Queue()

    def read():
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def wait_for_progress(process, lines, timeout=120):
    """The first progress line (its batch is committed), within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            pytest.fail(f"the import ended before its first progress line ({process.wait()})")
        if " rows read: " in line:
            return line
    process.kill()
    pytest.fail("no progress line within the deadline")


def test_an_import_killed_halfway_and_run_again_stores_every_row_once(app, db, config, tmp_path):
    rows = 60_000
    path = tmp_path / "export.csv"
    refused, repeated = write_export(path, rows)
    invalid = len(range(0, rows, INVALID_EVERY))

    process, lines = start_import(config, path)
    progress = wait_for_progress(process, lines)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    process.stdout.close()
    process.stderr.close()
    [(read, stored_then)] = re.findall(r"^([\d,]+) of [\d,]+ rows read: ([\d,]+) new", progress)
    assert read == "10,000"
    stored, _, invitations = stored_counts(db)
    assert int(stored_then.replace(",", "")) <= stored < rows - invalid
    assert invitations == stored  # whole batches: each closure with its invitation

    again = subprocess.run(
        [sys.executable, "-m", "flask", "import-tickets", str(path)],
        cwd=ROOT,
        env=dict(os.environ, **flask_env(config)),
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert again.returncode == 0, again.stderr[-2000:]
    assert last_line(again.stdout) == (rows - invalid - stored, stored + repeated, len(refused))
    assert refused_lines(again.stderr) == refused
    assert stored_counts(db) == (rows - invalid, rows - invalid, rows - invalid)
    assert_rollups_equal_a_rebuild(db)


# A help desk's export with everything the rules look at: agents known by address or by
# name (and renamed), teams, durations, customers who come back, a row twice, bad rows.
EXPORT = """Ticket ID,Requester email,Created at,First reply at,Resolved at,Assignee email,\
Assignee,Group,Channel,Replies,Escalated,Reopened
1,rina@example.com,2026-03-01 09:00,2026-03-01 09:20,2026-03-01 11:00,ayu@acme.example,Ayu,\
Billing,email,1,no,false
2,budi@example.com,2026-03-01 10:00,,2026-03-02 10:00,,Sari,Technical,chat,2,yes,
3,rina@example.com,2026-03-03 08:00,2026-03-03 08:05,2026-03-03 09:00,ayu@acme.example,\
Ayu Lestari,Billing,email,1,no,true
3,rina@example.com,2026-03-03 08:00,2026-03-03 08:05,2026-03-03 09:00,ayu@acme.example,\
Ayu Lestari,Billing,email,1,no,true
4,not-an-address,2026-03-04 08:00,,2026-03-04 09:00,,,,,,,
5,dewi@example.com,2026-03-05 08:00,,2026-03-05 12:00,new@acme.example,,Returns,phone,3,no,no
6,budi@example.com,2026-03-02 12:00,2026-03-02 12:30,2026-03-02 13:00,,Sari,Technical,chat,,,
7,eko@example.com,,,2026-03-06 10:00,,,,,,,
8,fajar@example.com,2026-03-07 08:00,,2026-03-07 09:00,,,,web,,,
"""


def reported_before(db, settings):
    """Closures of tickets 7 and 8 that the help desk reported as they happened (the export
    is read in UTC): 7 at its time, 8 by a webhook without a closing time, dated on its
    arrival an hour after the export's closing time."""
    for ticket_ref, closed_at, dated_on_arrival in (
        ("7", datetime(2026, 3, 6, 10, 0, tzinfo=UTC), False),
        ("8", datetime(2026, 3, 7, 10, 0, tzinfo=UTC), True),
    ):
        closure = Closure(
            ticket_ref=ticket_ref,
            closed_at=closed_at,
            customer_email="someone@example.com",
            dated_on_arrival=dated_on_arrival,
        )
        record_closure(db, closure, settings, source="api")


def table_rows(db, table, skip=("created_at", "send_at", "next_attempt_at")):
    """A table's rows but the columns that say when they were written."""
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] not in skip]
    return db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1").fetchall()  # noqa: S608


def test_the_stream_stores_what_an_upload_stores(runner, app, db, tmp_path):
    settings = app.config
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)
    uploaded_path = tmp_path / "uploaded.db"
    database.migrate(str(uploaded_path), settings["REPEAT_WINDOW_DAYS"])
    uploaded = database.connect(str(uploaded_path))
    reported_before(db, settings)
    reported_before(uploaded, settings)

    result = runner.invoke(args=["import-tickets", str(path)])
    table = imports.read_table(EXPORT.encode())
    outcome = imports.import_rows(
        uploaded, table, imports.guess_mapping(table.header), settings, survey=False
    )

    assert result.exit_code == 0, result.output
    assert (outcome.created, outcome.duplicates, len(outcome.errors)) == (5, 3, 1)
    assert last_line(result.stdout) == (5, 3, 1)
    assert refused_lines(result.stderr) == [6]
    for name in ("tickets", "invitations", "agents", "teams", "channels", "outbox"):
        assert table_rows(db, name) == table_rows(uploaded, name), name
    assert db.execute("SELECT identity, name FROM agents ORDER BY id").fetchall() == [
        ("email:ayu@acme.example", "Ayu Lestari"),
        ("name:Sari", "Sari"),
        ("email:new@acme.example", None),
    ]
    assert rollup_rows(db) == rollup_rows(uploaded)
    assert_rollups_equal_a_rebuild(db)
    uploaded.close()


def test_a_surveyed_import_schedules_invitations_by_the_usual_rules(runner, db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)

    result = runner.invoke(args=["import-tickets", str(path), "--survey"])

    assert last_line(result.stdout) == (7, 1, 1)
    assert "surveyed by the usual rules" in result.stdout
    rows = db.execute(
        "SELECT tickets.ticket_ref, invitations.status FROM tickets "
        "JOIN invitations ON invitations.ticket_id = tickets.id ORDER BY tickets.id"
    ).fetchall()
    assert rows == [(ref, "scheduled") for ref in ("1", "2", "3", "5", "6", "7", "8")]
    assert db["outbox"].count == 7


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"Ticket ID,Closed at,Email\nT-1,2026-03-01T10:00:00Z,a@example.com\n"
            b'T-2,"2026-03-01T10:00:00Z,b@example.com\n',
            "not valid CSV",
        ),
        (
            b"Ticket ID,Closed at,Email\nT-1,2026-03-01T10:00:00Z,a@example.com\nT-2\x00\n",
            "not text",
        ),
        (b"\n\n", "empty"),
        (",".join(f"c{number}" for number in range(201)).encode() + b"\n1\n", "more than 200"),
    ],
)
def test_a_file_that_is_not_a_csv_of_tickets_is_refused_whole(runner, db, tmp_path, data, message):
    path = tmp_path / "export.csv"
    path.write_bytes(data)

    result = runner.invoke(args=["import-tickets", str(path)])

    assert result.exit_code == 1
    assert message in result.output
    assert db["tickets"].count == 0


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (
            "Ticket ID;Email;Closed at\r\nT-1;rina@example.com;2026-03-01T10:00\r\n"
            "T-2;josé@example.com;2026-03-01T11:00\r\n".encode("cp1252"),
            "cp1252",
        ),
        (
            "Ticket ID\tEmail\tClosed at\nT-1\trina@example.com\t2026-03-01 10:00\n\n"
            "T-2\tjosé@example.com\t2026-03-01 11:00\n".encode("utf-16"),
            "utf-16",
        ),
        (
            "\ufeffTicket ID,Email,Closed at\nT-1,rina@example.com,2026-03-01 10:00\n\n"
            "T-2,josé@example.com,2026-03-01 11:00\n".encode(),
            "utf-8 with a BOM",
        ),
    ],
)
def test_encodings_and_dialects_are_read_as_an_upload_reads_them(runner, db, tmp_path, data, name):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    upload = imports.preview(
        imports.read_table(data), {"ticket_id": 0, "customer_email": 1, "closed_at": 2}, "UTC"
    )

    result = runner.invoke(args=["import-tickets", str(path)])

    [(upload_line, upload_errors)] = upload.errors
    assert last_line(result.stdout) == (1, 0, 1), name
    assert refused_lines(result.stderr) == [upload_line] == [3 if name == "cp1252" else 4]
    assert str(upload_errors["customer.email"]) in result.stderr
    assert db.execute("SELECT ticket_ref, customer_email FROM tickets").fetchall() == [
        ("T-1", "rina@example.com")
    ]


def test_a_dry_run_checks_every_row_and_stores_nothing(runner, db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)

    result = runner.invoke(args=["import-tickets", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "8 rows can be imported, 1 have problems; nothing stored (--dry-run)." in result.stdout
    assert refused_lines(result.stderr) == [6]
    assert db["tickets"].count == 0


# Addresses at the edges of what email_validator accepts, for the quick path of
# clean_email (a plain local part at a domain checked once).
ADDRESSES = [
    "Rina@Example.COM",
    "a.b+tag@sub.example.co.uk",
    "a!#$%&'*+-/=?^_`{|}~@example.com",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@localhost",
    "a@example.test",
    "a@example.invalid",
    "a@example",
    "a@-example.com",
    "a@example..com",
    "a@[192.0.2.1]",
    '"a b"@example.com',
    "Rina <a@example.com>",
    "a@@example.com",
    "@example.com",
    "a@",
    "a@example.123",
    "postmaster@example.com",
    "x" * 70 + "@example.com",
    "a@" + "b" * 64 + ".com",
    "a@xn--bcher-kva.example",
    "a@bücher.example",
    "ü@example.com",
    "a@exa mple.com",
    "a@example.com.",
    "a@example_com.org",
]


def checked_by_email_validator(value):
    try:
        checked = validate_email(value.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return checked.ascii_email.lower()


def checked_by_clean_email(value):
    try:
        return clean_email(value)
    except ValueError:
        return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_quick_address_check_agrees_with_email_validator(address):
    assert checked_by_clean_email(address) == checked_by_email_validator(address)


def test_the_quick_address_check_agrees_on_random_addresses():
    chooser = random.Random(16)
    local_characters = string.ascii_letters + string.digits + "._+-!#$%&'*/=?^`{|}~\" "
    domain_characters = string.ascii_letters + string.digits + "-_."
    top_level = ["com", "ORG", "test", "local", "localhost", "example", "arpa", "1", "c", ""]
    for _ in range(5000):
        local = "".join(chooser.choices(local_characters, k=chooser.randint(1, 8)))
        labels = [
            "".join(chooser.choices(domain_characters, k=chooser.randint(1, 8)))
            for _ in range(chooser.randint(0, 2))
        ]
        address = f"{local}@{'.'.join([*labels, chooser.choice(top_level)])}"
        assert checked_by_clean_email(address) == checked_by_email_validator(address), address


def ignore(*arguments):
    """A callback that does nothing."""


def test_a_run_that_fails_half_way_keeps_whole_batches_and_can_be_run_again(app, db, tmp_path):
    rows = 5_000
    path = tmp_path / "export.csv"
    refused, repeated = write_export(path, rows)
    invalid = len(range(0, rows, INVALID_EVERY))
    export = import_stream.check_export(path)
    mapping = import_stream.column_mapping(export.header, [])
    met = []

    def refuse_then_fail(line, errors):
        met.append(line)
        if line > 3_000:  # in the fourth batch: the file's reader is a batch ahead
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="the disk is full"):
        import_stream.import_rows(db, export, mapping, app.config, refuse_then_fail, ignore)

    stored, references, invitations = stored_counts(db)
    assert 0 < stored < rows - invalid
    assert stored == invitations == references
    assert (
        db.execute("SELECT max(CAST(substr(ticket_ref, 2) AS INTEGER)) FROM tickets").fetchone()[0]
        < 3_000
    )
    counts = import_stream.import_rows(db, export, mapping, app.config, ignore, ignore)
    assert (counts.created, counts.duplicates, counts.refused) == (
        rows - invalid - stored,
        stored + repeated,
        len(refused),
    )
    assert stored_counts(db) == (rows - invalid, rows - invalid, rows - invalid)
