"""Who is asking: Flask-Login sessions for people, role checks, and Bearer API keys for machines.

The account rules these call (passwords, keys, lockout) live in accounts.py; the /login
and /logout pages in views/auth.py.
"""

import functools
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import LoginManager, current_user

from surveys.errors import ApiKeyInvalid
from surveys.staff.accounts import api_key_is_valid, session_user
from surveys.store.db import get_db

login_manager = LoginManager()


@login_manager.user_loader
def load_user(session_user_id):
    """The signed-in user, or None when the account is gone or inactive, this sign-in was
    ended (signing out), or all its sessions were (a new password or a deactivation raises
    the session version)."""
    user_id, version, token = (session_user_id.split(":") + ["", "", ""])[:3]
    if not user_id.isdigit() or not version.isdigit() or not token or len(token) > 100:
        return None
    return session_user(get_db(), int(user_id), int(version), token)


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


def bearer_key():
    """The key from `Authorization: Bearer <key>`, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


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


def init_app(app):
    """Wire Flask-Login to the app."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
