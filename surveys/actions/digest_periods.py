"""The periods a digest covers, in the business's zone: plain dates and instants only.

A week runs Monday to Sunday, a month is the calendar month. A period's digest falls due
at DIGEST_HOUR on the day after it ends; the period it is compared with is the one just
before it (the week before, or the calendar month before).
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

KINDS = ("weekly", "monthly")
# The periods `flask digest send --period` can name, and the kind of each.
NAMED_PERIODS = {"last_week": "weekly", "last_month": "monthly"}


@dataclass(frozen=True)
class Period:
    """One week or month: its kind and its first and last day (both included)."""

    kind: str
    first_day: object
    last_day: object

    @property
    def noun(self):
        """ "week" or "month", as the mail says it."""
        return "week" if self.kind == "weekly" else "month"

    def previous(self):
        """The period just before: the week before, or the calendar month before."""
        return period_containing(self.kind, self.first_day - timedelta(days=1))

    def ends_at(self, timezone_name):
        """The instant the period ends: midnight after its last day, in the business's zone."""
        return local_instant(self.last_day + timedelta(days=1), 0, timezone_name)

    def due_at(self, timezone_name, hour):
        """When its digest falls due: `hour` o'clock on the day after it ends."""
        return local_instant(self.last_day + timedelta(days=1), hour, timezone_name)

    def label(self):
        """How the mail names it: "9–15 Nov 2026" or "November 2026"."""
        if self.kind == "monthly":
            return self.first_day.strftime("%B %Y")
        first, last = self.first_day, self.last_day
        if first.month == last.month:
            return f"{first.day}–{last.day} {last.strftime('%b %Y')}"
        if first.year == last.year:
            return f"{first.day} {first.strftime('%b')} – {last.day} {last.strftime('%b %Y')}"
        return f"{first.day} {first.strftime('%b %Y')} – {last.day} {last.strftime('%b %Y')}"


def local_instant(day, hour, timezone_name):
    """`hour` o'clock on `day` in the business's zone, as a UTC instant."""
    local = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(timezone_name))
    return local.astimezone(UTC)


def period_containing(kind, day):
    """The week (Monday to Sunday) or calendar month that `day` falls in."""
    if kind == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(kind, day.replace(day=1), day.replace(day=last))


def latest_due(kind, now, timezone_name, hour):
    """The latest period of this kind whose digest is due at `now`: the one before the
    current period once its DIGEST_HOUR has come, else the one before that. Earlier
    periods are never due again: a worker that was down sends only the latest."""
    today = now.astimezone(ZoneInfo(timezone_name)).date()
    last_ended = period_containing(kind, today).previous()
    if now >= last_ended.due_at(timezone_name, hour):
        return last_ended
    return last_ended.previous()


def first_period(kind, now, timezone_name):
    """The first period a digest chosen at `now` covers: the one under way (it ends later)."""
    return period_containing(kind, now.astimezone(ZoneInfo(timezone_name)).date())


def last_ended(kind, now, timezone_name):
    """The latest whole period that has ended by `now` (what `--period` names)."""
    today = now.astimezone(ZoneInfo(timezone_name)).date()
    return period_containing(kind, today).previous()
