"""The JSON API reports answer: survey scores and ticket KPIs for a range of closing days."""

from flask import Blueprint, current_app, jsonify, request

from surveys.reports.call_queries import call_groups
from surveys.reports.kpi_queries import config_weekdays, kpi_groups
from surveys.reports.ranges import parse_range
from surveys.reports.score_queries import score_groups
from surveys.reports.targets import frt_standards, report_targets
from surveys.staff.auth import api_key_or_manager_required
from surveys.store.db import get_db

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")


@bp.route("/scores")
@api_key_or_manager_required
def scores():
    """Survey scores for a range of closing days, as JSON."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    groups, overall, _ = score_groups(get_db(), report_range)
    return range_body(report_range, groups, overall)


@bp.route("/kpis")
@api_key_or_manager_required
def kpis():
    """Ticket KPIs for a range of closing days, as JSON (same range rule as /scores)."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    db = get_db()
    groups, overall, _ = kpi_groups(
        db,
        report_range,
        *frt_standards(*report_targets(db, current_app.config, report_range)),
        weekdays=config_weekdays(current_app.config),
    )
    return range_body(report_range, groups, overall)


@bp.route("/call-kpis")
@api_key_or_manager_required
def call_kpis():
    """Phone-queue KPIs for a range of queued days, as JSON (same range rule as /kpis)."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    groups, overall = call_groups(
        get_db(), report_range, current_app.config["SERVICE_LEVEL_SECONDS"]
    )
    return range_body(report_range, groups, overall)


def range_body(report_range, groups, overall):
    """The JSON answer of a report over a range: its range, the comparison period's (only
    when compared), groups and overall."""
    body = {
        "from": report_range.from_day.isoformat(),
        "to": report_range.to_day.isoformat(),
        "group_by": report_range.group_by,
    }
    compared = report_range.compared()
    if compared:
        body["compare"] = {
            "from": compared.from_day.isoformat(),
            "to": compared.to_day.isoformat(),
        }
    return jsonify(dict(body, groups=groups, overall=overall))
