"""Monthly business figures: the /business pages where managers enter them (a form per
month, or a CSV file), PUT /api/v1/months/<YYYY-MM> and GET /api/v1/business."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from surveys import clock
from surveys.bodies import read_json_body
from surveys.errors import error_response
from surveys.reports.business import (
    FIELDS,
    ROW_FIELDS,
    BusinessError,
    read_figures,
    read_month,
    read_months,
)
from surveys.reports.business_queries import (
    import_months,
    month_rows,
    read_months_csv,
    save_month,
    team_id_named,
)
from surveys.reports.exports import download
from surveys.reports.forms import MonthForm, MonthsUploadForm
from surveys.reports.targets import met, targets_for, team_names
from surveys.security import csrf
from surveys.staff.auth import api_key_or_manager_required, api_key_required, manager_required
from surveys.store.db import get_db

bp = Blueprint("business", __name__)
api_bp = Blueprint("business_api", __name__, url_prefix="/api/v1")

RECENT_MONTHS = 12


def this_month():
    """The current month in TIMEZONE: the latest one figures can be entered for."""
    return clock.current_period(current_app.config["TIMEZONE"])


def page_team(db):
    """(team name or None, team id) from ?team=; 404 for a team Puas does not know."""
    team = (request.args.get("team") or "").strip() or None
    team_id = team_id_named(db, team)
    if team_id is None:
        abort(404)
    return team, team_id


def render_index(db, team, team_id, upload, import_errors=(), status=200):
    """The /business page: the recent months' figures, and the CSV upload."""
    last = this_month()
    rows = month_rows(db, team_id, clock.add_months(last, 1 - RECENT_MONTHS), last)
    return render_template(
        "reports/business.html",
        rows=rows[::-1],
        team=team,
        teams=team_names(db),
        upload=upload,
        import_errors=import_errors,
        fields=FIELDS,
        targets=targets_for(db, current_app.config, team),
        met=met,
    ), status


@bp.route("/business")
@manager_required
def index():
    """The recent months' business figures, with CRR, churn and cost per resolution."""
    db = get_db()
    team, team_id = page_team(db)
    return render_index(db, team, team_id, MonthsUploadForm())


@bp.route("/business/import", methods=["POST"])
@csrf.exempt  # checked by MonthsUploadForm.validate(), after the size limit below is raised
@manager_required
def upload():
    """Store every month of a CSV file, or none: a line that fails is listed with why."""
    db = get_db()
    team, team_id = page_team(db)
    # As on /imports/: the file may use the whole request size, so the form checks its
    # own CSRF token once Werkzeug may read it.
    request.max_form_memory_size = current_app.config["MAX_CONTENT_LENGTH"]
    form = MonthsUploadForm()
    if not form.validate():
        return render_index(db, team, team_id, form, status=422)
    outcome = read_months_csv(form.file.data.read(), this_month())
    stored = import_months(db, team_id, outcome, current_user.id)
    if outcome.errors:
        return render_index(db, team, team_id, form, outcome.errors, status=422)
    flash(f"{stored} month{'' if stored == 1 else 's'} saved.", "info")
    return redirect(url_for("business.index", team=team), code=303)


def shown(value, name):
    """A stored figure as its form box shows it: money with two decimals, blank for none."""
    if value is None:
        return ""
    return f"{value:.2f}" if name == "support_cost" else str(value)


@bp.route("/business/<month>", methods=["GET", "POST"])
@manager_required
def month(month):
    """One month's figures: the form, filled with what is stored."""
    db = get_db()
    team, team_id = page_team(db)
    try:
        month = read_month(month, this_month())
    except ValueError:
        abort(404)
    [row] = month_rows(db, team_id, month, month)
    form = MonthForm(data={name: shown(row[name], name) for name in FIELDS})
    if request.method == "POST" and form.validate():
        try:
            figures = read_figures({name: form[name].data for name in FIELDS}, text=True)
            save_month(db, team_id, month, figures, current_user.id)
        except BusinessError as error:
            for name, message in error.errors.items():
                form[name].errors = [*form[name].errors, f"{form[name].label.text} {message}."]
        else:
            flash(f"Figures for {month}{f' ({team})' if team else ''} saved.", "info")
            return redirect(url_for("business.index", team=team), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "reports/business_month.html", form=form, month=month, team=team, row=row
    ), status


@bp.route("/business.csv", defaults={"kind": "csv"})
@bp.route("/business.xlsx", defaults={"kind": "xlsx"})
@api_key_or_manager_required
def download_months(kind):
    """The ROWs of GET /api/v1/business as CSV or Excel (same parameters)."""
    db = get_db()
    span, failure = api_span(db)
    if failure:
        return failure
    team_id, first, last = span
    rows = month_rows(db, team_id, first, last)
    return download(lambda: rows, ROW_FIELDS, f"puas-business-{first}-{last}.{kind}", kind)


def api_team(db):
    """(team id, None) from ?team=, or (None, an error response) for an unknown team."""
    team_id = team_id_named(db, (request.args.get("team") or "").strip() or None)
    if team_id is None:
        return None, error_response(
            422, "the team is not known", errors={"team": "is not a team Puas knows"}
        )
    return team_id, None


def api_span(db):
    """((team id, first month, last month), None) from ?team=, ?from= and ?to=; or
    (None, the 422 response) for an unknown team or months that are not valid."""
    team_id, failure = api_team(db)
    if failure:
        return None, failure
    try:
        first, last = read_months(request.args, this_month())
    except BusinessError as error:
        return None, error_response(422, "the report parameters are not valid", errors=error.errors)
    return (team_id, first, last), None


@api_bp.route("/months/<month>", methods=["PUT"])
@csrf.exempt  # machines authenticate with a Bearer key, not a session
@api_key_required
def put_month(month):
    """Set a month's business figures: the fields given replace the stored ones (null
    clears one), the others stay (docs/api.md)."""
    db = get_db()
    team_id, failure = api_team(db)
    if failure:
        return failure
    payload, failure = read_json_body()
    if failure:
        return failure
    errors = {}
    try:
        month = read_month(month, this_month())
    except ValueError as error:
        errors["month"] = str(error)
    try:
        figures = read_figures(payload)
        if not errors:
            created = save_month(db, team_id, month, figures)
    except BusinessError as error:
        errors.update(error.errors)
    if errors:
        return error_response(422, "the month could not be accepted", errors=errors)
    [row] = month_rows(db, team_id, month, month)
    return jsonify(row), 201 if created else 200


@api_bp.route("/business")
@api_key_or_manager_required
def business():
    """The business figures of a range of months, one ROW per month (docs/api.md)."""
    db = get_db()
    span, failure = api_span(db)
    if failure:
        return failure
    team_id, first, last = span
    return jsonify({"from": first, "to": last, "months": month_rows(db, team_id, first, last)})
