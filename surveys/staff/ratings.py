"""Staff rate admins: speed, initiative and accuracy, once per admin and month."""

from surveys import clock
from surveys.reports.scoring import RATING_DIMENSION_NAMES
from surveys.staff.periods import is_closed
from surveys.store.db import immediate

COMMENT_FIELDS = tuple(f"comment_{name}" for name in RATING_DIMENSION_NAMES)
# The months a manager can close on /periods; older ones are history, not open to rating.
RATEABLE_MONTHS = 12


class RatingRefused(Exception):
    """A rating that may not be stored: self-rating, unknown admin, closed or future month."""

    def __init__(self, field, message, status=422):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def rateable_admins(db, rater_id):
    """Active admins the rater may rate: everyone rated but themselves."""
    return list(
        db.query(
            "SELECT id, email, name FROM users WHERE rated = 1 AND active = 1 AND id != ? "
            "ORDER BY coalesce(name, email)",
            [rater_id],
        )
    )


def own_rating(db, rater_id, admin_email, period):
    """The rater's rating of that admin for that month, or None."""
    rows = list(
        db.query(
            """SELECT ratings.* FROM ratings JOIN users ON users.id = ratings.admin_id
            WHERE ratings.rater_id = ? AND users.email = ? AND ratings.period = ?""",
            [rater_id, admin_email, period],
        )
    )
    return rows[0] if rows else None


def save_rating(db, rater_id, admin_email, period, answers, today_period):
    """Insert or replace the rater's rating; RatingRefused says why it cannot be stored."""
    try:
        clock.parse_period(period)
    except ValueError as error:
        raise RatingRefused("period", "Give the month as YYYY-MM, such as 2026-11.") from error
    if period > today_period:
        raise RatingRefused("period", "You can only rate a month that has begun.")
    if period < clock.add_months(today_period, 1 - RATEABLE_MONTHS):
        raise RatingRefused("period", f"You can rate the last {RATEABLE_MONTHS} months only.")
    now = clock.to_iso(clock.now())
    # Read and write under one lock: a manager closing the month in between must win.
    with immediate(db):
        admin = next(
            db.query("SELECT id, rated, active FROM users WHERE email = ?", [admin_email]), None
        )
        if admin is None or not admin["rated"] or not admin["active"]:
            raise RatingRefused("admin", "Choose an admin from the list.")
        if admin["id"] == rater_id:
            raise RatingRefused("admin", "You cannot rate yourself.")
        if is_closed(db, period):
            raise RatingRefused(
                "period", f"{period} is closed: its ratings can no longer change.", status=409
            )
        db.execute(
            """INSERT INTO ratings (rater_id, admin_id, period, speed, initiative, accuracy,
                   comment_speed, comment_initiative, comment_accuracy, created_at, updated_at)
               VALUES (:rater_id, :admin_id, :period, :speed, :initiative, :accuracy,
                   :comment_speed, :comment_initiative, :comment_accuracy, :now, :now)
               ON CONFLICT (rater_id, admin_id, period) DO UPDATE SET
                   speed = excluded.speed, initiative = excluded.initiative,
                   accuracy = excluded.accuracy, comment_speed = excluded.comment_speed,
                   comment_initiative = excluded.comment_initiative,
                   comment_accuracy = excluded.comment_accuracy,
                   updated_at = excluded.updated_at""",
            dict(answers, rater_id=rater_id, admin_id=admin["id"], period=period, now=now),
        )


def ratings_by(db, rater_id):
    """Every rating a person gave, newest month first, with the admin and whether the month
    is closed."""
    return list(
        db.query(
            """SELECT ratings.period, ratings.speed, ratings.initiative, ratings.accuracy,
                  ratings.updated_at, users.email AS admin_email, users.name AS admin_name,
                  closed_periods.period IS NOT NULL AS closed
             FROM ratings JOIN users ON users.id = ratings.admin_id
             LEFT JOIN closed_periods ON closed_periods.period = ratings.period
            WHERE ratings.rater_id = ? ORDER BY ratings.period DESC, users.email""",
            [rater_id],
        )
    )
