"""Staff rate admins: speed, initiative and accuracy, once per admin and month."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from surveys import clock
from surveys.customers.questions import RATING_DIMENSIONS
from surveys.reports.scoring import RATING_DIMENSION_NAMES
from surveys.staff.forms import RatingForm
from surveys.staff.scorecards import is_closed
from surveys.store.db import get_db, immediate

bp = Blueprint("ratings", __name__, url_prefix="/ratings")

COMMENT_FIELDS = tuple(f"comment_{name}" for name in RATING_DIMENSION_NAMES)
# The months a manager can close on /periods; older ones are history, not open to rating.
RATEABLE_MONTHS = 12


class RatingRefused(Exception):
    """A rating that may not be stored: self-rating, unknown admin, closed or future month."""

    def __init__(self, field, message, status=422):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def rateable_admins(db, rater_id):
    """Active admins the rater may rate: everyone rated but themselves."""
    return list(
        db.query(
            "SELECT id, email, name FROM users WHERE rated = 1 AND active = 1 AND id != ? "
            "ORDER BY coalesce(name, email)",
            [rater_id],
        )
    )


def own_rating(db, rater_id, admin_email, period):
    """The rater's rating of that admin for that month, or None."""
    rows = list(
        db.query(
            """SELECT ratings.* FROM ratings JOIN users ON users.id = ratings.admin_id
            WHERE ratings.rater_id = ? AND users.email = ? AND ratings.period = ?""",
            [rater_id, admin_email, period],
        )
    )
    return rows[0] if rows else None


def save_rating(db, rater_id, admin_email, period, answers, today_period):
    """Insert or replace the rater's rating; RatingRefused says why it cannot be stored."""
    try:
        clock.parse_period(period)
    except ValueError as error:
        raise RatingRefused("period", "Give the month as YYYY-MM, such as 2026-11.") from error
    if period > today_period:
        raise RatingRefused("period", "You can only rate a month that has begun.")
    if period < clock.add_months(today_period, 1 - RATEABLE_MONTHS):
        raise RatingRefused("period", f"You can rate the last {RATEABLE_MONTHS} months only.")
    now = clock.to_iso(clock.now())
    # Read and write under one lock: a manager closing the month in between must win.
    with immediate(db):
        admin = next(
            db.query("SELECT id, rated, active FROM users WHERE email = ?", [admin_email]), None
        )
        if admin is None or not admin["rated"] or not admin["active"]:
            raise RatingRefused("admin", "Choose an admin from the list.")
        if admin["id"] == rater_id:
            raise RatingRefused("admin", "You cannot rate yourself.")
        if is_closed(db, period):
            raise RatingRefused(
                "period", f"{period} is closed: its ratings can no longer change.", status=409
            )
        db.execute(
            """INSERT INTO ratings (rater_id, admin_id, period, speed, initiative, accuracy,
                   comment_speed, comment_initiative, comment_accuracy, created_at, updated_at)
               VALUES (:rater_id, :admin_id, :period, :speed, :initiative, :accuracy,
                   :comment_speed, :comment_initiative, :comment_accuracy, :now, :now)
               ON CONFLICT (rater_id, admin_id, period) DO UPDATE SET
                   speed = excluded.speed, initiative = excluded.initiative,
                   accuracy = excluded.accuracy, comment_speed = excluded.comment_speed,
                   comment_initiative = excluded.comment_initiative,
                   comment_accuracy = excluded.comment_accuracy,
                   updated_at = excluded.updated_at""",
            dict(answers, rater_id=rater_id, admin_id=admin["id"], period=period, now=now),
        )


def rating_form(db, formdata=None):
    """The rating form, its admin list filled for the signed-in rater."""
    form = RatingForm(formdata=formdata)
    form.admin.choices = {"": "Choose an admin"} | {
        admin["email"]: admin["name"] or admin["email"]
        for admin in rateable_admins(db, current_user.id)
    }
    return form


def answers_of(form):
    """The form's ratings and trimmed comments, as stored."""
    answers = {name: getattr(form, name).data for name in RATING_DIMENSION_NAMES}
    for field in COMMENT_FIELDS:
        answers[field] = (getattr(form, field).data or "").strip() or None
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
        "ratings/new.html", form=form, editing=editing, dimensions=RATING_DIMENSIONS
    )


@bp.route("/")
@login_required
def mine():
    """The signed-in person's own ratings, newest month first."""
    rows = list(
        get_db().query(
            """SELECT ratings.period, ratings.speed, ratings.initiative, ratings.accuracy,
                  ratings.updated_at, users.email AS admin_email, users.name AS admin_name,
                  closed_periods.period IS NOT NULL AS closed
             FROM ratings JOIN users ON users.id = ratings.admin_id
             LEFT JOIN closed_periods ON closed_periods.period = ratings.period
            WHERE ratings.rater_id = ? ORDER BY ratings.period DESC, users.email""",
            [current_user.id],
        )
    )
    return render_template("ratings/mine.html", ratings=rows)
