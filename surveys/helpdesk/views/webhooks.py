"""POST /api/v1/webhooks/<id>: a help desk reports a closed ticket to its integration's URL.

This module reads the request (its size, signature and delivery id) and answers in JSON;
the integrations, their deliveries and the stored closure are rules of
surveys.helpdesk.integrations.
"""

from flask import Blueprint, current_app, jsonify, request

from surveys import clock
from surveys.bodies import BodyTooLarge, RepeatedKey, read_body, strict_json
from surveys.errors import error_response
from surveys.helpdesk import inbox, payloads
from surveys.helpdesk.integrations import active_integration, handle_event
from surveys.security import csrf
from surveys.store.db import WriteTurnTimeout, get_db, write_wait

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks")


class Refused(Exception):
    """A delivery answered with an error status (401, 413, 415) and stored nowhere."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def verified_payload(kind, secret):
    """The request's JSON, once its size and signature are checked; Refused otherwise."""
    limit = current_app.config["API_MAX_BODY_BYTES"]
    try:
        body = read_body(limit)
    except BodyTooLarge as error:
        raise Refused(413, f"the body must be at most {limit // 1024} KB") from error
    except Exception as error:  # each server raises its own errors for a broken chunked body
        raise Refused(400, "the body could not be read") from error
    try:
        payloads.verify(kind, secret, request.headers, body)
    except payloads.SignatureError as error:
        raise Refused(401, str(error)) from error
    # The signature, not the Content-Type, vouches for the body: some help desks label JSON
    # as text.
    try:
        return strict_json(body)
    except RepeatedKey as error:
        raise Refused(422, f"the body {error}") from error
    except RecursionError as error:
        raise Refused(422, "the body is nested too deeply") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(415, "the body is not valid JSON") from error


def delivery_id_of(kind):
    """The help desk's name for this delivery (kept across its retries), or None."""
    header = payloads.DELIVERY_HEADERS.get(kind)
    return (request.headers.get(header, "")[:200] or None) if header else None


def json_answer(answer):
    """The JSON response for an Answer: its outcome, its reason if any, then what was stored."""
    if answer.errors:
        return error_response(answer.status, answer.reason, errors=answer.errors)
    body = {"status": answer.outcome}
    if answer.reason:
        body["reason"] = answer.reason
    if answer.result:
        body.update(answer.result)
    return jsonify(body), answer.status


@bp.route("/<int:integration_id>", methods=["POST"])
@csrf.exempt  # help desks authenticate by signature, not by session
def receive(integration_id):
    """A help desk's webhook: a closed ticket becomes a closure and its invitation."""
    db = get_db()
    integration = active_integration(db, integration_id)
    if integration is None:
        return error_response(404, "no such integration")
    integration_id, kind, _, secret = integration
    try:
        payload = verified_payload(kind, secret)
    except Refused as refusal:
        return error_response(refusal.status, str(refusal))
    received_at = clock.now()
    delivery_id = delivery_id_of(kind)
    settings = current_app.config
    try:
        with write_wait(db, inbox.WRITE_WAIT_SECONDS):
            answer = handle_event(
                db, settings, integration_id, kind, delivery_id, payload, received_at
            )
    except WriteTurnTimeout:
        return queued(
            "webhook", payload, received_at, integration_id=integration_id, delivery_id=delivery_id
        )
    return json_answer(answer)


def queued(kind, body, received_at, **where):
    """Keep the delivery in the inbox and answer 202 queued, or 503 when even that fails."""
    try:
        inbox.keep(current_app.config, kind, body, received_at, **where)
    except inbox.InboxUnavailable:
        body, status = error_response(503, "Puas is busy; please send this again shortly")
        return body, status, {"Retry-After": str(inbox.RETRY_AFTER_SECONDS)}
    return jsonify({"status": "queued"}), 202
