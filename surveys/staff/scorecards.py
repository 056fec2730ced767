"""Admin scorecards: ratings, incidents and deliverables per admin and month.

Managers see every admin, trends and a CSV; a rated admin sees their own scorecard only
once enough different people rated them that month (SPEC.md: raters stay anonymous).
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
)
from flask_login import current_user, login_required

from surveys import clock
from surveys.errors import RangeError
from surveys.reports.exports import download
from surveys.reports.score_queries import rounded_row
from surveys.reports.scoring import (
    RATING_DIMENSION_NAMES,
    RatingCounts,
    admin_scorecard,
    target_met,
)
from surveys.staff.auth import manager_required
from surveys.staff.people import person_or_404
from surveys.store.db import get_db

bp = Blueprint("scorecards", __name__)

# The public ROW of /api/v1/admin-scores and the CSV, in order.
ROW_FIELDS = (
    "admin",
    "raters",
    "speed_mean",
    "initiative_mean",
    "accuracy_mean",
    "speed_pct",
    "initiative_pct",
    "accuracy_pct",
    "overall_pct",
    "incidents",
    "deliverables_due",
    "on_time",
    "on_time_pct",
)
TREND_MONTHS = 12

# Per admin and month: ratings, incidents and deliverables, each aggregated in SQL. A
# deliverable counts as due once it was submitted or its deadline has passed.
COUNTS_SQL = """
WITH rated AS (
    SELECT admin_id, period, count(*) AS raters, sum(speed) AS speed_sum,
           sum(initiative) AS initiative_sum, sum(accuracy) AS accuracy_sum
      FROM ratings WHERE period BETWEEN :first_period AND :last_period
     GROUP BY admin_id, period),
errors AS (
    SELECT admin_id, substr(occurred_on, 1, 7) AS period, count(*) AS incidents
      FROM incidents WHERE occurred_on BETWEEN :first_day AND :last_day
     GROUP BY admin_id, period),
work AS (
    SELECT admin_id, substr(deadline, 1, 7) AS period,
           count(*) FILTER (WHERE submitted_on IS NOT NULL OR deadline < :today)
               AS deliverables_due,
           count(*) FILTER (WHERE submitted_on <= deadline) AS on_time
      FROM deliverables WHERE deadline BETWEEN :first_day AND :last_day
     GROUP BY admin_id, period),
cells AS (
    SELECT admin_id, period FROM rated UNION SELECT admin_id, period FROM errors
    UNION SELECT admin_id, period FROM work)
SELECT cells.admin_id, cells.period,
       coalesce(rated.raters, 0) AS raters, coalesce(rated.speed_sum, 0) AS speed_sum,
       coalesce(rated.initiative_sum, 0) AS initiative_sum,
       coalesce(rated.accuracy_sum, 0) AS accuracy_sum,
       coalesce(errors.incidents, 0) AS incidents,
       coalesce(work.deliverables_due, 0) AS deliverables_due,
       coalesce(work.on_time, 0) AS on_time
  FROM cells
  LEFT JOIN rated ON rated.admin_id = cells.admin_id AND rated.period = cells.period
  LEFT JOIN errors ON errors.admin_id = cells.admin_id AND errors.period = cells.period
  LEFT JOIN work ON work.admin_id = cells.admin_id AND work.period = cells.period
"""

ONE_DECIMAL = {"speed_pct", "initiative_pct", "accuracy_pct", "overall_pct", "on_time_pct"}
TWO_DECIMALS = {"speed_mean", "initiative_mean", "accuracy_mean"}


def counts_by_admin_and_period(db, first_period, last_period, today):
    """{(admin_id, period): RatingCounts} for every admin with anything in those months."""
    first_day, _ = clock.period_days(first_period)
    _, last_day = clock.period_days(last_period)
    params = {
        "first_period": first_period,
        "last_period": last_period,
        "first_day": first_day,
        "last_day": last_day,
        "today": today.isoformat(),
    }
    return {
        (row.pop("admin_id"), row.pop("period")): RatingCounts(**row)
        for row in db.query(COUNTS_SQL, params)
    }


def format_row(email, scores):
    """A public scorecard ROW (the API's and the CSV's)."""
    return rounded_row(ROW_FIELDS, email, scores, ONE_DECIMAL, TWO_DECIMALS)


def admins(db):
    """Everyone who is rated, or was (their history stays), by email."""
    return list(
        db.query("SELECT id, email, name, active, rated FROM users WHERE rated = 1 ORDER BY email")
    )


def period_rows(db, period, config):
    """One ROW per admin for a month, including admins with nothing recorded."""
    return [row for _, row in period_scorecards(db, period, config)]


def period_scorecards(db, period, config):
    """(admin id, ROW) per admin for a month, by email."""
    today = clock.today(config["TIMEZONE"])
    counts = counts_by_admin_and_period(db, period, period, today)
    weights = config["RATING_WEIGHTS"]
    listed = {person["id"]: person["email"] for person in admins(db)}
    # Someone no longer marked as an admin still has this month's records: show them.
    for admin_id, _ in counts:
        if admin_id not in listed:
            listed[admin_id] = next(db.query("SELECT email FROM users WHERE id = ?", [admin_id]))[
                "email"
            ]
    return [
        (
            admin_id,
            format_row(
                email, admin_scorecard(counts.get((admin_id, period), RatingCounts()), weights)
            ),
        )
        for admin_id, email in sorted(listed.items(), key=lambda item: item[1])
    ]


def trend_rows(db, admin_id, last_period, config, months=TREND_MONTHS):
    """An admin's ROW for each of the last `months` months, oldest first."""
    first_period = clock.add_months(last_period, 1 - months)
    today = clock.today(config["TIMEZONE"])
    counts = counts_by_admin_and_period(db, first_period, last_period, today)
    periods = [clock.add_months(first_period, offset) for offset in range(months)]
    return [
        dict(
            period=period,
            **format_row(
                None,
                admin_scorecard(
                    counts.get((admin_id, period), RatingCounts()), config["RATING_WEIGHTS"]
                ),
            ),
        )
        for period in periods
    ]


def anonymous_comments(db, admin_id, period):
    """Every comment an admin got in a month, per dimension, sorted so no order betrays
    who wrote it; never with the rater."""
    comments = {name: [] for name in RATING_DIMENSION_NAMES}
    for row in db.query(
        "SELECT comment_speed, comment_initiative, comment_accuracy FROM ratings "
        "WHERE admin_id = ? AND period = ?",
        [admin_id, period],
    ):
        for name in RATING_DIMENSION_NAMES:
            if row[f"comment_{name}"]:
                comments[name].append(row[f"comment_{name}"])
    return {name: sorted(texts) for name, texts in comments.items()}


def is_closed(db, period):
    """True once a manager closed the month: its ratings can no longer change."""
    return bool(db["closed_periods"].count_where("period = ?", [period]))


def period_from(args, config):
    """?period=YYYY-MM, this month by default; RangeError when malformed."""
    period = args.get("period") or clock.current_period(config["TIMEZONE"])
    try:
        return clock.parse_period(period)
    except ValueError as error:
        raise RangeError({"period": str(error)}) from error


def targets_met(row, targets):
    """For each figure with a target: met (True), missed (False) or unknown (None)."""
    met = {
        name: target_met(row[name], target)
        for name, target in targets.items()
        if name != "incidents"
    }
    met["incidents"] = target_met(row["incidents"], targets["incidents"], higher_is_better=False)
    return met


@bp.route("/scorecards")
@manager_required
def overview():
    """Every admin's scorecard for a month, beside the targets."""
    db = get_db()
    config = current_app.config
    period = period_from(request.args, config)
    cards = period_scorecards(db, period, config)
    targets = config["ADMIN_TARGETS"]
    return render_template(
        "scorecards/overview.html",
        period=period,
        rows=[row for _, row in cards],
        targets=targets,
        met_by_admin={row["admin"]: targets_met(row, targets) for _, row in cards},
        admin_ids={row["admin"]: admin_id for admin_id, row in cards},
        closed=is_closed(db, period),
        previous=clock.add_months(period, -1),
        following=clock.add_months(period, 1),
    )


@bp.route("/scorecards/<int:admin_id>")
@manager_required
def trend(admin_id):
    """One admin across the last twelve months."""
    db = get_db()
    person = person_or_404(db, admin_id)
    config = current_app.config
    last_period = period_from(request.args, config)
    return render_template(
        "scorecards/trend.html",
        person=person,
        rows=trend_rows(db, admin_id, last_period, config),
        targets=config["ADMIN_TARGETS"],
        period=last_period,
    )


@bp.route("/scorecards.csv")
@manager_required
def overview_csv():
    """The month's scorecards as CSV, streamed."""
    period = period_from(request.args, current_app.config)
    rows = period_rows(get_db(), period, current_app.config)
    return download(lambda: rows, ROW_FIELDS, f"puas-scorecards-{period}.csv", "csv")


@bp.route("/my-scorecard")
@login_required
def mine():
    """A rated admin's own scorecard: aggregates only, once the month is closed and enough
    different people rated them."""
    if not current_user.rated:
        abort(403)
    db = get_db()
    config = current_app.config
    period = period_from(request.args, config)
    [row] = [
        row for row in period_rows(db, period, config) if row["admin"] == current_user.email
    ] or [None]
    minimum = config["ANONYMITY_MIN_RATERS"]
    # Only final figures: while a month is open, comparing today's averages with
    # yesterday's would reveal what the newest rater gave.
    closed = is_closed(db, period)
    visible = closed and row is not None and row["raters"] >= minimum
    return render_template(
        "scorecards/mine.html",
        period=period,
        row=row if visible else None,
        minimum=minimum,
        closed=closed,
        comments=anonymous_comments(db, current_user.id, period) if visible else None,
        targets=config["ADMIN_TARGETS"],
        met=targets_met(row, config["ADMIN_TARGETS"]) if visible else {},
        previous=clock.add_months(period, -1),
        following=clock.add_months(period, 1),
    )
