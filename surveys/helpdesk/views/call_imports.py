"""The pages where a manager imports calls from a call log (CSV): upload, map, import."""

from flask import Blueprint

from surveys.helpdesk import call_imports
from surveys.helpdesk.forms import CallImportForm
from surveys.helpdesk.views.import_pages import ImportPages, mapping_page, upload_page
from surveys.security import csrf
from surveys.staff.auth import manager_required

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


def _run(db, import_id, table, mapping, settings, form):
    """Import the calls (the form holds only its CSRF token)."""
    call_imports.run_import(db, import_id, table, mapping, settings)


PAGES = ImportPages(
    kind="calls",
    rules=call_imports,
    blueprint=bp.name,
    upload_template="helpdesk/imports/calls.html",
    mapping_template="helpdesk/imports/calls_mapping.html",
    done_template="helpdesk/imports/calls_done.html",
    labels=FIELD_LABELS,
    form=CallImportForm,
    run=_run,
)


@bp.route("/", methods=["GET", "POST"])
@csrf.exempt  # checked by UploadForm.validate(), after the size limit is raised
@manager_required
def index():
    """Upload a call log (then map its columns), and the call logs imported so far."""
    return upload_page(PAGES)


@bp.route("/<int:import_id>", methods=["GET", "POST"])
@manager_required
def mapping(import_id):
    """GET: the columns mapped (guessed, or as chosen in the URL) and a preview.
    POST: import the rows with that mapping."""
    return mapping_page(PAGES, import_id)
