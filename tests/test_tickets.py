"""parse_closure: what a help desk may send, and the message each mistake gets."""

from datetime import UTC, datetime

import pytest

from surveys.helpdesk.closures import parse_closure

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def body(**fields):
    payload = {
        "ticket_id": "T-1",
        "closed_at": "2026-11-20T10:00:00+07:00",
        "customer": {"email": "Rina@Example.com"},
    }
    payload.update(fields)
    return payload


def test_minimal_body_is_normalised():
    closure, errors = parse_closure(body(), now=NOW)
    assert errors == {}
    assert closure.ticket_ref == "T-1"
    assert closure.closed_at == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert closure.customer_email == "rina@example.com"
    assert closure.agent_email is None and closure.team is None


def test_full_body():
    closure, errors = parse_closure(
        body(
            ticket_id=1234,
            customer={"email": "a@example.com", "name": "Rina", "locale": "id-ID"},
            agent={"email": "Agent@Example.com", "name": "Ayu"},
            team="Billing",
            channel="chat",
            opened_at="2026-11-19T09:00:00Z",
            first_response_at="2026-11-19T10:30:00Z",
            contacts=2,
            escalated=True,
            reopened=False,
        ),
        now=NOW,
    )
    assert errors == {}
    assert closure.ticket_ref == "1234"
    assert (closure.agent_email, closure.agent_name) == ("agent@example.com", "Ayu")
    assert (closure.team, closure.channel, closure.contacts) == ("Billing", "chat", 2)
    assert (closure.escalated, closure.reopened) == (True, False)
    assert closure.customer_locale == "id-ID"


@pytest.mark.parametrize(
    ("agent", "email", "name"),
    [
        ("ayu@example.com", "ayu@example.com", None),
        ("Ayu Lestari", None, "Ayu Lestari"),
        ({"name": "Ayu"}, None, "Ayu"),
        ({"email": "ayu@example.com", "name": "\u200b\ufeff"}, "ayu@example.com", None),
        ({"email": "\u200b", "name": "Ayu"}, None, "Ayu"),  # an optional field, blank
    ],
)
def test_agent_may_be_a_string_or_an_object(agent, email, name):
    closure, errors = parse_closure(body(agent=agent), now=NOW)
    assert errors == {}
    assert (closure.agent_email, closure.agent_name) == (email, name)


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ([], "body", "must be a JSON object"),
        ("ticket", "body", "must be a JSON object"),
        (None, "body", "must be a JSON object"),
        (body(ticket_id=None), "ticket_id", "is required"),
        (body(ticket_id=""), "ticket_id", "is required"),
        (body(ticket_id="   "), "ticket_id", "is required"),
        (body(ticket_id="\u200b\u2060"), "ticket_id", "is required"),  # nothing shows
        (body(ticket_id=True), "ticket_id", "must be a string"),
        (body(ticket_id=1.5), "ticket_id", "must be a string"),
        (body(ticket_id=["T-1"]), "ticket_id", "must be a string"),
        (body(ticket_id="x" * 201), "ticket_id", "must be at most 200 characters"),
        (body(ticket_id="T-1\r\nBcc: x@y.z"), "ticket_id", "must not contain control characters"),
        (body(ticket_id="a\u2028b"), "ticket_id", "must not contain control characters"),
        (body(ticket_id="a\u0085b"), "ticket_id", "must not contain control characters"),
        (body(ticket_id="\ud800"), "ticket_id", "must not contain control characters"),
        (body(ticket_id="abc\u202edcba"), "ticket_id", "must not contain control characters"),
        (body(agent="\ud83d"), "agent", "must not contain control characters"),
        (body(closed_at="0001-01-01T00:00:00+14:00"), "closed_at", "between the years 2000"),
        (body(closed_at="9999-12-31T23:59:59-14:00"), "closed_at", "between the years 2000"),
        (body(closed_at="0001-01-01T00:00:00Z"), "closed_at", "between the years 2000"),
        (body(closed_at=None), "closed_at", "is required"),
        (body(closed_at="2026-11-20T10:00:00"), "closed_at", "needs a UTC offset"),
        (body(closed_at="yesterday"), "closed_at", "must be an ISO 8601"),
        (body(closed_at=1700000000), "closed_at", "must be an ISO 8601"),
        (body(closed_at="2026-11-24T12:00:00Z"), "closed_at", "is in the future"),
        (body(customer=None), "customer", "is required"),
        (body(customer="a@example.com"), "customer", "must be an object"),
        (body(customer={}), "customer.email", "is required"),
        (body(customer={"email": "a@b"}), "customer.email", "is not a valid email address"),
        (body(customer={"email": "not an email"}), "customer.email", "is not a valid email"),
        (body(customer={"email": "ри@пример.рф"}), "customer.email", "is not a valid email"),
        (
            body(customer={"email": "x@y.com\r\nBcc: z@w.com"}),
            "customer.email",
            "must not contain control characters",
        ),
        (
            body(customer={"email": "a@example.com", "locale": "<script>"}),
            "customer.locale",
            "must be a language tag",
        ),
        (body(customer={"email": "a@example.com", "name": 5}), "customer.name", "must be a string"),
        (body(agent=7), "agent", "must be an object with email and name, or a string"),
        (body(agent={"email": "nope"}), "agent.email", "is not a valid email address"),
        (body(team="t" * 101), "team", "must be at most 100 characters"),
        (body(contacts=-1), "contacts", "must be a whole number from 0 to 10000"),
        (body(contacts="2"), "contacts", "must be a whole number"),
        (body(contacts=True), "contacts", "must be a whole number"),
        (body(escalated="yes"), "escalated", "must be true or false"),
        (body(reopened=1), "reopened", "must be true or false"),
        (body(opened_at="2026-11-21T00:00:00Z"), "opened_at", "must not be after closed_at"),
        (
            body(opened_at="2026-11-19T00:00:00Z", first_response_at="2026-11-18T00:00:00Z"),
            "first_response_at",
            "must not be before opened_at",
        ),
    ],
)
def test_invalid_bodies_name_the_field(payload, field, message):
    closure, errors = parse_closure(payload, now=NOW)
    assert closure is None
    assert field in errors
    assert message in errors[field]


def test_every_mistake_is_reported_at_once():
    closure, errors = parse_closure({"ticket_id": 1.5, "customer": {"email": "bad"}}, now=NOW)
    assert closure is None
    assert set(errors) == {"ticket_id", "closed_at", "customer.email"}


def test_international_domains_are_stored_in_their_ascii_form():
    closure, errors = parse_closure(body(customer={"email": "Rina@Bücher.example"}), now=NOW)
    assert errors == {}
    assert closure.customer_email == "rina@xn--bcher-kva.example"


def test_emoji_and_right_to_left_text_are_kept():
    closure, errors = parse_closure(
        body(customer={"email": "a@example.com", "name": "رينا 👩🏽‍💻"}), now=NOW
    )
    assert errors == {}
    assert closure.customer_name == "رينا 👩🏽‍💻"


def test_unknown_fields_are_ignored():
    closure, errors = parse_closure(body(priority="high", tags=["x"]), now=NOW)
    assert errors == {}
    assert closure.ticket_ref == "T-1"
