"""Months as rating periods: which month a page is about, and which months are closed.

A manager closes a month on /periods; from then on its ratings can no longer be added or
changed, and rated admins may see its final scorecard.
"""

from surveys import clock
from surveys.errors import RangeError
from surveys.store.db import immediate


def period_from(args, config, default=None):
    """?period=YYYY-MM; without it, default() (a page's own choice) or this month;
    RangeError when malformed."""
    period = args.get("period")
    if not period:
        return default() if default else clock.current_period(config["TIMEZONE"])
    try:
        return clock.parse_period(period)
    except ValueError as error:
        raise RangeError({"period": str(error)}) from error


def is_closed(db, period):
    """True once a manager closed the month: its ratings can no longer change."""
    return bool(db["closed_periods"].count_where("period = ?", [period]))


def closed_periods(db):
    """{period: row} for every closed month, with who closed it (closed_by_email and
    closed_by_name)."""
    return {
        row["period"]: row
        for row in db.query(
            """SELECT closed_periods.*, users.email AS closed_by_email,
                  users.name AS closed_by_name FROM closed_periods
             LEFT JOIN users ON users.id = closed_periods.closed_by"""
        )
    }


def close_month(db, period, closed_by):
    """Close a month for rating (closing a closed month changes nothing)."""
    with immediate(db):
        db.execute(
            "INSERT INTO closed_periods (period, closed_at, closed_by) "
            "VALUES (?, ?, ?) ON CONFLICT (period) DO NOTHING",
            [period, clock.to_iso(clock.now()), closed_by],
        )


def reopen_month(db, period):
    """Open a closed month for rating again."""
    with immediate(db):
        db.execute("DELETE FROM closed_periods WHERE period = ?", [period])
