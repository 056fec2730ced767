"""What managers record about admins: incidents (errors, negligence) and deliverables.

Closing a month for rating, also done on the records pages, is in periods.py.
"""

from surveys import clock


def admin_id(db, email):
    """The id of an admin by email, or None."""
    row = next(db.query("SELECT id FROM users WHERE email = ? AND rated = 1", [email]), None)
    return row["id"] if row else None


def record_incident(db, admin_id, occurred_on, description, severity, recorded_by):
    """Store an incident against an admin (occurred_on is a date)."""
    db["incidents"].insert(
        {
            "admin_id": admin_id,
            "occurred_on": occurred_on.isoformat(),
            "description": description,
            "severity": severity,
            "recorded_by": recorded_by,
            "created_at": clock.to_iso(clock.now()),
        }
    )


def incidents_in(db, period):
    """A month's incidents with the admin's email and name, latest first."""
    first_day, last_day = clock.period_days(period)
    return list(
        db.query(
            """SELECT incidents.*, users.email AS admin_email, users.name AS admin_name
             FROM incidents
             JOIN users ON users.id = incidents.admin_id
            WHERE occurred_on BETWEEN ? AND ? ORDER BY occurred_on DESC, incidents.id DESC""",
            [first_day, last_day],
        )
    )


def record_deliverable(db, admin_id, title, deadline, submitted_on, recorded_by):
    """Store work an admin owes by a deadline (dates; submitted_on may be None)."""
    db["deliverables"].insert(
        {
            "admin_id": admin_id,
            "title": title,
            "deadline": deadline.isoformat(),
            "submitted_on": submitted_on.isoformat() if submitted_on else None,
            "recorded_by": recorded_by,
            "created_at": clock.to_iso(clock.now()),
        }
    )


def deliverables_in(db, period):
    """The deliverables due in a month with the admin's email and name, by deadline."""
    first_day, last_day = clock.period_days(period)
    return list(
        db.query(
            """SELECT deliverables.*, users.email AS admin_email, users.name AS admin_name
             FROM deliverables
             JOIN users ON users.id = deliverables.admin_id
            WHERE deadline BETWEEN ? AND ? ORDER BY deadline, deliverables.id""",
            [first_day, last_day],
        )
    )


def mark_submitted(db, deliverable_id, today):
    """Mark a deliverable as submitted on `today` (an ISO date) unless it already was.

    Returns (its deadline, whether this call marked it), or None when there is no such
    deliverable. The conditional UPDATE decides, so two clicks never both mark it.
    """
    cursor = db.execute(
        "UPDATE deliverables SET submitted_on = ? WHERE id = ? AND submitted_on IS NULL",
        [today, deliverable_id],
    )
    row = next(db.query("SELECT deadline FROM deliverables WHERE id = ?", [deliverable_id]), None)
    if row is None:
        return None
    return row["deadline"], bool(cursor.rowcount)
