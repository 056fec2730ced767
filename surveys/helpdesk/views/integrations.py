"""The Integrations pages: help-desk webhooks and the URLs responses are sent back to."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from surveys.errors import error_response
from surveys.helpdesk import hooks, payloads
from surveys.helpdesk.forms import HookForm, IntegrationForm
from surveys.helpdesk.integrations import (
    IntegrationError,
    create_integration,
    integration_rows,
    recent_deliveries,
    revoke_integration,
    set_secret,
    webhook_url,
)
from surveys.helpdesk.outbound import HookError, create_hook
from surveys.helpdesk.ticket_links import (
    TicketUrlError,
    check_template,
    integration_exists,
    set_template,
)
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("integrations", __name__, url_prefix="/integrations")


@bp.route("/<int:integration_id>/secret", methods=["POST"])
@manager_required
def replace_secret(integration_id):
    """Store the signing secret the help desk made for this integration."""
    try:
        replaced = set_secret(get_db(), integration_id, request.form.get("secret", "").strip())
    except IntegrationError as error:
        return error_response(422, str(error))
    if not replaced:
        abort(404)
    flash("Secret replaced: deliveries are checked with the new one from now on.")
    return redirect(url_for("integrations.index"), code=303)


def render_index(
    form, created=None, status=200, hook_form=None, created_hook=None, ticket_url_error=None
):
    """The integrations page; a page showing a new secret is never cached."""
    db = get_db()
    page = render_template(
        "helpdesk/integrations/index.html",
        form=form,
        integrations=integration_rows(db),
        deliveries=recent_deliveries(db),
        created=created,
        kinds=payloads.KIND_LABELS,
        url_for_id=webhook_url,
        hooks=hooks.hook_rows(db),
        hook_form=hook_form or HookForm(formdata=None),
        created_hook=created_hook,
        ticket_url_error=ticket_url_error,
        zendesk_body=payloads.ZENDESK_BODY,
        freshdesk_body=payloads.FRESHDESK_BODY,
        secret_header=payloads.FRESHDESK_SECRET_HEADER,
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/", methods=["GET", "POST"])
@manager_required
def index():
    """List integrations and recent deliveries; POST adds one and shows its secret once."""
    form = IntegrationForm()
    if request.method == "POST":
        if not form.validate():
            return render_index(form, status=422)
        try:
            integration_id, secret = create_integration(
                get_db(), form.kind.data, form.name.data, current_user.id
            )
        except IntegrationError as error:
            form.name.errors.append(str(error))
            return render_index(form, status=422)
        created = {
            "id": integration_id,
            "kind": form.kind.data,
            "secret": secret,
            "url": webhook_url(integration_id),
        }
        return render_index(IntegrationForm(formdata=None), created=created, status=201)
    return render_index(form)


@bp.route("/<int:integration_id>/ticket-url", methods=["POST"])
@manager_required
def ticket_url(integration_id):
    """Store where the help desk shows a ticket of this integration (empty: no links)."""
    if not integration_exists(get_db(), integration_id):
        abort(404)
    submitted = request.form.get("ticket_url_template", "")
    try:
        template = check_template(submitted)
    except TicketUrlError as error:
        problem = {
            "id": integration_id,
            "value": submitted,
            "message": f"ticket_url_template {error}.",
        }
        return render_index(IntegrationForm(formdata=None), status=422, ticket_url_error=problem)
    if not set_template(get_db(), integration_id, template):
        abort(404)
    flash("Ticket ids now link to the help desk." if template else "Ticket ids no longer link.")
    return redirect(url_for("integrations.index"), code=303)


@bp.route("/<int:integration_id>/revoke", methods=["POST"])
@manager_required
def revoke(integration_id):
    """Stop accepting an integration's webhooks (its URL answers 404 from now on)."""
    return back_to_index(
        revoke_integration(get_db(), integration_id),
        "Integration revoked: its webhooks are refused from now on.",
    )


@bp.route("/hooks", methods=["POST"])
@manager_required
def add_hook():
    """Start POSTing responses to a URL; its signing secret is shown once."""
    hook_form = HookForm()
    form = IntegrationForm(formdata=None)
    if not hook_form.validate():
        return render_index(form, status=422, hook_form=hook_form)
    try:
        hook_id, secret = create_hook(get_db(), hook_form.url.data, current_user.id)
    except HookError as error:
        hook_form.url.errors.append(str(error))
        return render_index(form, status=422, hook_form=hook_form)
    return render_index(
        form,
        status=201,
        created_hook={"id": hook_id, "url": hook_form.url.data.strip(), "secret": secret},
    )


@bp.route("/hooks/<int:hook_id>/revoke", methods=["POST"])
@manager_required
def revoke_hook(hook_id):
    """Stop POSTing responses to a hook's URL (deliveries still waiting fail)."""
    return back_to_index(
        hooks.revoke_hook(get_db(), hook_id), "Hook removed: responses are no longer sent to it."
    )


def back_to_index(revoked, message):
    """Back to the page with `message` once a row was revoked; 404 when there was none."""
    if not revoked:
        abort(404)
    flash(message)
    return redirect(url_for("integrations.index"), code=303)
