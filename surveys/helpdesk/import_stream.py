"""A help desk's CSV export (or a phone system's call log) of any length, imported by
`flask import-tickets` (or `flask import-calls`) in constant memory.

The file is read twice, a row at a time, never whole: once to choose its encoding and
dialect and to refuse it before anything is stored when it is not a CSV it can read (the
same checks and messages as an upload, surveys.helpdesk.imports.read_table, without the
upload's row limit); then to import it. Reading it twice needs a regular file: a pipe is
refused. Each row goes through the same validation as an upload (imports.parse_row) and
the valid ones are stored in batches of BATCH_ROWS, each its own short write transaction,
with the same "already stored" rules: a closure this source or a reporting source (the
API, a webhook) holds already counts as a duplicate. A run that fails or is killed leaves
whole batches behind, and running it again stores the rest and nothing twice; one that
stops because the file changed after the check or the database stayed locked says so
(ImportStopped) with what it stored.

A thread checks the next batch while this one stores the last (surveys.helpdesk.
import_batches): unsurveyed closures (the default: history for the reports) a batch per
statement, with agents, teams and the closures already stored looked up once per batch;
the rollup triggers still count each row, so the rollups equal a rebuild. Surveyed
closures take the live path (record_closure), one at a time, for the distribution rules.

A call log goes the same way (import_calls): the same reading, checks and batches, each
row through call_imports.parse_row, and a batch stored by call_imports.store_batch.
"""

import os
import queue
import sqlite3
import stat
import sys
import threading
from contextlib import closing, contextmanager
from dataclasses import dataclass
from itertools import islice

from surveys import clock
from surveys.helpdesk import call_imports
from surveys.helpdesk.closures import record_closure
from surveys.helpdesk.import_batches import (
    closure_columns,
    not_stored,
    prepare,
    store_unsurveyed,
)
from surveys.helpdesk.imports import (
    FIELDS,
    SOURCE,
    ImportFileError,
    Utf8Check,
    checked_header,
    csv_reader,
    guess_mapping,
    numbered_rows,
    opened_text,
    parse_row,
    read_header,
    sniffed_dialect,
    text_lines,
)
from surveys.store import db as store_db  # its BUSY_TIMEOUT_SECONDS, read when it is said
from surveys.store.db import immediate, is_busy

# Rows per write transaction: about a tenth of a second under the write lock, so the
# API's and the survey pages' writers wait little, while the commits stay few.
BATCH_ROWS = 1000
PROGRESS_ROWS = 10_000  # a progress line after each such number of rows
CHECKED_AHEAD = 2  # batches checked and waiting to be stored
SWITCH_SECONDS = 0.0005  # how long the storing thread may wait for Python's lock
# While importing: SQLite checkpoints the WAL every this many pages (160 MiB of 4 KiB
# pages; SQLite's default is 1,000) and keeps up to this many KiB of pages in memory.
IMPORT_CHECKPOINT_PAGES = 40_000
IMPORT_CACHE_KIB = 32 * 1024


class ImportStopped(Exception):
    """An import that stopped part way: `counts` says what it stored, in whole batches."""

    def __init__(self, reason, counts):
        super().__init__(reason)
        self.counts = counts


@dataclass
class Export:
    """A CSV file that was checked whole: how to read it again, its header and how many
    rows (blank lines aside) it holds."""

    path: str
    encoding: str
    dialect: object
    header: list
    rows: int

    def numbered_rows(self):
        """(line the row starts on, row at least as long as the header), read from the
        file again; ImportFileError when the file is no longer as it was checked."""
        # Known to be UTF-8 now, so the first byte that is not is refused at once.
        utf8 = Utf8Check(multibyte=True) if self.encoding == "utf-8-sig" else None
        errors = "replace" if utf8 is None else "surrogateescape"
        with open(self.path, encoding=self.encoding, errors=errors, newline="") as text:
            reader = csv_reader(text_lines(text, utf8), self.dialect)
            try:
                next(reader)  # the header, checked already
                rows = numbered_rows(reader, len(self.header))
                for count, numbered in enumerate(rows, 1):
                    if count > self.rows:
                        raise ImportFileError(f"it holds more than the {self.rows:,} rows it held")
                    yield numbered
            except ImportFileError as error:
                raise ImportFileError(f"the file changed after it was checked: {error}") from error


@dataclass
class Counts:
    """What an import (or a check) did so far: rows read, stored, already stored,
    refused."""

    total: int
    read: int = 0
    created: int = 0
    duplicates: int = 0
    refused: int = 0

    @property
    def valid(self):
        """Rows that passed validation (stored now or before)."""
        return self.created + self.duplicates


def check_export(path):
    """The Export at `path`, or ImportFileError saying why it is not a CSV it can read."""
    # A pipe (cat f.csv | flask import-tickets /dev/stdin) or a device cannot be read twice.
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ImportFileError(
            f"{path} is not a regular file: the import reads the file twice (to check it, "
            "then to store it), so save the export to a file first"
        )
    with open(path, "rb") as raw:
        text, utf8 = opened_text(raw)
        with text:
            dialect = sniffed_dialect(text)
            reader = csv_reader(text_lines(text, utf8), dialect)
            header = read_header(reader)
            rows = sum(1 for _ in numbered_rows(reader, len(header)))
    encoding = "utf-16" if utf8 is None else utf8.encoding
    return Export(path, encoding, dialect, checked_header(header, encoding), rows)


def column_mapping(header, overrides, fields=FIELDS):
    """{field: column index}: guessed from the header, then FIELD=COLUMN overrides (a
    field of `fields`: a closure's, or call_imports.FIELDS); ImportFileError for an
    override that names no field or no column."""
    mapping = guess_mapping(header, fields)
    for override in overrides:
        name, _, column = override.partition("=")
        if name not in fields or column not in header:
            raise ImportFileError(
                f"--map {override!r}: use FIELD=COLUMN with FIELD one of "
                f"{', '.join(fields)} and COLUMN a column of the file"
            )
        mapping[name] = header.index(column)
    return mapping


def _batches(numbered_rows):
    while batch := list(islice(numbered_rows, BATCH_ROWS)):
        yield batch


@dataclass
class Checked:
    """A batch of rows after validation: how many were read and refused, and the valid
    ones (closures, Prepared ones to be stored, or calls)."""

    rows: int
    refused: int
    valid: list


def _checked_batches(export, mapping, timezone_name, on_refused, parse=parse_row, ready=None):
    """Each batch of the file, checked by `parse` (imports.parse_row's signature); every
    invalid row goes to on_refused(line, errors) as it is met, and each valid one through
    `ready` (when given) to be stored."""
    width = len(export.header)
    for batch in _batches(export.numbered_rows()):
        now = clock.now()
        valid, refused = [], 0
        for line, row in batch:
            parsed, errors = parse(row, width, mapping, timezone_name, now=now)
            if errors:
                refused += 1
                on_refused(line, errors)
            else:
                valid.append(parsed if ready is None else ready(parsed))
        yield Checked(len(batch), refused, valid)


def _checked_ahead(checked_batches):
    """The same batches, checked by a thread while this one stores the batch before.

    Storing a batch is mostly SQLite at work (the rollup triggers), which lets go of
    Python's lock, and checking one is Python: on two cores the two overlap. The queue
    holds at most CHECKED_AHEAD batches, so memory stays a few batches whatever the file.
    An exception in the thread is raised here; leaving early stops the thread.
    """
    handed = queue.Queue(maxsize=CHECKED_AHEAD)
    stopped = threading.Event()

    def hand(item):
        while not stopped.is_set():
            try:
                handed.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def check():
        try:
            for checked in checked_batches:
                if not hand(checked):
                    return
            hand(None)
        except BaseException as error:  # noqa: BLE001 (raised again in the storing thread)
            hand(error)

    thread = threading.Thread(target=check, name="import-check", daemon=True)
    thread.start()
    # Storing comes back from SQLite several times a batch and waits for Python's lock
    # each time, up to the switch interval (5 ms) while the checking thread runs.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_SECONDS)
    try:
        while (item := handed.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        sys.setswitchinterval(switch_interval)
        stopped.set()


def _count(counts, checked, created, on_progress):
    """Add a stored batch to the counts, and report progress every PROGRESS_ROWS rows."""
    read_before = counts.read
    counts.read += checked.rows
    counts.refused += checked.refused
    counts.created += created
    counts.duplicates += len(checked.valid) - created
    if counts.read // PROGRESS_ROWS > read_before // PROGRESS_ROWS and counts.read < counts.total:
        on_progress(counts)


def check_rows(export, mapping, timezone_name, on_refused, on_progress, parse=parse_row):
    """Validate every row by `parse` (imports.parse_row, or call_imports.parse_row for a
    call log) and store nothing (--dry-run); returns the Counts, with the valid rows
    counted as created."""
    counts = Counts(export.rows)
    for checked in _checked_batches(export, mapping, timezone_name, on_refused, parse):
        _count(counts, checked, len(checked.valid), on_progress)
    return counts


def import_rows(db, export, mapping, settings, on_refused, on_progress, survey=False):
    """Store every valid row of the file as a closure, a batch per transaction; returns
    the Counts. Invalid rows go to on_refused(line, errors) as they are met; on_progress
    (counts) is called every PROGRESS_ROWS rows, once their batch is stored. ImportStopped
    when the file changed since it was checked or the database stayed locked: the batches
    stored before stay, and running the import again stores the rest.

    With `survey`, invitations are scheduled by the usual rules; without, each closure's
    invitation is stored as not sent, with the reason NOT_SURVEYED (as an upload does).
    """
    ticket_fields = closure_columns(db)
    timezone_name = settings["TIMEZONE"]
    batches = _checked_batches(
        export,
        mapping,
        timezone_name,
        on_refused,
        ready=lambda closure: prepare(closure, timezone_name, ticket_fields),
    )
    return _store_batches(
        db,
        export,
        batches,
        lambda checked: _store(db, checked, settings, survey, ticket_fields),
        on_progress,
    )


def import_calls(db, export, mapping, settings, on_refused, on_progress):
    """Store every valid row of a call log as a call, a batch per transaction, as
    import_rows stores closures (the same Counts, callbacks and ImportStopped); a call
    whose id is stored already counts as already stored."""
    batches = _checked_batches(
        export, mapping, settings["TIMEZONE"], on_refused, call_imports.parse_row
    )
    return _store_batches(
        db,
        export,
        batches,
        lambda checked: call_imports.store_batch(db, checked.valid, settings),
        on_progress,
    )


def _store_batches(db, export, batches, store, on_progress):
    """Store each Checked batch by `store` (one write transaction, returning how many
    rows are new) while the next is checked; returns the Counts. ImportStopped when the
    file changed since it was checked or the database stayed locked."""
    counts = Counts(export.rows)
    # Each INSERT that fires the rollup triggers inside a batch keeps a statement journal
    # (to undo that statement alone): in a temporary file, that is 25 writes per row and
    # half the import's system time. In memory it is at most a batch's pages.
    db.execute("PRAGMA temp_store = MEMORY")
    try:
        with closing(_checked_ahead(batches)) as checked_batches, _bulk_writing(db):
            for checked in checked_batches:
                _count(counts, checked, store(checked), on_progress)
    except ImportFileError as error:  # the file changed since check_export read it
        raise ImportStopped(str(error), counts) from error
    except sqlite3.OperationalError as error:
        if not is_busy(error):
            raise
        raise ImportStopped(
            "the database stayed busy: another process held its write lock for over "
            f"{store_db.BUSY_TIMEOUT_SECONDS:g} s",
            counts,
        ) from error
    return counts


def _store(db, checked, settings, survey, ticket_fields):
    """Store a Checked batch in one write transaction; returns how many closures are new."""
    with immediate(db):
        new = not_stored(db, checked.valid)
        if survey:
            return sum(record_closure(db, row.closure, settings, source=SOURCE)[1] for row in new)
        return store_unsurveyed(db, new, ticket_fields)


@contextmanager
def _bulk_writing(db):
    """The import's connection set for many batches in a row, then as it was.

    Each batch's rows land all over the indexes by customer address, so a batch rewrites
    about three thousand pages, and COMMIT took about a third of the storing thread's
    time. With SQLite's usual checkpoint every 1,000 WAL pages, every commit also copied
    its pages into the database file; every IMPORT_CHECKPOINT_PAGES instead, a page that
    several batches rewrote is copied once. A larger page cache keeps the batch's and the
    indexes' pages in memory instead of writing them out early and reading them from the
    file again (it halved the import's system time). Both are bounded, so memory stays
    constant whatever the file's length.
    """
    [checkpoint_pages] = db.execute("PRAGMA wal_autocheckpoint").fetchone()
    [cache_size] = db.execute("PRAGMA cache_size").fetchone()
    db.execute(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")
    db.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint_pages)}")
        db.execute(f"PRAGMA cache_size = {int(cache_size)}")
