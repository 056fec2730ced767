"""The Integrations pages: help-desk webhooks and the URLs responses are sent back to."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from surveys import clock
from surveys.errors import error_response
from surveys.helpdesk import outbound
from surveys.helpdesk import payloads as integrations
from surveys.helpdesk.forms import HookForm, IntegrationForm
from surveys.helpdesk.integrations import (
    IntegrationError,
    create_integration,
    set_secret,
    webhook_url,
)
from surveys.staff.auth import manager_required
from surveys.store.db import get_db, immediate

bp = Blueprint("integrations", __name__, url_prefix="/integrations")

RECENT_DELIVERIES = 50


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


def integration_rows(db):
    """Every integration, newest first, with its deliveries counted."""
    return list(
        db.query(
            """SELECT integrations.id, kind, name, created_at, revoked_at,
                  (SELECT count(*) FROM webhook_events
                    WHERE webhook_events.integration_id = integrations.id) AS deliveries,
                  (SELECT max(received_at) FROM webhook_events
                    WHERE webhook_events.integration_id = integrations.id) AS last_delivery
             FROM integrations ORDER BY integrations.id DESC"""
        )
    )


def hook_rows(db):
    """Every outbound hook with its deliveries counted by status."""
    return list(
        db.query(
            """SELECT outbound_hooks.id, outbound_hooks.url, outbound_hooks.created_at,
                  outbound_hooks.revoked_at,
                  count(*) FILTER (WHERE outbound_deliveries.status = 'sent') AS sent,
                  count(*) FILTER (WHERE outbound_deliveries.status IN ('pending', 'sending'))
                      AS waiting,
                  count(*) FILTER (WHERE outbound_deliveries.status = 'failed') AS failed,
                  max(outbound_deliveries.last_error) FILTER (
                      WHERE outbound_deliveries.status = 'failed') AS last_error
             FROM outbound_hooks
             LEFT JOIN outbound_deliveries ON outbound_deliveries.hook_id = outbound_hooks.id
            GROUP BY outbound_hooks.id ORDER BY outbound_hooks.id DESC"""
        )
    )


def render_index(form, created=None, status=200, hook_form=None, created_hook=None):
    """The integrations page; a page showing a new secret is never cached."""
    db = get_db()
    rows = integration_rows(db)
    deliveries = list(
        db.query(
            """SELECT webhook_events.*, integrations.name FROM webhook_events
             JOIN integrations ON integrations.id = webhook_events.integration_id
            ORDER BY webhook_events.id DESC LIMIT ?""",
            [RECENT_DELIVERIES],
        )
    )
    page = render_template(
        "integrations/index.html",
        form=form,
        integrations=rows,
        deliveries=deliveries,
        created=created,
        kinds=integrations.KIND_LABELS,
        url_for_id=webhook_url,
        hooks=hook_rows(db),
        hook_form=hook_form or HookForm(formdata=None),
        created_hook=created_hook,
        zendesk_body=integrations.ZENDESK_BODY,
        freshdesk_body=integrations.FRESHDESK_BODY,
        secret_header=integrations.FRESHDESK_SECRET_HEADER,
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


@bp.route("/<int:integration_id>/revoke", methods=["POST"])
@manager_required
def revoke(integration_id):
    """Stop accepting an integration's webhooks (its URL answers 404 from now on)."""
    return revoke_row(
        "integrations", integration_id, "Integration revoked: its webhooks are refused from now on."
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
        hook_id, secret = outbound.create_hook(get_db(), hook_form.url.data, current_user.id)
    except outbound.HookError as error:
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
    return revoke_row(
        "outbound_hooks", hook_id, "Hook removed: responses are no longer sent to it."
    )


def revoke_row(table, row_id, message):
    """Revoke an active row of `table` (integrations or outbound_hooks, never user input),
    or 404; then back to the page with `message`."""
    db = get_db()
    with immediate(db):
        cursor = db.execute(
            f"UPDATE {table} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",  # noqa: S608
            [clock.to_iso(clock.now()), row_id],
        )
    if not cursor.rowcount:
        abort(404)
    flash(message)
    return redirect(url_for("integrations.index"), code=303)
