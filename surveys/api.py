"""The JSON API for machines: help desks report closed tickets, reports read scores."""

import json

from flask import Blueprint, current_app, jsonify, request

from surveys.auth import api_key_or_manager_required, api_key_required
from surveys.db import get_db
from surveys.errors import error_response
from surveys.scores import RangeError, parse_range, score_groups
from surveys.security import csrf
from surveys.tickets import parse_closure, record_closure

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def read_json_body():
    """The request's JSON value, or an error response (413 too big, 415 not JSON)."""
    # Checked before reading, and enforced while reading (a chunked body has no length).
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    limit_kb = current_app.config["API_MAX_BODY_BYTES"] // 1024
    if request.content_length and request.content_length > request.max_content_length:
        return None, error_response(413, f"the body must be at most {limit_kb} KB")
    if not request.is_json:
        return None, error_response(415, "send the body as JSON with "
                                         "Content-Type: application/json")
    try:
        return json.loads(request.get_data(cache=False)), None
    except (ValueError, UnicodeDecodeError):
        return None, error_response(415, "the body is not valid JSON")


@bp.route("/tickets/closed", methods=["POST"])
@csrf.exempt  # machines authenticate with a Bearer key, not a session
@api_key_required
def ticket_closed():
    payload, failure = read_json_body()
    if failure:
        return failure
    closure, errors = parse_closure(payload)
    if errors:
        return error_response(422, "the ticket could not be accepted", errors=errors)
    result, created = record_closure(get_db(), closure, current_app.config)
    return jsonify(result), 201 if created else 200


@bp.route("/scores")
@api_key_or_manager_required
def scores():
    try:
        report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    except RangeError as error:
        return error_response(422, "the report parameters are not valid", errors=error.errors)
    groups, overall, _ = score_groups(get_db(), report_range)
    return jsonify({
        "from": report_range.from_day.isoformat(),
        "to": report_range.to_day.isoformat(),
        "group_by": report_range.group_by,
        "groups": groups,
        "overall": overall,
    })
