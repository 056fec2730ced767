"""The alert settings page, /settings/alerts: when an answer alerts, and who is told."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from surveys.actions.alerts import (
    COMPANY,
    INHERIT,
    SCORE_RULES,
    AlertRulesError,
    form_values,
    read_form,
    recipients,
    rules_for,
    save_rules,
)
from surveys.reports.targets import find_team_id, team_names
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("alerts", __name__, url_prefix="/settings")


@bp.route("/alerts", methods=["GET", "POST"])
@manager_required
def settings():
    """Managers set when an answer alerts, for the company or (?team=NAME) one team."""
    db = get_db()
    team = (request.args.get("team") or "").strip() or None
    team_id = COMPANY
    if team is not None:
        team_id = find_team_id(db, team)
        if team_id is None:
            abort(404)
    errors, status = {}, 200
    values = form_values(db, team_id)
    if request.method == "POST":
        try:
            submitted = read_form(request.form, for_team=team is not None)
        except AlertRulesError as error:
            errors, status = error.errors, 422
            values = {name: request.form.get(name, "") for name in values}
        else:
            save_rules(db, team_id, submitted, current_user.id)
            flash(f"Alert rules for {team} saved." if team else "Alert rules saved.", "info")
            return redirect(url_for("alerts.settings", team=team))
    company = rules_for(db, None)
    return render_template(
        "actions/alerts.html",
        team=team,
        teams=team_names(db),
        score_rules=SCORE_RULES,
        values=values,
        errors=errors,
        inherit=INHERIT,
        company=company,
        told=recipients(db, rules_for(db, team_id or None)),
    ), status
