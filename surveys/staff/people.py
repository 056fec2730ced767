"""Managers manage people: add staff and managers, mark admins, deactivate, reset passwords.

Nobody is ever deleted: a person who leaves is deactivated, so their ratings, incidents
and deliverables keep pointing at them.
"""

from werkzeug.security import generate_password_hash

from surveys.staff.accounts import MANAGER_NOT_RATED, ROLES, check_password_rules
from surveys.store.db import immediate

SELF_LOCKOUT_MESSAGE = (
    "You cannot deactivate yourself or give up your own manager role. Ask another manager to do it."
)


class PersonError(ValueError):
    """A change to a person that Puas refuses; the message says why."""


class NoLongerManager(Exception):
    """The manager making a change was demoted or deactivated by another manager meanwhile."""


def name_and_email(name, email):
    """A person (or agent) in a list of choices: "name (email)", or either alone."""
    if name and email and name != email:
        return f"{name} ({email})"
    return name or email


def list_people(db):
    """Everyone, active people first, then by email."""
    return list(
        db.query(
            "SELECT id, email, name, role, rated, active, created_at FROM users "
            "ORDER BY active DESC, email"
        )
    )


def find_person(db, person_id):
    """One person's row, or None."""
    rows = list(
        db.query(
            "SELECT id, email, name, role, rated, active, created_at FROM users WHERE id = ?",
            [person_id],
        )
    )
    return rows[0] if rows else None


def update_person(db, person_id, role, rated, active, changed_by):
    """Set a person's role, admin mark and whether they can sign in; PersonError if refused."""
    if role not in ROLES:
        raise PersonError(f"The role must be one of {', '.join(ROLES)}.")
    if person_id == changed_by and (role != "manager" or not active):
        raise PersonError(SELF_LOCKOUT_MESSAGE)
    if role == "manager" and rated:
        raise PersonError(MANAGER_NOT_RATED[0].upper() + MANAGER_NOT_RATED[1:] + ".")
    with immediate(db):
        # Checked under the write lock: two managers demoting each other at the same moment
        # must not leave the organisation without one. Whoever commits second is refused.
        still_manager = db.execute(
            "SELECT count(*) FROM users WHERE id = ? AND role = 'manager' AND active = 1",
            [changed_by],
        ).fetchone()[0]
        if not still_manager:
            raise NoLongerManager()
        # Deactivating ends the person's open sessions; reactivating does not revive them.
        db.execute(
            "UPDATE users SET role = ?, rated = ?, active = ?, "
            "session_version = session_version + (active = 1 AND ? = 0) WHERE id = ?",
            [role, int(bool(rated)), int(bool(active)), int(bool(active)), person_id],
        )


def set_password(db, person_id, password):
    """Replace a person's password (same rules as at creation); UserError if not allowed."""
    check_password_rules(password)
    # Hash before taking the write lock: scrypt is slow on purpose.
    password_hash = generate_password_hash(password)
    with immediate(db):
        # A new password ends every session the person had open.
        db.execute(
            "UPDATE users SET password_hash = ?, "
            "session_version = session_version + 1 WHERE id = ?",
            [password_hash, person_id],
        )


def session_version(db, person_id):
    """The person's session version: sessions signed in under an older one are over."""
    [version] = db.execute("SELECT session_version FROM users WHERE id = ?", [person_id]).fetchone()
    return version
