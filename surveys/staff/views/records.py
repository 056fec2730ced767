"""Managers' records pages: incidents, deliverables, and opening or closing months."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from surveys import clock
from surveys.staff.auth import manager_required
from surveys.staff.forms import DeliverableForm, IncidentForm
from surveys.staff.people import name_and_email
from surveys.staff.periods import close_month, closed_periods, period_from, reopen_month
from surveys.staff.records import (
    admin_id,
    deliverables_in,
    incidents_in,
    mark_submitted,
    record_deliverable,
    record_incident,
)
from surveys.staff.scorecards import admins
from surveys.store.db import get_db

bp = Blueprint("records", __name__)


def admin_choices(db):
    """Active admins for a select, by email."""
    return {"": "Choose an admin"} | {
        person["email"]: name_and_email(person["name"], person["email"])
        for person in admins(db)
        if person["active"]
    }


def chosen_admin_id(db, form):
    """The chosen admin's id, read once; None (with a message) if they stopped being one."""
    chosen = admin_id(db, form.admin.data)
    if chosen is None:
        form.admin.errors.append("Choose an admin from the list.")
    return chosen


@bp.route("/incidents", methods=["GET", "POST"])
@manager_required
def incidents():
    """Record an incident (an error or negligence) and list a month's incidents."""
    db = get_db()
    form = IncidentForm(formdata=request.form if request.method == "POST" else None)
    form.admin.choices = admin_choices(db)
    period = period_from(request.args, current_app.config)
    if request.method == "POST":
        if form.validate() and (chosen := chosen_admin_id(db, form)) is not None:
            record_incident(
                db,
                chosen,
                form.occurred_on.data,
                form.description.data,
                form.severity.data,
                recorded_by=current_user.id,
            )
            flash("Incident recorded.", "info")
            return redirect(
                url_for("records.incidents", period=form.occurred_on.data.strftime("%Y-%m"))
            )
        status = 422
    else:
        status = 200
    return render_template(
        "staff/records/incidents.html",
        form=form,
        rows=incidents_in(db, period),
        period=period,
        previous=clock.add_months(period, -1),
        following=clock.add_months(period, 1),
    ), status


@bp.route("/deliverables", methods=["GET", "POST"])
@manager_required
def deliverables():
    """Record work an admin owes by a deadline, and list a month's deliverables."""
    db = get_db()
    form = DeliverableForm(formdata=request.form if request.method == "POST" else None)
    form.admin.choices = admin_choices(db)
    period = period_from(request.args, current_app.config)
    if request.method == "POST":
        if form.validate() and (chosen := chosen_admin_id(db, form)) is not None:
            record_deliverable(
                db,
                chosen,
                form.title.data,
                form.deadline.data,
                form.submitted_on.data,
                recorded_by=current_user.id,
            )
            flash("Deliverable recorded.", "info")
            return redirect(
                url_for("records.deliverables", period=form.deadline.data.strftime("%Y-%m"))
            )
        status = 422
    else:
        status = 200
    return render_template(
        "staff/records/deliverables.html",
        form=form,
        rows=deliverables_in(db, period),
        period=period,
        today=clock.today(current_app.config["TIMEZONE"]).isoformat(),
        previous=clock.add_months(period, -1),
        following=clock.add_months(period, 1),
    ), status


@bp.route("/deliverables/<int:deliverable_id>/submitted", methods=["POST"])
@manager_required
def deliverable_submitted(deliverable_id):
    """Mark a deliverable as submitted today (if it was not already)."""
    today = clock.today(current_app.config["TIMEZONE"]).isoformat()
    marked = mark_submitted(get_db(), deliverable_id, today)
    if marked is None:
        abort(404)
    deadline, changed = marked
    flash("Marked as submitted today." if changed else "It was already submitted.", "info")
    return redirect(url_for("records.deliverables", period=deadline[:7]))


@bp.route("/periods")
@manager_required
def periods():
    """The last twelve months, open or closed for rating."""
    this_month = clock.current_period(current_app.config["TIMEZONE"])
    months = [clock.add_months(this_month, -offset) for offset in range(12)]
    return render_template(
        "staff/records/periods.html", months=months, closed=closed_periods(get_db())
    )


@bp.route("/periods/<period>/close", methods=["POST"])
@manager_required
def close_period(period):
    """Close a month: its ratings can no longer be added or changed."""
    close_month(get_db(), valid_period_or_404(period), closed_by=current_user.id)
    flash(f"{period} is closed: its ratings are final.", "info")
    return redirect(url_for("records.periods"))


@bp.route("/periods/<period>/reopen", methods=["POST"])
@manager_required
def reopen_period(period):
    """Reopen a closed month for rating."""
    reopen_month(get_db(), valid_period_or_404(period))
    flash(f"{period} is open for rating again.", "info")
    return redirect(url_for("records.periods"))


def valid_period_or_404(period):
    """The month in the URL, or a 404 page when it is not a YYYY-MM month.

    No further check of the button: CSRFProtect has checked its token.
    """
    try:
        return clock.parse_period(period)
    except ValueError:
        abort(404)
