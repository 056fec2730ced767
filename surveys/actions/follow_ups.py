"""Follow-ups of alerting answers: the list and its filters, one follow-up with the customer's
earlier tickets and its history, saving a change made on the version it was loaded at
(read from its form by surveys.actions.follow_up_forms), the API's rows, and the
dashboard's figures.

A follow-up is opened by surveys.actions.alerts as the alerting answer is saved. `version`
grows with every change (a save, or the customer changing the answer), and a save made on
an older version is refused whole (StaleFollowUp, 409).
"""

import statistics
from dataclasses import dataclass

from surveys import clock
from surveys.actions.alerts import SCORE_RULES, add_event
from surveys.customers.personal_data import ERASED_EVENT
from surveys.fields import read_flag
from surveys.helpdesk.ticket_links import with_ticket_urls
from surveys.store.db import immediate

STATUSES = ("open", "contacted", "closed")
OUTCOMES = ("resolved", "not_resolved", "no_reply")
NOTES_MAX_LENGTH = 5000
LISTED = 200  # the list shows the newest this many
EARLIER_SHOWN = 20
ERASED_LINE = "This line was removed when the customer's personal data was erased."

# Everything a page, a mail or the API says about a follow-up. Starts at the follow-ups
# (their ids or their responses), so each join is by a primary key or a unique index.
FOLLOW_UP_SELECT = """
SELECT follow_ups.id, follow_ups.opened_at, follow_ups.due_at, follow_ups.status,
       follow_ups.outcome, follow_ups.notes, follow_ups.first_contact_at,
       follow_ups.closed_at, follow_ups.version, follow_ups.owner_id,
       owners.email AS owner, owners.name AS owner_name,
       responses.csat, responses.ces, responses.nps, responses.comment,
       responses.contact_ok, responses.updated_at AS answered_at,
       tickets.id AS ticket_row_id, tickets.ticket_ref AS ticket_id, tickets.source,
       tickets.customer_email, tickets.customer_name, tickets.closed_at AS ticket_closed_at,
       invitations.closed_day, invitations.channel,
       coalesce(agents.email, agents.name) AS agent, agents.name AS agent_name,
       teams.name AS team
  FROM follow_ups
  JOIN responses ON responses.id = follow_ups.response_id
  JOIN invitations ON invitations.id = responses.invitation_id
  JOIN tickets ON tickets.id = invitations.ticket_id
  LEFT JOIN agents ON agents.id = invitations.agent_id
  LEFT JOIN teams ON teams.id = invitations.team_id
  LEFT JOIN users AS owners ON owners.id = follow_ups.owner_id
"""

# The list: newest first, narrowed by the filters (each a fixed condition, values bound).
LIST_SQL = FOLLOW_UP_SELECT + " WHERE 1 = 1 {filters} ORDER BY follow_ups.id DESC LIMIT :limit"
LIST_FILTERS = {
    "mine": "AND follow_ups.owner_id = :user_id",
    "overdue": "AND follow_ups.status = 'open' AND follow_ups.due_at < :now",
    "status": "AND follow_ups.status = :status",
    "team": "AND invitations.team_id IN (SELECT id FROM teams WHERE name = :team)",
}

# The API and the dashboard select by the ticket's closing day, like every report: from
# the invitations' closing-day index to their responses and follow-ups.
RANGE_SQL = """
SELECT follow_ups.id FROM invitations
  JOIN responses ON responses.invitation_id = invitations.id
  JOIN follow_ups ON follow_ups.response_id = responses.id
 WHERE invitations.closed_day BETWEEN :from_day AND :to_day {filters}
"""
API_SQL = (
    FOLLOW_UP_SELECT
    + " WHERE follow_ups.id IN ("
    + RANGE_SQL
    + ") {conditions} ORDER BY follow_ups.id"
)
FIGURES_SQL = """
SELECT follow_ups.status, follow_ups.opened_at, follow_ups.first_contact_at
  FROM invitations
  JOIN responses ON responses.invitation_id = invitations.id
  JOIN follow_ups ON follow_ups.response_id = responses.id
 WHERE invitations.closed_day BETWEEN :from_day AND :to_day {filters}
"""
API_FIELDS = (
    "id",
    "ticket_id",
    "customer_email",
    "agent",
    "agent_name",
    "team",
    "csat",
    "ces",
    "nps",
    "comment",
    "consent",
    "status",
    "outcome",
    "owner",
    "opened_at",
    "due_at",
    "first_contact_at",
    "closed_at",
)


class StaleFollowUp(Exception):
    """The follow-up changed after the page that saves it was loaded."""


class FollowUpError(ValueError):
    """A change to a follow-up Puas refuses: `errors` holds a message per field."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{name} {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ListFilters:
    """The list's filters: only mine, only overdue (open past due), a status, a team."""

    mine: bool = False
    overdue: bool = False
    status: str | None = None
    team: str | None = None


def read_status(args, errors):
    """A status filter: one of STATUSES, or none."""
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        errors["status"] = f"must be one of {', '.join(STATUSES)}"
    return status


def read_filters(args):
    """The list's filters from the query string; FollowUpError naming each bad one."""
    errors = {}
    filters = ListFilters(
        mine=read_flag(args, "mine", errors),
        overdue=read_flag(args, "overdue", errors),
        status=read_status(args, errors),
        team=(args.get("team") or "").strip() or None,
    )
    if errors:
        raise FollowUpError(errors)
    return filters


def list_follow_ups(db, filters, user_id, now, limit=LISTED):
    """The newest follow-ups the filters keep (at most `limit`), with ticket links."""
    conditions = [
        LIST_FILTERS[name]
        for name, on in (
            ("mine", filters.mine),
            ("overdue", filters.overdue),
            ("status", filters.status),
            ("team", filters.team),
        )
        if on
    ]
    params = {
        "user_id": user_id,
        "now": clock.to_iso(now),
        "status": filters.status,
        "team": filters.team,
        "limit": int(limit),
    }
    rows = list(db.query(LIST_SQL.format(filters=" ".join(conditions)), params))
    return with_ticket_urls(db, [mark_overdue(row, now) for row in rows])


def mark_overdue(row, now):
    """The row with `overdue`: still open after it fell due."""
    row["overdue"] = row["status"] == "open" and row["due_at"] < clock.to_iso(now)
    return row


def find_follow_up(db, follow_up_id, now):
    """One follow-up with its answer, ticket (and link), agent and team; None if none."""
    rows = list(db.query(FOLLOW_UP_SELECT + " WHERE follow_ups.id = ?", [follow_up_id]))
    if not rows:
        return None
    return with_ticket_urls(db, [mark_overdue(rows[0], now)])[0]


def earlier_tickets(db, follow_up):
    """The customer's tickets closed before this one, newest first, with their answers;
    none once the address is erased, as every erased customer's tickets carry the same
    empty address and would show each other's."""
    if not follow_up["customer_email"]:
        return []
    rows = db.query(
        """SELECT tickets.ticket_ref AS ticket_id, tickets.source, tickets.closed_at,
                  teams.name AS team, agents.name AS agent_name,
                  coalesce(agents.email, agents.name) AS agent,
                  responses.csat, responses.ces, responses.nps, responses.comment
             FROM tickets
             LEFT JOIN invitations ON invitations.ticket_id = tickets.id
             LEFT JOIN responses ON responses.invitation_id = invitations.id
             LEFT JOIN agents ON agents.id = tickets.agent_id
             LEFT JOIN teams ON teams.id = tickets.team_id
            WHERE tickets.customer_email = ? AND tickets.closed_at < ?
            ORDER BY tickets.closed_at DESC LIMIT ?""",
        [follow_up["customer_email"], follow_up["ticket_closed_at"], EARLIER_SHOWN],
    )
    return with_ticket_urls(db, list(rows))


def history(db, follow_up_id):
    """What happened to a follow-up, oldest first, each by the person's name and email; a
    line erased with the customer's data reads as a sentence, not the marker stored."""
    rows = db.query(
        """SELECT follow_up_events.at, follow_up_events.what,
                  users.name AS by_name, users.email AS by_email
             FROM follow_up_events LEFT JOIN users ON users.id = follow_up_events.by_user_id
            WHERE follow_up_events.follow_up_id = ? ORDER BY follow_up_events.id""",
        [follow_up_id],
    )
    return [
        dict(row, what=ERASED_LINE if row["what"] == ERASED_EVENT else row["what"]) for row in rows
    ]


# Saving a change (read from the form by surveys.actions.follow_up_forms)


def save_follow_up(db, follow_up_id, update, user_id, now):
    """Apply a change made on version `update["version"]`, with a line of history;
    StaleFollowUp (nothing stored) when the follow-up changed since; False when the
    change changes nothing."""
    stamp = clock.to_iso(now)
    with immediate(db):
        current = next(
            db.query(
                "SELECT status, outcome, notes, owner_id, version FROM follow_ups WHERE id = ?",
                [follow_up_id],
            )
        )
        if current["version"] != update["version"]:
            raise StaleFollowUp()
        what = describe_changes(db, current, update)
        if not what:
            return False
        moved_on = update["status"] != "open"
        db.execute(
            """UPDATE follow_ups SET status = :status, outcome = :outcome, notes = :notes,
                   owner_id = :owner_id, version = version + 1, updated_at = :now,
                   first_contact_at = CASE WHEN :moved_on THEN coalesce(first_contact_at, :now)
                                      ELSE first_contact_at END,
                   closed_at = CASE WHEN :status = 'closed' THEN coalesce(closed_at, :now) END
             WHERE id = :id AND version = :version""",
            {**update, "now": stamp, "moved_on": int(moved_on), "id": follow_up_id},
        )
        add_event(db, follow_up_id, stamp, user_id, what)
    return True


def describe_changes(db, current, update):
    """The history's line for a change ('status open → contacted; notes changed'), or ''."""
    parts = []
    for name in ("status", "outcome"):
        if current[name] != update[name]:
            parts.append(f"{name} {current[name] or 'none'} → {update[name] or 'none'}")
    if current["owner_id"] != update["owner_id"]:
        parts.append(f"owner {person(db, current['owner_id'])} → {person(db, update['owner_id'])}")
    if current["notes"] != update["notes"]:
        parts.append("notes changed" if update["notes"] else "notes removed")
    return "; ".join(parts)


def person(db, user_id):
    """A person as the history names them: 'Name (email)', or 'nobody'."""
    if user_id is None:
        return "nobody"
    name, email = db.execute("SELECT name, email FROM users WHERE id = ?", [user_id]).fetchone()
    return f"{name} ({email})" if name else email


# The API and the dashboard


def read_api_filters(args):
    """(status, overdue) for the API besides the report range; FollowUpError naming each."""
    errors = {}
    status = read_status(args, errors)
    overdue = read_flag(args, "overdue", errors)
    if errors:
        raise FollowUpError(errors)
    return status, overdue


def api_rows(db, report_range, status, overdue, now):
    """The follow-ups of answers to tickets closed in range (narrowed like every report),
    by status and overdue, oldest first, each with exactly API_FIELDS."""
    filters, params = report_range.filter_sql("invitations")
    conditions = []
    if status:
        conditions.append(LIST_FILTERS["status"])
    if overdue:
        conditions.append(LIST_FILTERS["overdue"])
    params.update(
        from_day=report_range.from_day.isoformat(),
        to_day=report_range.to_day.isoformat(),
        status=status,
        now=clock.to_iso(now),
    )
    sql = API_SQL.format(filters=filters, conditions=" ".join(conditions))
    return [api_row(row) for row in db.query(sql, params)]


def api_row(row):
    """One follow-up as the API answers it."""
    row = dict(row, consent=bool(row["contact_ok"]))
    return {name: row[name] for name in API_FIELDS}


def follow_up_figures(db, report_range):
    """The dashboard's follow-up figures for the answers to tickets closed in range."""
    filters, params = report_range.filter_sql("invitations")
    params.update(
        from_day=report_range.from_day.isoformat(), to_day=report_range.to_day.isoformat()
    )
    rows = db.query(FIGURES_SQL.format(filters=filters), params)
    return summarise(
        [
            (
                row["status"],
                clock.from_iso(row["opened_at"]),
                clock.from_iso(row["first_contact_at"]) if row["first_contact_at"] else None,
            )
            for row in rows
        ]
    )


def summarise(follow_ups):
    """From (status, opened, first contact or None) of each follow-up: how many alerting
    answers, how many followed up (no longer open) and their share in %, and the median
    hours from opening to the first move out of open (over those that moved)."""
    alerting = len(follow_ups)
    followed_up = sum(1 for status, _, _ in follow_ups if status != "open")
    hours = [
        (first_contact - opened).total_seconds() / 3600
        for _, opened, first_contact in follow_ups
        if first_contact is not None
    ]
    return {
        "alerting": alerting,
        "followed_up": followed_up,
        "followed_up_pct": 100 * followed_up / alerting if alerting else None,
        "median_hours": statistics.median(hours) if hours else None,
        "moved": len(hours),
    }


def score_line(row):
    """The scores of an answer, as a line: 'CSAT 1 of 5, NPS 3 of 10' (skipped left out)."""
    return ", ".join(
        f"{rule.label} {row[rule.score]} of {rule.scale[-1]}"
        for rule in SCORE_RULES
        if row[rule.score] is not None
    )
