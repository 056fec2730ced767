"""Staff and manager sign-in (Flask-Login), role checks, and API keys for machines."""

import functools
import secrets
import sqlite3
import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from surveys import clock
from surveys.errors import ApiKeyInvalid
from surveys.security import sha256_hex
from surveys.staff.forms import LoginForm
from surveys.store.db import get_db, immediate
from surveys.text import clean_email, clean_text

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

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


@functools.cache
def unknown_user_hash():
    """A hash to check against when the email is unknown, so both failures cost the same."""
    return generate_password_hash(secrets.token_hex(16))


class User(UserMixin):
    """A signed-in person, read from the users table."""

    def __init__(self, row):
        self.id = row["id"]
        self.email = row["email"]
        self.name = row["name"]
        self.role = row["role"]
        self.active = bool(row["active"])
        self.rated = bool(row["rated"])
        self.session_version = row["session_version"]

    def get_id(self):
        """What the session cookie holds: the id and the session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self):
        return self.active

    @property
    def is_manager(self):
        return self.role == "manager"


class UserError(ValueError):
    """A user that cannot be created as asked."""


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


@login_manager.user_loader
def load_user(session_user_id):
    """The signed-in user, or None when the account is gone, inactive, or its sessions
    were ended (a new password or a deactivation raises the session version)."""
    user_id, _, version = session_user_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    rows = list(
        get_db().query(
            "SELECT * FROM users WHERE id = ? AND session_version = ? AND active = 1",
            [int(user_id), int(version)],
        )
    )
    return User(rows[0]) if rows else None


def is_safe_next(target):
    """Only a path on this site: no scheme, no host, no protocol-relative //host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if any(character.isspace() or ord(character) < 32 for character in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def manager_required(view):
    """Managers only: signed-out visitors go to /login, staff get 403."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_manager:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


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


def bearer_key():
    """The key from `Authorization: Bearer <key>`, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


def api_key_is_valid(db, key):
    """True for a key that exists and was not revoked."""
    return bool(key) and bool(
        db["api_keys"].count_where("key_hash = ? AND revoked_at IS NULL", [sha256_hex(key)])
    )


def api_key_required(view):
    """Machines only: a valid Bearer key or ApiKeyInvalid (401)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not api_key_is_valid(get_db(), bearer_key()):
            raise ApiKeyInvalid()
        return view(*args, **kwargs)

    return wrapped


def api_key_or_manager_required(view):
    """A valid Bearer key, or a signed-in manager (for reports read in the browser)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        key = bearer_key()
        if key is not None:
            if not api_key_is_valid(get_db(), key):
                raise ApiKeyInvalid()
            return view(*args, **kwargs)
        if not current_user.is_authenticated:
            if request.path.startswith("/api/"):
                raise ApiKeyInvalid()
            return login_manager.unauthorized()
        if not current_user.is_manager:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


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


# Views


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a fresh session on success; 429 while locked out (see begin_attempt)."""
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        attempt_id = begin_attempt(db, form.email.data, request.remote_addr)
        if attempt_id is None:
            # The same page whether or not the email exists, and no password check.
            flash(LOCKOUT_MESSAGE, "error")
            return (
                render_template("auth/login.html", form=form),
                429,
                {"Retry-After": str(LOCKOUT_MINUTES * 60)},
            )
        user = authenticate(db, form.email.data, form.password.data)
        if user is not None:
            attempt_succeeded(db, attempt_id)
            target = request.args.get("next")
            # A fresh session at sign-in: nothing chosen before it survives into it.
            session.clear()
            login_user(user)
            home = url_for("reports.dashboard" if user.is_manager else "reports.index")
            return redirect(target if is_safe_next(target) else home)
        flash("That email and password do not match an active account.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST, so a link or an image cannot sign anyone out)."""
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def init_app(app):
    """Wire Flask-Login to the app."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
