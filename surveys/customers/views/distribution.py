"""The distribution rules page at /settings/distribution, for managers."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from surveys.customers.distribution import (
    REASONS,
    RECENT_DAYS,
    RULES,
    current_rules,
    last_change,
    recent_outcomes,
    review_url,
    save_rules,
    suppressed_addresses,
)
from surveys.customers.forms import rules_form, submitted_review_url, submitted_rules
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("distribution", __name__, url_prefix="/settings")


@bp.route("/distribution", methods=["GET", "POST"])
@manager_required
def settings():
    """Managers set the distribution rules; every later closure and mail follows them."""
    db = get_db()
    config = current_app.config
    if request.method == "POST":
        form = rules_form(request.form)
        if form.validate():
            save_rules(db, submitted_rules(form), current_user.id, submitted_review_url(form))
            flash(
                "Distribution rules saved. They apply to the closures reported and the "
                "mail sent from now on.",
                "info",
            )
            return redirect(url_for("distribution.settings"))
        status = 422
    else:
        form = rules_form(rules=current_rules(db, config), review_url=review_url(db))
        status = 200
    return render_template(
        "customers/distribution/settings.html",
        form=form,
        rules=RULES,
        reasons=REASONS,
        last_change=last_change(db),
        recent_days=RECENT_DAYS,
        outcomes=recent_outcomes(db, config["TIMEZONE"]),
        suppressed=suppressed_addresses(db),
    ), status
