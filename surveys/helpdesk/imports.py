"""Closed tickets imported from a CSV file that any help desk exports.

A file is read into rows of text, its columns are mapped to the fields of a closure
(guessed from the header, changed by the manager), each row becomes the body of
POST /api/v1/tickets/closed and goes through the same validation, and the valid rows are
stored as closures of source "import". A closure already stored (same ticket and closing
time) is counted as a duplicate, so importing the same file twice adds nothing.

An uploaded file is kept (table ticket_imports) until it is imported, once, with its
outcome, so the Imports page can show what each import did.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from surveys import clock
from surveys.helpdesk.closures import parse_closure, record_closure
from surveys.helpdesk.payloads import ARRIVAL_WINDOW
from surveys.store.db import immediate

SOURCE = "import"
NOT_SURVEYED = "imported without survey"
MAX_ROWS = 100_000
MAX_COLUMNS = 200  # every row is padded to the header's width: bound it
BATCH_ROWS = 500  # rows per write transaction: the API's writers wait at most one batch
PREVIEW_ROWS = 10
ERRORS_KEPT = 1000  # per import, for the page; the counts stay exact
PAST_IMPORTS = 50  # listed on the Imports page

# The fields a column can fill, with the header names help desks commonly use for them.
FIELDS = {
    "ticket_id": (
        "ticket_id",
        "ticket id",
        "id",
        "ticket",
        "ticket number",
        "number",
        "conversation id",
        "display id",
    ),
    "closed_at": (
        "closed_at",
        "closed at",
        "closed",
        "resolved at",
        "resolved",
        "solved at",
        "resolved time",
        "closed time",
        "resolution date",
        "closed date",
    ),
    "customer_email": (
        "customer_email",
        "customer email",
        "requester email",
        "email",
        "contact email",
        "requester",
        "customer",
    ),
    "customer_name": (
        "customer_name",
        "customer name",
        "requester name",
        "contact name",
        "name",
        "full name",
    ),
    "customer_locale": ("customer_locale", "locale", "language", "requester language"),
    "agent_email": ("agent_email", "agent email", "assignee email", "agent"),
    "agent_name": ("agent_name", "agent name", "assignee name", "assignee"),
    "team": ("team", "group", "group name", "team name", "department"),
    "channel": ("channel", "source", "via", "inbox"),
    "opened_at": (
        "opened_at",
        "opened at",
        "created at",
        "created",
        "created time",
        "created date",
    ),
    "first_response_at": (
        "first_response_at",
        "first response at",
        "first responded at",
        "first reply at",
        "first reply created at",
    ),
    "contacts": ("contacts", "replies", "customer interactions"),
    "escalated": ("escalated",),
    "reopened": ("reopened",),
    "handle_seconds": ("handle_seconds", "handle seconds", "handle time (seconds)"),
}
REQUIRED = ("ticket_id", "closed_at", "customer_email")
TIME_FIELDS = ("closed_at", "opened_at", "first_response_at")
TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}


@dataclass(frozen=True)
class Upload:
    """Where one kind of uploaded file is kept until it is imported."""

    table: str
    default_filename: str  # for a file sent without a name
    listed: str  # the columns past_imports lists (not the content)


# The tables of uploaded files: the only names the functions below put into their SQL, and
# always looked up by a fixed key (never by anything a request sends).
UPLOADS = {
    "tickets": Upload(
        "ticket_imports",
        "tickets.csv",
        "id, filename, created_at, imported_at, created, duplicates, surveyed",
    ),
    "calls": Upload(
        "call_imports", "calls.csv", "id, filename, created_at, imported_at, created, duplicates"
    ),
}


class ImportFileError(Exception):
    """A file that cannot be read as a CSV of tickets."""


@dataclass
class Table:
    """A CSV file read into text: its header, its rows (each as long as the header), and
    the line of the file each row starts on (as a spreadsheet numbers them)."""

    header: list
    rows: list
    lines: list = field(default_factory=list)


@dataclass
class Outcome:
    """What importing (or previewing) the rows gave."""

    created: int = 0
    duplicates: int = 0
    errors: list = field(default_factory=list)  # (line number, {field: message})
    previews: list = field(default_factory=list)  # (line number, body or None, errors)


def read_table(data):  # noqa: C901 (one branch per encoding and dialect a help desk exports)
    """The header and rows of CSV bytes (UTF-8, with or without BOM; else Windows-1252)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ImportFileError("the file is not text (save it as CSV)")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # strict: an unclosed quote is an error, not a cell that swallows the rest of the line
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise ImportFileError("the file is empty: the first line must name the columns")
        if len(header) > MAX_COLUMNS:
            raise ImportFileError(f"the file has more than {MAX_COLUMNS} columns")
        rows, lines = [], []
        line = reader.line_num + 1
        for row in reader:
            starts_on, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(f"the file has more than {MAX_ROWS:,} rows")
            rows.append((row + [""] * len(header))[: len(header)])
            lines.append(starts_on)
    except csv.Error as error:
        raise ImportFileError(f"the file is not valid CSV: {error}") from error
    return Table(header, rows, lines)


def guess_mapping(header, fields=FIELDS):
    """{field: column index} for the columns whose names say what they hold (`fields`: each
    field's header names, FIELDS for tickets)."""
    names = [name.strip().lower().replace("_", " ") for name in header]
    mapping = {}
    for field_name, synonyms in fields.items():
        for synonym in synonyms:
            wanted = synonym.replace("_", " ")
            if wanted in names and names.index(wanted) not in mapping.values():
                mapping[field_name] = names.index(wanted)
                break
    return mapping


def _time(value, timezone_name):
    """ISO 8601 text with an offset; a time without one is read in the business's zone."""
    try:
        instant = datetime.fromisoformat(value)  # also "2026-11-20 10:00"
    except ValueError:
        return value  # the API's parsing explains what it wants
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(timezone_name))
    return instant.isoformat()


def row_cells(row, mapping, time_fields, timezone_name):
    """{field: stripped cell} of one row's non-empty mapped cells, the `time_fields` read
    as _time reads them: what a ticket's or a call's API body is built from."""
    cells = {
        name: row[index].strip()
        for name, index in mapping.items()
        if index is not None and row[index].strip()
    }
    for name in time_fields:
        if name in cells:
            cells[name] = _time(cells[name], timezone_name)
    return cells


def _flag(value):
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    return value  # parse_closure: "must be true or false"


def _count(value, digits=6):
    return int(value) if value.isascii() and value.isdigit() and len(value) <= digits else value


def row_body(row, mapping, timezone_name):
    """The body of POST /api/v1/tickets/closed for one row; empty cells are absent."""
    cells = row_cells(row, mapping, TIME_FIELDS, timezone_name)
    body = {
        key: cells[key]
        for key in ("ticket_id", "closed_at", "team", "channel", "opened_at", "first_response_at")
        if key in cells
    }
    body["customer"] = {
        key: cells[f"customer_{key}"]
        for key in ("email", "name", "locale")
        if f"customer_{key}" in cells
    }
    if "agent_email" in cells or "agent_name" in cells:
        body["agent"] = {
            key: cells[f"agent_{key}"] for key in ("email", "name") if f"agent_{key}" in cells
        }
    if "contacts" in cells:
        body["contacts"] = _count(cells["contacts"])
    if "handle_seconds" in cells:  # whole seconds up to 30 days: at most 7 digits
        body["handle_seconds"] = _count(cells["handle_seconds"], digits=7)
    for name in ("escalated", "reopened"):
        if name in cells:
            body[name] = _flag(cells[name])
    return body


def missing_required(mapping):
    """The required fields no column is mapped to."""
    return [name for name in REQUIRED if mapping.get(name) is None]


def _closures(table, mapping, timezone_name):
    """(line number, closure or None, errors) per row; line 1 is the header."""
    for number, row in zip(table.lines, table.rows, strict=True):
        closure, errors = parse_closure(row_body(row, mapping, timezone_name))
        yield number, closure, errors


def preview(table, mapping, timezone_name, rows=PREVIEW_ROWS):
    """The first rows as closures would be stored, with each row's errors; writes nothing."""
    return preview_parsed(_closures(table, mapping, timezone_name), rows)


def preview_parsed(parsed, rows=PREVIEW_ROWS):
    """An Outcome of the first `rows` of `parsed` ((line number, what would be stored or
    None, errors) per row) and every row's errors; writes nothing."""
    outcome = Outcome()
    for number, stored, errors in parsed:
        if len(outcome.previews) < rows:
            outcome.previews.append((number, stored, errors))
        if errors:
            outcome.errors.append((number, errors))
    return outcome


def import_rows(db, table, mapping, settings, survey=False):
    """Store every valid row as a closure; returns an Outcome.

    With `survey`, invitations are scheduled by the usual rules; without, each is stored
    as not sent, with the reason NOT_SURVEYED. Invalid rows are reported, not stored; rows
    already stored (imported before, or reported by the API or a webhook) count as
    duplicates. Each batch of rows is one transaction.
    """
    outcome = Outcome()
    valid = []
    for number, closure, errors in _closures(table, mapping, settings["TIMEZONE"]):
        if errors:
            outcome.errors.append((number, errors))
        else:
            valid.append(closure)
    sources = reporting_sources(db)
    for start in range(0, len(valid), BATCH_ROWS):
        with immediate(db):
            for closure in valid[start : start + BATCH_ROWS]:
                if stored_elsewhere(db, closure, sources):
                    outcome.duplicates += 1
                    continue
                _, created = record_closure(
                    db, closure, settings, source=SOURCE, suppress=None if survey else NOT_SURVEYED
                )
                if created:
                    outcome.created += 1
                else:
                    outcome.duplicates += 1
    return outcome


def reporting_sources(db):
    """Every source that reports closures as they happen: the API and each integration."""
    return ["api", *(f"integration:{row[0]}" for row in db.execute("SELECT id FROM integrations"))]


def stored_elsewhere(db, closure, sources):
    """True when the help desk already reported this closure: the same ticket at the same
    time, or dated on its arrival up to ARRIVAL_WINDOW after this closing time (a webhook
    without a closing time that came before this row's real one)."""
    marks = ", ".join("?" for _ in sources)
    closed_at = clock.to_iso(closure.closed_at)
    arrived_by = clock.to_iso(closure.closed_at + ARRIVAL_WINDOW)
    return (
        db.execute(
            f"SELECT 1 FROM tickets WHERE source IN ({marks}) AND ticket_ref = ? "  # noqa: S608
            "AND (closed_at = ? OR (dated_on_arrival = 1 AND closed_at BETWEEN ? AND ?))",
            [*sources, closure.ticket_ref, closed_at, closed_at, arrived_by],
        ).fetchone()
        is not None
    )


def store_upload(db, kind, filename, content, created_by=None):
    """Keep an uploaded file of `kind` (a key of UPLOADS) until it is imported; returns its
    id."""
    upload = UPLOADS[kind]
    with immediate(db):
        return db.execute(
            f"INSERT INTO {upload.table} (filename, content, created_at, created_by)"  # noqa: S608
            " VALUES (?, ?, ?, ?)",
            [
                (filename or upload.default_filename)[:200],
                content,
                clock.to_iso(clock.now()),
                created_by,
            ],
        ).lastrowid


def past_imports(db, kind, limit=PAST_IMPORTS):
    """The latest uploads of `kind`, newest first, with what importing each one gave."""
    upload = UPLOADS[kind]
    return list(
        db.query(
            f"SELECT {upload.listed} FROM {upload.table} ORDER BY id DESC LIMIT ?",  # noqa: S608
            [limit],
        )
    )


def stored_import(db, kind, import_id):
    """The uploaded file of `kind` and its outcome, or None."""
    table = UPLOADS[kind].table
    return next(db.query(f"SELECT * FROM {table} WHERE id = ?", [import_id]), None)  # noqa: S608


def kept_errors(stored):
    """The invalid rows kept on an imported file: [line number, {field: message}] pairs."""
    return json.loads(stored["errors"] or "[]")


def run_import(db, import_id, table, mapping, settings, survey=False):
    """Import an uploaded file's rows once and keep the outcome on it; returns the Outcome,
    or None when the file was imported (or is being imported) already."""
    return run_once(
        db,
        "tickets",
        import_id,
        lambda: import_rows(db, table, mapping, settings, survey=survey),
        surveyed=int(survey),
    )


def run_once(db, kind, import_id, import_file, surveyed=None):
    """Run import_file() (returning an Outcome) once for an upload of `kind` and keep the
    outcome on it; returns the Outcome, or None when the file was imported (or is being
    imported) already. `surveyed` (tickets only) is kept on the upload as it is claimed."""
    table = UPLOADS[kind].table
    # Only the ticket uploads say whether their customers were surveyed.
    marks = "imported_at = ?" if surveyed is None else "imported_at = ?, surveyed = ?"
    unmarks = "imported_at = NULL" if surveyed is None else "imported_at = NULL, surveyed = NULL"
    claim = [clock.to_iso(clock.now())] + ([] if surveyed is None else [surveyed])
    # Claim the file first, so a second click (or tab) cannot import it again.
    with immediate(db):
        claimed = db.execute(
            f"UPDATE {table} SET {marks} WHERE id = ? AND imported_at IS NULL",  # noqa: S608
            [*claim, import_id],
        ).rowcount
    if not claimed:
        return None
    try:
        outcome = import_file()
    except Exception:
        # Let it be run again: the batches stored so far count as duplicates then.
        with immediate(db):
            db.execute(f"UPDATE {table} SET {unmarks} WHERE id = ?", [import_id])  # noqa: S608
        raise
    with immediate(db):
        db.execute(
            f"UPDATE {table} SET created = ?, duplicates = ?, errors = ? WHERE id = ?",  # noqa: S608
            [
                outcome.created,
                outcome.duplicates,
                json.dumps(outcome.errors[:ERRORS_KEPT]),
                import_id,
            ],
        )
    return outcome
