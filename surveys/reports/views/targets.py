"""The targets page: managers set what each score should reach, for the company or a team."""

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

from surveys.reports.forms import targets_form
from surveys.reports.targets import (
    TARGETS,
    current_targets,
    find_team_id,
    own_targets,
    save_targets,
    save_team_targets,
    team_names,
)
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("targets", __name__)


@bp.route("/targets", methods=["GET", "POST"])
@manager_required
def edit():
    """Managers set the target of every score, for the company or (?team=NAME) for one
    team; reports show each score beside the target that applies."""
    db = get_db()
    team = (request.args.get("team") or "").strip() or None
    team_id = None
    if team is not None:
        team_id = find_team_id(db, team)
        if team_id is None:
            abort(404)
    page = {
        "targets": TARGETS,
        "team": team,
        "teams": team_names(db),
        "company": current_targets(db, current_app.config),
    }
    if request.method == "POST":
        form = targets_form(request.form, optional=team is not None)
        if form.validate():
            values = {target.name: form[target.name].data for target in TARGETS}
            if team is None:
                save_targets(db, values, current_user.id)
            else:
                save_team_targets(db, team_id, values, current_user.id)
            flash(f"Targets for {team} saved." if team else "Targets saved.", "info")
            return redirect(url_for("targets.edit", team=team))
        return render_template("reports/targets.html", form=form, **page), 422
    values = page["company"] if team is None else own_targets(db, team)
    form = targets_form(values=values, optional=team is not None)
    return render_template("reports/targets.html", form=form, **page)
