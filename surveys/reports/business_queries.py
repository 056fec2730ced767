"""Monthly business figures stored and read: a month's figures saved (from the API, the
/business form or a CSV file), and the ROWs of a range of months with the tickets closed in
each, read from the ticket rollups.

A month is kept per team; team 0 is the company as a whole (as in the rollups). Saving
merges: the fields given replace the stored ones (None clears one), the others stay, and
the whole month is checked before anything is written.
"""

import csv
import io
from dataclasses import dataclass, field

from surveys import clock
from surveys.reports.business import (
    FIELDS,
    BusinessError,
    check_customers,
    month_row,
    months_between,
    read_figures,
    read_month,
)
from surveys.store.db import immediate
from surveys.text import MAX_CSV_CELL

csv.field_size_limit(MAX_CSV_CELL)  # a long cell refuses its line, not the file

COMPANY = 0
STORED_COLUMNS = ("customers_start", "customers_new", "customers_end", "support_cost_cents")
MAX_IMPORT_LINES = 1000

STORED_SQL = """
SELECT period, customers_start, customers_new, customers_end, support_cost_cents
  FROM business_months
 WHERE team_id = :team_id AND period BETWEEN :first_month AND :last_month
"""

# Tickets closed per month, from the rollups: the company's, or one team's.
TICKETS_SQL = """
SELECT substr(day, 1, 7) AS period, sum(tickets) AS tickets
  FROM ticket_rollups
 WHERE day BETWEEN :from_day AND :to_day {team}
 GROUP BY period
"""
TEAM_FILTER = "AND team_id = :team_id"

SAVE_SQL = f"""
INSERT INTO business_months (team_id, period, {", ".join(STORED_COLUMNS)}, updated_at,
                             updated_by)
VALUES (:team_id, :period, {", ".join(f":{column}" for column in STORED_COLUMNS)}, :now, :user_id)
ON CONFLICT (team_id, period) DO UPDATE SET
    {", ".join(f"{column} = excluded.{column}" for column in STORED_COLUMNS)},
    updated_at = excluded.updated_at, updated_by = excluded.updated_by
"""  # noqa: S608 (fixed column names)


def tickets_sql(team_id):
    """TICKETS_SQL for the company (every team) or one team."""
    return TICKETS_SQL.format(team="" if team_id == COMPANY else TEAM_FILTER)


def month_rows(db, team_id, first_month, last_month):
    """The ROW of every month from `first_month` to `last_month` (nulls where nothing
    was entered), for the company (team 0) or one team."""
    months = months_between(first_month, last_month)
    params = {
        "team_id": team_id,
        "first_month": first_month,
        "last_month": last_month,
        "from_day": clock.period_days(first_month)[0],
        "to_day": clock.period_days(last_month)[1],
    }
    stored = {row.pop("period"): row for row in db.query(STORED_SQL, params)}
    tickets = {row["period"]: row["tickets"] for row in db.query(tickets_sql(team_id), params)}
    return [month_row(month, stored.get(month), tickets.get(month, 0)) for month in months]


def _stored(db, team_id, month):
    """The month's stored figures as {column: value}, or None (read under the write lock:
    db.execute, no savepoint)."""
    row = db.execute(
        f"SELECT {', '.join(STORED_COLUMNS)} FROM business_months "  # noqa: S608
        "WHERE team_id = ? AND period = ?",
        [team_id, month],
    ).fetchone()
    return None if row is None else dict(zip(STORED_COLUMNS, row, strict=True))


def _merge_and_write(db, team_id, month, figures, user_id):
    """Merge `figures` into the stored month, check it whole and write it; inside the
    caller's write transaction. Returns True when the month was new."""
    stored = _stored(db, team_id, month)
    record = dict.fromkeys(STORED_COLUMNS) | (stored or {}) | figures
    check_customers(record)
    db.execute(
        SAVE_SQL,
        dict(
            record,
            team_id=team_id,
            period=month,
            now=clock.to_iso(clock.now()),
            user_id=user_id,
        ),
    )
    return stored is None


def save_month(db, team_id, month, figures, user_id=None):
    """Store the figures given for a month (read_figures' output); True when the month
    was new. BusinessError, with nothing stored, when the month they make is impossible."""
    with immediate(db):
        return _merge_and_write(db, team_id, month, figures, user_id)


@dataclass
class MonthsImport:
    """A CSV of months read: each line's (line number, month, figures), and the problems
    found, as (line number, {column: message})."""

    lines: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def _header_errors(header):
    """{column: message} for a header without `month`, or naming a column unknown or twice."""
    if not header or "month" not in header:
        return {"month": "must be a column (month, " + ", ".join(FIELDS) + ")"}
    errors = {
        str(name)[:100]: f"is not a column (month, {', '.join(FIELDS)})"
        for name in header
        if name not in ("month", *FIELDS)
    }
    repeated = {name for name in header if header.count(name) > 1}
    errors.update({name: "is a column twice" for name in repeated})
    return errors


def _decoded(content):
    """The file's text: UTF-8 (a byte-order mark dropped), else Windows-1252."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def read_months_csv(content, this_month):
    """Every line of a CSV of months (a header naming month and any of FIELDS), checked on
    its own; empty cells are left out (the stored figure stays)."""
    reader = csv.reader(io.StringIO(_decoded(content), newline=""))
    outcome = MonthsImport()
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if errors := _header_errors(header):
            outcome.errors.append((1, errors))
            return outcome
        seen = {}
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(outcome.lines) + len(outcome.errors) >= MAX_IMPORT_LINES:
                outcome.errors.append(
                    (number, {"file": f"has more than {MAX_IMPORT_LINES} months"})
                )
                break
            _read_line(outcome, number, header, cells, this_month, seen)
    except csv.Error as error:  # a NUL byte, an unclosed quote, a cell past csv's limit
        outcome.errors.append((reader.line_num or 1, {"file": f"cannot be read as CSV: {error}"}))
    return outcome


def _read_line(outcome, number, header, cells, this_month, seen):
    """Check one line and add it, or its errors, to the outcome."""
    if len(cells) != len(header):
        outcome.errors.append((number, {"line": f"has {len(cells)} cells, not {len(header)}"}))
        return
    given = {name: cell.strip() for name, cell in zip(header, cells, strict=True) if cell.strip()}
    errors, month = {}, None
    try:
        month = read_month(given.pop("month", None), this_month)
    except ValueError as error:
        errors["month"] = str(error)
    if month in seen:
        errors["month"] = f"is on line {seen[month]} too"
    try:
        figures = read_figures(given, text=True)
        check_customers(figures)  # the line on its own; import_months checks it merged
    except BusinessError as error:
        errors.update(error.errors)
    if errors:
        outcome.errors.append((number, errors))
        return
    seen[month] = number
    outcome.lines.append((number, month, figures))


def import_months(db, team_id, outcome, user_id=None):
    """Store every line of a checked CSV in one transaction, or none: each month is merged
    with what is stored and checked whole; a line that fails adds to outcome.errors and
    rolls everything back. Returns how many months were stored."""
    if outcome.errors:
        return 0
    failed = []
    try:
        with immediate(db):
            for number, month, figures in outcome.lines:
                try:
                    _merge_and_write(db, team_id, month, figures, user_id)
                except BusinessError as error:
                    failed.append((number, error.errors))
            if failed:
                raise BusinessError({"lines": f"{len(failed)} lines cannot be stored"})
    except BusinessError:
        outcome.errors.extend(failed)
        return 0
    return len(outcome.lines)


def team_id_named(db, name):
    """The id of a team (0, the company, for no name); None when no team has that name."""
    if not name:
        return COMPANY
    row = db.execute("SELECT id FROM teams WHERE name = ?", [name]).fetchone()
    return None if row is None else row[0]


def report_months(db, report_range, months=12):
    """(team, ROWs) of the months a report's days touch, the last `months` at most: its
    one team's figures when it covers a single team, else the company's."""
    team = report_range.teams[0] if len(report_range.teams) == 1 else None
    team_id = team_id_named(db, team)
    if team_id is None:  # a team known to the filter but never to a closure
        return team, []
    last = report_range.to_day.strftime("%Y-%m")
    first = max(report_range.from_day.strftime("%Y-%m"), clock.add_months(last, 1 - months))
    return team, month_rows(db, team_id, first, last)
