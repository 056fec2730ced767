"""Storing a batch of an import's closures in one write transaction (surveys.helpdesk.
import_stream): the "already stored" rules of an upload for the whole batch at once, then
unsurveyed closures a batch per statement.
"""

import json
from collections import defaultdict
from dataclasses import fields
from datetime import datetime
from typing import NamedTuple

from surveys import clock
from surveys.helpdesk.agents import agent_identity, agent_ids_for, team_ids_for
from surveys.helpdesk.closures import Closure
from surveys.helpdesk.imports import NOT_SURVEYED, SOURCE, reporting_sources
from surveys.helpdesk.payloads import ARRIVAL_WINDOW
from surveys.store.db import insert_rows

STORED_SQL = """SELECT source, ticket_ref, closed_at, dated_on_arrival FROM tickets
 WHERE source IN (SELECT value FROM json_each(?))
   AND ticket_ref IN (SELECT value FROM json_each(?))"""
# The write lock is held, so the tickets with an id above the largest before the batch's
# INSERT are the batch's: SQLite gives a new row the largest rowid plus one.
INVITATIONS_SQL = """INSERT INTO invitations (ticket_id, customer_email, agent_id, team_id,
       channel, closed_day, status, reason, send_at, nps_asked, created_at)
SELECT id, customer_email, agent_id, team_id, channel, closed_day, 'suppressed', ?, NULL,
       0, ?
  FROM tickets WHERE id > ? ORDER BY id"""


class Prepared(NamedTuple):
    """A valid closure with what tickets stores for it, worked out before the write lock:
    its closing time and day as stored, and the values of `closure_columns`."""

    closure: Closure
    closed_at: str
    closed_day: str
    values: tuple


def prepare(closure, timezone_name, ticket_fields):
    """The Prepared closure (`ticket_fields` from closure_columns)."""
    return Prepared(
        closure,
        clock.to_iso(closure.closed_at),
        clock.local_day(closure.closed_at, timezone_name),
        tuple([_column_value(getattr(closure, name)) for name in ticket_fields]),
    )


def not_stored(db, prepared):
    """The Prepared closures neither stored already (by this source or by one that
    reports closures as they happen, imports.stored_elsewhere's rules) nor met earlier
    in the batch. Run inside the write transaction."""
    sources = reporting_sources(db)
    stored = defaultdict(list)
    references = json.dumps(sorted({row.closure.ticket_ref for row in prepared}))
    for source, ticket_ref, closed_at, dated_on_arrival in db.execute(
        STORED_SQL, [json.dumps([SOURCE, *sources]), references]
    ):
        stored[ticket_ref].append((source, closed_at, dated_on_arrival))
    new, seen = [], set()
    for row in prepared:
        key = (row.closure.ticket_ref, row.closed_at)
        if key in seen or _stored_already(stored[key[0]], row.closure, row.closed_at):
            continue
        seen.add(key)
        new.append(row)
    return new


def _stored_already(stored, closure, closed_at):
    """True when one of the ticket's stored closures is this one: the same closing time,
    or (from a reporting source) one dated on its arrival up to ARRIVAL_WINDOW later."""
    if not stored:
        return False
    arrived_by = clock.to_iso(closure.closed_at + ARRIVAL_WINDOW)
    return any(
        stored_at == closed_at
        or (source != SOURCE and dated_on_arrival and closed_at <= stored_at <= arrived_by)
        for source, stored_at, dated_on_arrival in stored
    )


def closure_columns(db):
    """The closure's fields that tickets stores under the same name, so that a field
    added to both is imported as record_closure stores it."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(tickets)")}
    named = {"ticket_ref", "closed_at", "customer_email"}  # written explicitly below
    return tuple(
        field.name for field in fields(Closure) if field.name in columns and field.name not in named
    )


def _column_value(value):
    """A closure's value as tickets stores it: times as UTC text, flags as 0 or 1."""
    if isinstance(value, datetime):
        return clock.to_iso(value)
    if isinstance(value, bool):
        return int(value)
    return value


def store_unsurveyed(db, new, ticket_fields):
    """Insert the batch's new (Prepared) closures with invitations not sent
    (NOT_SURVEYED); returns how many. Run inside the write transaction."""
    if not new:
        return 0
    agent_ids = agent_ids_for(db, [row.closure for row in new])
    team_ids = team_ids_for(db, [row.closure for row in new])
    now = clock.to_iso(clock.now())
    columns = ("source", "ticket_ref", "closed_at", "closed_day", "customer_email",
               "agent_id", "team_id", "created_at", *ticket_fields)  # fmt: skip
    rows = (
        (
            SOURCE,
            closure.ticket_ref,
            closed_at,
            closed_day,
            closure.customer_email or "",  # '' stands for no address, as record_closure
            agent_ids.get(agent_identity(closure)),
            team_ids.get(closure.team),
            now,
            *values,
        )
        for closure, closed_at, closed_day, values in new
    )
    [largest_id] = db.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()
    insert_rows(db, "tickets", columns, rows)
    db.execute(INVITATIONS_SQL, [NOT_SURVEYED, now, largest_id])
    return len(new)
