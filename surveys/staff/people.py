"""Managers manage people: add staff and managers, mark admins, deactivate, reset passwords.

Nobody is ever deleted: a person who leaves is deactivated, so their ratings, incidents
and deliverables keep pointing at them.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_user
from werkzeug.security import generate_password_hash

from surveys.staff.auth import (
    MANAGER_NOT_RATED,
    ROLES,
    UserError,
    check_password_rules,
    create_user,
    load_user,
    manager_required,
)
from surveys.staff.forms import PasswordResetForm, PersonForm, PersonUpdateForm
from surveys.store.db import get_db, immediate

bp = Blueprint("people", __name__, url_prefix="/people")

SELF_LOCKOUT_MESSAGE = (
    "You cannot deactivate yourself or give up your own manager role. Ask another manager to do it."
)


class PersonError(ValueError):
    """A change to a person that Puas refuses; the message says why."""


class NoLongerManager(Exception):
    """The manager making a change was demoted or deactivated by another manager meanwhile."""


# Data


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


# Views


def person_or_404(db, person_id):
    """The person with this id, or a 404 page."""
    person = find_person(db, person_id)
    if person is None:
        abort(404)
    return person


def sentence(message):
    """A refusal from create_user or the password rules, written as a sentence."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else message + "."


def field_for(form, message):
    """The form field a create_user refusal is about: its messages name the field first."""
    for prefix, field in (
        ("the name", form.name),
        ("the password", form.password),
        ("role", form.role),
    ):
        if message.startswith(prefix):
            return field
    return form.email


def render_people(form, status=200):
    """The list of people with the form to add one."""
    return render_template("people/index.html", people=list_people(get_db()), form=form), status


def render_person(person, update_form=None, password_form=None, status=200):
    """One person's page with both of its forms."""
    if update_form is None:
        update_form = PersonUpdateForm(
            formdata=None,
            data={
                "role": person["role"],
                "rated": bool(person["rated"]),
                "active": bool(person["active"]),
            },
        )
    if password_form is None:
        password_form = PasswordResetForm(formdata=None)
    is_self = person["id"] == current_user.id
    return render_template(
        "people/person.html",
        person=person,
        update_form=update_form,
        password_form=password_form,
        is_self=is_self,
    ), status


@bp.route("/", methods=["GET", "POST"])
@manager_required
def index():
    """Everyone who can sign in (or could), and a form to add a person."""
    form = PersonForm()
    if not form.validate_on_submit():
        return render_people(form, 422 if form.is_submitted() else 200)
    try:
        email = create_user(
            get_db(),
            form.email.data,
            form.password.data,
            form.role.data,
            name=form.name.data,
            rated=form.rated.data,
        )
    except UserError as error:
        field_for(form, str(error)).errors.append(sentence(str(error)))
        return render_people(form, 422)
    flash(f"Added {email}.", "info")
    return redirect(url_for("people.index"), code=303)


@bp.route("/<int:user_id>")
@manager_required
def person(user_id):
    """One person, with forms to change their role, admin mark, access and password."""
    return render_person(person_or_404(get_db(), user_id))


@bp.route("/<int:user_id>", methods=["POST"])
@manager_required
def update(user_id):
    """Save a person's role, admin mark and whether they can sign in."""
    db = get_db()
    person = person_or_404(db, user_id)
    form = PersonUpdateForm()
    if not form.validate_on_submit():
        return render_person(person, update_form=form, status=422)
    try:
        update_person(
            db,
            user_id,
            form.role.data,
            form.rated.data,
            form.active.data,
            changed_by=current_user.id,
        )
    except PersonError as error:
        flash(str(error), "error")
        return render_person(person, update_form=form, status=422)
    except NoLongerManager:
        abort(403)
    flash(f"Saved {person['email']}.", "info")
    return redirect(url_for("people.person", user_id=user_id), code=303)


@bp.route("/<int:user_id>/password", methods=["POST"])
@manager_required
def password(user_id):
    """Set a new password for a person."""
    db = get_db()
    person = person_or_404(db, user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return render_person(person, password_form=form, status=422)
    try:
        set_password(db, user_id, form.password.data)
    except UserError as error:
        form.password.errors.append(sentence(str(error)))
        return render_person(person, password_form=form, status=422)
    if user_id == current_user.id:  # your own new password ends your other sessions only
        [version] = db.execute(
            "SELECT session_version FROM users WHERE id = ?", [user_id]
        ).fetchone()
        login_user(load_user(f"{user_id}:{version}"))
    flash(f"New password set for {person['email']}.", "info")
    return redirect(url_for("people.person", user_id=user_id), code=303)
