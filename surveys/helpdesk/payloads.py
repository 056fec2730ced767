"""Help-desk integrations: how each help desk signs its webhooks and shapes a closed ticket.

Pure functions over headers, bodies and payloads; surveys.helpdesk.views.webhooks serves the
URL and surveys.helpdesk.integrations stores what they decide. Every kind reads its payload
into the body of POST /api/v1/tickets/closed (docs/api.md), which
`closures.parse_closure` then validates.
"""

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from surveys import clock

KINDS = ("zendesk", "chatwoot", "freshdesk", "generic")
KIND_LABELS = {
    "zendesk": "Zendesk",
    "chatwoot": "Chatwoot",
    "freshdesk": "Freshdesk",
    "generic": "Generic (Puas API, signed)",
}
# A signed timestamp further than this from our clock (either way) is refused: an old
# request replayed, or a clock that needs fixing.
TOLERANCE = timedelta(minutes=5)
SECRET_BYTES = 32
# A secret pasted from a help desk: printable ASCII without spaces.
SECRET_PATTERN = re.compile(r"[!-~]{16,200}")
# A body without its own closing time is dated when it arrives. The same ticket closed up
# to this long before its arrival, reported again (Freshdesk retries after 5, 30 and 60
# minutes) or arriving another way (a CSV export with its real resolution time), is the
# same closure: whichever arrives first is kept.
ARRIVAL_WINDOW = timedelta(hours=24)
# Freshdesk does not sign: it sends this header with the secret, set in its automation.
FRESHDESK_SECRET_HEADER = "X-Puas-Secret"
# The generic API signs like Chatwoot: sha256= + hex HMAC of "{timestamp}.{body}".
GENERIC_SIGNATURE_HEADER = "X-Puas-Signature"
GENERIC_TIMESTAMP_HEADER = "X-Puas-Timestamp"
# The header naming one delivery, kept the same when the help desk retries it.
DELIVERY_HEADERS = {
    "zendesk": "X-Zendesk-Webhook-Invocation-Id",
    "chatwoot": "X-Chatwoot-Delivery",
    "generic": "X-Puas-Delivery",
}
CLOSURE_FIELDS = (
    "ticket_id",
    "closed_at",
    "customer",
    "agent",
    "team",
    "channel",
    "opened_at",
    "first_response_at",
    "contacts",
    "escalated",
    "reopened",
    "handle_seconds",
)
REQUIRED_FIELDS = {"ticket_id", "closed_at", "customer", "customer.email"}
ZENDESK_SOLVED = {"solved", "closed"}
FRESHDESK_RESOLVED = {"resolved", "closed", "4", "5"}  # Freshdesk's names, or its codes

# The JSON bodies to paste into the help desk; docs/api.md shows the same.
ZENDESK_BODY = """{
  "ticket_id": "{{ticket.id}}",
  "status": "{{ticket.status}}",
  "closed_at": "{{ticket.updated_at_with_timestamp}}",
  "opened_at": "{{ticket.created_at_with_timestamp}}",
  "customer": {"email": "{{ticket.requester.email}}", "name": "{{ticket.requester.name}}",
               "locale": "{{ticket.requester.locale}}"},
  "agent": {"email": "{{ticket.assignee.email}}", "name": "{{ticket.assignee.name}}"},
  "team": "{{ticket.group.name}}",
  "channel": "{{ticket.via}}"
}"""
FRESHDESK_BODY = """{
  "ticket_id": "{{ticket.id}}",
  "status": "{{ticket.status}}",
  "customer": {"email": "{{ticket.requester.email}}", "name": "{{ticket.requester.name}}"},
  "agent": {"email": "{{ticket.agent.email}}", "name": "{{ticket.agent.name}}"},
  "team": "{{ticket.group.name}}",
  "channel": "email"
}"""


class SignatureError(Exception):
    """The request is not from the integration's help desk (answered 401)."""


@dataclass
class Event:
    """What a webhook delivery asks for.

    outcome is "closure" (body holds a closure body as docs/api.md gives it), "skipped" (a
    closed ticket Puas cannot survey; reason says why; body, when there is one, is stored
    unsurveyed) or "ignored" (not a closed ticket).
    """

    outcome: str
    name: str | None = None
    body: dict = field(default_factory=dict)
    reason: str | None = None
    ticket_ref: str | None = None
    closed_at_known: bool = True


def make_secret():
    """A new integration secret: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(SECRET_BYTES)


# Signatures


def _same(expected, given):
    """Constant-time comparison of two header values (headers arrive as latin-1 text)."""
    return hmac.compare_digest(expected.encode("latin-1"), given.encode("latin-1"))


def _hmac(secret, message):
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _fresh(instant, now):
    if abs(now - instant) > TOLERANCE:
        raise SignatureError("the signed timestamp is more than 5 minutes from now")


def _unix_instant(text):
    if not text or not text.isascii() or not text.isdigit() or len(text) > 12:
        raise SignatureError("the timestamp header must be whole seconds since 1970")
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise SignatureError("the signed timestamp is more than 5 minutes from now") from error


def sign_hex(secret, timestamp, body):
    """sha256= and the hex HMAC-SHA256 of "{timestamp}.{body}" (Chatwoot, generic)."""
    return (
        "sha256="
        + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    )


def verify(kind, secret, headers, body, now=None):
    """Raise SignatureError unless the request carries the integration's valid signature."""
    now = now or clock.now()
    if kind == "zendesk":
        signature = headers.get("X-Zendesk-Webhook-Signature", "")
        timestamp = headers.get("X-Zendesk-Webhook-Signature-Timestamp", "")
        if not signature or not timestamp:
            raise SignatureError("the Zendesk signature headers are missing")
        expected = base64.b64encode(_hmac(secret, timestamp.encode("latin-1") + body)).decode()
        if not _same(expected, signature):
            raise SignatureError("the signature does not match")
        try:
            _fresh(clock.parse_offset_datetime(timestamp), now)
        except ValueError as error:
            raise SignatureError("the signature timestamp is not a date and time") from error
    elif kind in ("chatwoot", "generic"):
        names = (
            ("X-Chatwoot-Signature", "X-Chatwoot-Timestamp")
            if kind == "chatwoot"
            else (GENERIC_SIGNATURE_HEADER, GENERIC_TIMESTAMP_HEADER)
        )
        signature, timestamp = (headers.get(name, "") for name in names)
        if not signature or not timestamp:
            raise SignatureError(f"the {names[0]} and {names[1]} headers are required")
        if not _same(sign_hex(secret, timestamp, body), signature):
            raise SignatureError("the signature does not match")
        _fresh(_unix_instant(timestamp), now)
    elif kind == "freshdesk":
        if not _same(secret, headers.get(FRESHDESK_SECRET_HEADER, "")):
            raise SignatureError(f"the {FRESHDESK_SECRET_HEADER} header does not match")
    else:
        raise ValueError(f"unknown integration kind {kind!r}")


# Payloads


def _blank_to_none(value, depth=0):
    """Placeholders a help desk could not fill arrive as empty text: read them as absent.

    Only the body and its objects (customer, agent) are read: deeper values are left for
    parse_closure to refuse.
    """
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict) and depth < 2:
        return {key: _blank_to_none(item, depth + 1) for key, item in value.items()}
    return value


def _label(value, length=200):
    """Text from a delivery kept for the page: printable, at most `length` characters."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = "".join(
        character
        for character in str(value)
        if character.isprintable() and unicodedata.category(character) != "Cf"
    )
    return text.strip()[:length] or None


def _instant(value):
    """An ISO 8601 text as is, or Unix seconds (Chatwoot) as ISO 8601; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return "not a time"  # parse_closure names the field
    return value if isinstance(value, str) else None


def _object(value):
    return value if isinstance(value, dict) else {}


def _closure_event(name, body, received_at):
    """A closure, or a skip (still carrying the closure) when the help desk sent no address
    to survey."""
    body = _blank_to_none({key: body.get(key) for key in CLOSURE_FIELDS if key in body})
    ticket_ref = _label(body.get("ticket_id"))
    closed_at_known = body.get("closed_at") is not None
    if not closed_at_known:  # no placeholder for it: the closure is when we hear of it
        body["closed_at"] = clock.to_iso(received_at)
    customer = body.get("customer")
    if (customer is None or isinstance(customer, dict)) and not _object(customer).get("email"):
        return Event(
            "skipped",
            name,
            body=body,
            reason="no email",
            ticket_ref=ticket_ref,
            closed_at_known=closed_at_known,
        )
    return Event("closure", name, body=body, ticket_ref=ticket_ref, closed_at_known=closed_at_known)


def read_zendesk(payload, received_at):
    """A trigger's body (ZENDESK_BODY), or an event-subscribed webhook's envelope."""
    event_type = payload.get("type")
    if isinstance(event_type, str) and event_type.startswith("zen:event-type:"):
        # Event webhooks carry ids only: no requester address to survey.
        event_type = _label(event_type, 80)
        current = str(_object(payload.get("event")).get("current", "")).lower()
        ticket_ref = _label(_object(payload.get("detail")).get("id"))
        if event_type == "zen:event-type:ticket.status_changed" and current in ZENDESK_SOLVED:
            return Event("skipped", event_type, reason="no email", ticket_ref=ticket_ref)
        return Event("ignored", event_type, reason="not a solved ticket")
    status = payload.get("status")
    if isinstance(status, str):
        status = status.strip() or None  # an empty placeholder: no status given
    if status is not None and (not isinstance(status, str) or status.lower() not in ZENDESK_SOLVED):
        return Event("ignored", "trigger", reason=f"status {_label(status, 40)}")
    return _closure_event("trigger", payload, received_at)


def read_chatwoot(payload, received_at):
    """conversation_status_changed to resolved, or the older conversation_resolved."""
    name = _label(payload.get("event"), 60)
    resolved = name == "conversation_resolved" or (
        name == "conversation_status_changed" and payload.get("status") == "resolved"
    )
    if not resolved:
        return Event("ignored", name, reason="not a resolved conversation")
    meta = _object(payload.get("meta"))
    sender, assignee = _object(meta.get("sender")), _object(meta.get("assignee"))
    channel = payload.get("channel")
    if isinstance(channel, str):
        channel = channel.removeprefix("Channel::")  # "Channel::WebWidget" → "WebWidget"
    body = {
        # display_id is the number agents see; id is internal
        "ticket_id": payload.get("display_id") or payload.get("id"),
        "closed_at": _instant(payload.get("timestamp")),  # last activity: the resolution
        "customer": {"email": sender.get("email"), "name": sender.get("name")},
        "agent": {"email": assignee.get("email"), "name": assignee.get("name")},
        "team": _object(meta.get("team")).get("name"),
        "channel": channel,
        "opened_at": _instant(payload.get("created_at")),
        "first_response_at": _instant(payload.get("first_reply_created_at")),
    }
    return _closure_event(name, body, received_at)


def read_freshdesk(payload, received_at):
    """An automation's body (FRESHDESK_BODY): acted on when the status is resolved or closed."""
    status = payload.get("status")
    status = str(status).strip().lower() if isinstance(status, str | int) else ""
    if status and status not in FRESHDESK_RESOLVED:
        return Event("ignored", "automation", reason=f"status {_label(status, 40)}")
    return _closure_event("automation", payload, received_at)


def read_generic(payload, received_at):
    """The body of POST /api/v1/tickets/closed (docs/api.md)."""
    event = _closure_event("ticket.closed", payload, received_at)
    if event.body and not event.closed_at_known:
        del event.body["closed_at"]  # required here: parse_closure says so
    return event


READERS = {
    "zendesk": read_zendesk,
    "chatwoot": read_chatwoot,
    "freshdesk": read_freshdesk,
    "generic": read_generic,
}


def read_event(kind, payload, received_at):
    """What a verified delivery asks for, as an Event."""
    if not isinstance(payload, dict):
        return Event("ignored", None, reason="the body is not a JSON object")
    return READERS[kind](payload, received_at)


def optional_errors_only(errors):
    """True when every field error concerns an optional field (help desks fill those
    loosely; the closure is still worth a survey without them)."""
    return not REQUIRED_FIELDS & set(errors)


def without_fields(body, names):
    """The body without the named fields (dotted names reach into objects)."""
    body = {key: dict(value) if isinstance(value, dict) else value for key, value in body.items()}
    for name in names:
        outer, _, inner = name.partition(".")
        if inner and isinstance(body.get(outer), dict):
            body[outer].pop(inner, None)
        else:
            body.pop(outer, None)
    return body
