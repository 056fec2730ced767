"""What managers record about admins: incidents, deliverables, and closing a month."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from surveys import clock
from surveys.staff.auth import manager_required
from surveys.staff.forms import DeliverableForm, IncidentForm
from surveys.staff.scorecards import admins, period_from
from surveys.store.db import get_db, immediate

bp = Blueprint("records", __name__)


def admin_choices(db):
    """Active admins for a select, by email."""
    return {"": "Choose an admin"} | {
        person["email"]: person["name"] or person["email"]
        for person in admins(db)
        if person["active"]
    }


def admin_id(db, email):
    """The id of an admin by email, or None."""
    row = next(db.query("SELECT id FROM users WHERE email = ? AND rated = 1", [email]), None)
    return row["id"] if row else None


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
            db["incidents"].insert(
                {
                    "admin_id": chosen,
                    "occurred_on": form.occurred_on.data.isoformat(),
                    "description": form.description.data,
                    "severity": form.severity.data,
                    "recorded_by": current_user.id,
                    "created_at": clock.to_iso(clock.now()),
                }
            )
            flash("Incident recorded.", "info")
            return redirect(
                url_for("records.incidents", period=form.occurred_on.data.strftime("%Y-%m"))
            )
        status = 422
    else:
        status = 200
    first_day, last_day = clock.period_days(period)
    rows = list(
        db.query(
            """SELECT incidents.*, users.email AS admin_email FROM incidents
             JOIN users ON users.id = incidents.admin_id
            WHERE occurred_on BETWEEN ? AND ? ORDER BY occurred_on DESC, incidents.id DESC""",
            [first_day, last_day],
        )
    )
    return render_template(
        "records/incidents.html",
        form=form,
        rows=rows,
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
            submitted = form.submitted_on.data
            db["deliverables"].insert(
                {
                    "admin_id": chosen,
                    "title": form.title.data,
                    "deadline": form.deadline.data.isoformat(),
                    "submitted_on": submitted.isoformat() if submitted else None,
                    "recorded_by": current_user.id,
                    "created_at": clock.to_iso(clock.now()),
                }
            )
            flash("Deliverable recorded.", "info")
            return redirect(
                url_for("records.deliverables", period=form.deadline.data.strftime("%Y-%m"))
            )
        status = 422
    else:
        status = 200
    first_day, last_day = clock.period_days(period)
    rows = list(
        db.query(
            """SELECT deliverables.*, users.email AS admin_email FROM deliverables
             JOIN users ON users.id = deliverables.admin_id
            WHERE deadline BETWEEN ? AND ? ORDER BY deadline, deliverables.id""",
            [first_day, last_day],
        )
    )
    return render_template(
        "records/deliverables.html",
        form=form,
        rows=rows,
        period=period,
        today=clock.today(current_app.config["TIMEZONE"]).isoformat(),
        previous=clock.add_months(period, -1),
        following=clock.add_months(period, 1),
    ), status


@bp.route("/deliverables/<int:deliverable_id>/submitted", methods=["POST"])
@manager_required
def deliverable_submitted(deliverable_id):
    """Mark a deliverable as submitted today (if it was not already)."""
    db = get_db()
    today = clock.today(current_app.config["TIMEZONE"]).isoformat()
    cursor = db.execute(
        "UPDATE deliverables SET submitted_on = ? WHERE id = ? AND submitted_on IS NULL",
        [today, deliverable_id],
    )
    row = next(db.query("SELECT deadline FROM deliverables WHERE id = ?", [deliverable_id]), None)
    if row is None:
        abort(404)
    flash("Marked as submitted today." if cursor.rowcount else "It was already submitted.", "info")
    return redirect(url_for("records.deliverables", period=row["deadline"][:7]))


@bp.route("/periods")
@manager_required
def periods():
    """The last twelve months, open or closed for rating."""
    db = get_db()
    this_month = clock.current_period(current_app.config["TIMEZONE"])
    closed = {
        row["period"]: row
        for row in db.query(
            """SELECT closed_periods.*, users.email AS closed_by_email FROM closed_periods
             LEFT JOIN users ON users.id = closed_periods.closed_by"""
        )
    }
    months = [clock.add_months(this_month, -offset) for offset in range(12)]
    return render_template("records/periods.html", months=months, closed=closed)


@bp.route("/periods/<period>/close", methods=["POST"])
@manager_required
def close_period(period):
    """Close a month: its ratings can no longer be added or changed."""
    change_period(period, close=True)
    flash(f"{period} is closed: its ratings are final.", "info")
    return redirect(url_for("records.periods"))


@bp.route("/periods/<period>/reopen", methods=["POST"])
@manager_required
def reopen_period(period):
    """Reopen a closed month for rating."""
    change_period(period, close=False)
    flash(f"{period} is open for rating again.", "info")
    return redirect(url_for("records.periods"))


def change_period(period, close):
    """Close or reopen a month (CSRFProtect has checked the button's token)."""
    try:
        clock.parse_period(period)
    except ValueError:
        abort(404)
    db = get_db()
    with immediate(db):
        if close:
            db.execute(
                "INSERT INTO closed_periods (period, closed_at, closed_by) "
                "VALUES (?, ?, ?) ON CONFLICT (period) DO NOTHING",
                [period, clock.to_iso(clock.now()), current_user.id],
            )
        else:
            db.execute("DELETE FROM closed_periods WHERE period = ?", [period])
