"""The unsubscribe page at /u/<token> (RFC 8058): GET asks, only a POST unsubscribes.

Mail scanners open every link, so nothing changes on GET or HEAD. The POST comes with no
session cookie and no CSRF token, because a mail client posts it on the customer's behalf
and has neither; the token in the link is the proof of the address.
"""

from flask import Blueprint, current_app, render_template, request

from surveys.customers.suppression import ONE_CLICK, find_link, suppress
from surveys.i18n import use_ticket_locale
from surveys.security import csrf
from surveys.store.db import get_db, immediate

bp = Blueprint("unsubscribe", __name__, url_prefix="/u")


@bp.route("/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client's POST carries no cookie and no CSRF token
def unsubscribe(token):
    """GET asks before anything changes; POST unsubscribes the address the mail went to."""
    db = get_db()
    link = find_link(db, token)
    use_ticket_locale(link["locale"])
    company = current_app.config["COMPANY_NAME"]
    if request.method == "POST":
        with immediate(db):
            suppress(db, link["address_hash"], "unsubscribed")
        return render_template("customers/unsubscribe/done.html", company=company)
    return render_template(
        "customers/unsubscribe/confirm.html",
        token=token,
        company=company,
        already=link["suppressed"] == "unsubscribed",
        one_click=ONE_CLICK,
    )
