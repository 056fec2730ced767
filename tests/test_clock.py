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
