"""The JSON API phone systems call: POST /api/v1/calls reports a call in a queue."""

from flask import Blueprint, current_app, jsonify

from surveys.bodies import read_json_body
from surveys.errors import error_response
from surveys.helpdesk.calls import parse_call, record_call
from surveys.security import csrf
from surveys.staff.auth import api_key_required
from surveys.store.db import get_db

bp = Blueprint("calls_api", __name__, url_prefix="/api/v1")


@bp.route("/calls", methods=["POST"])
@csrf.exempt  # machines authenticate with a Bearer key, not a session
@api_key_required
def call_reported():
    """A phone system reports a call; 201 when new, 200 with the stored call when seen
    before (docs/api.md)."""
    payload, failure = read_json_body()
    if failure:
        return failure
    call, errors = parse_call(payload)
    if errors:
        return error_response(422, "the call could not be accepted", errors=errors)
    body, created = record_call(get_db(), call, current_app.config)
    return jsonify(body), 201 if created else 200
