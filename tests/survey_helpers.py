"""Helpers shared by tests that need delivered invitations and their links."""

import re
from pathlib import Path

from conftest import ticket_payload

from surveys import outbox
from surveys.mailbox import read_message

LINK_PATTERN = re.compile(r"/s/([A-Za-z0-9_-]{43})")


def post_ticket(client, headers, ticket_id="T-1", **fields):
    response = client.post(
        "/api/v1/tickets/closed", json=ticket_payload(ticket_id, **fields), headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliver(app):
    """Run one outbox pass, as `flask outbox send-due` would."""
    with app.app_context():
        return outbox.send_due(app.config)


def mailbox_messages(app):
    """Every message the mailbox sender wrote, oldest first."""
    folder = Path(app.config["MAIL_DIR"])
    return [read_message(path) for path in sorted(folder.glob("*.eml"))]


def token_in(message):
    """The survey token of an invitation message (from its plain-text part)."""
    text = message.get_body(("plain",)).get_content()
    tokens = set(LINK_PATTERN.findall(text))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def invite(app, client, headers, ticket_id="T-1", **fields):
    """Post a ticket, deliver its mail, and return the survey token from the mail."""
    post_ticket(client, headers, ticket_id, **fields)
    deliver(app)
    messages = [message for message in mailbox_messages(app) if ticket_id in message["Subject"]]
    return token_in(messages[-1])
