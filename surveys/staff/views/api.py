"""The JSON API for admins' scorecards: GET /api/v1/admin-scores."""

from flask import Blueprint, current_app, jsonify, request

from surveys.staff.auth import api_key_or_manager_required
from surveys.staff.periods import period_from
from surveys.staff.scorecards import period_rows
from surveys.store.db import get_db

bp = Blueprint("staff_api", __name__, url_prefix="/api/v1")


@bp.route("/admin-scores")
@api_key_or_manager_required
def admin_scores():
    """Every admin's scorecard for a month (?period=YYYY-MM), as JSON."""
    period = period_from(request.args, current_app.config)
    return jsonify({"period": period, "admins": period_rows(get_db(), period, current_app.config)})
