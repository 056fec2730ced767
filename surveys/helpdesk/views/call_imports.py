"""The pages where a manager imports calls from a call log (CSV): upload, map, import."""

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

from surveys.helpdesk import call_imports, imports
from surveys.helpdesk.forms import CallImportForm, UploadForm
from surveys.security import csrf
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("call_imports", __name__, url_prefix="/imports/calls")

FIELD_LABELS = {
    "call_id": "Call",
    "queued_at": "Queued at",
    "answered_at": "Answered at",
    "ended_at": "Ended at",
    "outcome": "Outcome",
    "agent": "Agent (email or name)",
    "team": "Team",
    "channel": "Channel",
}


def stored_import_or_404(db, import_id):
    """The uploaded call log, or 404."""
    stored = call_imports.stored_import(db, import_id)
    if stored is None:
        abort(404)
    return stored


def read_mapping(args, header):
    """{field: column index or None} from map_<field> parameters; errors per field."""
    mapping, errors = {}, {}
    for name in call_imports.FIELDS:
        value = args.get(f"map_{name}", "")
        if value == "":
            mapping[name] = None
        elif value.isascii() and value.isdigit() and int(value) < len(header):
            mapping[name] = int(value)
        else:
            errors[name] = "is not a column of the file"
    for name in call_imports.missing_required(mapping):
        errors.setdefault(name, "must be mapped to a column")
    return mapping, errors


@bp.route("/", methods=["GET", "POST"])
@csrf.exempt  # checked by UploadForm.validate(), after the size limit below is raised
@manager_required
def index():
    """Upload a call log (then map its columns), and the call logs imported so far."""
    db = get_db()
    # As on the tickets' import page: the file may use the whole request size, so the
    # form checks its own token once the limit is raised.
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
                import_id = call_imports.store_upload(
                    db, form.file.data.filename, data, current_user.id
                )
                return redirect(url_for("call_imports.mapping", import_id=import_id), code=303)
        status = 422
    past = call_imports.past_imports(db)
    return render_template("helpdesk/imports/calls.html", form=form, past=past), status


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
            return redirect(url_for("call_imports.mapping", import_id=import_id), code=303)
        return render_template(
            "helpdesk/imports/calls_done.html", stored=stored, errors=imports.kept_errors(stored)
        )
    source = request.form if request.method == "POST" else request.args
    if any(key.startswith("map_") for key in source):
        chosen, mapping_errors = read_mapping(source, table.header)
    else:
        chosen = call_imports.guess_mapping(table.header)
        mapping_errors = {
            name: "must be mapped to a column" for name in call_imports.missing_required(chosen)
        }
    form = CallImportForm()
    if request.method == "POST" and form.validate() and not mapping_errors:
        call_imports.run_import(db, import_id, table, chosen, current_app.config)
        return redirect(url_for("call_imports.mapping", import_id=import_id), code=303)
    outcome = (
        None
        if mapping_errors
        else call_imports.preview(table, chosen, current_app.config["TIMEZONE"])
    )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "helpdesk/imports/calls_mapping.html",
        stored=stored,
        table=table,
        form=form,
        chosen=chosen,
        mapping_errors=mapping_errors,
        outcome=outcome,
        labels=FIELD_LABELS,
        required=call_imports.REQUIRED,
        rows=len(table.rows),
    ), status
