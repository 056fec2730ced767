"""Corrective actions: record one from a missed target, list them, change one."""

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from surveys import clock
from surveys.actions.corrective import (
    DEFAULT_DUE_DAYS,
    STATUSES,
    AlreadyRecorded,
    find_action,
    list_actions,
    owner_choices,
    read_filters,
    record_action,
    update_action,
    with_figures_now,
)
from surveys.actions.corrective_forms import ActionForm, NewActionForm, new_form_key
from surveys.actions.figures import metric_of, now_days, read_subject, subject_figure
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("corrective", __name__)

OWNER_GONE = "Choose someone from the list: that person is no longer here."


@bp.route("/actions")
@manager_required
def index():
    """Every corrective action (status, mine=1, overdue=1 narrow them), each with its
    target, the figure when it was opened and the figure now."""
    status, mine, overdue = read_filters(request.args)
    db = get_db()
    config = current_app.config
    today = clock.today(config["TIMEZONE"])
    rows = list_actions(db, today, status, current_user.id if mine else None, overdue=overdue)
    return render_template(
        "actions/corrective/list.html",
        rows=with_figures_now(db, config, rows),
        statuses=STATUSES,
        status=status,
        mine=mine,
        overdue=overdue,
        today=today,
        metric_of=metric_of,
        api_args={"status": status, "overdue": 1 if overdue else None},
    )


@bp.route("/actions/new", methods=["GET", "POST"])
@manager_required
def new():
    """Record an action about a missed figure, named by the query string (metric, scope,
    scope_id or scope_name, from and to, or an admin's period); the page shows the
    figure and its target."""
    db = get_db()
    config = current_app.config
    subject = read_subject(db, config, request.args)
    figure = subject_figure(db, config, subject)
    today = clock.today(config["TIMEZONE"])
    posted = request.method == "POST"
    form = NewActionForm(
        formdata=request.form if posted else None,
        owner=current_user.email,
        due_on=today + timedelta(days=DEFAULT_DUE_DAYS),
        form_key=new_form_key(),
    )
    form.owner.choices = owner_choices(db)
    form.earliest_due = today
    if posted and form.validate():
        try:
            recorded = record_action(db, subject, figure, form.values(), current_user.id)
        except AlreadyRecorded as already:
            flash("This form was already recorded; here is its action.", "info")
            return redirect(url_for("corrective.edit", action_id=already.action_id), code=303)
        if recorded is not None:
            flash("Action recorded.", "info")
            return redirect(url_for("corrective.index"))
        form.owner.errors.append(OWNER_GONE)
    # Never kept by the browser: a page shown again (Back) gets a new key, so a second
    # action typed into it is recorded, not taken for the first one posted again.
    return (
        render_template(
            "actions/corrective/new.html",
            form=form,
            subject=subject,
            figure=figure,
            now=now_days(subject.from_day, subject.to_day, today),
        ),
        422 if posted else 200,
        {"Cache-Control": "no-store"},
    )


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@manager_required
def edit(action_id):
    """One action with its figures; POST changes what, owner, due date and status."""
    db = get_db()
    config = current_app.config
    action = find_action(db, action_id)
    if action is None:
        abort(404)
    posted = request.method == "POST"
    form = ActionForm(
        formdata=request.form if posted else None,
        what=action["what"],
        owner=action["owner"],
        due_on=clock.parse_day(action["due_on"]) if action["due_on"] else None,
        status=action["status"],
    )
    form.owner.choices = owner_choices(db, action["owner"])
    form.earliest_due = clock.parse_day(
        clock.local_day(clock.from_iso(action["created_at"]), config["TIMEZONE"])
    )
    if posted and form.validate():
        if update_action(db, action_id, form.values()):
            flash("Action saved.", "info")
            return redirect(url_for("corrective.index"))
        form.owner.errors.append(OWNER_GONE)
    [shown] = with_figures_now(db, config, [action])
    return render_template(
        "actions/corrective/edit.html",
        form=form,
        action=shown,
        metric_of=metric_of,
    ), 422 if posted else 200
