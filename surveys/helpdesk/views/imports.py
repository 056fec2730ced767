"""The pages where a manager imports closed tickets from a CSV file: upload, map, import."""

from flask import Blueprint

from surveys.helpdesk import imports
from surveys.helpdesk.forms import ImportForm
from surveys.helpdesk.views.import_pages import ImportPages, mapping_page, upload_page
from surveys.security import csrf
from surveys.staff.auth import manager_required

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


def _run(db, import_id, table, mapping, settings, form):
    """Import the tickets, surveying their customers when the manager ticked it."""
    imports.run_import(db, import_id, table, mapping, settings, survey=form.survey.data)


PAGES = ImportPages(
    kind="tickets",
    rules=imports,
    blueprint=bp.name,
    upload_template="helpdesk/imports/index.html",
    mapping_template="helpdesk/imports/mapping.html",
    done_template="helpdesk/imports/done.html",
    labels=FIELD_LABELS,
    form=ImportForm,
    run=_run,
)


@bp.route("/", methods=["GET", "POST"])
@csrf.exempt  # checked by UploadForm.validate(), after the size limit is raised
@manager_required
def index():
    """Upload a file (then map its columns), and the imports made so far."""
    return upload_page(PAGES)


@bp.route("/<int:import_id>", methods=["GET", "POST"])
@manager_required
def mapping(import_id):
    """GET: the columns mapped (guessed, or as chosen in the URL) and a preview.
    POST: import the rows with that mapping."""
    return mapping_page(PAGES, import_id)
