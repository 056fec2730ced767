"""A customer's personal data: everything Puas holds about an address, and erasing it.

Indonesia's personal data protection law (UU PDP 27/2022) and the GDPR give a customer the
right to a copy of their data and to its erasure. What Puas holds about a customer: their
address, name and language on tickets; the address on invitations and outbox entries (and
in an SMTP refusal kept there); their answers and comments; follow-ups about their answers;
the lines of imported CSV files that name them; the mail written to the mailbox folder; a
suppression, kept only as a hash.

Erasing removes the address, the name and the comments everywhere and keeps the scores, so
every report stays as it was. The suppression stays (as a hash) and is added when missing,
so the address is never surveyed again. The erasure is logged in `erasures` without the
address. No copy is left in the database files: every connection runs with
`secure_delete` on (SQLite overwrites what it deletes or overwrites with zeros), the
comments' search index is rewritten without the erased words, and after
an erasure a checkpoint copies the WAL into the database and truncates it, so no older page
image survives in `-wal` (`-shm` holds only an index of the WAL, never row content).
"""

import calendar
import json
import os
import time
from pathlib import Path

from surveys import clock
from surveys.customers.suppression import address_hash, suppress
from surveys.store import comment_index
from surveys.store.db import immediate

ERASED_EVENT = json.dumps({"erased": "personal data removed"})


def tickets_of(db, address):
    """The ids of the tickets that carry this address."""
    return [
        row[0]
        for row in db.execute(
            "SELECT id FROM tickets WHERE customer_email = ? ORDER BY id", [address]
        )
    ]


def choose_tickets(db, ticket_ids):
    """Put these ticket ids in this connection's temp.chosen table, which the statements
    below read (a table, not a list of ? in the SQL text, however many tickets)."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS chosen (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.chosen")
    db.conn.executemany(
        "INSERT INTO temp.chosen (id) VALUES (?)", [(ticket_id,) for ticket_id in ticket_ids]
    )


CHOSEN_INVITATIONS = "SELECT id FROM invitations WHERE ticket_id IN (SELECT id FROM temp.chosen)"
CHOSEN_RESPONSES = (
    "SELECT id FROM responses WHERE invitation_id IN "
    "(SELECT id FROM invitations WHERE ticket_id IN (SELECT id FROM temp.chosen))"
)
CHOSEN_FOLLOW_UPS = (
    "SELECT follow_ups.id FROM follow_ups JOIN responses ON responses.id = follow_ups.response_id"
    " JOIN invitations ON invitations.id = responses.invitation_id"
    " WHERE invitations.ticket_id IN (SELECT id FROM temp.chosen)"
)
EXPORTED = {
    "tickets": """SELECT tickets.ticket_ref, tickets.source, tickets.closed_at,
            tickets.opened_at, tickets.first_response_at, tickets.customer_email,
            tickets.customer_name, tickets.customer_locale, tickets.channel,
            coalesce(agents.name, agents.email) AS agent, teams.name AS team
          FROM tickets LEFT JOIN agents ON agents.id = tickets.agent_id
          LEFT JOIN teams ON teams.id = tickets.team_id
         WHERE tickets.id IN (SELECT id FROM temp.chosen) ORDER BY tickets.closed_at""",
    "invitations": """SELECT tickets.ticket_ref, invitations.customer_email,
            invitations.status, invitations.reason, invitations.send_at, invitations.sent_at
          FROM invitations JOIN tickets ON tickets.id = invitations.ticket_id
         WHERE invitations.ticket_id IN (SELECT id FROM temp.chosen) ORDER BY invitations.id""",
    "responses": """SELECT tickets.ticket_ref, responses.csat, responses.ces, responses.nps,
            responses.comment, responses.contact_ok, responses.created_at, responses.updated_at
          FROM responses JOIN invitations ON invitations.id = responses.invitation_id
          JOIN tickets ON tickets.id = invitations.ticket_id
         WHERE invitations.ticket_id IN (SELECT id FROM temp.chosen) ORDER BY responses.id""",
    "mail": """SELECT outbox.kind, outbox.recipient, outbox.status, outbox.sent_at
          FROM outbox JOIN invitations ON invitations.id = outbox.invitation_id
         WHERE invitations.ticket_id IN (SELECT id FROM temp.chosen) ORDER BY outbox.id""",
    "follow_ups": """SELECT tickets.ticket_ref, follow_ups.status, follow_ups.outcome,
            follow_ups.notes, follow_ups.opened_at, follow_ups.closed_at
          FROM follow_ups JOIN responses ON responses.id = follow_ups.response_id
          JOIN invitations ON invitations.id = responses.invitation_id
          JOIN tickets ON tickets.id = invitations.ticket_id
         WHERE invitations.ticket_id IN (SELECT id FROM temp.chosen) ORDER BY follow_ups.id""",
}


def export_customer(db, address):
    """Everything held about an address, as one JSON-ready dict; None when nothing is."""
    ticket_ids = tickets_of(db, address)
    suppression = db.execute(
        "SELECT reason, created_at, updated_at FROM suppressions WHERE address_hash = ?",
        [address_hash(address)],
    ).fetchone()
    if not ticket_ids and suppression is None:
        return None
    with immediate(db):  # the temp table is written; the reads see one snapshot
        choose_tickets(db, ticket_ids)
        held = {"address": address}
        for name, sql in EXPORTED.items():
            held[name] = [dict(row) for row in db.query(sql)]
    held["suppression"] = (
        dict(zip(("reason", "created_at", "updated_at"), suppression, strict=True))
        if suppression
        else None
    )
    return held


def erase_customer(db, address, mail_dir=None, erased_by=None):
    """Erase the address's personal data (see the module's docstring); the erasures row as
    a dict, or None when nothing was held (erasing again finds nothing: idempotent)."""
    hashed = address_hash(address)
    with immediate(db):
        counts = erase_tickets(db, tickets_of(db, address))
        counts["other_rows"] += erase_from_imports(db, address)
        if not any(counts.values()):
            return None
        suppress(db, hashed, "unsubscribed")  # never surveyed again
        erasure = log_erasure(db, "request", erased_by, counts)
    if mail_dir:
        erasure["other_rows"] += erase_from_mailbox(mail_dir, address)
    leave_no_copy(db)
    return erasure


ERASING = (
    (
        "tickets",
        "UPDATE tickets SET customer_email = '', customer_name = NULL, customer_locale = NULL "
        "WHERE id IN (SELECT id FROM temp.chosen)",
    ),
    (
        "invitations",
        "UPDATE invitations SET customer_email = '' "
        "WHERE ticket_id IN (SELECT id FROM temp.chosen)",
    ),
    (
        "other_rows",
        f"UPDATE outbox SET recipient = '', last_error = NULL "
        f"WHERE invitation_id IN ({CHOSEN_INVITATIONS})",
    ),
    ("responses", f"UPDATE responses SET comment = NULL WHERE id IN ({CHOSEN_RESPONSES})"),
    (
        "other_rows",
        "UPDATE outbound_deliveries SET payload = json_set(payload, '$.response.comment', NULL) "
        f"WHERE response_id IN ({CHOSEN_RESPONSES})",
    ),
    ("other_rows", f"UPDATE follow_ups SET notes = NULL WHERE id IN ({CHOSEN_FOLLOW_UPS})"),
    (
        "other_rows",
        f"UPDATE follow_up_events SET what = '{ERASED_EVENT}' "
        f"WHERE follow_up_id IN ({CHOSEN_FOLLOW_UPS})",
    ),
)


def erase_tickets(db, ticket_ids):
    """Remove address, name and comments from these tickets and all that hangs on them;
    the rows changed, counted by kind. Run inside a write transaction."""
    counts = {"tickets": 0, "invitations": 0, "responses": 0, "other_rows": 0}
    if not ticket_ids:
        return counts
    choose_tickets(db, ticket_ids)
    # Erasing a comment fires the outbound trigger: the deliveries it queues are dropped
    # below (a help desk is not sent an erasure).
    [last_delivery] = db.execute("SELECT coalesce(max(id), 0) FROM outbound_deliveries").fetchone()
    for kind, statement in ERASING:
        counts[kind] += db.execute(statement).rowcount
    db.execute(
        f"DELETE FROM outbound_deliveries WHERE id > ? AND response_id IN ({CHOSEN_RESPONSES})",
        [last_delivery],
    )
    if counts["responses"]:
        comment_index.purge_erased(db)
    return counts


def erase_from_imports(db, address):
    """Drop the lines naming the address from stored CSV uploads; how many files changed."""
    changed = 0
    needle = address.encode()
    rows = db.execute(
        "SELECT id, content FROM ticket_imports WHERE instr(lower(content), ?) > 0", [needle]
    ).fetchall()
    for import_id, content in rows:
        kept = b"".join(
            line for line in content.splitlines(keepends=True) if needle not in line.lower()
        )
        db.execute("UPDATE ticket_imports SET content = ? WHERE id = ?", [kept, import_id])
        changed += 1
    return changed


def erase_from_mailbox(mail_dir, address):
    """Delete the mailbox folder's messages to the address; how many."""
    folder = Path(mail_dir)
    if not folder.is_dir():
        return 0
    needle = address.encode()
    deleted = 0
    for path in folder.glob("*.eml"):
        if needle in path.read_bytes().lower():
            os.unlink(path)
            deleted += 1
    return deleted


def log_erasure(db, reason, erased_by, counts):
    """Record an erasure, without the address; the row as a dict."""
    row = {"erased_at": clock.to_iso(clock.now()), "reason": reason, "erased_by": erased_by}
    row.update(counts)
    cursor = db.execute(
        "INSERT INTO erasures (erased_at, reason, erased_by, tickets, invitations, responses, "
        "other_rows) VALUES (:erased_at, :reason, :erased_by, :tickets, :invitations, "
        ":responses, :other_rows)",
        row,
    )
    return dict(row, id=cursor.lastrowid)


def leave_no_copy(db):
    """Copy the WAL into the database and truncate it, so no page image from before the
    erasure stays in `-wal`; overwritten content in the database itself was zeroed by
    secure_delete. A reader holding an old snapshot can stop a checkpoint: try a few times."""
    for _ in range(20):
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return True
        time.sleep(0.1)
    return False


def erase_closed_before(db, cutoff, batch=1000):
    """Retention: erase the personal data of tickets closed before `cutoff` (an aware
    datetime); the erasures row, or None when there was nothing to erase."""
    ticket_ids = [
        row[0]
        for row in db.execute(
            "SELECT id FROM tickets WHERE closed_at < ? AND customer_email != '' ORDER BY id",
            [clock.to_iso(cutoff)],
        )
    ]
    if not ticket_ids:
        return None
    totals = {"tickets": 0, "invitations": 0, "responses": 0, "other_rows": 0}
    for start in range(0, len(ticket_ids), batch):
        with immediate(db):
            for name, count in erase_tickets(db, ticket_ids[start : start + batch]).items():
                totals[name] += count
    with immediate(db):
        totals["other_rows"] += db.execute(
            "UPDATE ticket_imports SET content = X'' WHERE created_at < ? AND length(content) > 0",
            [clock.to_iso(cutoff)],
        ).rowcount
        erasure = log_erasure(db, "retention", None, totals)
    leave_no_copy(db)
    return erasure


def retention_cutoff(now, months):
    """The instant `months` calendar months before now (the day clipped to the month's end)."""
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return now.replace(year=year, month=month, day=min(now.day, last_day))


def apply_retention(db, config, now=None):
    """Erase what RETENTION_MONTHS says is too old; a sentence saying what was done."""
    months = config["RETENTION_MONTHS"]
    if not months:
        return "RETENTION_MONTHS is not set: personal data is kept."
    cutoff = retention_cutoff(now or clock.now(), months)
    erasure = erase_closed_before(db, cutoff)
    if erasure is None:
        return f"Retention: no personal data from tickets closed before {clock.to_iso(cutoff)}."
    return (
        f"Retention: erased the personal data of {erasure['tickets']} tickets closed before "
        f"{clock.to_iso(cutoff)} ({erasure['responses']} responses, {erasure['other_rows']} "
        f"other rows; erasure {erasure['id']})."
    )
