"""Phone calls: validate what a phone system reports, then store the call once.

`parse_call` is pure (a dict in, a Call or field errors out); `record_call` stores it,
its agent and team resolved as a closure's are (surveys.helpdesk.closures). A call is
known by its call id: reported again (by the API or an import), the stored call is
answered and nothing is written, even when the new report differs. The first report
stands, as a closure's does; the answer shows what was kept.
"""

import json
from dataclasses import dataclass

from surveys import clock
from surveys.helpdesk.agents import agent_identity, agent_ids_for, team_ids_for
from surveys.helpdesk.closures import (
    FUTURE_TOLERANCE,
    _email,
    _instant,
    _text,
)
from surveys.store.db import immediate, insert_rows

OUTCOMES = ("answered", "abandoned", "failed")
DEFAULT_CHANNEL = "phone"
# The fields of a call body, in the order the API answers them.
FIELDS = ("call_id", "queued_at", "answered_at", "ended_at", "outcome", "agent", "team", "channel")


@dataclass(frozen=True)
class Call:
    """One call, validated and normalised (times in UTC)."""

    call_ref: str
    queued_at: object
    ended_at: object
    outcome: str
    answered_at: object = None
    agent_email: str | None = None
    agent_name: str | None = None
    team: str | None = None
    channel: str = DEFAULT_CHANNEL


def _agent(value, errors):
    """(email, name) of the agent: an object with email and name, or one string."""
    if value is None:
        return None, None
    if isinstance(value, str):
        if "@" in value:
            return _email(value, "agent", errors), None
        return None, _text(value, "agent", errors)
    if isinstance(value, dict):
        return (
            _email(value.get("email"), "agent.email", errors),
            _text(value.get("name"), "agent.name", errors),
        )
    errors["agent"] = "must be an object with email and name, or a string"
    return None, None


def _outcome(value, errors):
    if value is None:
        errors["outcome"] = "is required"
    elif value not in OUTCOMES:
        errors["outcome"] = f"must be one of {', '.join(OUTCOMES)}"
    else:
        return value
    return None


def _times_in_order(call, now, errors):
    """Refuse times out of order: queued ≤ answered ≤ ended, none in the future."""
    queued, answered, ended = (call.get(name) for name in ("queued_at", "answered_at", "ended_at"))
    for name in ("queued_at", "answered_at", "ended_at"):
        if call.get(name) and call[name] > now + FUTURE_TOLERANCE:
            errors[name] = "is in the future"
    if queued and answered and answered < queued:
        errors["answered_at"] = "must not be before queued_at"
    if ended and (answered or queued) and ended < (answered or queued):
        errors.setdefault(
            "ended_at",
            "must not be before answered_at" if answered else "must not be before queued_at",
        )


def _answer_matches_outcome(outcome, answered_at, errors):
    """An answered call has its answering time; an abandoned one (the caller hung up while
    waiting) has none; a failed one (dropped or unreachable) may have one."""
    if outcome == "answered" and answered_at is None and "answered_at" not in errors:
        errors["answered_at"] = "is required when the outcome is answered"
    if outcome == "abandoned" and answered_at is not None:
        errors["answered_at"] = "must be absent when the outcome is abandoned"


def parse_call(payload, now=None):
    """Validate a call body (docs/api.md); returns (Call, {}) or (None, errors)."""
    if not isinstance(payload, dict):
        return None, {"body": "must be a JSON object"}
    errors = {}
    call_id = payload.get("call_id")
    if isinstance(call_id, int) and not isinstance(call_id, bool):
        call_id = str(call_id)  # many phone systems number their calls
    values = {
        "call_ref": _text(call_id, "call_id", errors, required=True),
        "queued_at": _instant(payload.get("queued_at"), "queued_at", errors, required=True),
        "answered_at": _instant(payload.get("answered_at"), "answered_at", errors),
        "ended_at": _instant(payload.get("ended_at"), "ended_at", errors, required=True),
        "outcome": _outcome(payload.get("outcome"), errors),
        "team": _text(payload.get("team"), "team", errors, max_length=100),
        "channel": _text(payload.get("channel"), "channel", errors, max_length=50)
        or DEFAULT_CHANNEL,
    }
    values["agent_email"], values["agent_name"] = _agent(payload.get("agent"), errors)
    _answer_matches_outcome(values["outcome"], values["answered_at"], errors)
    _times_in_order(values, now or clock.now(), errors)
    if errors:
        return None, errors
    return Call(**values), {}


STORED_CALL_SQL = """
SELECT calls.call_ref, calls.queued_at, calls.answered_at, calls.ended_at, calls.outcome,
       coalesce(agents.email, agents.name) AS agent, teams.name AS team, calls.channel
  FROM calls LEFT JOIN agents ON agents.id = calls.agent_id
       LEFT JOIN teams ON teams.id = calls.team_id
 WHERE calls.call_ref = ?
"""


def stored_call(db, call_ref):
    """The stored call as the API answers it (docs/api.md), or None."""
    row = db.execute(STORED_CALL_SQL, [call_ref]).fetchone()
    if row is None:
        return None
    return dict(zip(FIELDS, row, strict=True))


def _optional_iso(instant):
    return clock.to_iso(instant) if instant else None


# The columns of a call as stored, in the order _values gives them.
COLUMNS = ("source", "call_ref", "queued_at", "queued_day", "answered_at", "ended_at",
           "outcome", "agent_id", "team_id", "channel", "created_at")  # fmt: skip


def insert_call(db, call, settings, source):
    """Insert a call under the write lock the caller holds; True when it is new."""
    return bool(insert_calls(db, [call], settings, source))


def insert_calls(db, calls, settings, source):
    """Insert a batch of calls under the write lock the caller holds, their agents and
    teams looked up once; returns how many are new. A call whose id is stored already, or
    met earlier in the batch, is left as it is, and adds no agent or team."""
    calls = _not_stored(db, calls)
    agent_ids = agent_ids_for(db, calls)
    team_ids = team_ids_for(db, calls)
    now = clock.to_iso(clock.now())
    rows = [_values(call, settings, source, agent_ids, team_ids, now) for call in calls]
    # None is stored (_not_stored, under the write lock), so each row is inserted.
    return insert_rows(db, "calls", COLUMNS, rows)


def _not_stored(db, calls):
    """The calls whose ids are neither stored nor met earlier in `calls`."""
    seen = {
        call_ref
        for (call_ref,) in db.execute(
            "SELECT call_ref FROM calls WHERE call_ref IN (SELECT value FROM json_each(?))",
            [json.dumps([call.call_ref for call in calls])],
        )
    }
    new = []
    for call in calls:
        if call.call_ref not in seen:
            seen.add(call.call_ref)
            new.append(call)
    return new


def _values(call, settings, source, agent_ids, team_ids, now):
    """A call's values for COLUMNS, its agent and team ids taken from the batch's."""
    return (
        source,
        call.call_ref,
        clock.to_iso(call.queued_at),
        clock.local_day(call.queued_at, settings["TIMEZONE"]),
        _optional_iso(call.answered_at),
        clock.to_iso(call.ended_at),
        call.outcome,
        agent_ids.get(agent_identity(call)),
        team_ids.get(call.team),
        call.channel,
        now,
    )


def record_call(db, call, settings, source="api"):
    """Store a call; returns (the stored call's API body, created).

    A call id seen before returns the stored call with created False and writes nothing.
    """
    # Phone systems retry: answer a call seen before without taking the write lock.
    known = stored_call(db, call.call_ref)
    if known is not None:
        return known, False
    with immediate(db):
        created = insert_call(db, call, settings, source)
    return stored_call(db, call.call_ref), created
