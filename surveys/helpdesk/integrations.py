"""Webhooks from help desks: POST /api/v1/webhooks/<id>, and the integrations behind them.

Each integration has its own URL and secret. A delivery is verified the way its help
desk signs (surveys.helpdesk.payloads), read into a closure, and stored with the closure in
one transaction; every verified delivery is listed on the Integrations page
(surveys.helpdesk.views.integrations).
"""

import json

from flask import Blueprint, current_app, jsonify, request

from surveys import clock
from surveys.bodies import BodyTooLarge, read_body
from surveys.errors import error_response
from surveys.helpdesk import payloads as integrations
from surveys.helpdesk.closures import parse_closure, record_closure
from surveys.security import csrf
from surveys.store.db import get_db, immediate
from surveys.text import clean_text

api_bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks")


class IntegrationError(Exception):
    """A name or kind a new integration cannot have."""


def create_integration(db, kind, name, created_by=None):
    """Add an integration; returns (id, secret). The secret is shown once, then only used."""
    if kind not in integrations.KINDS:
        raise IntegrationError(f"kind must be one of {', '.join(integrations.KINDS)}")
    try:
        name = clean_text(name, 100)
    except ValueError as error:
        raise IntegrationError(f"name {error}") from error
    if not name:
        raise IntegrationError("name is required")
    secret = integrations.make_secret()
    with immediate(db):
        if db.execute("SELECT 1 FROM integrations WHERE name = ?", [name]).fetchone():
            raise IntegrationError(f"an integration named {name!r} exists already")
        integration_id = db.execute(
            "INSERT INTO integrations (kind, name, secret, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?)",
            [kind, name, secret, clock.to_iso(clock.now()), created_by],
        ).lastrowid
    return integration_id, secret


def set_secret(db, integration_id, secret):
    """Replace an active integration's secret (Zendesk and Chatwoot make their own)."""
    if not isinstance(secret, str) or not integrations.SECRET_PATTERN.fullmatch(secret):
        raise IntegrationError("the secret must be 16 to 200 printable characters without spaces")
    with immediate(db):
        cursor = db.execute(
            "UPDATE integrations SET secret = ? WHERE id = ? AND revoked_at IS NULL",
            [secret, integration_id],
        )
    return bool(cursor.rowcount)


def webhook_url(integration_id):
    """The integration's URL, as the help desk must call it."""
    return f"{current_app.config['BASE_URL']}/api/v1/webhooks/{integration_id}"


def active_integration(db, integration_id):
    """The integration, or None when unknown or revoked."""
    return db.execute(
        "SELECT id, kind, name, secret FROM integrations WHERE id = ? AND revoked_at IS NULL",
        [integration_id],
    ).fetchone()


def seen_delivery(db, integration_id, delivery_id):
    """The stored outcome of a delivery id already handled, or None."""
    if not delivery_id:
        return None
    return db.execute(
        "SELECT outcome, reason, ticket_ref FROM webhook_events "
        "WHERE integration_id = ? AND delivery_id = ?",
        [integration_id, delivery_id],
    ).fetchone()


def recent_redelivery(db, source, ticket_ref, received_at):
    """A closure of this ticket heard of lately: a retry of a body without its own time."""
    since = clock.to_iso(received_at - integrations.REDELIVERY_WINDOW)
    row = db.execute(
        "SELECT id FROM tickets WHERE source = ? AND ticket_ref = ? AND created_at >= ? "
        "ORDER BY id DESC LIMIT 1",
        [source, ticket_ref, since],
    ).fetchone()
    return row[0] if row else None


def record_event(db, integration_id, delivery_id, event, outcome=None, reason=None, ticket_id=None):
    """List a verified delivery on its integration's page."""
    db.execute(
        """INSERT INTO webhook_events (integration_id, delivery_id, received_at, event,
               outcome, reason, ticket_ref, ticket_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (integration_id, delivery_id) WHERE delivery_id IS NOT NULL
           DO NOTHING""",
        [
            integration_id,
            delivery_id,
            clock.to_iso(clock.now()),
            event.name,
            outcome or event.outcome,
            reason if reason is not None else event.reason,
            event.ticket_ref,
            ticket_id,
        ],
    )


def _answer(status, outcome, reason=None, result=None):
    body = {"status": outcome}
    if reason:
        body["reason"] = reason
    if result:
        body.update(result)
    return jsonify(body), status


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
        integrations.verify(kind, secret, request.headers, body)
    except integrations.SignatureError as error:
        raise Refused(401, str(error)) from error
    # The signature, not the Content-Type, vouches for the body: some help desks label JSON
    # as text.
    try:
        return json.loads(body)
    except RecursionError as error:
        raise Refused(422, "the body is nested too deeply") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(415, "the body is not valid JSON") from error


def delivery_id_of(kind):
    """The help desk's name for this delivery (kept across its retries), or None."""
    header = integrations.DELIVERY_HEADERS.get(kind)
    return (request.headers.get(header, "")[:200] or None) if header else None


def lenient_closure(body, received_at, email_required=True):
    """(closure, fields left out, errors): optional fields a help desk filled wrongly are
    left out rather than losing the survey; required ones are errors."""
    closure, errors = parse_closure(body, now=received_at, email_required=email_required)
    if errors and integrations.optional_errors_only(errors):
        dropped = sorted(errors)
        closure, errors = parse_closure(
            integrations.without_fields(body, dropped),
            now=received_at,
            email_required=email_required,
        )
        return closure, dropped, errors
    return closure, [], errors


def store_closure(db, integration_id, delivery_id, event, closure, dropped, received_at):
    """Store the closure and its delivery in one transaction; the answer to give (201, or
    202 for a closure stored unsurveyed because it came without an address)."""
    source = f"integration:{integration_id}"
    notes = [event.reason] if event.outcome == "skipped" else []
    notes += [f"left out: {', '.join(dropped)}"] if dropped else []
    reason = "; ".join(notes) or None
    with immediate(db):
        if not event.closed_at_known and recent_redelivery(
            db, source, closure.ticket_ref, received_at
        ):
            return _answer(200, "duplicate", "the same ticket was reported lately")
        result, created = record_closure(db, closure, current_app.config, source=source)
        if not created:
            return _answer(200, "duplicate", result=result)
        ticket_id = db.execute(
            "SELECT ticket_id FROM invitations WHERE id = ?", [result["invitation"]["id"]]
        ).fetchone()[0]
        outcome = "created" if event.outcome == "closure" else "skipped"
        record_event(db, integration_id, delivery_id, event, outcome, reason, ticket_id)
    if outcome == "skipped":
        return _answer(202, "skipped", reason, result)
    return _answer(201, "created", reason, result)


@api_bp.route("/<int:integration_id>", methods=["POST"])
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
    earlier = seen_delivery(db, integration_id, delivery_id)
    if earlier is not None:  # the help desk retried a delivery we handled
        _, reason, _ = earlier
        return _answer(200, "duplicate", reason)
    event = integrations.read_event(kind, payload, received_at)
    if event.body:
        # A closed ticket; without an address it still counts in the ticket KPIs,
        # unsurveyed, when the rest of it is sound.
        surveyed = event.outcome == "closure"
        closure, dropped, errors = lenient_closure(event.body, received_at, email_required=surveyed)
        if errors and surveyed:
            return error_response(422, "the ticket could not be accepted", errors=errors)
        if not errors:
            return store_closure(
                db, integration_id, delivery_id, event, closure, dropped, received_at
            )
    with immediate(db):  # skipped or ignored: listed on the page
        record_event(db, integration_id, delivery_id, event)
    return _answer(202, event.outcome, event.reason)
