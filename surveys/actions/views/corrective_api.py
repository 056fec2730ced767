"""Corrective actions as JSON, for a Bearer key or a signed-in manager."""

from flask import Blueprint, current_app, jsonify, request

from surveys import clock
from surveys.actions.corrective import api_row, list_actions, read_filters, with_figures_now
from surveys.staff.auth import api_key_or_manager_required
from surveys.store.db import get_db

bp = Blueprint("corrective_api", __name__, url_prefix="/api/v1")


@bp.route("/actions")
@api_key_or_manager_required
def actions():
    """Corrective actions as JSON: {"actions": [ROW, ...]}, narrowed like /actions."""
    status, _, overdue = read_filters(request.args)
    db = get_db()
    config = current_app.config
    rows = list_actions(db, clock.today(config["TIMEZONE"]), status, overdue=overdue)
    return jsonify(actions=[api_row(row) for row in with_figures_now(db, config, rows)])
