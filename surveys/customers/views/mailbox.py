"""The mailbox pages: the mail Puas wrote to instance/mail/ when no SMTP server is set.

Meant for the demo and for trying Puas out. It is the one place a manager can see a
survey link, and it only has messages when no SMTP_HOST is configured.
"""

import re

from flask import Blueprint, abort, current_app, make_response, render_template
from markupsafe import Markup, escape

from surveys.customers.mailbox import find_message, html_as_sent, list_messages, plain_text
from surveys.staff.auth import manager_required

bp = Blueprint("mailbox", __name__, url_prefix="/mailbox")

# A message's HTML is shown as the customer's mail program would, in a sandboxed frame on
# the message page: no script runs, no form posts, nothing loads but its own inline
# images (data: URLs) and inline styles, and only a Puas page may frame it.
HTML_PART_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox"
)


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
        has_html=parsed.get_body(preferencelist=("html",)) is not None,
        filename=filename,
    )


@bp.route("/<filename>/html")
@manager_required
def html_part(filename):
    """One message's HTML part as the customer sees it, for the sandboxed frame."""
    parsed = find_message(current_app.config["MAIL_DIR"], filename)
    html = html_as_sent(parsed) if parsed is not None else None
    if html is None:
        abort(404)
    response = make_response(html)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    return response


URL_PATTERN = re.compile(r"https?://[^\s<>\"']+")


@bp.app_template_filter("linkify")
def linkify(text):
    """Escape a plain-text mail body and make its web addresses clickable."""
    escaped = str(escape(text))
    linked = URL_PATTERN.sub(
        lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped
    )
    return Markup(linked)
