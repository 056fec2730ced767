"""The JSON API help desks call: POST /api/v1/tickets/closed reports a closed ticket."""

from flask import Blueprint, current_app, jsonify

from surveys import clock
from surveys.bodies import read_json_body
from surveys.errors import error_response
from surveys.helpdesk import inbox
from surveys.helpdesk.closures import parse_closure, record_closure
from surveys.helpdesk.views.webhooks import queued
from surveys.security import csrf
from surveys.staff.auth import api_key_required
from surveys.store.db import WriteTurnTimeout, get_db, write_wait

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
    received_at = clock.now()
    try:
        with write_wait(get_db(), inbox.WRITE_WAIT_SECONDS):
            result, created = record_closure(get_db(), closure, current_app.config)
    except WriteTurnTimeout:
        # The write lock is held for long (a rebuild, a migration): keep the closure in the
        # inbox rather than leave the help desk without an answer.
        return queued("api", payload, received_at)
    return jsonify(result), 201 if created else 200
