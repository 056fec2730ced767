"""The flow the import pages share, for tickets and for calls: upload a CSV file, map its
columns with a preview, import it once and show what it gave. Each kind says what differs
in an ImportPages (its rules module, blueprint, templates, labels and import form)."""

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from surveys.helpdesk import imports
from surveys.helpdesk.forms import UploadForm
from surveys.store.db import get_db


@dataclass(frozen=True)
class ImportPages:
    """What the import pages of one kind of file (a key of imports.UPLOADS) differ in."""

    kind: str
    rules: ModuleType  # FIELDS, REQUIRED, guess_mapping, missing_required, preview
    blueprint: str
    upload_template: str  # (a path under templates/) the upload form and the files imported so far
    mapping_template: str  # the columns mapped, the preview and the import form
    done_template: str  # what importing the file gave
    labels: dict  # {field: the label the mapping page shows}
    form: type  # the import form: CSRF, and any choices the import takes
    run: Callable  # run(db, import_id, table, mapping, settings, form): imports the file


def stored_import_or_404(db, pages, import_id):
    """The uploaded file, or 404."""
    stored = imports.stored_import(db, pages.kind, import_id)
    if stored is None:
        abort(404)
    return stored


def read_mapping(pages, args, header):
    """{field: column index or None} from map_<field> parameters; errors per field."""
    mapping, errors = {}, {}
    for name in pages.rules.FIELDS:
        value = args.get(f"map_{name}", "")
        if value == "":
            mapping[name] = None
        elif value.isascii() and value.isdigit() and int(value) < len(header):
            mapping[name] = int(value)
        else:
            errors[name] = "is not a column of the file"
    for name in pages.rules.missing_required(mapping):
        errors.setdefault(name, "must be mapped to a column")
    return mapping, errors


def upload_page(pages):
    """Upload a file (then map its columns), and the files imported so far."""
    db = get_db()
    # Werkzeug holds a file part to the form-field limit (64 KB): let the file use the
    # whole request size (MAX_CONTENT_LENGTH). The global CSRF check would read the form
    # before this line, hence the routes' exemption: the form checks its own token.
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
                import_id = imports.store_upload(
                    db, pages.kind, form.file.data.filename, data, current_user.id
                )
                return _to_mapping(pages, import_id)
        status = 422
    past = imports.past_imports(db, pages.kind)
    return render_template(pages.upload_template, form=form, past=past), status


def mapping_page(pages, import_id):
    """GET: the columns mapped (guessed, or as chosen in the URL) and a preview.
    POST: import the rows with that mapping."""
    db = get_db()
    stored = stored_import_or_404(db, pages, import_id)
    state = imports.import_state(stored)
    if state in ("done", "importing"):
        if request.method == "POST":  # a second click: show what the first one did
            return _to_mapping(pages, import_id)
        if state == "importing":
            return render_template(
                "helpdesk/imports/importing.html",
                stored=stored,
                claim_minutes=imports.CLAIM_SECONDS // 60,
                upload_url=url_for(f"{pages.blueprint}.index"),
            )
        return render_template(
            pages.done_template, stored=stored, errors=imports.kept_errors(stored)
        )
    try:
        table = imports.read_table(stored["content"])
    except imports.ImportFileError as error:
        # Kept from before a rule of the format was added: refused now, as its upload would be.
        return render_template(
            "helpdesk/imports/unreadable.html",
            stored=stored,
            error=error,
            upload_url=url_for(f"{pages.blueprint}.index"),
        ), 422
    source = request.form if request.method == "POST" else request.args
    if any(key.startswith("map_") for key in source):
        chosen, mapping_errors = read_mapping(pages, source, table.header)
    else:
        chosen = pages.rules.guess_mapping(table.header)
        mapping_errors = {
            name: "must be mapped to a column" for name in pages.rules.missing_required(chosen)
        }
    form = pages.form()
    if request.method == "POST" and form.validate() and not mapping_errors:
        pages.run(db, import_id, table, chosen, current_app.config, form)
        return _to_mapping(pages, import_id)
    outcome = (
        None
        if mapping_errors
        else pages.rules.preview(table, chosen, current_app.config["TIMEZONE"])
    )
    status = 422 if request.method == "POST" else 200
    return render_template(
        pages.mapping_template,
        interrupted=state == "interrupted",
        claim_minutes=imports.CLAIM_SECONDS // 60,
        stored=stored,
        table=table,
        form=form,
        chosen=chosen,
        mapping_errors=mapping_errors,
        outcome=outcome,
        labels=pages.labels,
        required=pages.rules.REQUIRED,
        rows=len(table.rows),
    ), status


def _to_mapping(pages, import_id):
    """303 to the file's mapping page (or, once imported, what importing it gave)."""
    return redirect(url_for(f"{pages.blueprint}.mapping", import_id=import_id), code=303)
