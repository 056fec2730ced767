"""Accounts: people who sign in, their passwords, API keys for machines, and sign-in lockout.

Rules and SQL only; the Flask-Login wiring and the role decorators are in auth.py, the
/login and /logout pages in views/auth.py.
"""

import functools
import secrets
import sqlite3
import unicodedata
from datetime import timedelta

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from surveys import clock
from surveys.security import sha256_hex
from surveys.store.db import immediate
from surveys.text import clean_email, clean_text

ROLES = ("staff", "manager")
PASSWORD_MIN_LENGTH = 12
# Managers read every rating: a manager who was also rated would see their own raw scores.
MANAGER_NOT_RATED = "an admin is rated by staff and cannot be a manager, who sees every rating"
PASSWORD_MAX_LENGTH = 1024
API_KEY_PREFIX = "puas_"

# Sign-in lockout: failures counted in the login_attempts table, shared by every worker.
LOCKOUT_ACCOUNT_FAILURES = 5  # failed attempts for one email …
LOCKOUT_ADDRESS_FAILURES = 20  # … or from one client address …
LOCKOUT_MINUTES = 15  # … within this many minutes lock further attempts out
LOCKOUT_MESSAGE = f"Too many sign-in attempts. Please wait {LOCKOUT_MINUTES} minutes and try again."
LOGIN_ATTEMPTS_KEPT = timedelta(days=1)
LOGIN_ATTEMPTS_PRUNED_PER_ATTEMPT = 100


# Users


class User(UserMixin):
    """A signed-in person, read from the users table.

    Defined beside authenticate(), which returns one, rather than in auth.py: auth.py
    calls these rules, so the rules cannot import it back.
    """

    def __init__(self, row):
        self.id = row["id"]
        self.email = row["email"]
        self.name = row["name"]
        self.role = row["role"]
        self.active = bool(row["active"])
        self.rated = bool(row["rated"])
        self.session_version = row["session_version"]
        self.session_token = None  # the sign-in this user object belongs to

    def get_id(self):
        """What the session cookie holds: the id, the session version and the sign-in's
        token (user_sessions keeps only its hash; signing out ends that row)."""
        return f"{self.id}:{self.session_version}:{self.session_token}"

    @property
    def is_active(self):
        return self.active

    @property
    def is_manager(self):
        return self.role == "manager"


class UserError(ValueError):
    """A user that cannot be created as asked."""


@functools.cache
def unknown_user_hash():
    """A hash to check against when the email is unknown, so both failures cost the same."""
    return generate_password_hash(secrets.token_hex(16))


def check_password_rules(password):
    """Length only (no composition rules): at least 12 characters."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise UserError(f"the password must have at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise UserError(f"the password must have at most {PASSWORD_MAX_LENGTH} characters")
    if any(unicodedata.category(character) == "Cs" for character in password):
        raise UserError("the password is not valid text (check the terminal's encoding)")


def create_user(db, email, password, role, name=None, rated=False):
    """Store a new person with a Werkzeug password hash; UserError if not possible.

    `rated` marks an admin: an administrative employee whom staff rate.
    """
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if rated and role == "manager":
        raise UserError(MANAGER_NOT_RATED)
    try:
        email = clean_email(email)
    except ValueError as error:
        raise UserError(f"the email {error}") from error
    if name is not None:
        try:
            name = clean_text(name, 200) or None
        except ValueError as error:
            raise UserError(f"the name {error}") from error
    check_password_rules(password)
    try:
        db["users"].insert(
            {
                "email": email,
                "name": name,
                "role": role,
                "active": 1,
                "rated": int(rated),
                "password_hash": generate_password_hash(password),
                "created_at": clock.to_iso(clock.now()),
            }
        )
    except sqlite3.IntegrityError as error:  # the unique index on email decides
        raise UserError(f"a user with email {email} already exists") from error
    return email


def authenticate(db, email, password):
    """The active user with this email and password, or None (same cost either way)."""
    try:
        email = clean_email(email)
    except ValueError:
        email = None
    rows = list(db.query("SELECT * FROM users WHERE email = ?", [email])) if email else []
    if not rows:
        check_password_hash(unknown_user_hash(), password)
        return None
    row = rows[0]
    if not check_password_hash(row["password_hash"], password) or not row["active"]:
        return None
    return User(row)


def session_user(db, user_id, session_version, session_token):
    """The active user of this sign-in, if it was not ended and sessions of this version
    still count (a new password or a deactivation raises the version); None otherwise."""
    rows = list(
        db.query(
            """SELECT users.* FROM users JOIN user_sessions ON user_sessions.user_id = users.id
                WHERE users.id = ? AND users.session_version = ? AND users.active = 1
                  AND user_sessions.token_hash = ? AND user_sessions.ended_at IS NULL""",
            [user_id, session_version, sha256_hex(session_token)],
        )
    )
    if not rows:
        return None
    user = User(rows[0])
    user.session_token = session_token
    return user


def begin_session(db, user):
    """Record a new sign-in of the user and hand its token to the user object."""
    token = secrets.token_urlsafe(32)
    with immediate(db):
        db.execute(
            "INSERT INTO user_sessions (user_id, token_hash, created_at) VALUES (?, ?, ?)",
            [user.id, sha256_hex(token), clock.to_iso(clock.now())],
        )
    user.session_token = token
    return user


def end_session(db, user_id, session_token):
    """End one sign-in on the server: its cookie, wherever it was copied, no longer works."""
    with immediate(db):
        db.execute(
            "UPDATE user_sessions SET ended_at = ? "
            "WHERE user_id = ? AND token_hash = ? AND ended_at IS NULL",
            [clock.to_iso(clock.now()), user_id, sha256_hex(session_token)],
        )


# API keys


def create_api_key(db, name):
    """Store a new key by hash and return the key itself (shown once)."""
    try:
        name = clean_text(name, 100)
    except ValueError as error:
        raise UserError(f"the key's name {error}") from error
    if not name:
        raise UserError("the key needs a name")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        db["api_keys"].insert(
            {"name": name, "key_hash": sha256_hex(key), "created_at": clock.to_iso(clock.now())}
        )
    except sqlite3.IntegrityError as error:  # the unique index on name decides
        raise UserError(f"an API key named {name!r} already exists") from error
    return key


def api_key_is_valid(db, key):
    """True for a key that exists and was not revoked."""
    # Plain SQL: every API call asks this, and db["api_keys"] first reads sqlite_master.
    return bool(key) and (
        db.execute(
            "SELECT 1 FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            [sha256_hex(key)],
        ).fetchone()
        is not None
    )


# Sign-in lockout


def attempt_email(typed):
    """The email an attempt is counted under: cleaned when valid, else trimmed and lower-cased."""
    try:
        return clean_email(typed)
    except ValueError:
        return typed.strip().lower()


def begin_attempt(db, typed_email, address):
    """Record a sign-in attempt as failed until it succeeds; its id, or None if locked out.

    The check and the record share one BEGIN IMMEDIATE, so workers never both pass it on
    the same count. The row goes in before the password is checked (outside the lock:
    scrypt is slow on purpose), so attempts in flight count as failures and at most
    LOCKOUT_ACCOUNT_FAILURES passwords are tried per account however many race. A refused
    attempt is recorded as failed too: the lock lifts after LOCKOUT_MINUTES of quiet.
    """
    email = attempt_email(typed_email)
    address = address or "unknown"
    now = clock.now()
    since = clock.to_iso(now - timedelta(minutes=LOCKOUT_MINUTES))
    with immediate(db):
        account_failures, address_failures = db.execute(
            """SELECT
                 (SELECT count(*) FROM login_attempts
                   WHERE email = ? AND attempted_at >= ? AND succeeded = 0),
                 (SELECT count(*) FROM login_attempts
                   WHERE address = ? AND attempted_at >= ? AND succeeded = 0)""",
            [email, since, address, since],
        ).fetchone()
        locked_out = (
            account_failures >= LOCKOUT_ACCOUNT_FAILURES
            or address_failures >= LOCKOUT_ADDRESS_FAILURES
        )
        attempt_id = db.execute(
            "INSERT INTO login_attempts (email, address, succeeded, attempted_at) "
            "VALUES (?, ?, 0, ?)",
            [email, address, clock.to_iso(now)],
        ).lastrowid
        prune_attempts(db, now)
    return None if locked_out else attempt_id


def prune_attempts(db, now):
    """Delete attempts older than LOGIN_ATTEMPTS_KEPT among the oldest few rows.

    Looking only at the lowest ids (the oldest rows) bounds the work per attempt, with no
    index on attempted_at alone; deleting up to 100 for each one added keeps the table to
    about a day of attempts.
    """
    db.execute(
        """DELETE FROM login_attempts WHERE attempted_at < ? AND id IN
             (SELECT id FROM login_attempts ORDER BY id LIMIT ?)""",
        [clock.to_iso(now - LOGIN_ATTEMPTS_KEPT), LOGIN_ATTEMPTS_PRUNED_PER_ATTEMPT],
    )


def attempt_succeeded(db, attempt_id):
    """Mark a recorded attempt as a successful sign-in (failures before it still count)."""
    with immediate(db):
        db.execute("UPDATE login_attempts SET succeeded = 1 WHERE id = ?", [attempt_id])
