"""Closed tickets: validate what a help desk reports, then store the closure and its invitation.

`parse_closure` is pure (a dict in, a Closure or field errors out); `record_closure`
writes the closure, its invitation and the outbox row in one transaction, following the
distribution rules (surveys.customers.distribution) in force.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from surveys import clock
from surveys.customers.distribution import current_rules, recent_invitations, sampled_in
from surveys.customers.suppression import address_suppression
from surveys.helpdesk.agents import agent_id_for, team_id_for
from surveys.store.db import write
from surveys.text import blank, clean_email, clean_text

MAX_TEXT = 200
LOCALE_PATTERN = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}")
# A closure dated well past now is a clock or mapping mistake at the help desk.
FUTURE_TOLERANCE = timedelta(minutes=5)
# The longest handle time a closure may carry: 30 days of work on one ticket is a unit
# mistake (milliseconds sent as seconds), not a figure to average.
MAX_HANDLE_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Closure:
    """One ticket closure, validated and normalised (times in UTC).

    The API requires `customer_email`; another source may leave it None, and the closure
    is then stored without an invitation (reason no_email).
    """

    ticket_ref: str
    closed_at: object
    customer_email: str | None
    customer_name: str | None = None
    customer_locale: str | None = None
    agent_email: str | None = None
    agent_name: str | None = None
    team: str | None = None
    channel: str | None = None
    opened_at: object = None
    first_response_at: object = None
    contacts: int | None = None
    escalated: bool | None = None
    reopened: bool | None = None
    handle_seconds: int | None = None
    # The help desk sent no closing time: closed_at is when the closure arrived.
    dated_on_arrival: bool = False


def _text(value, field, errors, required=False, max_length=MAX_TEXT):
    """A trimmed string without control characters, or None (blank, or nothing shows)."""
    try:
        text = "" if value is None else clean_text(value, max_length)
    except ValueError as error:
        errors[field] = str(error)
        return None
    if not text:
        if required:
            errors[field] = "is required"
        return None
    return text


def _email(value, field, errors, required=False):
    """A syntactically valid address, lower-cased; no DNS lookups."""
    if value is None or (isinstance(value, str) and blank(value)):
        if required:
            errors[field] = "is required"
        return None
    if not isinstance(value, str):
        errors[field] = "must be an email address as text"
        return None
    try:
        return clean_email(value)
    except ValueError as error:
        errors[field] = str(error)
        return None


def _instant(value, field, errors, required=False):
    if value is None:
        if required:
            errors[field] = "is required"
        return None
    try:
        return clock.parse_offset_datetime(value)
    except ValueError as error:
        errors[field] = str(error)
        return None


def _boolean(value, field, errors):
    if value is None or isinstance(value, bool):
        return value
    errors[field] = "must be true or false"
    return None


def _count(value, field, errors):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        errors[field] = "must be a whole number from 0 to 10000"
        return None
    return value


def _handle_seconds(value, errors):
    """The time agents spent on the ticket, whole seconds from 0 to MAX_HANDLE_SECONDS."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= MAX_HANDLE_SECONDS
    ):
        errors["handle_seconds"] = (
            f"must be a whole number of seconds from 0 to {MAX_HANDLE_SECONDS}"
        )
        return None
    return value


def parse_closure(payload, now=None, email_required=True):  # noqa: C901 (one check per field)
    """Validate a ticket-closed body (docs/api.md); returns (Closure, {}) or (None, errors).

    Without `email_required` (a help desk's webhook for a chat visitor, say) the customer
    and their address may be missing: the closure then counts in ticket KPIs, unsurveyed.
    """
    if not isinstance(payload, dict):
        return None, {"body": "must be a JSON object"}
    errors = {}
    ticket_id = payload.get("ticket_id")
    if isinstance(ticket_id, int) and not isinstance(ticket_id, bool):
        ticket_id = str(ticket_id)  # many help desks number their tickets
    ticket_ref = _text(ticket_id, "ticket_id", errors, required=True)
    closed_at = _instant(payload.get("closed_at"), "closed_at", errors, required=True)

    customer = payload.get("customer")
    customer_email = customer_name = customer_locale = None
    if customer is None and not email_required:
        pass
    elif not isinstance(customer, dict):
        errors["customer"] = (
            "is required" if customer is None else "must be an object with an email"
        )
    else:
        customer_email = _email(
            customer.get("email"), "customer.email", errors, required=email_required
        )
        customer_name = _text(customer.get("name"), "customer.name", errors)
        customer_locale = _text(customer.get("locale"), "customer.locale", errors, max_length=35)
        if customer_locale and not LOCALE_PATTERN.fullmatch(customer_locale):
            errors["customer.locale"] = "must be a language tag such as en or id-ID"

    agent = payload.get("agent")
    agent_email = agent_name = None
    if isinstance(agent, str):
        if "@" in agent:
            agent_email = _email(agent, "agent", errors)
        else:
            agent_name = _text(agent, "agent", errors)
    elif isinstance(agent, dict):
        agent_email = _email(agent.get("email"), "agent.email", errors)
        agent_name = _text(agent.get("name"), "agent.name", errors)
    elif agent is not None:
        errors["agent"] = "must be an object with email and name, or a string"

    team = _text(payload.get("team"), "team", errors, max_length=100)
    channel = _text(payload.get("channel"), "channel", errors, max_length=50)
    opened_at = _instant(payload.get("opened_at"), "opened_at", errors)
    first_response_at = _instant(payload.get("first_response_at"), "first_response_at", errors)
    contacts = _count(payload.get("contacts"), "contacts", errors)
    escalated = _boolean(payload.get("escalated"), "escalated", errors)
    reopened = _boolean(payload.get("reopened"), "reopened", errors)
    handle_seconds = _handle_seconds(payload.get("handle_seconds"), errors)

    now = now or clock.now()
    if closed_at and closed_at > now + FUTURE_TOLERANCE:
        errors["closed_at"] = "is in the future"
    if closed_at and opened_at and opened_at > closed_at:
        errors["opened_at"] = "must not be after closed_at"
    if first_response_at and opened_at and first_response_at < opened_at:
        errors["first_response_at"] = "must not be before opened_at"
    if first_response_at and closed_at and first_response_at > closed_at:
        errors["first_response_at"] = "must not be after closed_at"
    if errors:
        return None, errors
    return Closure(
        ticket_ref=ticket_ref,
        closed_at=closed_at,
        customer_email=customer_email,
        customer_name=customer_name,
        customer_locale=customer_locale,
        agent_email=agent_email,
        agent_name=agent_name,
        team=team,
        channel=channel,
        opened_at=opened_at,
        first_response_at=first_response_at,
        contacts=contacts,
        escalated=escalated,
        reopened=reopened,
        handle_seconds=handle_seconds,
    ), {}


def _optional_iso(instant):
    return clock.to_iso(instant) if instant else None


def _flag(value):
    return None if value is None else int(value)


# The functions below run under the write lock, where every millisecond is one that other
# writers wait for: reads use db.execute() directly, because db.query() wraps each read
# in a SAVEPOINT of its own.


def invitation_result(db, ticket_id):
    """What the API answers about a stored closure: its invitation, or why none was sent."""
    row = next(
        db.query(
            """SELECT tickets.ticket_ref, tickets.closed_at, invitations.id, invitations.status,
                  invitations.reason, invitations.send_at, invitations.sent_at
             FROM tickets JOIN invitations ON invitations.ticket_id = tickets.id
            WHERE tickets.id = ?""",
            [ticket_id],
        )
    )
    return result_body(row["ticket_ref"], row["closed_at"], row)


def result_body(ticket_ref, closed_at, invitation):
    """The API's answer about a closure (docs/api.md)."""
    return {
        "ticket_id": ticket_ref,
        "closed_at": closed_at,
        "invitation": {
            key: invitation[key] for key in ("id", "status", "reason", "send_at", "sent_at")
        },
    }


def find_closure(db, source, ticket_ref, closed_at):
    """The ticket id of a stored closure, or None."""
    row = db.execute(
        "SELECT id FROM tickets WHERE source = ? AND ticket_ref = ? AND closed_at = ?",
        [source, ticket_ref, closed_at],
    ).fetchone()
    return row[0] if row else None


def address_reason(db, closure):
    """Why the closure's address must get no mail (no_email, unsubscribed, bounced), or None.

    Read before the write lock: an unsubscribe or bounce that lands after this read is
    still caught when the mail falls due (surveys.customers.outbox).
    """
    if not closure.customer_email:
        return "no_email"
    return address_suppression(db, closure.customer_email)


def suppression_reason(db, closure, send_at, rules, source="api"):
    """(reason, nps_asked): why this closure gets no invitation (None: it gets one), and
    whether its survey asks NPS. Checked inside the write lock, after address_reason.
    """
    surveyed, nps_asked_recently = recent_invitations(db, closure.customer_email, send_at, rules)
    if surveyed:
        return "throttled", False
    closure_key = f"{source}\n{closure.ticket_ref}\n{clock.to_iso(closure.closed_at)}"
    if not sampled_in(closure_key, rules.sample_rate_percent):
        return "sampled_out", False
    return None, not nps_asked_recently


def record_closure(db, closure, settings, source="api", suppress=None):
    """Store a closure and schedule its invitation; returns (result, created).

    The same closure (source, ticket reference, closing time) reported again returns the
    stored result with created False and writes nothing. `suppress`, a reason, stores the
    closure without surveying it (past tickets imported for reports).
    """
    now = clock.now()
    now_iso = clock.to_iso(now)
    closed_at = clock.to_iso(closure.closed_at)
    # Help desks retry: answer a closure seen before without taking the write lock.
    known = find_closure(db, source, closure.ticket_ref, closed_at)
    if known is not None:
        return invitation_result(db, known), False
    closed_day = clock.local_day(closure.closed_at, settings["TIMEZONE"])
    rules = current_rules(db, settings)
    send_at = max(now, closure.closed_at + timedelta(minutes=rules.send_delay_minutes))
    early_reason = suppress or address_reason(db, closure)
    # '' stands for no address: the columns are NOT NULL, and '' matches no customer.
    customer_email = closure.customer_email or ""

    def store(db):  # on the group writer's connection (surveys.store.db.write)
        agent_id = agent_id_for(db, closure.agent_email, closure.agent_name)
        team_id = team_id_for(db, closure.team)
        # The unique index on (source, ticket_ref, closed_at) settles a race with another
        # request for the same closure: the loser inserts nothing and answers as a repeat.
        inserted = db.execute(
            """INSERT INTO tickets (source, ticket_ref, closed_at, closed_day, opened_at,
                   first_response_at, customer_email, customer_name, customer_locale,
                   agent_id, team_id, channel, contacts, escalated, reopened, created_at,
                   dated_on_arrival, handle_seconds)
               VALUES (:source, :ticket_ref, :closed_at, :closed_day, :opened_at,
                   :first_response_at, :customer_email, :customer_name, :customer_locale,
                   :agent_id, :team_id, :channel, :contacts, :escalated, :reopened, :now,
                   :dated_on_arrival, :handle_seconds)
               ON CONFLICT (source, ticket_ref, closed_at) DO NOTHING""",
            {
                "source": source,
                "ticket_ref": closure.ticket_ref,
                "closed_at": closed_at,
                "closed_day": closed_day,
                "opened_at": _optional_iso(closure.opened_at),
                "first_response_at": _optional_iso(closure.first_response_at),
                "customer_email": customer_email,
                "customer_name": closure.customer_name,
                "customer_locale": closure.customer_locale,
                "agent_id": agent_id,
                "team_id": team_id,
                "channel": closure.channel,
                "contacts": closure.contacts,
                "escalated": _flag(closure.escalated),
                "reopened": _flag(closure.reopened),
                "now": now_iso,
                "dated_on_arrival": int(closure.dated_on_arrival),
                "handle_seconds": closure.handle_seconds,
            },
        )
        if not inserted.rowcount:
            raced = find_closure(db, source, closure.ticket_ref, closed_at)
            return invitation_result(db, raced), False
        ticket_id = inserted.lastrowid
        reason, nps_asked = early_reason, False
        if reason is None:
            reason, nps_asked = suppression_reason(db, closure, send_at, rules, source)
        invitation = {
            "status": "suppressed" if reason else "scheduled",
            "reason": reason,
            "send_at": None if reason else clock.to_iso(send_at),
            "sent_at": None,
        }
        invitation["id"] = db.execute(
            """INSERT INTO invitations (ticket_id, customer_email, agent_id, team_id, channel,
                   closed_day, status, reason, send_at, nps_asked, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                ticket_id,
                customer_email,
                agent_id,
                team_id,
                closure.channel,
                closed_day,
                invitation["status"],
                reason,
                invitation["send_at"],
                int(nps_asked),
                now_iso,
            ],
        ).lastrowid
        if not reason:
            db.execute(
                """INSERT INTO outbox (invitation_id, recipient, status, attempts,
                       next_attempt_at, created_at) VALUES (?, ?, 'pending', 0, ?, ?)""",
                [
                    invitation["id"],
                    closure.customer_email,
                    invitation["send_at"],
                    now_iso,
                ],
            )
        return result_body(closure.ticket_ref, closed_at, invitation), True

    return write(db, store)
