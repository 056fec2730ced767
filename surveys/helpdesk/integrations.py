"""The help-desk integrations behind POST /api/v1/webhooks/<id>, and their deliveries.

Each integration has its own URL and secret. A delivery, once verified the way its help
desk signs (surveys.helpdesk.payloads), is read into a closure and stored with the closure
in one transaction; every verified delivery is listed on the Integrations page. The
endpoint itself reads the request in surveys.helpdesk.views.webhooks.
"""

from dataclasses import replace
from typing import NamedTuple

from flask import current_app

from surveys import clock
from surveys.helpdesk import payloads
from surveys.helpdesk.closures import parse_closure, record_closure
from surveys.helpdesk.imports import SOURCE as IMPORT_SOURCE
from surveys.store.db import immediate, write
from surveys.text import clean_text

RECENT_DELIVERIES = 50  # listed on the Integrations page


class IntegrationError(Exception):
    """A name or kind a new integration cannot have."""


def create_integration(db, kind, name, created_by=None):
    """Add an integration; returns (id, secret). The secret is shown once, then only used."""
    if kind not in payloads.KINDS:
        raise IntegrationError(f"kind must be one of {', '.join(payloads.KINDS)}")
    try:
        name = clean_text(name, 100)
    except ValueError as error:
        raise IntegrationError(f"name {error}") from error
    if not name:
        raise IntegrationError("name is required")
    secret = payloads.make_secret()
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
    if not isinstance(secret, str) or not payloads.SECRET_PATTERN.fullmatch(secret):
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


def closed_before_arrival(db, source, ticket_ref, received_at):
    """A closure of this ticket, from this integration or a CSV import, closed within
    ARRIVAL_WINDOW before a body without its own closing time arrived: the same closure."""
    row = db.execute(
        "SELECT id FROM tickets WHERE source IN (?, ?) AND ticket_ref = ? "
        "AND closed_at BETWEEN ? AND ? ORDER BY closed_at DESC LIMIT 1",
        [
            source,
            IMPORT_SOURCE,
            ticket_ref,
            clock.to_iso(received_at - payloads.ARRIVAL_WINDOW),
            clock.to_iso(received_at),
        ],
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


def lenient_closure(body, received_at, email_required=True):
    """(closure, fields left out, errors): optional fields a help desk filled wrongly are
    left out rather than losing the survey; required ones are errors."""
    closure, errors = parse_closure(body, now=received_at, email_required=email_required)
    if errors and payloads.optional_errors_only(errors):
        dropped = sorted(errors)
        closure, errors = parse_closure(
            payloads.without_fields(body, dropped),
            now=received_at,
            email_required=email_required,
        )
        return closure, dropped, errors
    return closure, [], errors


class Answer(NamedTuple):
    """What a delivery is answered: the HTTP status, an outcome, and why or what was stored."""

    status: int
    outcome: str
    reason: str | None = None
    result: dict | None = None
    errors: dict | None = None  # with a 422: a message per field


def store_closure(db, settings, integration_id, delivery_id, event, closure, dropped, received_at):
    """Store the closure and its delivery in one transaction; the Answer to give (201, or
    202 for a closure stored unsurveyed because it came without an address)."""
    source = f"integration:{integration_id}"
    notes = [event.reason] if event.outcome == "skipped" else []
    notes += [f"left out: {', '.join(dropped)}"] if dropped else []
    reason = "; ".join(notes) or None

    def store(db):  # on the group writer's connection (surveys.store.db.write)
        stored = closure
        if not event.closed_at_known:
            if closed_before_arrival(db, source, closure.ticket_ref, received_at):
                return Answer(200, "duplicate", "the same ticket was reported lately")
            stored = replace(closure, dated_on_arrival=True)
        result, created = record_closure(db, stored, settings, source=source)
        if not created:
            return Answer(200, "duplicate", result=result)
        ticket_id = db.execute(
            "SELECT ticket_id FROM invitations WHERE id = ?", [result["invitation"]["id"]]
        ).fetchone()[0]
        outcome = "created" if event.outcome == "closure" else "skipped"
        record_event(db, integration_id, delivery_id, event, outcome, reason, ticket_id)
        if outcome == "skipped":
            return Answer(202, "skipped", reason, result)
        return Answer(201, "created", reason, result)

    return write(db, store)


def integration_rows(db):
    """Every integration, newest first, with its deliveries counted."""
    return list(
        db.query(
            """SELECT integrations.id, kind, name, created_at, revoked_at, ticket_url_template,
                  (SELECT count(*) FROM webhook_events
                    WHERE webhook_events.integration_id = integrations.id) AS deliveries,
                  (SELECT max(received_at) FROM webhook_events
                    WHERE webhook_events.integration_id = integrations.id) AS last_delivery
             FROM integrations ORDER BY integrations.id DESC"""
        )
    )


def recent_deliveries(db, limit=RECENT_DELIVERIES):
    """The latest verified deliveries of every integration, newest first, with its name."""
    return list(
        db.query(
            """SELECT webhook_events.*, integrations.name FROM webhook_events
             JOIN integrations ON integrations.id = webhook_events.integration_id
            ORDER BY webhook_events.id DESC LIMIT ?""",
            [limit],
        )
    )


def revoke_integration(db, integration_id):
    """Stop accepting an integration's webhooks; False when it is unknown or revoked."""
    with immediate(db):
        cursor = db.execute(
            "UPDATE integrations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [clock.to_iso(clock.now()), integration_id],
        )
    return bool(cursor.rowcount)


def handle_event(db, settings, integration_id, kind, delivery_id, payload, received_at):
    """What a verified delivery does, as it arrives or later from the inbox: its Answer."""
    earlier = seen_delivery(db, integration_id, delivery_id)
    if earlier is not None:  # the help desk retried a delivery we handled
        _, reason, _ = earlier
        return Answer(200, "duplicate", reason)
    event = payloads.read_event(kind, payload, received_at)
    if event.body:
        # A closed ticket; without an address it still counts in the ticket KPIs,
        # unsurveyed, when the rest of it is sound.
        surveyed = event.outcome == "closure"
        closure, dropped, errors = lenient_closure(event.body, received_at, email_required=surveyed)
        if errors and surveyed:
            return Answer(422, "refused", "the ticket could not be accepted", errors=errors)
        if not errors:
            return store_closure(
                db, settings, integration_id, delivery_id, event, closure, dropped, received_at
            )
    # Skipped or ignored: listed on the page.
    write(db, lambda db: record_event(db, integration_id, delivery_id, event))
    return Answer(202, event.outcome, event.reason)
