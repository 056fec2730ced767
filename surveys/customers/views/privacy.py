"""The customer-data page at /customers: see, download or erase what Puas holds about an
address (docs/pages.md, "Customer data"). Lookups are POSTs, so addresses stay out of URLs
and logs."""

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from surveys.customers.forms import CustomerEraseForm, CustomerLookupForm
from surveys.customers.personal_data import erase_customer, export_customer
from surveys.staff.auth import manager_required
from surveys.store.db import get_db
from surveys.text import clean_email

bp = Blueprint("privacy", __name__, url_prefix="/customers")


def address_of(form):
    """The form's address as Puas stores it, or None with the error on the field."""
    try:
        return clean_email(form.email.data)
    except ValueError as error:
        form.email.errors.append(f"This address {error}.")
        return None


def render_page(lookup=None, erase=None, held=None, status=200):
    """The page: the lookup form, and what is held about the address looked up."""
    return render_template(
        "customers/privacy.html",
        lookup=lookup or CustomerLookupForm(formdata=None),
        erase=erase,
        held=held,
    ), status


@bp.route("", methods=["GET", "POST"])
@manager_required
def lookup():
    """GET: the form. POST: what Puas holds about the address, with export and erase."""
    form = CustomerLookupForm()
    if not form.is_submitted():
        return render_page()
    address = address_of(form) if form.validate() else None
    if address is None:
        return render_page(lookup=form, status=422)
    held = export_customer(get_db(), address)
    erase = CustomerEraseForm(formdata=None, data={"email": address})
    return render_page(lookup=form, erase=erase, held=held or {"address": address})


@bp.route("/export", methods=["POST"])
@manager_required
def export():
    """Everything held about the address, as a JSON download."""
    form = CustomerLookupForm()
    address = address_of(form) if form.validate() else None
    if address is None:
        return render_page(lookup=form, status=422)
    held = export_customer(get_db(), address) or {"address": address, "held": "nothing"}
    return Response(
        json.dumps(held, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="customer-data.json"'},
    )


@bp.route("/erase", methods=["POST"])
@manager_required
def erase():
    """Erase the address's personal data once the address was typed again."""
    form = CustomerEraseForm()
    address = address_of(form) if form.validate() else None
    if address is not None and form.confirm.data.strip().lower() != address:
        form.confirm.errors.append("Type the same address again to erase it.")
        address = None
    if address is None:
        typed = clean_email_or_none(form.email.data)
        held = export_customer(get_db(), typed) if typed else None
        return render_page(lookup=form, erase=form, held=held, status=422)
    erasure = erase_customer(
        get_db(), address, current_app.config["MAIL_DIR"], erased_by=current_user.id
    )
    if erasure is None:
        flash("Nothing held about that address (its suppression, if any, stays).", "info")
    else:
        flash(
            f"Erased: {erasure['tickets']} tickets, {erasure['responses']} responses and "
            f"{erasure['other_rows']} other rows and files lost the address, name and "
            "comments. Scores stay; the address stays suppressed.",
            "info",
        )
    return redirect(url_for("privacy.lookup"), code=303)


def clean_email_or_none(value):
    """The address as stored, or None when it is not one."""
    try:
        return clean_email(value)
    except ValueError:
        return None
