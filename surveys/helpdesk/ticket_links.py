"""Links from a ticket id to the ticket in its help desk, through its integration's ticket URL
template (e.g. https://acme.zendesk.com/agent/tickets/{ticket_id}).

A ticket knows its integration by its source, `integration:<id>`: written once when the
ticket is stored, part of the ticket's unique key and never changed, so the link lasts as
long as the ticket (the webhook deliveries that also name the ticket are a log, not the
ticket's record). Tickets from the API, a CSV import or the demo have no integration, and
no link.
"""

import re
from urllib.parse import quote, urlsplit

from surveys.store.db import immediate

PLACEHOLDER = "{ticket_id}"
MAX_LENGTH = 2000
SOURCE_PREFIX = "integration:"
# RFC 3986's unreserved and reserved characters and "%", and the braces of {ticket_id}.
URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%{}]+")


class TicketUrlError(ValueError):
    """A ticket URL template Puas refuses; the message says why."""


def check_template(text):
    """The template, trimmed, or None for an empty one (no links); TicketUrlError when it
    is not an https address holding {ticket_id} in its path, query or fragment."""
    template = (text or "").strip()
    if not template:
        return None
    check_characters(template)
    try:
        parts = urlsplit(template)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as error:
        raise TicketUrlError("must be an https:// address") from error
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise TicketUrlError("must be an https:// address")
    if parts.username or parts.password:
        raise TicketUrlError("must not hold a user name or password (they would be shown)")
    if "{" in parts.netloc:
        raise TicketUrlError(f"must have {PLACEHOLDER} after the host name, not in it")
    return "https" + template[len(parts.scheme) :]


def check_characters(template):
    """TicketUrlError unless the template is short, in the characters of a URL, and holds
    {ticket_id} and no other braces."""
    if len(template) > MAX_LENGTH or not template.isascii():
        raise TicketUrlError(f"must be at most {MAX_LENGTH} ASCII characters")
    if any(character.isspace() for character in template):
        raise TicketUrlError("must not contain spaces")
    if not URL_CHARACTERS.fullmatch(template):
        raise TicketUrlError("must use only the characters a URL may hold (RFC 3986)")
    if PLACEHOLDER not in template:
        raise TicketUrlError(f"must contain {PLACEHOLDER}, where the ticket's id goes")
    if set("{}") & set(template.replace(PLACEHOLDER, "")):
        raise TicketUrlError(f"may hold no braces but {PLACEHOLDER}")


def integration_exists(db, integration_id):
    """True when there is such an integration (revoked ones included)."""
    return (
        db.execute("SELECT 1 FROM integrations WHERE id = ?", [integration_id]).fetchone()
        is not None
    )


def set_template(db, integration_id, template):
    """Store (or clear, with None) an integration's ticket URL template; False when there
    is no such integration. A revoked integration keeps its links: its tickets stay."""
    with immediate(db):
        cursor = db.execute(
            "UPDATE integrations SET ticket_url_template = ? WHERE id = ?",
            [template, integration_id],
        )
    return bool(cursor.rowcount)


def templates_by_source(db):
    """{ticket source: template} for every integration that has a template."""
    return {
        f"{SOURCE_PREFIX}{row['id']}": row["ticket_url_template"]
        for row in db.query(
            "SELECT id, ticket_url_template FROM integrations WHERE ticket_url_template IS NOT NULL"
        )
    }


def ticket_url(template, ticket_ref):
    """The help desk's address of a ticket: its id, URL-escaped (every reserved character,
    "/" included), in place of {ticket_id}."""
    return template.replace(PLACEHOLDER, quote(str(ticket_ref), safe=""))


def with_ticket_urls(db, rows):
    """The rows (each with `source` and `ticket_id`), each given `ticket_url` (or None)."""
    templates = templates_by_source(db)
    for row in rows:
        template = templates.get(row["source"])
        row["ticket_url"] = ticket_url(template, row["ticket_id"]) if template else None
    return rows
