"""Targets: what each score should reach, set by managers, shown beside every score."""

from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import InputRequired, NumberRange

from surveys import clock
from surveys.auth import manager_required
from surveys.db import get_db, immediate
from surveys.scoring import target_met

bp = Blueprint("targets", __name__)


@dataclass(frozen=True)
class Target:
    """One score's target: its label, scale and which way is better."""

    name: str
    label: str
    default: float
    low: float
    high: float
    higher_is_better: bool = True
    unit: str = ""


TARGETS = (
    Target("csat_pct", "CSAT", 85, 0, 100, unit="%"),
    Target("ces_mean", "CES (mean, 1–7)", 5.0, 1, 7),
    Target("nps", "NPS", 30, -100, 100),
    Target("response_rate", "Response rate", 25, 0, 100, unit="%"),
    Target("frt_hours", "First response time (mean)", 24, 0.1, 1000, False, " h"),
    Target("frt_compliance_pct", "First responses within the standard", 90, 0, 100,
           unit="%"),
    Target("resolution_median_h", "Resolution time (median)", 72, 0.1, 10000, False, " h"),
    Target("fcr_pct", "First contact resolution", 70, 0, 100, unit="%"),
    Target("escalation_pct", "Escalation rate", 10, 0, 100, False, "%"),
    Target("reopen_pct", "Reopen rate", 5, 0, 100, False, "%"),
    Target("repeat_pct", "Repeat rate", 10, 0, 100, False, "%"),
)
BY_NAME = {target.name: target for target in TARGETS}


def current_targets(db, config):
    """Every target's value: what a manager set, else the default (FRT from settings)."""
    values = {target.name: float(target.default) for target in TARGETS}
    values["frt_hours"] = float(config["FRT_TARGET_HOURS"])
    values.update({row["name"]: row["value"] for row in db.query(
        "SELECT name, value FROM targets")})
    return values


def met(name, value, targets):
    """True when a score meets its target, False when not, None when there is no score."""
    if name not in targets:
        return None
    return target_met(value, targets[name], BY_NAME[name].higher_is_better)


def save_targets(db, values, manager_id):
    """Store every target a manager submitted, in one transaction."""
    now = clock.to_iso(clock.now())
    with immediate(db):
        for name, value in values.items():
            db.execute(
                "INSERT INTO targets (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                [name, float(value), now, manager_id])


def targets_form(formdata=None, values=None):
    """A form with one number per target, limited to that score's scale."""

    class TargetsForm(FlaskForm):
        pass

    for target in TARGETS:
        message = f"Enter a number from {target.low:g} to {target.high:g}."
        setattr(TargetsForm, target.name, DecimalField(
            target.label, places=None,
            validators=[InputRequired(message), NumberRange(target.low, target.high, message)],
        ))
    return TargetsForm(formdata=formdata, data=values)


@bp.route("/targets", methods=["GET", "POST"])
@manager_required
def edit():
    """Managers set the target of every score; reports show each score beside it."""
    db = get_db()
    if request.method == "POST":
        form = targets_form(request.form)
        if form.validate():
            save_targets(db, {target.name: form[target.name].data for target in TARGETS},
                         current_user.id)
            flash("Targets saved.", "info")
            return redirect(url_for("targets.edit"))
        return render_template("targets/edit.html", form=form, targets=TARGETS), 422
    form = targets_form(values=current_targets(db, current_app.config))
    return render_template("targets/edit.html", form=form, targets=TARGETS)
