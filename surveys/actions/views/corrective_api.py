"""Corrective actions as JSON, for a Bearer key or a signed-in manager."""

from flask import Blueprint, current_app, jsonify, request

from surveys import clock
from surveys.actions.corrective import api_row, list_actions, read_filters, with_figures_now
from surveys.errors import RangeError
from surveys.staff.auth import api_key_or_manager_required
from surveys.store.db import get_db

bp = Blueprint("corrective_api", __name__, url_prefix="/api/v1")

# /actions also takes mine=1, but a Bearer key is nobody's: the API lists everyone's.
API_FILTERS = ("status", "overdue")


@bp.route("/actions")
@api_key_or_manager_required
def actions():
    """Corrective actions as JSON: {"actions": [ROW, ...]}, narrowed like /actions."""
    status, overdue = read_api_filters(request.args)
    db = get_db()
    config = current_app.config
    rows = list_actions(db, clock.today(config["TIMEZONE"]), status, overdue=overdue)
    return jsonify(actions=[api_row(row) for row in with_figures_now(db, config, rows)])


def read_api_filters(args):
    """(status, overdue) from the query string; RangeError naming each bad value, and each
    parameter the API does not take, so a filter it would ignore (mine=1) is refused."""
    unknown = {
        name: f"is not a parameter here; this API takes {' and '.join(API_FILTERS)}"
        for name in args
        if name not in API_FILTERS
    }
    try:
        status, _, overdue = read_filters(args)
    except RangeError as error:
        raise RangeError({**error.errors, **unknown}) from error
    if unknown:
        raise RangeError(unknown)
    return status, overdue
