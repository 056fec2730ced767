"""Themes: what low-rated customers write about more than high-rated ones, and the
reverse, as a page and as JSON (same range, filters and access as /api/v1/scores)."""

from flask import Blueprint, current_app, jsonify, render_template, request

from surveys.errors import RangeError
from surveys.reports.agents import agent_choices
from surveys.reports.ranges import filter_choices, parse_range
from surveys.reports.themes import LISTED, MIN_COUNT, Z_LISTED, read_min_count, themes
from surveys.staff.auth import api_key_or_manager_required, manager_required
from surveys.store.db import get_db

bp = Blueprint("themes", __name__)


def read_request():
    """(report range, min_count) from the query string; RangeError naming each bad one."""
    errors = {}
    report_range = min_count = None
    try:
        report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    except RangeError as error:
        errors.update(error.errors)
    try:
        min_count = read_min_count(request.args)
    except RangeError as error:
        errors.update(error.errors)
    if errors:
        raise RangeError(errors)
    return report_range, min_count


@bp.route("/api/v1/themes")
@api_key_or_manager_required
def api():
    """The terms that lean low and high in a range's comments, as JSON."""
    report_range, min_count = read_request()
    found = themes(get_db(), report_range, min_count)
    return jsonify(
        {
            "from": report_range.from_day.isoformat(),
            "to": report_range.to_day.isoformat(),
            "low": found["low"],
            "high": found["high"],
        }
    )


@bp.route("/reports/themes")
@manager_required
def page():
    """Both lists of terms with their counts and z, explained, each linked to its comments."""
    db = get_db()
    shown = {
        "choices": filter_choices(db),
        "agent_choices": agent_choices(db),
        "listed": LISTED,
        "z_listed": Z_LISTED,
    }
    try:
        report_range, min_count = read_request()
    except RangeError as error:
        shown.update(errors=error.errors, report_range=None, min_count=MIN_COUNT, found=None)
        return render_template("reports/themes.html", **shown), 422
    return render_template(
        "reports/themes.html",
        **shown,
        errors={},
        report_range=report_range,
        min_count=min_count,
        found=themes(db, report_range, min_count),
        comment_args=report_range.query_args(),
    )
