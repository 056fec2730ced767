"""Unsubscribe (RFC 8058): the headers on every mail, the page that asks, the one-click POST."""

import re
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app import create_app
from surveys.config import ConfigError
from surveys.customers.suppression import address_hash, suppress
from surveys.customers.tokens import hash_token
from surveys.security import sha256_hex
from tests.helpers import base_config, deliver, mailbox_messages, post_ticket, ticket_payload

URL = "/api/v1/tickets/closed"
TOKEN = r"([A-Za-z0-9_-]{43})"
LIST_UNSUBSCRIBE = re.compile(
    rf"<mailto:surveys@localhost\?subject=unsubscribe%20{TOKEN}>, <http://puas\.test/u/{TOKEN}>"
)


def unsubscribe_token(message):
    """The token of a mail's List-Unsubscribe header (the same in its mailto: and https)."""
    match = LIST_UNSUBSCRIBE.fullmatch(message["List-Unsubscribe"])
    assert match, message["List-Unsubscribe"]
    assert match.group(1) == match.group(2)
    return match.group(1)


def invited(app, client, headers, email="rina@example.com", **fields):
    """Post a ticket, deliver its mail through the mailbox, return the unsubscribe token."""
    post_ticket(client, headers, "T-1", email=email, **fields)
    deliver(app)
    [message] = mailbox_messages(app)
    return unsubscribe_token(message)


def next_invitation(client, headers, ticket_id="T-2", email="rina@example.com"):
    response = client.post(URL, json=ticket_payload(ticket_id, email=email), headers=headers)
    assert response.status_code == 201
    return response.get_json()["invitation"]


def suppressions(db):
    return [dict(row) for row in db.query("SELECT address_hash, reason FROM suppressions")]


def test_one_click_unsubscribe_through_a_real_smtp_server(
    smtp_config, make_app, db, api_headers, smtp_server
):
    app = make_app()
    client = app.test_client()
    post_ticket(client, api_headers, "T-1", email="rina@example.com")
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}

    [envelope] = smtp_server.handler_ref.messages
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    token = unsubscribe_token(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # On one line, as clients read it: not folded inside a URI, not RFC 2047-encoded.
    assert (
        f"\r\nList-Unsubscribe: <mailto:surveys@localhost?subject=unsubscribe%20{token}>, "
        f"<http://puas.test/u/{token}>\r\n"
    ).encode() in envelope.original_content
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in envelope.original_content
    for body in (message.get_body(("plain",)), message.get_body(("html",))):
        assert f"http://puas.test/u/{token}" in body.get_content()

    # What a mail client does (RFC 8058): a POST to the https URI with this body, and no
    # cookie, session or CSRF token of ours.
    mail_client = app.test_client(use_cookies=False)
    one_click = urlsplit(re.search(r"<(http[^>]+)>", message["List-Unsubscribe"]).group(1))
    response = mail_client.post(
        one_click.path,
        data=b"List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "You are unsubscribed" in response.get_data(as_text=True)
    assert suppressions(db) == [
        {"address_hash": sha256_hex("rina@example.com"), "reason": "unsubscribed"}
    ]
    invitation = next_invitation(client, api_headers)
    assert (invitation["status"], invitation["reason"]) == ("suppressed", "unsubscribed")
    assert [row["invitation_id"] for row in db["outbox"].rows] == [1]


def test_the_mailto_goes_to_unsubscribe_mailto_when_set(make_app, db, api_headers):
    base_url = "https://surveys.a-rather-long-company-name.example.co.id/feedback"
    app = make_app(UNSUBSCRIBE_MAILTO="opt-out@acme.example", BASE_URL=base_url)
    post_ticket(app.test_client(), api_headers)
    deliver(app)
    [path] = Path(app.config["MAIL_DIR"]).glob("*.eml")
    [line] = [
        line for line in path.read_text().splitlines() if line.startswith("List-Unsubscribe:")
    ]
    assert re.fullmatch(
        rf"List-Unsubscribe: <mailto:opt-out@acme\.example\?subject="
        rf"unsubscribe%20{TOKEN}>, <{re.escape(base_url)}/u/{TOKEN}>",
        line,
    )


@pytest.mark.parametrize(
    "value",
    ["", "no-at-sign", "a@b@c", "a b@example.com", "x@example.com\r\nBcc: y@example.com", 5],
)
def test_a_bad_unsubscribe_mailto_stops_puas_from_starting(tmp_path, value):
    with pytest.raises(ConfigError, match="UNSUBSCRIBE_MAILTO"):
        create_app(dict(base_config(tmp_path), UNSUBSCRIBE_MAILTO=value))


def test_every_mail_gets_its_own_link_stored_only_as_a_hash(app, db, client, api_headers):
    token = invited(app, client, api_headers)
    assert [dict(row) for row in db["unsubscribe_links"].rows] == [
        {
            "token_hash": hash_token(token),
            "address_hash": address_hash("rina@example.com"),
            "locale": "en",
            "created_at": db["unsubscribe_links"].get(hash_token(token))["created_at"],
        }
    ]
    post_ticket(client, api_headers, "T-2", email="rina@example.com")
    deliver(app)
    tokens = {unsubscribe_token(message) for message in mailbox_messages(app)}
    assert len(tokens) == 2


class PageParts(HTMLParser):
    """Every URL a page refers to, its scripts, and its forms with their fields."""

    def __init__(self):
        super().__init__()
        self.urls, self.scripts, self.forms = [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[name] for name in ("src", "href", "action") if name in attrs]
        if tag == "script":
            self.scripts += 1
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action"), "method": attrs.get("method"), "fields": {}}
            )
        if tag == "input" and self.forms:
            self.forms[-1]["fields"][attrs.get("name")] = attrs.get("value", "")


def page_parts(html):
    parts = PageParts()
    parts.feed(html)
    return parts


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_page_asks_and_changes_nothing(app, db, client, api_headers, method):
    token = invited(app, client, api_headers)
    links_before = db["unsubscribe_links"].count

    page = app.test_client().open(f"/u/{token}", method=method)

    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers
    assert suppressions(db) == [] and db["unsubscribe_links"].count == links_before
    if method == "GET":
        html = page.get_data(as_text=True)
        assert "Unsubscribe from Acme Support surveys?" in html
        assert "Nothing changes until you press the button." in html


def test_the_page_loads_nothing_from_another_host_and_needs_no_javascript(
    app, db, client, api_headers
):
    token = invited(app, client, api_headers)
    parts = page_parts(client.get(f"/u/{token}").get_data(as_text=True))

    assert parts.scripts == 0
    assert all(
        url.startswith(("/", "?", "#")) and not url.startswith("//") for url in parts.urls
    ), parts.urls
    # The page's own button: a plain form post, the way a browser without JavaScript sends it.
    [form] = parts.forms
    assert (form["action"], form["method"]) == (f"/u/{token}", "post")
    response = client.post(form["action"], data=form["fields"])
    assert response.status_code == 200
    assert suppressions(db) == [
        {"address_hash": address_hash("rina@example.com"), "reason": "unsubscribed"}
    ]


def test_the_page_says_so_when_already_unsubscribed(app, db, client, api_headers):
    token = invited(app, client, api_headers)
    client.post(f"/u/{token}")
    client.post(f"/u/{token}")  # twice: still one suppression

    html = client.get(f"/u/{token}").get_data(as_text=True)
    assert "You are unsubscribed" in html and '<form method="post"' not in html
    assert len(suppressions(db)) == 1


def test_the_page_speaks_the_tickets_language(app, db, client, api_headers):
    token = invited(
        app, client, api_headers, customer={"email": "rina@example.com", "locale": "id-ID"}
    )
    page = client.get(f"/u/{token}")
    assert '<html lang="id">' in page.get_data(as_text=True)


@pytest.mark.parametrize("token", ["A" * 43, "short", "A" * 44, "A" * 42 + "."])
def test_an_unknown_link_gets_a_friendly_404(app, db, client, token):
    for method in ("GET", "POST"):
        response = client.open(f"/u/{token}", method=method)
        assert response.status_code == 404
        assert "We could not find this unsubscribe link" in response.get_data(as_text=True)
    assert suppressions(db) == []


def test_an_unsubscribe_replaces_a_bounce_and_a_bounce_never_an_unsubscribe(app, db):
    suppress(db, "hash-1", "bounced")
    suppress(db, "hash-1", "unsubscribed")
    suppress(db, "hash-2", "unsubscribed")
    suppress(db, "hash-2", "bounced")
    assert suppressions(db) == [
        {"address_hash": "hash-1", "reason": "unsubscribed"},
        {"address_hash": "hash-2", "reason": "unsubscribed"},
    ]


def test_addresses_are_compared_in_their_normal_form():
    assert address_hash("  Rina@Example.COM ") == address_hash("rina@example.com")
    assert address_hash("rina@bücher.example") == address_hash("rina@xn--bcher-kva.example")
    assert address_hash("rina@example.com") != address_hash("rina+x@example.com")


def test_the_suppression_outlives_erasure_of_the_customers_data(app, db, client, api_headers):
    token = invited(app, client, api_headers)
    client.post(f"/u/{token}")
    # Erase everything Puas holds about the customer.
    with db.atomic():
        for statement in (
            "DELETE FROM outbox WHERE recipient = ?",
            "DELETE FROM survey_links WHERE invitation_id IN "
            "(SELECT id FROM invitations WHERE customer_email = ?)",
            "DELETE FROM invitations WHERE customer_email = ?",
            "DELETE FROM tickets WHERE customer_email = ?",
        ):
            db.execute(statement, ["rina@example.com"])

    held = [
        value
        for table in ("suppressions", "unsubscribe_links")
        for row in db[table].rows
        for value in row.values()
    ]
    assert not any("rina" in str(value) for value in held)
    invitation = next_invitation(client, api_headers, "T-3")
    assert (invitation["status"], invitation["reason"]) == ("suppressed", "unsubscribed")
