"""GET /api/v1/follow-ups: the follow-ups of answers to tickets closed in a report range."""

from flask import Blueprint, current_app, jsonify, request

from surveys import clock
from surveys.actions.follow_ups import FollowUpError, api_rows, read_api_filters
from surveys.errors import RangeError
from surveys.reports.ranges import parse_range
from surveys.staff.auth import api_key_or_manager_required
from surveys.store.db import get_db

bp = Blueprint("follow_ups_api", __name__, url_prefix="/api/v1")


@bp.route("/follow-ups")
@api_key_or_manager_required
def follow_ups():
    """The follow-ups of answers to tickets closed in the report range, as JSON."""
    errors = {}
    try:
        report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    except RangeError as error:
        errors.update(error.errors)
    try:
        status, overdue = read_api_filters(request.args)
    except FollowUpError as error:
        errors.update(error.errors)
    if errors:
        raise RangeError(errors)
    rows = api_rows(get_db(), report_range, status, overdue, clock.now())
    return jsonify({"follow_ups": rows})
