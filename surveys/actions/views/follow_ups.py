"""Follow-ups: the list (/follow-ups) and one follow-up, worked by a manager."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from surveys import clock
from surveys.actions.follow_up_forms import owner_choices, read_update
from surveys.actions.follow_ups import (
    OUTCOMES,
    STATUSES,
    FollowUpError,
    StaleFollowUp,
    earlier_tickets,
    find_follow_up,
    history,
    list_follow_ups,
    read_filters,
    save_follow_up,
    score_line,
)
from surveys.reports.targets import team_names
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("follow_ups", __name__, url_prefix="/follow-ups")


@bp.route("")
@manager_required
def index():
    """Follow-ups, newest first, narrowed to mine, overdue, a status or a team."""
    db = get_db()
    page = {"teams": team_names(db), "statuses": STATUSES, "args": request.args}
    try:
        filters = read_filters(request.args)
    except FollowUpError as error:
        return render_template(
            "actions/follow_ups.html", rows=None, errors=error.errors, **page
        ), 422
    rows = list_follow_ups(db, filters, current_user.id, clock.now())
    return render_template(
        "actions/follow_ups.html",
        rows=rows,
        errors={},
        filters=filters,
        score_line=score_line,
        **page,
    )


def render_follow_up(db, follow_up, errors=None, form=None, status=200):
    """The follow-up page, with the form's errors and posted values when a save failed."""
    return render_template(
        "actions/follow_up.html",
        follow_up=follow_up,
        scores=score_line(follow_up),
        earlier=earlier_tickets(db, follow_up),
        events=history(db, follow_up["id"]),
        owners=owner_choices(db, follow_up["owner_id"]),
        statuses=STATUSES,
        outcomes=OUTCOMES,
        errors=errors or {},
        form=form,
        score_line=score_line,
    ), status


@bp.route("/<int:follow_up_id>", methods=["GET", "POST"])
@manager_required
def page(follow_up_id):
    """One follow-up: the answer, the customer's earlier tickets, the history; a POST
    saves status, outcome, notes and owner made on the version the page was loaded at."""
    db = get_db()
    follow_up = find_follow_up(db, follow_up_id, clock.now())
    if follow_up is None:
        abort(404)
    if request.method == "GET":
        return render_follow_up(db, follow_up)
    try:
        update = read_update(db, request.form, follow_up)
        saved = save_follow_up(db, follow_up_id, update, current_user.id, clock.now())
    except FollowUpError as error:
        return render_follow_up(db, follow_up, error.errors, request.form, 422)
    except StaleFollowUp:
        message = (
            "Someone changed this follow-up (or the customer changed the answer) after you "
            "opened it, so nothing was saved. Here it is as it is now: make your change again."
        )
        return render_follow_up(db, follow_up, {"version": message}, None, 409)
    flash("Follow-up saved." if saved else "Nothing changed.", "info")
    return redirect(url_for("follow_ups.page", follow_up_id=follow_up_id), code=303)
