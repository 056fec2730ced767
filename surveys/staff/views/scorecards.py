"""The scorecard pages: every admin's month and trend for managers, and an admin's own."""

import functools

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from surveys import clock
from surveys.reports.exports import download
from surveys.staff.auth import manager_required
from surveys.staff.people import find_person
from surveys.staff.periods import is_closed, period_from
from surveys.staff.scorecards import (
    ROW_FIELDS,
    admin_row,
    anonymous_comments,
    latest_recorded_period,
    latest_visible_period,
    period_rows,
    period_scorecards,
    targets_met,
    trend_rows,
)
from surveys.store.db import get_db

bp = Blueprint("scorecards", __name__)


@bp.route("/scorecards")
@manager_required
def overview():
    """Every admin's scorecard for a month (the latest with anything recorded, unless
    ?period= names one), beside the targets."""
    db = get_db()
    config = current_app.config
    period = period_from(request.args, config, lambda: latest_recorded_period(db, config))
    cards = period_scorecards(db, period, config)
    targets = config["ADMIN_TARGETS"]
    return render_template(
        "staff/scorecards/overview.html",
        period=period,
        rows=[row for _, row in cards],
        targets=targets,
        met_by_admin={row["admin"]: targets_met(row, targets) for _, row in cards},
        admin_ids={row["admin"]: admin_id for admin_id, row in cards},
        action_link=functools.partial(admin_action_link, period),
        closed=is_closed(db, period),
        previous=clock.add_months(period, -1),
        following=clock.add_months(period, 1),
    )


def admin_action_link(period, admin_id, metric):
    """Where recording a corrective action about an admin's missed figure starts."""
    return url_for("corrective.new", scope="admin", scope_id=admin_id, metric=metric, period=period)


@bp.route("/scorecards/<int:admin_id>")
@manager_required
def trend(admin_id):
    """One admin across the twelve months up to ?period= (or their latest with anything
    recorded)."""
    db = get_db()
    person = find_person(db, admin_id)
    if person is None:
        abort(404)
    config = current_app.config
    last_period = period_from(
        request.args, config, lambda: latest_recorded_period(db, config, admin_id)
    )
    return render_template(
        "staff/scorecards/trend.html",
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
    different people rated them; it opens on the latest such month."""
    if not current_user.rated:
        abort(403)
    db = get_db()
    config = current_app.config
    period = period_from(
        request.args, config, lambda: latest_visible_period(db, config, current_user.id)
    )
    row = admin_row(db, period, config, current_user.email)
    minimum = config["ANONYMITY_MIN_RATERS"]
    # Only final figures: while a month is open, comparing today's averages with
    # yesterday's would reveal what the newest rater gave.
    closed = is_closed(db, period)
    visible = closed and row is not None and row["raters"] >= minimum
    return render_template(
        "staff/scorecards/mine.html",
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
