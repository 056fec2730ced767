"""Instants are stored as one text form, whatever zone and precision they come in with."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from surveys import clock


@pytest.mark.parametrize(
    ("instant", "stored"),
    [
        (datetime(2026, 11, 23, 9, 30, tzinfo=UTC), "2026-11-23T09:30:00Z"),
        (datetime(2026, 11, 23, 9, 30, 5, 999_999, tzinfo=UTC), "2026-11-23T09:30:05Z"),
        (
            datetime(2026, 1, 1, 6, 59, 59, tzinfo=timezone(timedelta(hours=7))),
            "2025-12-31T23:59:59Z",
        ),
        (
            datetime(2000, 2, 29, 20, 0, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
            "2000-03-01T01:00:01Z",
        ),
        (datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC), "2999-12-31T23:59:59Z"),
    ],
)
def test_an_instant_is_stored_as_utc_to_the_second_with_a_z(instant, stored):
    assert clock.to_iso(instant) == stored
    assert clock.to_iso(instant) == instant.astimezone(UTC).strftime(clock.ISO_FORMAT)
    assert clock.from_iso(stored) == instant.replace(microsecond=0)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
        ("1999-12-31T20:00:00-05:00", "2000-01-01T01:00:00Z"),
        ("3000-01-01T09:00:00+14:00", "2999-12-31T19:00:00Z"),
        ("2024-05-01T10:00:00.123456+07:00:30.123456", "2024-05-01T02:59:30Z"),
        ("2000-01-01T06:00:00+07:00", None),  # 1999-12-31T23:00:00Z
        ("2999-12-31T20:00:00-05:00", None),  # 3000-01-01T01:00:00Z
        ("9999-12-31T23:59:59-14:00", None),  # past the calendar's end in UTC
        ("0001-01-01T00:00:00+14:00", None),  # before its start
    ],
)
def test_the_years_allowed_are_those_of_the_instant_in_utc(text, stored):
    if stored is None:
        with pytest.raises(ValueError, match="must be between the years 2000 and 2999"):
            clock.parse_offset_datetime(text)
    else:
        assert clock.to_iso(clock.parse_offset_datetime(text)) == stored


def test_pages_show_a_stored_instant_with_its_zone():
    stored = clock.to_iso(datetime(2026, 12, 1, 15, 3, 44, tzinfo=UTC))
    assert clock.shown(stored) == "2026-12-01 15:03:44 UTC"
