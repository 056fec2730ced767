"""Manager reports: the dashboard and its CSV download."""

import csv
import functools
import io

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from surveys.auth import api_key_or_manager_required, manager_required
from surveys.db import get_db
from surveys.errors import RangeError
from surveys.kpi_report import ROW_FIELDS as KPI_ROW_FIELDS
from surveys.kpi_report import kpi_groups
from surveys.scores import GROUPINGS, ROW_FIELDS, parse_range, score_groups
from surveys.scoring import too_few
from surveys.targets import BY_NAME, current_targets, met

bp = Blueprint("reports", __name__)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell a spreadsheet will show, never evaluate; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(rows, fields):
    """Yield a CSV header and rows one line at a time (constant memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if row[field] is None else neutralise(row[field])
                         for field in fields])
        if buffer.tell() > 16384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def filter_choices(db):
    """Every agent, team and channel a report can be narrowed to."""
    return {
        "agent": [row["name"] for row in db.query(
            "SELECT DISTINCT coalesce(email, name) AS name FROM agents ORDER BY 1")],
        "team": [row["name"] for row in db.query("SELECT name FROM teams ORDER BY name")],
        "channel": [row["channel"] for row in db.query(
            "SELECT DISTINCT channel FROM tickets WHERE channel IS NOT NULL ORDER BY 1")],
    }


@bp.route("/")
@login_required
def index():
    """Managers start on the dashboard; staff on their home page."""
    if current_user.is_manager:
        return redirect(url_for("reports.dashboard"))
    return render_template("reports/home.html")


@bp.route("/reports")
@manager_required
def dashboard():
    """Scores for a range of closing days, overall and grouped, with their n and intervals."""
    min_n = current_app.config["MIN_N"]
    page = {"errors": {}, "report_range": None, "groupings": GROUPINGS,
            "choices": filter_choices(get_db()),
            "too_few": functools.partial(too_few, min_n=min_n), "min_n": min_n}
    try:
        report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    except RangeError as error:
        return render_template("reports/dashboard.html", **dict(page, errors=error.errors)), 422
    db = get_db()
    groups, overall, details = score_groups(db, report_range)
    targets = current_targets(db, current_app.config)
    kpi_rows, kpi_overall, per_agent = kpi_groups(
        db, report_range, targets["frt_hours"], current_app.config["REPEAT_WINDOW_DAYS"])
    return render_template(
        "reports/dashboard.html", **dict(page, report_range=report_range), groups=groups,
        download_args=report_range.query_args(),
        overall=overall, details=details, targets=targets,
        target_of=BY_NAME, met=functools.partial(met, targets=targets), kpis=kpi_overall,
        kpi_rows=kpi_rows, tickets_per_agent=per_agent,
    )


@bp.route("/reports/summary.csv")
@api_key_or_manager_required
def summary_csv():
    """The dashboard's rows as CSV, streamed."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    groups, overall, _ = score_groups(get_db(), report_range)
    filename = f"puas-summary-{report_range.from_day}-{report_range.to_day}.csv"
    return Response(
        stream_with_context(csv_lines(groups, ROW_FIELDS)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/reports/kpis.csv")
@api_key_or_manager_required
def kpis_csv():
    """The ticket KPI rows as CSV, streamed (the same rows as /api/v1/kpis)."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    db = get_db()
    groups, _, _ = kpi_groups(db, report_range, current_targets(db, current_app.config)[
        "frt_hours"], current_app.config["REPEAT_WINDOW_DAYS"])
    filename = f"puas-kpis-{report_range.from_day}-{report_range.to_day}.csv"
    return Response(
        stream_with_context(csv_lines(groups, KPI_ROW_FIELDS)), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
