"""Closed tickets imported from a CSV file that any help desk exports.

A file is read into rows of text, its columns are mapped to the fields of a closure
(guessed from the header, changed by the manager), each row becomes the body of
POST /api/v1/tickets/closed and goes through the same validation, and the valid rows are
stored as closures of source "import". A closure already stored (same ticket and closing
time) is counted as a duplicate, so importing the same file twice adds nothing.

An uploaded file is kept (table ticket_imports) until it is imported, once, with its
outcome, so the Imports page can show what each import did.
"""

import codecs
import csv
import io
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from surveys import clock
from surveys.helpdesk.closures import parse_closure, record_closure
from surveys.helpdesk.payloads import ARRIVAL_WINDOW
from surveys.store.db import immediate
from surveys.text import MAX_CSV_CELL

log = logging.getLogger(__name__)

SOURCE = "import"
NOT_SURVEYED = "imported without survey"
MAX_ROWS = 100_000
MAX_COLUMNS = 200  # every row is padded to the header's width: bound it
# A line is read at most this long, then refused: no help desk's row comes near it (a
# ticket's cells are short texts), and a file without line breaks then costs no memory.
MAX_LINE_CHARACTERS = 1024 * 1024
csv.field_size_limit(MAX_CSV_CELL)  # a cell may be as long as a line (surveys.text)
SNIFF_CHARACTERS = 4096  # the separator and quoting are guessed from the file's start
BATCH_ROWS = 500  # rows per write transaction: the API's writers wait at most one batch
PREVIEW_ROWS = 10
ERRORS_KEPT = 1000  # per import, for the page; the counts stay exact
# An upload's import (at most MAX_ROWS rows) takes a minute or two, surveyed a few. A claim
# this old without an outcome was interrupted (its process died: a deploy, a crash), and the
# file may be imported again: the rows it stored then count as already stored.
CLAIM_SECONDS = 15 * 60
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
# What a time's cell must be, said as the CSV rule is (the API's wording asks for an offset).
TIME_MESSAGE = (
    "must be an ISO 8601 date and time, such as 2026-11-20 16:30 (read in the business's "
    "time zone) or 2026-11-20T16:30:00+07:00"
)
# Read with errors="surrogateescape", a byte that is not UTF-8 is a lone surrogate; any
# other character past ASCII is one that UTF-8 spells in several bytes.
NOT_UTF8 = re.compile("[\udc80-\udcff]")
UTF8_CHARACTER = re.compile("[^\x00-\x7f\udc80-\udcff]")
# The five bytes Windows-1252 leaves undefined, met where UTF-8 cannot read them either.
NEITHER_ENCODING = re.compile("[\udc81\udc8d\udc8f\udc90\udc9d]")
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
    """A file that cannot be read as a CSV of tickets (or calls)."""


@dataclass
class Table:
    """A CSV file read into text: its header, its rows (each at least as long as the
    header; a longer one is refused when imported), and the line of the file each row
    starts on (as a spreadsheet numbers them)."""

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


@dataclass
class Utf8Check:
    """What reading a file as UTF-8 met so far: a character spelled in several bytes (or
    a byte-order mark), and the first line with a byte that is not UTF-8.

    A file with no such character and some such bytes is an export in Windows-1252. A
    file with both is UTF-8 with a damaged line: read as Windows-1252 it would store
    every accented letter garbled (é as Ã©), so it is refused, naming that line. A byte
    that neither reads (one of the five Windows-1252 leaves undefined) refuses the file
    at once: it is in some other encoding, and would be stored as "�".
    """

    multibyte: bool = False
    first_bad_line: int | None = None

    def note(self, number, line):
        """Look at line `number`, read with errors="surrogateescape"; ImportFileError
        once the file is known to be damaged UTF-8."""
        if self.first_bad_line is None and NOT_UTF8.search(line):
            self.first_bad_line = number
        if undefined := NEITHER_ENCODING.search(line):
            raise ImportFileError(
                f"line {number} holds a byte (0x{ord(undefined.group()) - 0xDC00:02X}) that is "
                "neither UTF-8 nor Windows-1252; save the file as UTF-8"
            )
        self.multibyte = self.multibyte or UTF8_CHARACTER.search(line) is not None
        if self.multibyte and self.first_bad_line is not None:
            raise ImportFileError(
                f"line {self.first_bad_line} is not valid UTF-8; save the file as UTF-8"
            )

    @property
    def encoding(self):
        """How to read the whole file, once it was read through."""
        return "utf-8-sig" if self.first_bad_line is None else "cp1252"


def opened_text(raw):
    """The binary file `raw` (at its start, seekable) as text for the csv module, and the
    Utf8Check to give text_lines (None for UTF-16).

    A file that is not UTF-16 is read as UTF-8, an invalid byte standing for itself (as
    surrogateescape does), until text_lines has met every line; the header and rows are
    then as_cp1252 when Utf8Check.encoding says so.
    """
    start = raw.read(3)
    raw.seek(0)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return io.TextIOWrapper(raw, "utf-16", errors="replace", newline=""), None
    text = io.TextIOWrapper(raw, "utf-8-sig", errors="surrogateescape", newline="")
    return text, Utf8Check(multibyte=start == codecs.BOM_UTF8)


def as_cp1252(text):
    """Text read by opened_text as it reads in Windows-1252."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("cp1252", errors="replace")


def sniffed_dialect(text):
    """The separator and quoting of `text`, guessed from its start; `text` then rewound."""
    try:
        dialect = csv.Sniffer().sniff(text.read(SNIFF_CHARACTERS), delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    text.seek(0)
    return dialect


def text_lines(text, utf8=None):
    """The lines of `text`, read one at a time and never longer than MAX_LINE_CHARACTERS
    (a longer one is refused before it is whole, so a file without line breaks costs no
    memory); ImportFileError for such a line, for a NUL, or when `utf8` (a Utf8Check)
    finds damaged UTF-8."""
    number = 0
    while line := text.readline(MAX_LINE_CHARACTERS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARACTERS:
            raise ImportFileError(
                f"line {number} is longer than {MAX_LINE_CHARACTERS:,} characters "
                "(is the file a CSV export?)"
            )
        if "\x00" in line:
            raise ImportFileError("the file is not text (save it as CSV)")
        if utf8 is not None and not line.isascii():
            utf8.note(number, line)
        yield line


def csv_reader(lines, dialect):
    """csv's reader of `lines`; strict: an unclosed quote is an error, not a cell that
    swallows the rest of the file."""
    return csv.reader(lines, dialect, strict=True)


def read_header(reader):
    """The first row's names, trimmed; ImportFileError when it names no column or too many."""
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as error:
        raise ImportFileError(f"the file is not valid CSV: {error} (line 1)") from error
    if not any(header):
        raise ImportFileError("the file is empty: the first line must name the columns")
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"the file has more than {MAX_COLUMNS} columns")
    return header


def checked_header(header, encoding):
    """The header in the file's `encoding` (as_cp1252 for Windows-1252); ImportFileError
    when two columns have the same name as guess_mapping compares them: the mapping by
    name would read one and ignore the other."""
    if encoding == "cp1252":
        header = [as_cp1252(name).strip() for name in header]
    seen = {}
    for number, name in enumerate(header, 1):
        key = header_key(name)
        if key and key in seen:
            first = seen[key]
            raise ImportFileError(
                f"the header names the same column twice: {header[first - 1]!r} (column "
                f"{first}) and {name!r} (column {number}); rename or remove one"
            )
        seen.setdefault(key, number)
    return header


def numbered_rows(reader, width):
    """(line the row starts on, row padded to the header's `width`) for each row that is
    not blank; ImportFileError, with the line, for a row that is not valid CSV."""
    line = reader.line_num + 1
    try:
        for row in reader:
            starts_on, line = line, reader.line_num + 1
            if not "".join(row).strip():
                continue
            if len(row) < width:
                row += [""] * (width - len(row))
            yield starts_on, row
    except csv.Error as error:
        raise ImportFileError(f"the file is not valid CSV: {error} (line {line})") from error


def read_table(data):
    """The header and rows of CSV bytes: UTF-8, with or without BOM; else Windows-1252
    (Utf8Check says when); UTF-16 with its BOM."""
    with io.BytesIO(data) as raw:
        text, utf8 = opened_text(raw)
        reader = csv_reader(text_lines(text, utf8), sniffed_dialect(text))
        header = read_header(reader)
        rows, lines = [], []
        for starts_on, row in numbered_rows(reader, len(header)):
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(f"the file has more than {MAX_ROWS:,} rows")
            rows.append(row)
            lines.append(starts_on)
    encoding = "utf-16" if utf8 is None else utf8.encoding
    if encoding == "cp1252":
        rows = [[as_cp1252(cell) for cell in row] for row in rows]
    return Table(checked_header(header, encoding), rows, lines)


def header_key(name):
    """A column's name as the mapping compares it: case and "_" versus space aside."""
    return name.strip().lower().replace("_", " ")


def guess_mapping(header, fields=FIELDS):
    """{field: column index} for the columns whose names say what they hold (`fields`: each
    field's header names, FIELDS for tickets)."""
    names = [header_key(name) for name in header]
    mapping = {}
    for field_name, synonyms in fields.items():
        for synonym in synonyms:
            wanted = synonym.replace("_", " ")
            if wanted in names and names.index(wanted) not in mapping.values():
                mapping[field_name] = names.index(wanted)
                break
    return mapping


def _time(value, timezone_name):
    """ISO 8601 text with an offset, as the API takes it: a time without one is read in
    the business's zone. ValueError (TIME_MESSAGE, the file's rule) when it is no time;
    its year is the API's check, on the instant in UTC."""
    try:
        instant = datetime.fromisoformat(value)  # also "2026-11-20 10:00"
    except ValueError:
        raise ValueError(TIME_MESSAGE) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(timezone_name))
    return instant.isoformat()


def row_cells(row, mapping, time_fields, timezone_name):
    """({field: stripped cell}, {field: error}) of one row's non-empty mapped cells, the
    `time_fields` read as _time reads them: what a ticket's or a call's API body is built
    from, and the file's own errors. A cell that is no time stays as written, so the API's
    check refuses it too."""
    cells = {
        name: row[index].strip()
        for name, index in mapping.items()
        if index is not None and row[index].strip()
    }
    errors = {}
    for name in time_fields:
        if name in cells:
            try:
                cells[name] = _time(cells[name], timezone_name)
            except ValueError as error:
                errors[name] = str(error)
    return cells, errors


def too_many_cells(row, width):
    """The error of a row with more cells than its header's `width`, or None: a separator
    inside an unquoted value has moved every cell after it one column on."""
    if len(row) > width:
        return {"row": f"has {len(row)} cells; the header has {width}"}
    return None


def with_file_errors(parsed, file_errors):
    """The API's (record, errors) for a row's body, with the file's own errors of its
    cells put in (they state the file's rule where the API's would ask for an offset)."""
    record, errors = parsed
    if file_errors:
        return None, errors | file_errors
    return record, errors


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
    """(the body of POST /api/v1/tickets/closed for one row, the file's own errors of its
    cells); empty cells are absent."""
    cells, errors = row_cells(row, mapping, TIME_FIELDS, timezone_name)
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
    return body, errors


def missing_required(mapping):
    """The required fields no column is mapped to."""
    return [name for name in REQUIRED if mapping.get(name) is None]


def parse_row(row, width, mapping, timezone_name, now=None):
    """(closure, {}) or (None, errors) for one row of a file whose header has `width`
    columns: the API's checks of its body, and the file's own."""
    if extra := too_many_cells(row, width):
        return None, extra
    body, file_errors = row_body(row, mapping, timezone_name)
    return with_file_errors(parse_closure(body, now=now), file_errors)


def _closures(table, mapping, timezone_name):
    """(line number, closure or None, errors) per row; line 1 is the header."""
    width = len(table.header)
    for number, row in zip(table.lines, table.rows, strict=True):
        closure, errors = parse_row(row, width, mapping, timezone_name)
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


def import_state(stored, now=None):
    """Where an upload's import is: 'waiting' (not begun), 'importing' (claimed, no outcome
    yet), 'interrupted' (claimed over CLAIM_SECONDS ago, no outcome: it may run again) or
    'done'."""
    if stored["imported_at"] is None:
        return "waiting"
    if stored["created"] is not None:
        return "done"
    if stored["imported_at"] < claim_expired_before(now):
        return "interrupted"
    return "importing"


def claim_expired_before(now=None):
    """The claim time (stored text) before which a claim without an outcome has expired."""
    return clock.to_iso((now or clock.now()) - timedelta(seconds=CLAIM_SECONDS))


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
    imported) already. `surveyed` (tickets only) is kept on the upload as it is claimed.
    An import interrupted with its process (import_state) may be claimed again."""
    table = UPLOADS[kind].table
    # Only the ticket uploads say whether their customers were surveyed.
    marks = "imported_at = ?" if surveyed is None else "imported_at = ?, surveyed = ?"
    unmarks = "imported_at = NULL" if surveyed is None else "imported_at = NULL, surveyed = NULL"
    now = clock.now()
    claim = [clock.to_iso(now)] + ([] if surveyed is None else [surveyed])
    # Claim the file first, so a second click (or tab) cannot import it again.
    with immediate(db):
        claimed = db.execute(
            f"UPDATE {table} SET {marks} WHERE id = ? AND (imported_at IS NULL"  # noqa: S608
            " OR (created IS NULL AND imported_at < ?))",
            [*claim, import_id, claim_expired_before(now)],
        ).rowcount
    if not claimed:
        return None
    # Each write below holds only while this run's claim does: a run taken for interrupted
    # after CLAIM_SECONDS (a very slow one) must not undo or overwrite the run after it.
    mine = "WHERE id = ? AND imported_at = ?"
    try:
        outcome = import_file()
    except Exception:
        # Let it be run again: the batches stored so far count as duplicates then.
        with immediate(db):
            db.execute(f"UPDATE {table} SET {unmarks} {mine}", [import_id, claim[0]])  # noqa: S608
        raise
    with immediate(db):
        kept = db.execute(
            f"UPDATE {table} SET created = ?, duplicates = ?, errors = ? {mine}",  # noqa: S608
            [
                outcome.created,
                outcome.duplicates,
                json.dumps(outcome.errors[:ERRORS_KEPT]),
                import_id,
                claim[0],
            ],
        ).rowcount
    if not kept:
        log.warning("upload %s: an import that outlived its claim kept no outcome", import_id)
    return outcome
