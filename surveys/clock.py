"""Time in one place: UTC instants stored as ISO 8601 text, days read in the business's zone."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DAY_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999


def now():
    """The current instant in UTC, to the second (the precision Puas stores)."""
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(instant):
    """Store an aware datetime as sortable UTC text, e.g. 2026-11-23T09:30:00Z (ISO_FORMAT).

    isoformat writes what strftime would for the years 1000 to 9999, in a third of the
    time: a closure from the API formats five instants, three of them in the write turn
    every other writer waits for, and an import three for each row.
    """
    return instant.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def shown(text):
    """A stored instant as pages show it: 2026-12-01T15:03:44Z → 2026-12-01 15:03:44 UTC
    (the `utc_time` filter)."""
    return text.replace("T", " ").replace("Z", " UTC")


def from_iso(text):
    """Read back what to_iso stored."""
    return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=UTC)


def parse_offset_datetime(text):
    """Parse ISO 8601 with an offset (or Z) into UTC; a time without offset is ambiguous."""
    # 64 characters hold the longest there is: 2026-11-23T09:30:00.000001+07:00:00.000001
    if not isinstance(text, str) or len(text) > 64:
        raise ValueError("must be an ISO 8601 date and time with an offset")
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ValueError("must be an ISO 8601 date and time with an offset") from error
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("needs a UTC offset, such as 2026-11-23T09:30:00+07:00 or ...Z")
    # Years far from now are mistakes. They are the years of the instant as stored, in
    # UTC; the written year is checked first, as near the ends of the calendar the
    # conversion would overflow.
    years = f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
    if not EARLIEST_YEAR - 1 <= instant.year <= LATEST_YEAR + 1:
        raise ValueError(years)
    in_utc = instant.astimezone(UTC)
    if not EARLIEST_YEAR <= in_utc.year <= LATEST_YEAR:
        # The year as written is in range: say why it is not.
        raise ValueError(f"{years} in UTC; it is {in_utc:%Y-%m-%d %H:%M} UTC")
    return in_utc.replace(microsecond=0)


def local_day(instant, timezone_name):
    """The calendar day of an instant in the business's zone, as YYYY-MM-DD."""
    return instant.astimezone(ZoneInfo(timezone_name)).date().isoformat()


def today(timezone_name):
    """Today's date in the business's zone (read through now(), so a test's clock holds)."""
    return now().astimezone(ZoneInfo(timezone_name)).date()


def add_days(day, days):
    """A date moved by a number of days."""
    return day + timedelta(days=days)


def parse_day(text):
    """A YYYY-MM-DD date, or ValueError."""
    if not isinstance(text, str) or not DAY_PATTERN.fullmatch(text):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise ValueError("must be a real date as YYYY-MM-DD") from error
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return day


PERIOD_PATTERN = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def parse_period(text):
    """A month as YYYY-MM, checked; ValueError otherwise."""
    if not isinstance(text, str) or not PERIOD_PATTERN.fullmatch(text):
        raise ValueError("must be a month as YYYY-MM")
    if not EARLIEST_YEAR <= int(text[:4]) <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return text


def current_period(timezone_name):
    """This month in the business's zone, as YYYY-MM."""
    return today(timezone_name).strftime("%Y-%m")


def period_days(period):
    """The first and last day of a YYYY-MM month, as YYYY-MM-DD text."""
    first = date.fromisoformat(f"{period}-01")
    following = add_months(period, 1)
    last = date.fromisoformat(f"{following}-01") - timedelta(days=1)
    return first.isoformat(), last.isoformat()


def add_months(period, months):
    """A YYYY-MM month moved by a number of months."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


def parse_weekdays(text):
    """Weekdays named like "mon,tue,wed" as a frozenset of date.weekday() numbers;
    ValueError for an unknown or repeated name, or none at all."""
    if not isinstance(text, str):
        raise ValueError("must be weekday names separated by commas, such as mon,tue,wed")
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in WEEKDAYS]
    if unknown or not names:
        raise ValueError(f"must name weekdays from {','.join(WEEKDAYS)}, not {text!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"names a weekday twice: {text!r}")
    return frozenset(WEEKDAYS.index(name) for name in names)


def count_weekdays(first, last, weekdays):
    """How many days from `first` to `last` (both included) fall on one of `weekdays`."""
    days = (last - first).days + 1
    if days <= 0:
        return 0
    whole_weeks, rest = divmod(days, 7)
    # Each whole week holds every weekday once; the rest starts on first's weekday.
    leftover = sum((first.weekday() + offset) % 7 in weekdays for offset in range(rest))
    return whole_weeks * len(weekdays) + leftover
