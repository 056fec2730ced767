"""The people pages: managers add people, change roles and access, and reset passwords."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_user

from surveys.staff.accounts import UserError, create_user, session_user
from surveys.staff.auth import manager_required
from surveys.staff.forms import PasswordResetForm, PersonForm, PersonUpdateForm
from surveys.staff.people import (
    NoLongerManager,
    PersonError,
    find_person,
    list_people,
    session_version,
    set_password,
    update_person,
)
from surveys.store.db import get_db

bp = Blueprint("people", __name__, url_prefix="/people")


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
    people = list_people(get_db())
    return render_template("staff/people/index.html", people=people, form=form), status


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
        "staff/people/person.html",
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
        token = current_user.session_token
        login_user(session_user(db, user_id, session_version(db, user_id), token))
    flash(f"New password set for {person['email']}.", "info")
    return redirect(url_for("people.person", user_id=user_id), code=303)
