"""/profile: a signed-in person's own settings; for managers, which digest they get."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from surveys import clock
from surveys.actions.digest_periods import first_period
from surveys.actions.digests import choose_digest, digest_choice
from surveys.actions.forms import ProfileForm
from surveys.store.db import get_db

bp = Blueprint("profile", __name__)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit():
    """Who is signed in; a manager chooses a weekly or monthly digest, or none."""
    db = get_db()
    digest, since = digest_choice(db, current_user.id)
    form = ProfileForm(data={"digest": digest})
    if form.is_submitted():
        if not current_user.is_manager:
            abort(403)  # digests summarise every score: only managers get them
        if form.validate():
            choose_digest(db, current_user.id, form.digest.data)
            flash(saved_message(form.digest.data), "info")
            return redirect(url_for("profile.edit"), code=303)
        return render_page(form, digest, since), 422
    return render_page(form, digest, since)


def saved_message(choice):
    """What the flash says after saving: the choice, and which period its first covers and
    when it comes."""
    if choice == "none":
        return "Saved: you get no digest."
    config = current_app.config
    period = first_period(choice, clock.now(), config["TIMEZONE"])
    due = period.due_at(config["TIMEZONE"], config["DIGEST_HOUR"])
    return (
        f"Saved: you get a {choice} digest. The next covers {period.label()} and comes on "
        f"{clock.local_day(due, config['TIMEZONE'])} at {config['DIGEST_HOUR']:02d}:00 "
        f"({config['TIMEZONE']})."
    )


def render_page(form, digest, since):
    """The profile page with the person's current choice."""
    return render_template(
        "actions/profile.html",
        form=form,
        digest=digest,
        since=since,
        digest_hour=current_app.config["DIGEST_HOUR"],
        timezone=current_app.config["TIMEZONE"],
    )
