"""The JSON API help desks call: POST /api/v1/tickets/closed reports a closed ticket."""

from flask import Blueprint, current_app, jsonify

from surveys.bodies import read_json_body
from surveys.errors import error_response
from surveys.helpdesk.closures import parse_closure, record_closure
from surveys.security import csrf
from surveys.staff.auth import api_key_required
from surveys.store.db import get_db

bp = Blueprint("helpdesk_api", __name__, url_prefix="/api/v1")


@bp.route("/tickets/closed", methods=["POST"])
@csrf.exempt  # machines authenticate with a Bearer key, not a session
@api_key_required
def ticket_closed():
    """A help desk reports a closed ticket; Puas schedules its invitation (docs/api.md)."""
    payload, failure = read_json_body()
    if failure:
        return failure
    closure, errors = parse_closure(payload)
    if errors:
        return error_response(422, "the ticket could not be accepted", errors=errors)
    result, created = record_closure(get_db(), closure, current_app.config)
    return jsonify(result), 201 if created else 200
