"""Signing in and out: /login and /logout."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from surveys.staff.accounts import (
    LOCKOUT_MESSAGE,
    LOCKOUT_MINUTES,
    attempt_succeeded,
    authenticate,
    begin_attempt,
    begin_session,
    end_session,
)
from surveys.staff.auth import is_safe_next
from surveys.staff.forms import LoginForm
from surveys.store.db import get_db

bp = Blueprint("auth", __name__)


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
                render_template("staff/auth/login.html", form=form),
                429,
                {"Retry-After": str(LOCKOUT_MINUTES * 60)},
            )
        user = authenticate(db, form.email.data, form.password.data)
        if user is not None:
            attempt_succeeded(db, attempt_id)
            target = request.args.get("next")
            # A fresh session at sign-in: nothing chosen before it survives into it.
            session.clear()
            login_user(begin_session(db, user))
            home = url_for("reports.dashboard" if user.is_manager else "reports.index")
            return redirect(target if is_safe_next(target) else home)
        flash("That email and password do not match an active account.", "error")
        return render_template("staff/auth/login.html", form=form), 401
    return render_template("staff/auth/login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST, so a link or an image cannot sign anyone out), ending this session
    on the server too: a copy of its cookie no longer works; other sessions stay."""
    if current_user.is_authenticated:
        end_session(get_db(), current_user.id, current_user.session_token)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
