"""Agents' pages: one agent's page for managers, an agent's own (/my-scores), and the setting
that lets agents read their own scores."""

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
from flask_login import current_user, login_required

from surveys.reports.agents import (
    agent_of_person,
    agent_report,
    agent_settings,
    find_agent,
    range_args,
    save_agent_settings,
    self_view_on,
)
from surveys.reports.forms import AgentSettingsForm
from surveys.reports.ranges import parse_range
from surveys.reports.scoring import too_few
from surveys.reports.targets import BY_NAME, met
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("agents", __name__)


def render_agent(agent, own):
    """An agent's page over the requested range; `own` when the agent reads it, which
    leaves out every link to manager pages and every other agent."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    min_n = current_app.config["MIN_N"]
    days = range_args(report_range)
    return render_template(
        "reports/agent.html",
        agent=agent,
        own=own,
        report_range=report_range,
        range_args=days,
        # The charts read the agent by the name reports show (?agent=), like the dashboard.
        chart_args=dict(days, agent=agent["shown"]),
        min_n=min_n,
        leaderboard_min_n=current_app.config["LEADERBOARD_MIN_N"],
        too_few=lambda n: too_few(n, min_n),
        target_of=BY_NAME,
        met=met,
        **agent_report(get_db(), current_app.config, agent, report_range),
    )


@bp.route("/reports/agents/<int:agent_id>")
@manager_required
def page(agent_id):
    """One agent: trend, distribution, ticket KPIs beside targets, rank, latest comments."""
    agent = find_agent(get_db(), agent_id)
    if agent is None:
        abort(404)
    return render_agent(agent, own=False)


@bp.route("/my-scores")
@login_required
def mine():
    """The signed-in person's own agent page, once managers let agents read theirs; 404
    while they have not, and for anyone who is not an agent."""
    db = get_db()
    agent = agent_of_person(db, current_user.email) if self_view_on(db) else None
    if agent is None:
        abort(404)
    return render_agent(agent, own=True)


@bp.route("/settings/agents", methods=["GET", "POST"])
@manager_required
def settings():
    """Managers choose whether agents may read their own scores (off until they do)."""
    db = get_db()
    if request.method == "POST":
        form = AgentSettingsForm()
        if form.validate():
            save_agent_settings(db, form.self_view.data, current_user.id)
            flash(
                "Saved: agents can read their own scores on “My scores”."
                if form.self_view.data
                else "Saved: agents cannot read their scores.",
                "info",
            )
            return redirect(url_for("agents.settings"), code=303)
        status = 422
    else:
        form = AgentSettingsForm(formdata=None, data={"self_view": self_view_on(db)})
        status = 200
    return render_template(
        "reports/agent_settings.html", form=form, last_change=agent_settings(db)
    ), status


@bp.app_context_processor
def my_scores_link():
    """`my_scores_shown()` for the header: True when the signed-in person would find their
    own scores at /my-scores (read only by templates that ask)."""

    def my_scores_shown():
        if not current_user.is_authenticated:
            return False
        db = get_db()
        return self_view_on(db) and agent_of_person(db, current_user.email) is not None

    return {"my_scores_shown": my_scores_shown}
