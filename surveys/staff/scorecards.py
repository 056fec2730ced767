"""Admin scorecards: ratings, incidents and deliverables per admin and month.

Managers see every admin, trends and a CSV; a rated admin sees their own scorecard only
once enough different people rated them that month, so raters stay anonymous
(docs/definitions.md, "Admin scorecard").
"""

from surveys import clock
from surveys.reports.score_queries import rounded_row
from surveys.reports.scoring import (
    RATING_DIMENSION_NAMES,
    RatingCounts,
    admin_scorecard,
    target_met,
)

# The public ROW of /api/v1/admin-scores and the CSV, in order.
ROW_FIELDS = (
    "admin",
    "admin_name",
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

# The latest month, up to this one, with anything on a scorecard: a rating, an incident or a
# deliverable (of one admin, or of anyone when :admin_id is NULL). Each arm walks its date
# index backwards from this month and stops at the first row.
LATEST_RECORDED_SQL = """
SELECT max(period) AS period FROM (
    SELECT (SELECT period FROM ratings
             WHERE period <= :this_period AND (:admin_id IS NULL OR admin_id = :admin_id)
             ORDER BY period DESC LIMIT 1) AS period
    UNION ALL
    SELECT (SELECT substr(occurred_on, 1, 7) FROM incidents
             WHERE occurred_on <= :last_day AND (:admin_id IS NULL OR admin_id = :admin_id)
             ORDER BY occurred_on DESC LIMIT 1)
    UNION ALL
    SELECT (SELECT substr(deadline, 1, 7) FROM deliverables
             WHERE deadline <= :last_day AND (:admin_id IS NULL OR admin_id = :admin_id)
             ORDER BY deadline DESC LIMIT 1))
"""

# The latest month an admin may see their own scorecard: closed, and rated by at least
# :minimum different people (each rates an admin once a month, so a row is a rater).
LATEST_VISIBLE_SQL = """
SELECT ratings.period FROM ratings
  JOIN closed_periods ON closed_periods.period = ratings.period
 WHERE ratings.admin_id = :admin_id
 GROUP BY ratings.period HAVING count(DISTINCT ratings.rater_id) >= :minimum
 ORDER BY ratings.period DESC LIMIT 1
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


def format_row(email, scores, name=None):
    """A public scorecard ROW (the API's and the CSV's): the admin's email, name, figures."""
    return rounded_row(ROW_FIELDS, email, dict(scores, admin_name=name), ONE_DECIMAL, TWO_DECIMALS)


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
    listed = {person["id"]: (person["email"], person["name"]) for person in admins(db)}
    # Someone no longer marked as an admin still has this month's records: show them.
    for admin_id, _ in counts:
        if admin_id not in listed:
            person = next(db.query("SELECT email, name FROM users WHERE id = ?", [admin_id]))
            listed[admin_id] = (person["email"], person["name"])
    return [
        (
            admin_id,
            format_row(
                email,
                admin_scorecard(counts.get((admin_id, period), RatingCounts()), weights),
                name,
            ),
        )
        for admin_id, (email, name) in sorted(listed.items(), key=lambda item: item[1][0])
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


def targets_met(row, targets):
    """For each figure with a target: met (True), missed (False) or unknown (None)."""
    met = {
        name: target_met(row[name], target)
        for name, target in targets.items()
        if name != "incidents"
    }
    met["incidents"] = target_met(row["incidents"], targets["incidents"], higher_is_better=False)
    return met


def admin_row(db, period, config, email):
    """One admin's ROW for a month, or None when they have no scorecard that month."""
    [row] = [row for row in period_rows(db, period, config) if row["admin"] == email] or [None]
    return row


def latest_recorded_period(db, config, admin_id=None):
    """The latest month, not after this one, with a rating, incident or deliverable (of
    that admin, or of anyone); this month when there is none."""
    this_period = clock.current_period(config["TIMEZONE"])
    _, last_day = clock.period_days(this_period)
    [row] = db.query(
        LATEST_RECORDED_SQL,
        {"this_period": this_period, "last_day": last_day, "admin_id": admin_id},
    )
    return row["period"] or this_period


def latest_visible_period(db, config, admin_id):
    """The latest month an admin may see their own scorecard (closed, with enough raters);
    this month when there is none yet."""
    params = {"admin_id": admin_id, "minimum": config["ANONYMITY_MIN_RATERS"]}
    row = next(db.query(LATEST_VISIBLE_SQL, params), None)
    return row["period"] if row else clock.current_period(config["TIMEZONE"])
