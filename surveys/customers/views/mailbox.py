"""The mailbox pages: the mail Puas wrote to instance/mail/ when no SMTP server is set.

Meant for the demo and for trying Puas out. It is the one place a manager can see a
survey link, and it only has messages when no SMTP_HOST is configured.
"""

import re

from flask import Blueprint, abort, current_app, render_template
from markupsafe import Markup, escape

from surveys.customers.mailbox import find_message, list_messages, plain_text
from surveys.staff.auth import manager_required

bp = Blueprint("mailbox", __name__, url_prefix="/mailbox")


@bp.route("/")
@manager_required
def inbox():
    """The newest messages the mailbox sender wrote."""
    return render_template(
        "customers/mailbox/index.html",
        messages=list_messages(current_app.config["MAIL_DIR"]),
        smtp_host=current_app.config["SMTP_HOST"],
    )


@bp.route("/<filename>")
@manager_required
def message(filename):
    """One message, with its links clickable."""
    parsed = find_message(current_app.config["MAIL_DIR"], filename)
    if parsed is None:
        abort(404)
    return render_template(
        "customers/mailbox/message.html",
        message=parsed,
        text=plain_text(parsed),
        filename=filename,
    )


URL_PATTERN = re.compile(r"https?://[^\s<>\"']+")


@bp.app_template_filter("linkify")
def linkify(text):
    """Escape a plain-text mail body and make its web addresses clickable."""
    escaped = str(escape(text))
    linked = URL_PATTERN.sub(
        lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped
    )
    return Markup(linked)
