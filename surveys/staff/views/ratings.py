"""The rating pages: staff rate an admin for a month and see the ratings they gave."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from surveys import clock
from surveys.customers.questions import RATING_DIMENSIONS
from surveys.reports.scoring import RATING_DIMENSION_NAMES
from surveys.staff.forms import RatingForm
from surveys.staff.people import name_and_email
from surveys.staff.ratings import (
    COMMENT_FIELDS,
    RatingRefused,
    own_rating,
    rateable_admins,
    ratings_by,
    save_rating,
)
from surveys.store.db import get_db

bp = Blueprint("ratings", __name__, url_prefix="/ratings")


def rating_form(db, formdata=None):
    """The rating form, its admin list filled for the signed-in rater."""
    form = RatingForm(formdata=formdata)
    form.admin.choices = {"": "Choose an admin"} | {
        admin["email"]: name_and_email(admin["name"], admin["email"])
        for admin in rateable_admins(db, current_user.id)
    }
    return form


def answers_of(form):
    """The form's ratings and trimmed comments, as stored."""
    answers = {name: getattr(form, name).data for name in RATING_DIMENSION_NAMES}
    for field in COMMENT_FIELDS:
        answers[field] = getattr(form, field).data or None
    return answers


@bp.route("/new", methods=["GET", "POST"])
@login_required
def rate():
    """Rate an admin for a month; the same form changes a rating until the month closes."""
    db = get_db()
    this_month = clock.current_period(current_app.config["TIMEZONE"])
    if request.method == "POST":
        form = rating_form(db, request.form)
        if form.validate():
            try:
                save_rating(
                    db,
                    current_user.id,
                    form.admin.data,
                    form.period.data,
                    answers_of(form),
                    this_month,
                )
            except RatingRefused as refusal:
                getattr(form, refusal.field).errors.append(refusal.message)
                return render_page(form), refusal.status
            flash(f"Your rating of {form.admin.data} for {form.period.data} is saved.", "info")
            return redirect(url_for("ratings.mine"))
        if form.admin.data == current_user.email:  # not in the list, and this is why
            form.admin.errors[:] = ["You cannot rate yourself."]
        return render_page(form), 422
    form = rating_form(db)
    form.admin.data = request.args.get("admin", "")
    form.period.data = request.args.get("period") or this_month
    previous = own_rating(db, current_user.id, form.admin.data, form.period.data)
    if previous is not None:
        for field in (*RATING_DIMENSION_NAMES, *COMMENT_FIELDS):
            getattr(form, field).data = previous[field]
    return render_page(form, editing=previous is not None)


def render_page(form, editing=False):
    """The rating page around a form."""
    return render_template(
        "staff/ratings/new.html", form=form, editing=editing, dimensions=RATING_DIMENSIONS
    )


@bp.route("/")
@login_required
def mine():
    """The signed-in person's own ratings, newest month first."""
    return render_template("staff/ratings/mine.html", ratings=ratings_by(get_db(), current_user.id))
