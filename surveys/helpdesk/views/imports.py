"""The pages where a manager imports closed tickets from a CSV file: upload, map, import."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from surveys.helpdesk import imports
from surveys.helpdesk.forms import ImportForm, UploadForm
from surveys.security import csrf
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("imports", __name__, url_prefix="/imports")

FIELD_LABELS = {
    "ticket_id": "Ticket",
    "closed_at": "Closed at",
    "customer_email": "Customer email",
    "customer_name": "Customer name",
    "customer_locale": "Customer language",
    "agent_email": "Agent email",
    "agent_name": "Agent name",
    "team": "Team",
    "channel": "Channel",
    "opened_at": "Opened at",
    "first_response_at": "First response at",
    "contacts": "Contacts",
    "escalated": "Escalated",
    "reopened": "Reopened",
    "handle_seconds": "Handle time (seconds)",
}


def stored_import_or_404(db, import_id):
    """The uploaded file, or 404."""
    stored = imports.stored_import(db, import_id)
    if stored is None:
        abort(404)
    return stored


def read_mapping(args, header):
    """{field: column index or None} from map_<field> parameters; errors per field."""
    mapping, errors = {}, {}
    for name in imports.FIELDS:
        value = args.get(f"map_{name}", "")
        if value == "":
            mapping[name] = None
        elif value.isascii() and value.isdigit() and int(value) < len(header):
            mapping[name] = int(value)
        else:
            errors[name] = "is not a column of the file"
    for name in imports.missing_required(mapping):
        errors.setdefault(name, "must be mapped to a column")
    return mapping, errors


@bp.route("/", methods=["GET", "POST"])
@csrf.exempt  # checked by UploadForm.validate(), after the size limit below is raised
@manager_required
def index():
    """Upload a file (then map its columns), and the imports made so far."""
    db = get_db()
    # Werkzeug holds a file part to the form-field limit (64 KB): let the file use the
    # whole request size (MAX_CONTENT_LENGTH). The global CSRF check would read the form
    # before this line, hence the exemption: the form checks its own token.
    request.max_form_memory_size = current_app.config["MAX_CONTENT_LENGTH"]
    form = UploadForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            data = form.file.data.read()
            try:
                imports.read_table(data)
            except imports.ImportFileError as error:
                form.file.errors.append(str(error))
            else:
                import_id = imports.store_upload(db, form.file.data.filename, data, current_user.id)
                return redirect(url_for("imports.mapping", import_id=import_id), code=303)
        status = 422
    past = imports.past_imports(db)
    return render_template("helpdesk/imports/index.html", form=form, past=past), status


@bp.route("/<int:import_id>", methods=["GET", "POST"])
@manager_required
def mapping(import_id):
    """GET: the columns mapped (guessed, or as chosen in the URL) and a preview.
    POST: import the rows with that mapping."""
    db = get_db()
    stored = stored_import_or_404(db, import_id)
    table = imports.read_table(stored["content"])
    if stored["imported_at"]:
        if request.method == "POST":  # a second click: show what the first one did
            return redirect(url_for("imports.mapping", import_id=import_id), code=303)
        return render_template(
            "helpdesk/imports/done.html", stored=stored, errors=imports.kept_errors(stored)
        )
    source = request.form if request.method == "POST" else request.args
    if any(key.startswith("map_") for key in source):
        chosen, mapping_errors = read_mapping(source, table.header)
    else:
        chosen = imports.guess_mapping(table.header)
        mapping_errors = {
            name: "must be mapped to a column" for name in imports.missing_required(chosen)
        }
    form = ImportForm()
    if request.method == "POST" and form.validate() and not mapping_errors:
        imports.run_import(
            db, import_id, table, chosen, current_app.config, survey=form.survey.data
        )
        return redirect(url_for("imports.mapping", import_id=import_id), code=303)
    outcome = (
        None if mapping_errors else imports.preview(table, chosen, current_app.config["TIMEZONE"])
    )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "helpdesk/imports/mapping.html",
        stored=stored,
        table=table,
        form=form,
        chosen=chosen,
        mapping_errors=mapping_errors,
        outcome=outcome,
        labels=FIELD_LABELS,
        required=imports.REQUIRED,
        rows=len(table.rows),
    ), status
