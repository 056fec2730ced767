"""Calls imported from a call log (CSV) that any phone system exports.

Read like a ticket import (surveys.helpdesk.imports: the same reading of the file, its
limits and the guessed mapping): each row becomes the body of POST /api/v1/calls, goes
through the same validation, and the valid rows are stored as calls of source "import".
Row by row, as tickets are: a row with a problem is reported and left out, the others
are stored. A call whose id is stored already (imported before, or reported by the API)
counts as a duplicate, so importing the same file twice adds nothing.

An uploaded file is kept (table call_imports, through imports.UPLOADS) until it is imported,
once, with its outcome.
"""

from surveys.helpdesk import imports
from surveys.helpdesk.calls import insert_calls, parse_call
from surveys.store.db import immediate

SOURCE = "import"

# The fields a column can fill, with the header names phone systems commonly use for them.
FIELDS = {
    "call_id": ("call_id", "call id", "id", "call", "uniqueid", "unique id", "call sid"),
    "queued_at": (
        "queued_at",
        "queued at",
        "queued",
        "start",
        "start time",
        "started at",
        "call start",
        "enter queue",
    ),
    "answered_at": ("answered_at", "answered at", "answered", "answer", "answer time"),
    "ended_at": ("ended_at", "ended at", "ended", "end", "end time", "call end", "hangup time"),
    "outcome": ("outcome", "disposition", "status", "result"),
    # One column: an address is the agent's email, other text the agent's name.
    "agent": ("agent", "agent name", "agent email", "agent_name", "agent_email", "answered by"),
    "team": ("team", "queue", "group", "department"),
    "channel": ("channel", "line", "type"),
}
REQUIRED = ("call_id", "queued_at", "ended_at", "outcome")
TIME_FIELDS = ("queued_at", "answered_at", "ended_at")
# What call logs write for each outcome (lower case), besides the outcome's own name.
OUTCOME_WORDS = {
    "no answer": "abandoned",
    "missed": "abandoned",
    "hung up": "abandoned",
    "busy": "failed",
    "dropped": "failed",
    "congestion": "failed",
}


def row_body(row, mapping, timezone_name):
    """(the body of POST /api/v1/calls for one row, the file's own errors of its cells);
    empty cells are absent, and times without an offset are read in the business's zone,
    as a ticket import reads them."""
    cells, errors = imports.row_cells(row, mapping, TIME_FIELDS, timezone_name)
    if "outcome" in cells:
        lowered = cells["outcome"].lower()
        cells["outcome"] = OUTCOME_WORDS.get(lowered, lowered)
    return {key: cells[key] for key in FIELDS if key in cells}, errors


def parse_row(row, width, mapping, timezone_name, now=None):
    """(call, {}) or (None, errors) for one row of a file whose header has `width`
    columns: the file's own checks (as a ticket import's), then the API's of its body."""
    if extra := imports.too_many_cells(row, width):
        return None, extra
    body, file_errors = row_body(row, mapping, timezone_name)
    return imports.with_file_errors(parse_call(body, now=now), file_errors)


def guess_mapping(header):
    """{field: column index} for the columns whose names say what they hold."""
    return imports.guess_mapping(header, FIELDS)


def missing_required(mapping):
    """The required fields no column is mapped to."""
    return [name for name in REQUIRED if mapping.get(name) is None]


def _calls(table, mapping, timezone_name):
    """(line number, call or None, errors) per row; line 1 is the header."""
    width = len(table.header)
    for number, row in zip(table.lines, table.rows, strict=True):
        call, errors = parse_row(row, width, mapping, timezone_name)
        yield number, call, errors


def preview(table, mapping, timezone_name, rows=imports.PREVIEW_ROWS):
    """The first rows as calls would be stored, with each row's errors; writes nothing."""
    return imports.preview_parsed(_calls(table, mapping, timezone_name), rows)


def import_rows(db, table, mapping, settings):
    """Store every valid row as a call; returns an Outcome (invalid rows reported, calls
    stored before counted as duplicates). Each batch of rows is one transaction."""
    outcome = imports.Outcome()
    valid = []
    for number, call, errors in _calls(table, mapping, settings["TIMEZONE"]):
        if errors:
            outcome.errors.append((number, errors))
        else:
            valid.append(call)
    for start in range(0, len(valid), imports.BATCH_ROWS):
        batch = valid[start : start + imports.BATCH_ROWS]
        created = store_batch(db, batch, settings)
        outcome.created += created
        outcome.duplicates += len(batch) - created
    return outcome


def store_batch(db, calls, settings):
    """Store valid calls in one write transaction; returns how many are new (the others,
    or a call the batch holds twice, were stored already)."""
    with immediate(db):
        return insert_calls(db, calls, settings, SOURCE)


def run_import(db, import_id, table, mapping, settings):
    """Import an uploaded call log's rows once and keep the outcome on it (as a ticket
    import does); returns the Outcome, or None when it was imported (or is being imported)
    already."""
    return imports.run_once(
        db, "calls", import_id, lambda: import_rows(db, table, mapping, settings)
    )
