"""Corrective actions as JSON, for a Bearer key or a signed-in manager."""

from flask import Blueprint, current_app, jsonify, request

from surveys import clock
from surveys.actions.corrective import api_row, list_actions, read_filters, with_figures_now
from surveys.errors import RangeError
from surveys.staff.auth import api_key_or_manager_required
from surveys.store.db import get_db

bp = Blueprint("corrective_api", __name__, url_prefix="/api/v1")

# Filters of /actions the API cannot apply: a Bearer key is nobody's, so the API lists
# everyone's actions, and says so rather than answer as if it had applied them.
PAGE_ONLY = {"mine": "is for the /actions page alone: the API lists everyone's actions"}


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
    """(status, overdue) from the query string; RangeError naming each bad value, and
    mine (PAGE_ONLY) whatever its value. Other parameters are ignored, as every list of
    the API ignores them."""
    refused = {name: message for name, message in PAGE_ONLY.items() if name in args}
    try:
        status, _, overdue = read_filters(args)
    except RangeError as error:
        raise RangeError({**error.errors, **refused}) from error
    if refused:
        raise RangeError(refused)
    return status, overdue
