"""The charts of the dashboard (and of any page narrowed like it), as SVG pictures."""

from flask import Blueprint, Response, abort, current_app, request

from surveys.reports.charts import (
    CHART_NAMES,
    DISTRIBUTIONS,
    TRENDS,
    distribution_svg,
    parse_size,
    trend_svg,
)
from surveys.reports.ranges import parse_range
from surveys.reports.targets import report_targets
from surveys.reports.trends import answers_per_score, trend
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("charts", __name__)


@bp.route("/reports/charts/<name>.svg")
@manager_required
def chart(name):
    """One chart of the report range and its filters: a trend or a scale's answers."""
    if name not in CHART_NAMES:
        abort(404)
    size = parse_size(request.args)
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    db = get_db()
    if name in TRENDS:
        targets, _ = report_targets(db, current_app.config, report_range)
        svg = trend_svg(name, trend(db, report_range), targets.get(TRENDS[name].field), size=size)
    else:
        counts = answers_per_score(db, report_range)[DISTRIBUTIONS[name].kind]
        svg = distribution_svg(name, counts, size=size)
    response = Response(svg, mimetype="image/svg+xml")
    # The SVG carries its own <style>; it runs no script and loads nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
