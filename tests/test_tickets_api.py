"""POST /api/v1/tickets/closed: a closure becomes one invitation, and bad requests store nothing."""

import io
import json
from datetime import timedelta

import pytest

from surveys import clock
from tests.helpers import ticket_payload

URL = "/api/v1/tickets/closed"
TABLES = ("tickets", "invitations", "outbox", "agents", "teams")


def row_counts(db):
    return {table: db[table].count for table in TABLES}


def test_closure_schedules_one_invitation(client, db, api_headers):
    response = client.post(URL, json=ticket_payload(), headers=api_headers)

    assert response.status_code == 201
    body = response.get_json()
    assert body["ticket_id"] == "T-1"
    assert body["closed_at"] == "2026-11-20T03:00:00Z"
    invitation = body["invitation"]
    assert invitation["status"] == "scheduled" and invitation["reason"] is None
    stored = db["invitations"].get(invitation["id"])
    ticket = db["tickets"].get(stored["ticket_id"])
    agent = db["agents"].get(stored["agent_id"])
    team = db["teams"].get(stored["team_id"])
    assert (ticket["ticket_ref"], ticket["customer_email"]) == ("T-1", "customer@example.com")
    assert (agent["email"], agent["name"], team["name"]) == (
        "agent@example.com",
        "Agent Smith",
        "Billing",
    )
    assert stored["closed_day"] == "2026-11-20"
    assert stored["channel"] == "email"
    outbox = list(db["outbox"].rows)
    assert [(row["invitation_id"], row["recipient"], row["status"]) for row in outbox] == [
        (invitation["id"], "customer@example.com", "pending")
    ]
    assert outbox[0]["next_attempt_at"] == invitation["send_at"]


def test_same_closure_again_answers_200_and_changes_nothing(client, db, api_headers):
    first = client.post(URL, json=ticket_payload(), headers=api_headers)
    before = row_counts(db)
    # Even with other details changed, the same ticket and closing time is the same closure.
    again = client.post(
        URL, json=ticket_payload(team="Other team", channel="chat"), headers=api_headers
    )

    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert row_counts(db) == before
    assert [team["name"] for team in db["teams"].rows] == ["Billing"]


def test_a_reopened_ticket_closed_again_gets_a_new_invitation(client, db, api_headers):
    client.post(URL, json=ticket_payload(), headers=api_headers)
    second = client.post(
        URL, json=ticket_payload(closed_at="2026-11-21T10:00:00+07:00"), headers=api_headers
    )
    assert second.status_code == 201
    assert db["invitations"].count == 2


def test_agent_and_team_are_recorded_at_the_moment_of_the_invitation(client, db, api_headers):
    client.post(URL, json=ticket_payload("T-1", agent="Ayu"), headers=api_headers)
    client.post(
        URL,
        json=ticket_payload("T-2", email="other@example.com", agent="Budi", team="Technical"),
        headers=api_headers,
    )
    rows = list(
        db.query("""SELECT tickets.ticket_ref, agents.name AS agent, teams.name AS team
                              FROM invitations JOIN tickets ON tickets.id = invitations.ticket_id
                              JOIN agents ON agents.id = invitations.agent_id
                              JOIN teams ON teams.id = invitations.team_id ORDER BY 1""")
    )
    assert rows == [
        {"ticket_ref": "T-1", "agent": "Ayu", "team": "Billing"},
        {"ticket_ref": "T-2", "agent": "Budi", "team": "Technical"},
    ]


def test_invitation_waits_for_the_send_delay(make_app, api_headers):
    app = make_app(SEND_DELAY_MINUTES=45)
    closed_at = clock.now()
    response = app.test_client().post(
        URL, json=ticket_payload(closed_at=closed_at.isoformat()), headers=api_headers
    )
    send_at = clock.from_iso(response.get_json()["invitation"]["send_at"])
    assert send_at - closed_at == timedelta(minutes=45)


def test_throttled_customer_is_recorded_with_a_reason(make_app, db, api_headers):
    client = make_app(THROTTLE_DAYS=14).test_client()
    client.post(URL, json=ticket_payload("T-1"), headers=api_headers)
    second = client.post(URL, json=ticket_payload("T-2"), headers=api_headers)
    other_customer = client.post(
        URL, json=ticket_payload("T-3", email="b@example.com"), headers=api_headers
    )

    assert second.status_code == 201
    assert second.get_json()["invitation"] == {
        "id": 2,
        "status": "suppressed",
        "reason": "throttled",
        "send_at": None,
        "sent_at": None,
    }
    assert other_customer.get_json()["invitation"]["status"] == "scheduled"
    assert [row["invitation_id"] for row in db["outbox"].rows] == [1, 3]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-key",
        "Basic dXNlcjpwYXNz",
        "bearer",
    ],
)
def test_missing_or_wrong_key_is_401_and_stores_nothing(client, db, api_key, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.post(URL, json=ticket_payload(), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "API key" in response.get_json()["error"]
    assert row_counts(db) == dict.fromkeys(TABLES, 0)


def test_revoked_key_is_refused(client, db, api_key, runner):
    result = runner.invoke(args=["api-key", "revoke", "test help desk"])
    assert result.exit_code == 0
    response = client.post(
        URL, json=ticket_payload(), headers={"Authorization": f"Bearer {api_key}"}
    )
    assert response.status_code == 401


def test_body_over_64_kb_is_413(client, db, api_headers):
    payload = ticket_payload(padding="x" * (64 * 1024))
    response = client.post(
        URL, data=json.dumps(payload), headers=api_headers, content_type="application/json"
    )
    assert response.status_code == 413
    assert "64 KB" in response.get_json()["error"]
    assert row_counts(db) == dict.fromkeys(TABLES, 0)


def test_body_just_under_the_limit_is_accepted(client, api_headers):
    payload = ticket_payload()
    payload["notes"] = ""
    size = len(json.dumps(payload))
    payload["notes"] = "x" * (64 * 1024 - size)
    assert len(json.dumps(payload)) == 64 * 1024
    response = client.post(
        URL, data=json.dumps(payload), headers=api_headers, content_type="application/json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("ticket_id=T-1", "application/x-www-form-urlencoded"),
        (json.dumps(ticket_payload()), "text/plain"),
        ("{not json", "application/json"),
        ("", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
    ],
)
def test_body_that_is_not_json_is_415(client, db, api_headers, data, content_type):
    response = client.post(URL, data=data, headers=api_headers, content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["error"]
    assert row_counts(db) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"ticket_id", "closed_at", "customer"}),
        ([1, 2], {"body"}),
        ("T-1", {"body"}),
        (ticket_payload(customer={"email": "nope"}), {"customer.email"}),
        (ticket_payload(closed_at="2026-13-45T99:00:00Z"), {"closed_at"}),
        (ticket_payload(contacts=10**30), {"contacts"}),
        (ticket_payload(escalated="true"), {"escalated"}),
    ],
)
def test_invalid_body_is_422_with_a_message_per_field(client, db, api_headers, payload, fields):
    response = client.post(URL, json=payload, headers=api_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert set(body["errors"]) == fields
    assert all(isinstance(message, str) and message for message in body["errors"].values())
    assert row_counts(db) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize("body", ["[" * 30000 + "]" * 30000, '{"a":' * 10000 + "1" + "}" * 10000])
def test_deeply_nested_json_is_422(client, db, api_headers, body):
    response = client.post(URL, data=body, headers=api_headers, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"body": "is nested too deeply"}
    assert row_counts(db) == dict.fromkeys(TABLES, 0)


def chunked_post(client, headers, body):
    """A body without Content-Length, as a chunked upload reaches the app."""
    return client.post(
        URL,
        input_stream=io.BytesIO(body),
        headers=headers,
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_chunked_body_over_the_limit_is_413(client, db, api_headers):
    payload = ticket_payload(padding="x" * (64 * 1024))
    response = chunked_post(client, api_headers, json.dumps(payload).encode())
    assert response.status_code == 413
    assert row_counts(db) == dict.fromkeys(TABLES, 0)


def test_chunked_body_within_the_limit_is_accepted(client, api_headers):
    response = chunked_post(client, api_headers, json.dumps(ticket_payload()).encode())
    assert response.status_code == 201


def test_wrong_method_answers_json_405(client, api_headers):
    response = client.get(URL, headers=api_headers)
    assert response.status_code == 405
    assert response.get_json() == {"error": "Not allowed"}
    assert "POST" in response.headers["Allow"]


def test_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Page not found"}


@pytest.mark.parametrize("email", [["a@example.com"], {"a": 1}])
def test_an_email_that_is_not_text_is_422(client, api_headers, db, email):
    response = client.post(
        "/api/v1/tickets/closed",
        headers=api_headers,
        json=ticket_payload(customer={"email": email}),
    )
    assert response.status_code == 422
    assert "customer.email" in response.get_json()["errors"]
    assert db["tickets"].count == 0


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"ticket_id": "T-1", "ticket_id": "T-2"}', "ticket_id"),
        (json.dumps(ticket_payload())[:-1] + ', "team": "Technical"}', "team"),
        ('{"customer": {"email": "a@example.com", "email": "b@example.com"}}', "email"),
    ],
)
def test_a_repeated_key_is_422_and_nothing_is_stored(client, db, api_headers, body, key):
    # json.loads would keep the last value silently: which one the help desk meant is a guess.
    response = client.post(URL, data=body, headers=api_headers, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"body": f"repeats the key {key!r} in one object"}
    assert row_counts(db) == dict.fromkeys(TABLES, 0)
