"""Manager reports: the dashboard, leaderboard, low ratings and downloads (charts are
views/charts.py)."""

import functools

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from surveys.actions.figures import row_scope, tiles_scope
from surveys.actions.follow_ups import follow_up_figures
from surveys.errors import RangeError
from surveys.fields import read_flag
from surveys.reports.agents import agent_choices, range_args
from surveys.reports.business_queries import report_months
from surveys.reports.call_queries import call_groups
from surveys.reports.call_queries import row_fields as call_row_fields
from surveys.reports.comment_search import (
    checked_query,
    search_comments,
    search_response_rows,
)
from surveys.reports.comments import comment_rows
from surveys.reports.exports import download, download_filename
from surveys.reports.kpi_queries import config_weekdays, kpi_groups
from surveys.reports.kpi_queries import row_fields as kpi_row_fields
from surveys.reports.ranges import COMPARISONS, GROUPINGS, PRESETS, filter_choices, parse_range
from surveys.reports.score_queries import (
    RESPONSE_FIELDS,
    response_rows,
    row_fields,
    score_groups,
)
from surveys.reports.scoring import rank_groups, too_few
from surveys.reports.targets import BY_NAME, frt_standards, met, report_targets
from surveys.reports.trends import chart_figures
from surveys.staff.auth import api_key_or_manager_required, manager_required
from surveys.store.db import get_db

bp = Blueprint("reports", __name__)

COMMENTS_SHOWN = 200


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
    page = {
        "errors": {},
        "report_range": None,
        "groupings": GROUPINGS,
        "comparisons": COMPARISONS,
        "filter_options": filter_options(get_db()),
        "presets": preset_links(None),
        "too_few": functools.partial(too_few, min_n=min_n),
        "min_n": min_n,
    }
    try:
        report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    except RangeError as error:
        return render_template("reports/dashboard.html", **dict(page, errors=error.errors)), 422
    page["presets"] = preset_links(report_range)
    db = get_db()
    groups, overall, details = score_groups(db, report_range)
    # Grouped by team, each team's row is judged by that team's targets.
    targets, row_targets = report_targets(db, current_app.config, report_range)
    charts = chart_figures(db, report_range)
    kpi_rows, kpi_overall, per_agent = kpi_groups(
        db,
        report_range,
        *frt_standards(targets, row_targets),
        weekdays=config_weekdays(current_app.config),
    )
    return render_template(
        "reports/dashboard.html",
        **dict(page, report_range=report_range),
        compared=report_range.compared(),
        group_link=functools.partial(group_link, report_range),
        groups=groups,
        download_args=report_range.query_args(),
        overall=overall,
        details=details,
        targets=targets,
        row_targets=row_targets,
        target_of=BY_NAME,
        met=met,
        kpis=kpi_overall,
        kpi_rows=kpi_rows,
        tickets_per_agent=per_agent,
        business=report_months(db, report_range),
        calls=call_groups(db, report_range, current_app.config["SERVICE_LEVEL_SECONDS"])[1],
        charts=charts,
        follow_ups=follow_up_figures(db, report_range),
        tile_action=functools.partial(action_link, report_range, tiles_scope(db, report_range)),
        row_action=functools.partial(row_action_link, report_range),
    )


def action_link(report_range, scope, metric):
    """Where recording a corrective action about a missed figure of `scope` starts, with
    the report's days; None when the figure is no single scope's."""
    if scope is None:
        return None
    days = {"from": report_range.from_day.isoformat(), "to": report_range.to_day.isoformat()}
    return url_for("corrective.new", metric=metric, **scope, **days)


def row_action_link(report_range, row, metric):
    """action_link for a group's row (a team's or an agent's)."""
    return action_link(report_range, row_scope(report_range, row), metric)


def filter_options(db):
    """(value, label) of every agent, team and channel the filters offer; agents by name."""
    choices = filter_choices(db)
    return {
        "agent": agent_choices(db),
        "team": [(team, team) for team in choices["team"]],
        "channel": [(channel, channel) for channel in choices["channel"]],
    }


def preset_links(report_range):
    """(label, URL, current?) of each preset: the same view (grouping, filters,
    comparison) over the preset's days; plain presets when the view could not be read."""
    args = report_range.query_args() if report_range else {}
    kept = {name: value for name, value in args.items() if name not in ("from", "to", "period")}
    current = report_range.period if report_range else None
    return [
        (label, url_for("reports.dashboard", period=name, **kept), name == current)
        for name, (label, _) in PRESETS.items()
    ]


def group_link(report_range, row):
    """Where a group's row leads: an agent's page, or the dashboard narrowed to the team,
    channel or month; None for the group without a name."""
    if not report_range.group_by or row["group"] is None:
        return None
    if report_range.group_by == "agent":
        return url_for("agents.page", agent_id=row["agent_id"], **range_args(report_range))
    return url_for("reports.dashboard", **report_range.narrowed_to(row["group"]).query_args())


@bp.route("/reports/summary.csv", defaults={"kind": "csv"})
@bp.route("/reports/summary.xlsx", defaults={"kind": "xlsx"})
@api_key_or_manager_required
def summary_download(kind):
    """The dashboard's score rows as CSV or Excel, streamed."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    groups, _, _ = score_groups(get_db(), report_range)
    return download(
        lambda: groups,
        row_fields(report_range),
        download_filename("summary", report_range, kind),
        kind,
    )


@bp.route("/reports/responses.csv", defaults={"kind": "csv"})
@bp.route("/reports/responses.xlsx", defaults={"kind": "xlsx"})
@api_key_or_manager_required
def responses_download(kind):
    """Every response to the closures in range, one per row, streamed; with `q`, those whose
    comment holds every word, best match first."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    q = checked_query(request.args.get("q"))
    return download(
        lambda: (
            search_response_rows(get_db(), report_range, q)
            if q
            else response_rows(get_db(), report_range)
        ),
        RESPONSE_FIELDS,
        download_filename("responses", report_range, kind),
        kind,
    )


@bp.route("/reports/kpis.csv")
@api_key_or_manager_required
def kpis_csv():
    """The ticket KPI rows as CSV, streamed (the same rows as /api/v1/kpis)."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    db = get_db()
    groups, _, _ = kpi_groups(
        db,
        report_range,
        *frt_standards(*report_targets(db, current_app.config, report_range)),
        weekdays=config_weekdays(current_app.config),
    )
    return download(
        lambda: groups,
        kpi_row_fields(report_range),
        download_filename("kpis", report_range, "csv"),
        "csv",
    )


@bp.route("/reports/call-kpis.csv")
@api_key_or_manager_required
def call_kpis_csv():
    """The phone-queue KPI rows as CSV, streamed (the same rows as /api/v1/call-kpis)."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    groups, _ = call_groups(get_db(), report_range, current_app.config["SERVICE_LEVEL_SECONDS"])
    return download(
        lambda: groups,
        call_row_fields(report_range),
        download_filename("call-kpis", report_range, "csv"),
        "csv",
    )


@bp.route("/reports/comments")
@manager_required
def comments():
    """The low ratings with their comments, newest first, so a manager can act on them;
    with `q`, every comment in range holding those words, best match first."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    # The boxes send "1" when ticked; any other value is refused, not read as unticked.
    errors = {}
    with_comment = read_flag(request.args, "with_comment", errors)
    low = read_flag(request.args, "low", errors)
    try:
        q = checked_query(request.args.get("q"))
    except RangeError as error:
        errors.update(error.errors)
    db = get_db()
    page = {
        "report_range": report_range,
        "with_comment": with_comment,
        "low": low,
        "q": request.args.get("q") or "",
        "errors": errors,
        "choices": filter_choices(db),
        "agent_choices": agent_choices(db),
        "agent_page_args": range_args(report_range),
    }
    if errors:
        page.update(rows=[], more=False, download_args={})
        return render_template("reports/comments.html", **page), 422
    if q:
        rows = search_comments(db, report_range, q, low_only=low, limit=COMMENTS_SHOWN + 1)
    else:
        rows = comment_rows(
            db, report_range, limit=COMMENTS_SHOWN + 1, low_only=True, with_comment=with_comment
        )
    return render_template(
        "reports/comments.html",
        **dict(page, q=q),
        rows=rows[:COMMENTS_SHOWN],
        more=len(rows) > COMMENTS_SHOWN,
        download_args=dict(report_range.query_args(), **({"q": q} if q else {})),
    )


@bp.route("/reports/leaderboard")
@manager_required
def leaderboard():
    """Top agents or teams, ranked by the lower end of their CSAT interval, not by luck."""
    args = request.args.to_dict(flat=False)
    by = request.args.get("group_by") or "agent"
    if by not in ("agent", "team"):
        raise RangeError({"group_by": "must be agent or team"})
    args["group_by"] = [by]
    report_range = parse_range(MultiDict(args), current_app.config["TIMEZONE"])
    groups, _, _ = score_groups(get_db(), report_range)
    ranked, unranked = rank_groups(groups, current_app.config["LEADERBOARD_MIN_N"])
    return render_template(
        "reports/leaderboard.html",
        ranked=ranked,
        unranked=unranked,
        report_range=report_range,
        min_n=current_app.config["LEADERBOARD_MIN_N"],
        agent_page_args=range_args(report_range),
    )
