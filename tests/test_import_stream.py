"""`flask import-tickets` (and `flask import-calls`) stream a file of any length: the
upload's rules, in batches, every refused row named by its line, killed and run again
without storing anything twice."""

import codecs
import queue
import random
import re
import signal
import sqlite3
import string
import subprocess
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from email_validator import EmailNotValidError, validate_email

from surveys import cli
from surveys.helpdesk import call_imports, import_stream, imports
from surveys.helpdesk.calls import record_call
from surveys.helpdesk.closures import Closure, record_closure
from surveys.store import db as database
from surveys.store import rollups
from surveys.text import clean_email
from tests.helpers import run_flask, start_flask

# Closures in 2020, long enough ago that no clock calls them future.
START = datetime(2020, 1, 1, tzinfo=UTC)
INVALID_EVERY = 997  # such rows have an address that is not one
REPEATED_EVERY = 1009  # such rows are exported twice
LAST_LINE = re.compile(r"^([\d,]+) new, ([\d,]+) already stored, ([\d,]+) refused; ", re.M)


def write_rows(path, header, rows, row_text):
    """A CSV file of `header` and `rows` rows, row_text(number, invalid) each, with every
    INVALID_EVERY-th row invalid and every REPEATED_EVERY-th written twice; returns the
    lines of the refused rows (a repeated one is refused on each of its lines) and how
    many valid rows appear twice."""
    refused, repeated, line = [], 0, 1
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(header)
        for number in range(rows):
            invalid = number % INVALID_EVERY == 0
            copies = 2 if number % REPEATED_EVERY == 0 else 1
            file.write(row_text(number, invalid) * copies)
            for _ in range(copies):
                line += 1
                if invalid:
                    refused.append(line)
            repeated += (copies - 1) * (not invalid)
    return refused, repeated


def write_export(path, rows):
    """A minimal export of `rows` closures (ticket, closing time, address); returns
    write_rows's refused lines and repeated rows, and how many closures are invalid."""

    def row_text(number, invalid):
        email = "not-an-address" if invalid else f"c{number % 50_000}@example.com"
        return f"T{number},{(START + timedelta(seconds=30 * number)).isoformat()},{email}\n"

    refused, repeated = write_rows(path, "Ticket ID,Closed at,Email\n", rows, row_text)
    return refused, repeated, len(range(0, rows, INVALID_EVERY))


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
    refused, repeated, invalid = write_export(path, rows)

    result = runner.invoke(args=["import-tickets", str(path)])

    assert result.exit_code == cli.REFUSED_STATUS, result.output[-2000:]
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
    process = start_flask(
        config,
        "import-tickets",
        str(path),
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
    refused, repeated, invalid = write_export(path, rows)

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

    again = run_flask(
        config, "import-tickets", str(path), capture_output=True, text=True, timeout=600
    )

    assert again.returncode == cli.REFUSED_STATUS, again.stderr[-2000:]
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


@pytest.fixture
def other_db(app, tmp_path):
    """A second database, to store the same rows another way and compare."""
    path = tmp_path / "other.db"
    database.migrate(str(path), app.config["REPEAT_WINDOW_DAYS"])
    connection = database.connect(str(path))
    yield connection
    connection.close()


def test_the_stream_stores_what_an_upload_stores(runner, app, db, other_db, tmp_path):
    settings, uploaded = app.config, other_db
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)
    reported_before(db, settings)
    reported_before(uploaded, settings)

    result = runner.invoke(args=["import-tickets", str(path)])
    table = imports.read_table(EXPORT.encode())
    outcome = imports.import_rows(
        uploaded, table, imports.guess_mapping(table.header), settings, survey=False
    )

    assert result.exit_code == cli.REFUSED_STATUS, result.output
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


# A UTF-8 export with one damaged line: "café" on line 2, a byte that is not UTF-8 on 3.
DAMAGED_UTF8 = (
    b"ticket_id,closed_at,customer_email,customer_name\n"
    b"U2,2026-01-05 10:00,a@example.com,caf\xc3\xa9\n"
    b"U3,2026-01-05 10:00,b@example.com,bad \xc3\x28\n"
)


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
        (DAMAGED_UTF8, "line 3 is not valid UTF-8; save the file as UTF-8"),
        (codecs.BOM_UTF8 + DAMAGED_UTF8, "line 3 is not valid UTF-8; save the file as UTF-8"),
        (
            b"Ticket ID,Closed at,Email,email\nT-1,2026-03-01T10:00:00Z,a@example.com,\n",
            "the header names the same column twice: 'Email' (column 3) and 'email' (column 4)",
        ),
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

    assert result.exit_code == cli.REFUSED_STATUS, result.output
    assert "8 rows can be imported, 1 has problems; nothing stored (--dry-run)." in result.stdout
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
    refused, repeated, invalid = write_export(path, rows)
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


def write_long_line_export(path, characters):
    """An export of three valid rows, then a line of `characters` without a break, then a
    valid row; returns the long line's number."""
    with open(path, "w", encoding="utf-8", newline="") as export:
        export.write("Ticket ID,Closed at,Email\n")
        for number in range(3):
            export.write(f"T{number},2020-01-01T10:00:00Z,c{number}@example.com\n")
        export.write("x" * characters + "\n")
        export.write("T9,2020-01-01T10:00:00Z,c9@example.com\n")
    return 5


def test_a_line_over_the_cap_refuses_the_whole_file_before_anything_is_stored(runner, db, tmp_path):
    path = tmp_path / "export.csv"
    line = write_long_line_export(path, 3 * imports.MAX_LINE_CHARACTERS)

    result = runner.invoke(args=["import-tickets", str(path)])

    assert result.exit_code == 1
    assert (
        f"Error: line {line} is longer than 1,048,576 characters (is the file a CSV export?)"
        in result.output
    )
    assert db["tickets"].count == 0


def test_a_line_over_the_cap_is_refused_without_being_read_whole(tmp_path):
    path = tmp_path / "export.csv"
    write_long_line_export(path, 4 * imports.MAX_LINE_CHARACTERS)

    tracemalloc.start()
    try:
        with pytest.raises(imports.ImportFileError, match="line 5 is longer than"):
            import_stream.check_export(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 3 * imports.MAX_LINE_CHARACTERS  # the line alone would be 4


def test_a_cell_as_long_as_a_line_may_be_refuses_its_row_only(runner, db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "Ticket ID,Closed at,Email,Name\n"
        "T-1,2026-03-01 10:00,rina@example.com,Rina\n"
        f"T-2,2026-03-01 11:00,budi@example.com,{'B' * 500_000}\n"  # csv's own cap: 131,072
        "T-3,2026-03-01 12:00,sari@example.com,Sari\n"
    )

    result = runner.invoke(args=["import-tickets", str(path)])

    assert result.exit_code == cli.REFUSED_STATUS, result.output
    assert "line 3: customer.name must be at most 200 characters" in result.output
    assert result.output.splitlines()[-1].startswith("2 new, 0 already stored, 1 refused")
    assert db["tickets"].count == 2


def test_a_row_with_more_cells_than_the_header_is_refused_and_the_rest_imported(
    runner, db, tmp_path
):
    path = tmp_path / "export.csv"
    path.write_text(
        "Ticket ID,Closed at,Email,Name,Team\n"
        "T-1,2026-03-01 10:00,rina@example.com,Rina,Billing\n"
        "T-2,2026-03-01 11:00,budi@example.com,Sastro, Budi,Billing,Sales\n"
        "T-3,2026-03-01 12:00,dewi@example.com\n"
        "T-4,yesterday,eko@example.com,Eko,Billing\n"
    )

    result = runner.invoke(args=["import-tickets", str(path)])

    assert result.exit_code == cli.REFUSED_STATUS, result.output
    assert last_line(result.stdout) == (2, 0, 2)
    assert "line 3: row has 7 cells; the header has 5\n" in result.stderr
    assert (
        "line 5: closed_at must be an ISO 8601 date and time, such as 2026-11-20 16:30 "
        "(read in the business's time zone) or 2026-11-20T16:30:00+07:00\n" in result.stderr
    )
    assert db.execute("SELECT ticket_ref, customer_name FROM tickets ORDER BY id").fetchall() == [
        ("T-1", "Rina"),
        ("T-3", None),
    ]


def test_a_pipe_is_refused_with_a_clean_error(config, db):
    process = run_flask(
        config,
        "import-tickets",
        "/dev/stdin",
        input=EXPORT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert process.returncode == 1
    assert process.stderr == (
        "Error: /dev/stdin is not a regular file: the import reads the file twice (to check "
        "it, then to store it), so save the export to a file first\n"
    )
    assert db["tickets"].count == 0


STOPPED = re.compile(r"\. ([\d,]+) rows stored before it stopped \(")
AGAIN = (
    "; running the import again is safe: the rows stored are recognised, and the rest are stored."
)


def test_a_file_that_grows_while_it_is_imported_stops_saying_what_it_stored(
    runner, db, tmp_path, monkeypatch
):
    rows = 5_000
    path = tmp_path / "export.csv"
    refused, repeated, invalid = write_export(path, rows)
    echo_refused = cli.echo_refused

    def append_then_echo(line, errors):
        if line == refused[4]:  # in the fifth batch, the reader a batch or two ahead
            with open(path, "a", encoding="utf-8") as export:
                export.write("T-late,2020-06-01T10:00:00Z,late@example.com\n")
        echo_refused(line, errors)

    monkeypatch.setattr(cli, "echo_refused", append_then_echo)
    result = runner.invoke(args=["import-tickets", str(path)])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        f"Error: the file changed after it was checked: it holds more than the "
        f"{rows + len(range(0, rows, REPEATED_EVERY)):,} rows it held. " in result.stderr
    )
    assert result.stderr.rstrip().endswith(AGAIN)
    [stored] = STOPPED.findall(result.stderr)
    assert 0 < int(stored.replace(",", "")) == db["tickets"].count < rows - invalid
    monkeypatch.undo()
    again = runner.invoke(args=["import-tickets", str(path)])
    assert again.exit_code == cli.REFUSED_STATUS, again.output
    assert stored_counts(db) == (rows - invalid + 1,) * 3


def hold_write_lock(path):
    """Another process's connection in a write transaction, as a shell's BEGIN IMMEDIATE."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_database_locked_past_the_busy_timeout_stops_the_import_cleanly(
    runner, app, db, tmp_path, monkeypatch
):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.2)
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)
    holder = hold_write_lock(app.config["DATABASE"])

    result = runner.invoke(args=["import-tickets", str(path)])

    holder.rollback()
    holder.close()
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == (
        "Error: the database stayed busy: another process held its write lock for over "
        "0.2 s. 0 rows stored before it stopped (0 read: 0 new, 0 already stored, "
        "0 refused)" + AGAIN
    )
    assert db["tickets"].count == 0
    again = runner.invoke(args=["import-tickets", str(path)])
    assert last_line(again.stdout) == (7, 1, 1)


def test_an_import_stopped_by_a_locked_database_keeps_whole_batches_and_runs_again(
    app, db, tmp_path
):
    rows = 5_000
    path = tmp_path / "export.csv"
    refused, repeated, invalid = write_export(path, rows)
    export = import_stream.check_export(path)
    mapping = import_stream.column_mapping(export.header, [])
    db.execute("PRAGMA busy_timeout = 200")
    holders = []

    def lock_in_the_third_batch(line, errors):
        if line > 2_000 and not holders:
            holders.append(hold_write_lock(app.config["DATABASE"]))

    with pytest.raises(import_stream.ImportStopped, match="the database stayed busy") as stopped:
        import_stream.import_rows(db, export, mapping, app.config, lock_in_the_third_batch, ignore)

    [holder] = holders
    holder.rollback()
    holder.close()
    stored, references, invitations = stored_counts(db)
    assert stopped.value.counts.created == stored == references == invitations
    assert 0 < stored < rows - invalid
    counts = import_stream.import_rows(db, export, mapping, app.config, ignore, ignore)
    assert (counts.created, counts.duplicates, counts.refused) == (
        rows - invalid - stored,
        stored + repeated,
        len(refused),
    )
    assert stored_counts(db) == (rows - invalid, rows - invalid, rows - invalid)


# Call logs: `flask import-calls` streams them the same way.

CALL_LAST_LINE = re.compile(r"^([\d,]+) new, ([\d,]+) already stored, ([\d,]+) refused\.$", re.M)


def write_call_log(path, rows):
    """A call log of `rows` calls (every seventh abandoned; an invalid one has an outcome
    no call has); returns write_rows's refused lines and repeated rows."""

    def row_text(number, invalid):
        queued = START + timedelta(seconds=40 * number)
        abandoned = number % 7 == 0
        answered = "" if abandoned else (queued + timedelta(seconds=15)).isoformat()
        outcome = "maybe" if invalid else "abandoned" if abandoned else "answered"
        ended = (queued + timedelta(seconds=200)).isoformat()
        return (
            f"C{number},{queued.isoformat()},{answered},{ended},{outcome},"
            f"agent{number % 40}@example.com,Team {number % 5}\n"
        )

    header = "Call ID,Queued,Answered,Ended,Outcome,Agent,Team\n"
    return write_rows(path, header, rows, row_text)


def call_last_line(output):
    """(new, already stored, refused) from a call import's last line."""
    [counts] = CALL_LAST_LINE.findall(output)
    return tuple(int(count.replace(",", "")) for count in counts)


@pytest.mark.slow  # past an upload's 100,000 rows: about ten seconds on a quiet machine
def test_a_call_log_longer_than_an_upload_stores_every_valid_call_once(runner, db, tmp_path):
    rows = imports.MAX_ROWS + 2_000
    path = tmp_path / "calls.csv"
    refused, repeated = write_call_log(path, rows)

    result = runner.invoke(args=["import-calls", str(path)])

    assert result.exit_code == cli.REFUSED_STATUS, result.output[-2000:]
    valid = rows - len(range(0, rows, INVALID_EVERY))
    assert call_last_line(result.stdout) == (valid, repeated, len(refused))
    assert refused_lines(result.stderr) == refused
    assert db.execute("SELECT count(*), count(DISTINCT call_ref) FROM calls").fetchone() == (
        valid,
        valid,
    )
    assert db["agents"].count == 40 and db["teams"].count == 5
    total = rows + len(range(0, rows, REPEATED_EVERY))
    progress = re.findall(r"^([\d,]+) of ([\d,]+) rows read: ", result.stderr, re.M)
    assert progress == [(f"{read:,}", f"{total:,}") for read in range(10_000, total, 10_000)]
    kept = rollup_rows(db)
    assert any(kept["call_rollups"])
    with database.immediate(db):
        rollups.rebuild(db)
    assert rollup_rows(db) == kept


def test_a_call_import_that_fails_half_way_keeps_whole_batches_and_can_be_run_again(
    app, db, tmp_path
):
    rows = 5_000
    path = tmp_path / "calls.csv"
    refused, repeated = write_call_log(path, rows)
    export = import_stream.check_export(path)
    mapping = import_stream.column_mapping(export.header, [], call_imports.FIELDS)

    def refuse_then_fail(line, errors):
        if line > 3_000:  # in the fourth batch: the file's reader is a batch ahead
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="the disk is full"):
        import_stream.import_calls(db, export, mapping, app.config, refuse_then_fail, ignore)

    [stored] = db.execute("SELECT count(*) FROM calls").fetchone()
    valid = rows - len(range(0, rows, INVALID_EVERY))
    assert 0 < stored < valid
    lines = path.read_text().splitlines()[1:]
    whole_batches = {
        len({line.partition(",")[0] for line in lines[:end] if ",maybe," not in line})
        for end in range(0, len(lines), import_stream.BATCH_ROWS)
    }
    assert stored in whole_batches  # the valid calls of the first batches, none half-stored
    counts = import_stream.import_calls(db, export, mapping, app.config, ignore, ignore)
    assert (counts.created, counts.duplicates, counts.refused) == (
        valid - stored,
        stored + repeated,
        len(refused),
    )
    assert db.execute("SELECT count(*), count(DISTINCT call_ref) FROM calls").fetchone() == (
        valid,
        valid,
    )


# A call log with what the batch's lookups must get right: agents by address and by name in
# one column, each seen again, a call twice (the first report stands, its team unmade),
# one the API reported before.
CALL_LOG = """Call ID,Queued,Answered,Ended,Outcome,Agent,Team
L-1,2026-03-01 09:00,2026-03-01 09:00:20,2026-03-01 09:04,answered,ayu@acme.example,Billing
L-2,2026-03-01 09:01,,2026-03-01 09:02,no answer,,Billing
L-3,2026-03-01 09:02,2026-03-01 09:02:30,2026-03-01 09:09,answered,Sari,Returns
L-4,2026-03-01 09:03,2026-03-01 09:03:10,2026-03-01 09:05,answered,ayu@acme.example,
L-1,2026-03-01 10:00,2026-03-01 10:00:20,2026-03-01 10:04,answered,Budi,Sales
L-5,2026-03-01 09:04,,2026-03-01 09:05,busy,new@acme.example,Billing
L-6,2026-03-01 09:05,,2026-03-01 09:06,maybe,,Billing
L-8,2026-03-01 09:07,2026-03-01 09:07:20,2026-03-01 09:09,answered,Sari,Returns
L-7,2026-03-01 09:06,2026-03-01 09:06:20,2026-03-01 09:08,answered,,Returns
"""


def test_a_streamed_call_log_stores_what_reporting_each_call_stores(
    runner, app, db, other_db, tmp_path
):
    settings, one_by_one = app.config, other_db
    path = tmp_path / "calls.csv"
    path.write_text(CALL_LOG)
    table = imports.read_table(CALL_LOG.encode())
    mapping = call_imports.guess_mapping(table.header)
    calls = [
        call_imports.parse_row(row, len(table.header), mapping, settings["TIMEZONE"])[0]
        for row in table.rows
    ]
    api_reported = calls[-1]
    for database_ in (db, one_by_one):
        record_call(database_, api_reported, settings)
    for call in calls[:-1]:
        if call is not None:
            record_call(one_by_one, call, settings, source=call_imports.SOURCE)

    result = runner.invoke(args=["import-calls", str(path)])

    assert result.exit_code == cli.REFUSED_STATUS, result.output
    assert call_last_line(result.stdout) == (6, 2, 1)
    assert refused_lines(result.stderr) == [8]
    for name in ("calls", "agents", "teams"):
        assert table_rows(db, name) == table_rows(one_by_one, name), name
    assert db.execute("SELECT identity, email, name FROM agents ORDER BY id").fetchall() == [
        ("email:ayu@acme.example", "ayu@acme.example", None),
        ("name:Sari", None, "Sari"),
        ("email:new@acme.example", "new@acme.example", None),
    ]
    assert db.execute("SELECT team_id FROM calls WHERE call_ref = 'L-1'").fetchone() == (
        db.execute("SELECT id FROM teams WHERE name = 'Billing'").fetchone()
    )
    assert rollup_rows(db) == rollup_rows(one_by_one)
