"""The mailbox: without an SMTP server, mail is written to instance/mail/ and read here.

Meant for the demo and for trying Puas out. It is the one place a manager can see a
survey link, and it only has messages when no SMTP_HOST is configured.
"""

import os
import re
from email import policy
from email.parser import BytesParser

from flask import Blueprint, abort, current_app, render_template
from markupsafe import Markup, escape

from surveys.staff.auth import manager_required

bp = Blueprint("mailbox", __name__, url_prefix="/mailbox")

FILENAME_PATTERN = re.compile(r"[0-9A-Za-z.\-]+\.eml")
MAX_LISTED = 200


def read_message(path):
    """Parse an .eml file."""
    with open(path, "rb") as eml_file:
        return BytesParser(policy=policy.default).parse(eml_file)


def list_messages(directory):
    """The newest messages first, as dicts of filename and headers."""
    if not os.path.isdir(directory):
        return []
    names = sorted(
        (
            name
            for name in os.listdir(directory)
            if FILENAME_PATTERN.fullmatch(name) and os.path.isfile(os.path.join(directory, name))
        ),
        reverse=True,
    )[:MAX_LISTED]
    messages = []
    for name in names:
        message = read_message(os.path.join(directory, name))
        messages.append(
            {
                "filename": name,
                "to": message["To"],
                "subject": message["Subject"],
                "date": message["Date"],
            }
        )
    return messages


@bp.route("/")
@manager_required
def inbox():
    """The newest messages the mailbox sender wrote."""
    return render_template(
        "reports/mailbox.html",
        messages=list_messages(current_app.config["MAIL_DIR"]),
        smtp_host=current_app.config["SMTP_HOST"],
    )


@bp.route("/<filename>")
@manager_required
def message(filename):
    """One message, with its links clickable."""
    if not FILENAME_PATTERN.fullmatch(filename):
        abort(404)
    path = os.path.join(current_app.config["MAIL_DIR"], filename)
    if not os.path.isfile(path):
        abort(404)
    parsed = read_message(path)
    body = parsed.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else "(This message has no plain-text part.)"
    return render_template(
        "reports/mail_message.html", message=parsed, text=text, filename=filename
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
