"""Help-desk webhooks: each help desk's payload, signed its way, at /api/v1/webhooks/<id>."""

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from surveys import clock
from surveys.helpdesk.integrations import create_integration
from surveys.helpdesk.payloads import sign_hex
from tests.helpers import csrf_token, ticket_payload

NOW = datetime.now(UTC).replace(microsecond=0)

# Zendesk: the body of ZENDESK_BODY as a trigger renders it for a solved ticket.
ZENDESK_TRIGGER = {
    "ticket_id": "5158",
    "status": "Solved",
    "closed_at": (NOW - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "opened_at": (NOW - timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "customer": {"email": "jane@acme.example", "name": "Jane", "locale": "en-US"},
    "agent": {"email": "john@support.example", "name": "John"},
    "team": "Support",
    "channel": "web",
}
# Zendesk's event-subscribed webhook (its documentation's sample, status_changed): ids only.
ZENDESK_EVENT = {
    "account_id": 22129848,
    "detail": {
        "actor_id": "8447388090494",
        "assignee_id": "8447388090494",
        "brand_id": "8447346621310",
        "created_at": "2025-01-08T10:12:07Z",
        "custom_status": "8447320465790",
        "description": "ticket_info_desc_2294a6e9ece2",
        "external_id": None,
        "form_id": "8646151517822",
        "group_id": "8447320466430",
        "id": "5158",
        "is_public": True,
        "organization_id": "8447346622462",
        "priority": "LOW",
        "requester_id": "8447388090494",
        "status": "SOLVED",
        "subject": "ticketinfo_2294a6e9ece2",
        "submitter_id": "8447388090494",
        "tags": ["ticket-info-test-tag"],
        "type": "TASK",
        "updated_at": "2025-01-08T10:12:07Z",
        "via": {"channel": "web_service"},
    },
    "event": {"current": "SOLVED", "previous": "OPEN"},
    "id": "cbe4028c-7239-495d-b020-f22348516046",
    "subject": "zen:ticket:5158",
    "time": "2025-01-08T10:12:07.672717030Z",
    "type": "zen:event-type:ticket.status_changed",
    "zendesk_event_version": "2022-11-06",
}
# Chatwoot's documentation sample of conversation_resolved (trimmed of its browser details).
CHATWOOT_RESOLVED = {
    "additional_attributes": {"referer": "http://localhost:3000/widget_tests"},
    "can_reply": True,
    "channel": "Channel::WebWidget",
    "id": 10,
    "inbox_id": 1,
    "contact_inbox": {
        "id": 12,
        "contact_id": 12,
        "inbox_id": 1,
        "source_id": "405f1d30-1af3-4fa0-8ffd-11ea3f86101e",
        "created_at": "2021-07-23T18:01:48.739Z",
        "updated_at": "2021-07-23T18:02:59.053Z",
        "hmac_verified": False,
    },
    "messages": [
        {
            "id": 120,
            "content": "Get notified by email",
            "account_id": 1,
            "inbox_id": 1,
            "conversation_id": 10,
            "message_type": 3,
            "created_at": 1627063369,
            "content_type": "input_email",
            "content_attributes": {"submitted_email": "jane@acme.inc"},
        }
    ],
    "meta": {
        "sender": {
            "additional_attributes": {},
            "custom_attributes": {},
            "email": "jane@acme.inc",
            "id": 12,
            "identifier": None,
            "name": "jane",
            "phone_number": None,
            "type": "contact",
        },
        "assignee": {
            "id": 1,
            "name": "John",
            "available_name": "John",
            "type": "user",
            "availability_status": "online",
        },
    },
    "status": "open",
    "unread_count": 0,
    "agent_last_seen_at": 1627063520,
    "contact_last_seen_at": 0,
    "timestamp": int((NOW - timedelta(minutes=1)).timestamp()),
    "event": "conversation_resolved",
}
CHATWOOT_STATUS_CHANGED = {
    **copy.deepcopy(CHATWOOT_RESOLVED),
    "event": "conversation_status_changed",
    "status": "resolved",
    "display_id": 7,
    "created_at": int((NOW - timedelta(hours=5)).timestamp()),
    "first_reply_created_at": int((NOW - timedelta(hours=4)).timestamp()),
    "changed_attributes": [{"status": {"previous_value": "open", "current_value": "resolved"}}],
}
FRESHDESK_RESOLVED = {
    "ticket_id": "321",
    "status": "Resolved",
    "customer": {"email": "budi@pelanggan.example", "name": "Budi"},
    "agent": {"email": "sari@support.example", "name": "Sari"},
    "team": "Billing",
    "channel": "email",
}


def zendesk_headers(secret, body, when=None, invocation="inv-1"):
    stamp = (when or clock.now()).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = base64.b64encode(
        hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    ).decode()
    headers = {
        "X-Zendesk-Webhook-Signature": signature,
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }
    if invocation:
        headers["X-Zendesk-Webhook-Invocation-Id"] = invocation
    return headers


def chatwoot_headers(secret, body, when=None, delivery="d-1", prefix="Chatwoot"):
    stamp = str(int((when or clock.now()).timestamp()))
    headers = {
        f"X-{prefix}-Signature": sign_hex(secret, stamp, body),
        f"X-{prefix}-Timestamp": stamp,
    }
    if delivery:
        headers[f"X-{prefix}-Delivery"] = delivery
    return headers


def generic_headers(secret, body, when=None, delivery=None):
    return chatwoot_headers(secret, body, when, delivery, prefix="Puas")


def freshdesk_headers(secret, body):
    return {"X-Puas-Secret": secret}


SIGNERS = {
    "zendesk": zendesk_headers,
    "chatwoot": chatwoot_headers,
    "generic": generic_headers,
    "freshdesk": freshdesk_headers,
}


@pytest.fixture
def integration(db):
    """make(kind) → (url path, secret) of a new integration."""

    def make(kind, name=None):
        integration_id, secret = create_integration(db, kind, name or f"{kind} desk")
        return f"/api/v1/webhooks/{integration_id}", secret

    return make


def post(client, path, payload, headers, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post(
        path, data=body, headers={"Content-Type": "application/json", **headers(body)}
    )


def count(db, table):
    return db[table].count


VALID = {
    "zendesk": ZENDESK_TRIGGER,
    "chatwoot": CHATWOOT_STATUS_CHANGED,
    "freshdesk": FRESHDESK_RESOLVED,
    "generic": ticket_payload("G-1"),
}


@pytest.mark.parametrize("kind", sorted(VALID))
def test_a_signed_closed_ticket_schedules_an_invitation(client, db, integration, kind):
    path, secret = integration(kind)
    response = post(client, path, VALID[kind], lambda body: SIGNERS[kind](secret, body))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["status"] == "created"
    assert answer["invitation"]["status"] == "scheduled"
    [ticket] = db.query("SELECT source, customer_email FROM tickets")
    assert ticket["source"] == f"integration:{path.rsplit('/', 1)[1]}"
    [event] = db.query("SELECT outcome, ticket_id FROM webhook_events")
    assert event["outcome"] == "created" and event["ticket_id"] is not None


@pytest.mark.parametrize(
    ("kind", "case"),
    [
        *(
            (kind, case)
            for kind in ("zendesk", "chatwoot", "generic")
            for case in ("wrong secret", "missing", "tampered body")
        ),
        # Freshdesk does not sign the body: only its secret header is checked.
        ("freshdesk", "wrong secret"),
        ("freshdesk", "missing"),
    ],
)
def test_a_bad_signature_is_refused_and_stores_nothing(client, db, integration, kind, case):
    path, secret = integration(kind)
    body = json.dumps(VALID[kind]).encode()
    if case == "wrong secret":
        headers = SIGNERS[kind]("not-the-secret-at-all", body)
    elif case == "missing":
        headers = {}
    else:
        headers = SIGNERS[kind](secret, body)
        body = body.replace(b"@", b"+evil@", 1)
    response = client.post(path, data=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 401
    assert "error" in response.get_json()
    assert count(db, "tickets") == 0 and count(db, "webhook_events") == 0


@pytest.mark.parametrize("kind", ["zendesk", "chatwoot", "generic"])
@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_timestamp_more_than_five_minutes_away_is_refused(client, db, integration, kind, minutes):
    path, secret = integration(kind)
    when = clock.now() + timedelta(minutes=minutes)
    response = post(client, path, VALID[kind], lambda body: SIGNERS[kind](secret, body, when))
    assert response.status_code == 401
    assert "5 minutes" in response.get_json()["error"]
    assert count(db, "tickets") == 0


@pytest.mark.parametrize("kind", ["zendesk", "chatwoot", "generic"])
def test_four_minutes_of_clock_difference_is_accepted(client, integration, kind):
    path, secret = integration(kind)
    when = clock.now() - timedelta(minutes=4)
    response = post(client, path, VALID[kind], lambda body: SIGNERS[kind](secret, body, when))
    assert response.status_code == 201


@pytest.mark.parametrize("kind", ["zendesk", "chatwoot"])
def test_a_redelivered_event_changes_nothing(client, db, integration, kind):
    path, secret = integration(kind)
    first = post(client, path, VALID[kind], lambda body: SIGNERS[kind](secret, body))
    again = post(client, path, VALID[kind], lambda body: SIGNERS[kind](secret, body))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["status"] == "duplicate"
    assert count(db, "tickets") == 1 and count(db, "webhook_events") == 1


def test_the_same_closure_under_a_new_delivery_id_is_still_one_closure(client, db, integration):
    path, secret = integration("zendesk")
    post(client, path, ZENDESK_TRIGGER, lambda body: zendesk_headers(secret, body, None, "a"))
    again = post(
        client, path, ZENDESK_TRIGGER, lambda body: zendesk_headers(secret, body, None, "b")
    )
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert count(db, "tickets") == 1


def test_a_freshdesk_retry_without_a_closing_time_is_one_closure(client, db, integration):
    path, secret = integration("freshdesk")
    first = post(client, path, FRESHDESK_RESOLVED, lambda body: freshdesk_headers(secret, body))
    retry = post(client, path, FRESHDESK_RESOLVED, lambda body: freshdesk_headers(secret, body))
    assert (first.status_code, retry.status_code) == (201, 200)
    assert count(db, "tickets") == 1


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("zendesk", {**ZENDESK_TRIGGER, "customer": {"email": "", "name": "Jane"}}),
        (
            "chatwoot",
            {**CHATWOOT_STATUS_CHANGED, "meta": {"sender": {"email": None, "name": "visitor"}}},
        ),
        ("freshdesk", {**FRESHDESK_RESOLVED, "customer": {"email": " ", "name": "Budi"}}),
        ("generic", ticket_payload("G-2", email=None)),
    ],
)
def test_a_closed_ticket_without_an_email_counts_but_is_not_surveyed(
    client, db, integration, kind, payload
):
    path, secret = integration(kind)
    response = post(client, path, payload, lambda body: SIGNERS[kind](secret, body))
    assert response.status_code == 202
    answer = response.get_json()
    assert (answer["status"], answer["reason"]) == ("skipped", "no email")
    assert answer["invitation"]["status"] == "suppressed"
    assert answer["invitation"]["reason"] == "no_email"
    [ticket] = db.query("SELECT customer_email FROM tickets")
    assert ticket["customer_email"] == ""
    [event] = db.query("SELECT outcome, reason, ticket_id FROM webhook_events")
    assert (event["outcome"], event["reason"]) == ("skipped", "no email")
    assert event["ticket_id"] is not None
    assert db["outbox"].count == 0


def test_a_zendesk_event_webhook_has_nothing_to_store(client, db, integration):
    path, secret = integration("zendesk")  # event webhooks carry ids, no requester address
    response = post(client, path, ZENDESK_EVENT, lambda body: zendesk_headers(secret, body))
    assert response.status_code == 202
    assert response.get_json() == {"status": "skipped", "reason": "no email"}
    [event] = db.query("SELECT outcome, reason, ticket_ref FROM webhook_events")
    assert dict(event) == {"outcome": "skipped", "reason": "no email", "ticket_ref": "5158"}
    assert db["tickets"].count == 0


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("zendesk", {**ZENDESK_TRIGGER, "status": "Open"}),
        ("zendesk", {**ZENDESK_EVENT, "type": "zen:event-type:ticket.created", "event": {}}),
        ("chatwoot", {**CHATWOOT_STATUS_CHANGED, "status": "pending"}),
        ("chatwoot", {"event": "message_created", "content": "hello"}),
        ("chatwoot", {"event": "webwidget_triggered"}),
        ("freshdesk", {**FRESHDESK_RESOLVED, "status": "Open"}),
        ("freshdesk", [1, 2, 3]),
    ],
)
def test_other_events_answer_202_and_are_ignored(client, db, integration, kind, payload):
    path, secret = integration(kind)
    response = post(client, path, payload, lambda body: SIGNERS[kind](secret, body))
    assert response.status_code == 202
    assert response.get_json()["status"] == "ignored"
    assert count(db, "tickets") == 0


def test_chatwoot_fields_become_the_closure(client, db, integration):
    path, secret = integration("chatwoot")
    response = post(
        client, path, CHATWOOT_STATUS_CHANGED, lambda body: chatwoot_headers(secret, body)
    )
    assert response.get_json()["ticket_id"] == "7"  # display_id: what agents see
    [ticket] = db.query(
        """SELECT tickets.customer_email, tickets.channel, agents.name AS agent,
                  tickets.opened_at, tickets.first_response_at FROM tickets
             JOIN agents ON agents.id = tickets.agent_id"""
    )
    assert ticket["customer_email"] == "jane@acme.inc"
    assert ticket["channel"] == "WebWidget" and ticket["agent"] == "John"
    assert ticket["opened_at"] < ticket["first_response_at"]


def test_an_optional_field_filled_wrongly_is_left_out_not_refused(client, db, integration):
    path, secret = integration("chatwoot")
    payload = {
        **CHATWOOT_STATUS_CHANGED,  # a first reply after the resolution
        "first_reply_created_at": int((NOW + timedelta(days=400)).timestamp()),
    }
    response = post(client, path, payload, lambda body: chatwoot_headers(secret, body))
    assert response.status_code == 201
    assert response.get_json()["reason"] == "left out: first_response_at"
    assert db.execute("SELECT first_response_at FROM tickets").fetchone()[0] is None


def test_a_required_field_filled_wrongly_is_422_and_stores_nothing(client, db, integration):
    path, secret = integration("generic")
    response = post(
        client,
        path,
        ticket_payload("G-3", closed_at="yesterday"),
        lambda body: generic_headers(secret, body),
    )
    assert response.status_code == 422
    assert "closed_at" in response.get_json()["errors"]
    assert count(db, "tickets") == 0 and count(db, "webhook_events") == 0


def test_unknown_and_revoked_integrations_are_404(client, db, integration, manager_client):
    path, secret = integration("generic")
    assert (
        post(
            client,
            "/api/v1/webhooks/999",
            VALID["generic"],
            lambda body: generic_headers(secret, body),
        ).status_code
        == 404
    )
    integration_id = path.rsplit("/", 1)[1]
    page = manager_client.get("/integrations/").get_data(as_text=True)
    revoked = manager_client.post(
        f"/integrations/{integration_id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert revoked.status_code == 303
    assert (
        post(client, path, VALID["generic"], lambda body: generic_headers(secret, body)).status_code
        == 404
    )


def test_body_limits(client, integration):
    path, secret = integration("generic")
    huge = b'{"ticket_id": "' + b"x" * 70_000 + b'"}'
    assert (
        post(client, path, None, lambda body: generic_headers(secret, body), raw=huge).status_code
        == 413
    )
    assert (
        post(
            client, path, None, lambda body: generic_headers(secret, body), raw=b"{not json"
        ).status_code
        == 415
    )


def test_a_signed_body_that_repeats_a_key_is_422_and_stores_nothing(client, db, integration):
    path, secret = integration("generic")
    body = json.dumps(VALID["generic"])[:-1].encode() + b', "ticket_id": "T-OTHER"}'
    response = post(client, path, None, lambda raw: generic_headers(secret, raw), raw=body)
    assert response.status_code == 422
    assert response.get_json()["error"] == "the body repeats the key 'ticket_id' in one object"
    assert db["tickets"].count == 0


def test_a_manager_creates_an_integration_and_sees_its_secret_once(manager_client, db):
    page = manager_client.get("/integrations/").get_data(as_text=True)
    created = manager_client.post(
        "/integrations/",
        data={"csrf_token": csrf_token(page), "kind": "freshdesk", "name": "Freshdesk billing"},
    )
    assert created.status_code == 201
    html = created.get_data(as_text=True)
    [row] = db.query("SELECT id, secret FROM integrations")
    assert row["secret"] in html
    assert f"http://puas.test/api/v1/webhooks/{row['id']}" in html
    assert "X-Puas-Secret" in html
    later = manager_client.get("/integrations/").get_data(as_text=True)
    assert row["secret"] not in later and "Freshdesk billing" in later


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "zendesk", "name": ""}, "This field is required"),
        ({"kind": "jira", "name": "x"}, "Not a valid choice"),
        ({"kind": "zendesk", "name": "x" * 101}, "100"),
    ],
)
def test_bad_integration_forms_are_422(manager_client, db, form, message):
    page = manager_client.get("/integrations/").get_data(as_text=True)
    response = manager_client.post("/integrations/", data={"csrf_token": csrf_token(page), **form})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, "integrations") == 0


def test_a_duplicate_name_is_refused(manager_client, db, integration):
    integration("zendesk", "Main desk")
    page = manager_client.get("/integrations/").get_data(as_text=True)
    response = manager_client.post(
        "/integrations/",
        data={"csrf_token": csrf_token(page), "kind": "chatwoot", "name": "Main desk"},
    )
    assert response.status_code == 422 and "exists already" in response.get_data(as_text=True)
    assert count(db, "integrations") == 1


def test_the_help_desks_own_secret_replaces_ours(client, manager_client, integration):
    path, ours = integration("zendesk")
    theirs = "dGhpcy1pcy16ZW5kZXNrcy1vd24tc2VjcmV0"
    page = manager_client.get("/integrations/").get_data(as_text=True)
    integration_id = path.rsplit("/", 1)[1]
    assert (
        manager_client.post(
            f"/integrations/{integration_id}/secret",
            data={"csrf_token": csrf_token(page), "secret": "short"},
        ).status_code
        == 422
    )
    assert (
        manager_client.post(
            f"/integrations/{integration_id}/secret",
            data={"csrf_token": csrf_token(page), "secret": theirs},
        ).status_code
        == 303
    )
    assert (
        post(client, path, ZENDESK_TRIGGER, lambda body: zendesk_headers(ours, body)).status_code
        == 401
    )
    assert (
        post(client, path, ZENDESK_TRIGGER, lambda body: zendesk_headers(theirs, body)).status_code
        == 201
    )


def test_integration_pages_need_csrf(manager_client, db):
    assert (
        manager_client.post("/integrations/", data={"kind": "zendesk", "name": "x"}).status_code
        == 400
    )
    assert count(db, "integrations") == 0


def test_flask_integration_commands(runner, db):
    created = runner.invoke(args=["integration", "create", "freshdesk", "Billing desk"])
    assert created.exit_code == 0, created.output
    [row] = db.query("SELECT id, secret FROM integrations")
    assert row["secret"] in created.output
    assert f"http://puas.test/api/v1/webhooks/{row['id']}" in created.output
    listed = runner.invoke(args=["integration", "list"])
    assert "Billing desk" in listed.output and row["secret"] not in listed.output
    secret = runner.invoke(
        args=["integration", "set-secret", "Billing desk"], input="a-new-secret-from-the-desk-123\n"
    )
    assert secret.exit_code == 0, secret.output
    assert (
        db.execute("SELECT secret FROM integrations").fetchone()[0]
        == "a-new-secret-from-the-desk-123"
    )
    assert runner.invoke(args=["integration", "revoke", "Billing desk"]).exit_code == 0
    assert runner.invoke(args=["integration", "revoke", "Billing desk"]).exit_code != 0
    bad = runner.invoke(args=["integration", "create", "jira", "x"])
    assert bad.exit_code != 0


@pytest.mark.parametrize("email", [["jane@acme.example"], {"a": 1}, 42])
def test_an_email_that_is_not_text_is_422(client, db, integration, email):
    path, secret = integration("generic")
    payload = ticket_payload("G-9")
    payload["customer"] = {"email": email}
    response = post(client, path, payload, lambda body: generic_headers(secret, body))
    assert response.status_code == 422
    assert response.get_json()["errors"]["customer.email"] == "must be an email address as text"


def test_a_customer_that_is_not_an_object_is_422(client, db, integration):
    path, secret = integration("freshdesk")
    response = post(
        client,
        path,
        {**FRESHDESK_RESOLVED, "customer": "budi@pelanggan.example"},
        lambda body: freshdesk_headers(secret, body),
    )
    assert response.status_code == 422 and count(db, "tickets") == 0


def test_a_timestamp_beyond_the_calendar_is_401(client, db, integration):
    path, secret = integration("generic")
    body = json.dumps(VALID["generic"]).encode()
    response = client.post(
        path,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Puas-Timestamp": "999999999999",
            "X-Puas-Signature": sign_hex(secret, "999999999999", body),
        },
    )
    assert response.status_code == 401


def test_deep_nesting_is_422_not_an_error(client, db, integration):
    path, secret = integration("generic")
    team = {}
    for _ in range(900):
        team = {"a": team}
    response = post(
        client, path, {**VALID["generic"], "team": team}, lambda body: generic_headers(secret, body)
    )
    assert response.status_code == 201  # the optional team is left out, not a 500
    assert response.get_json()["reason"] == "left out: team"
    raw = b'{"team": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    response = post(client, path, None, lambda body: generic_headers(secret, body), raw=raw)
    assert response.status_code == 422 and "nested too deeply" in response.get_json()["error"]


def test_a_signed_body_labelled_as_text_is_read(client, integration):
    path, secret = integration("generic")
    body = json.dumps(VALID["generic"]).encode()
    response = client.post(
        path, data=body, headers={"Content-Type": "text/plain", **generic_headers(secret, body)}
    )
    assert response.status_code == 201


def test_a_zendesk_status_that_is_not_text_is_ignored(client, db, integration):
    path, secret = integration("zendesk")
    response = post(
        client, path, {**ZENDESK_TRIGGER, "status": 5}, lambda body: zendesk_headers(secret, body)
    )
    assert response.status_code == 202 and response.get_json()["status"] == "ignored"


def test_text_kept_from_a_skipped_delivery_is_printable_and_short(client, db, integration):
    path, secret = integration("generic")
    payload = ticket_payload("\u202e" + "9" * 30_000, email=None)
    response = post(client, path, payload, lambda body: generic_headers(secret, body))
    assert response.status_code == 202
    ticket_ref = db.execute("SELECT ticket_ref FROM webhook_events").fetchone()[0]
    assert ticket_ref == "9" * 200


def test_the_page_with_a_new_secret_is_not_cached(manager_client):
    page = manager_client.get("/integrations/").get_data(as_text=True)
    created = manager_client.post(
        "/integrations/",
        data={"csrf_token": csrf_token(page), "kind": "generic", "name": "Own desk"},
    )
    assert created.headers["Cache-Control"] == "no-store"


# A Freshdesk closure is dated on arrival; a CSV export later gives the same ticket's real
# resolution time, a little earlier. One ticket, one mail, whichever came first.


def freshdesk_export(closed_at):
    """A one-row CSV export of Freshdesk's ticket 321, resolved at closed_at (UTC)."""
    stamp = closed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        "Ticket ID,Requester email,Requester name,Resolved at\r\n"
        f"321,budi@pelanggan.example,Budi,{stamp}\r\n"
    ).encode()


def import_export(runner, tmp_path, closed_at):
    path = tmp_path / "freshdesk.csv"
    path.write_bytes(freshdesk_export(closed_at))
    result = runner.invoke(args=["import-tickets", str(path), "--survey"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_freshdesk_closure_then_its_csv_row_is_one_ticket_and_one_mail(
    client, db, integration, runner, fake_clock, tmp_path
):
    path, secret = integration("freshdesk")
    arrived = post(client, path, FRESHDESK_RESOLVED, lambda body: freshdesk_headers(secret, body))
    assert arrived.status_code == 201
    output = import_export(runner, tmp_path, fake_clock.now() - timedelta(seconds=40))
    assert "0 new, 1 already stored" in output
    [ticket] = db.query("SELECT source, dated_on_arrival FROM tickets")
    assert ticket["dated_on_arrival"] == 1 and ticket["source"].startswith("integration:")
    assert count(db, "invitations") == 1 and count(db, "outbox") == 1


def test_a_csv_row_then_the_freshdesk_closure_is_one_ticket_and_one_mail(
    client, db, integration, runner, fake_clock, tmp_path
):
    path, secret = integration("freshdesk")
    assert "1 new, 0 already stored" in import_export(
        runner, tmp_path, fake_clock.now() - timedelta(hours=23)
    )
    later = post(client, path, FRESHDESK_RESOLVED, lambda body: freshdesk_headers(secret, body))
    assert later.status_code == 200 and later.get_json()["status"] == "duplicate"
    [ticket] = db.query("SELECT source, dated_on_arrival FROM tickets")
    assert ticket == {"source": "import", "dated_on_arrival": 0}
    assert count(db, "invitations") == 1 and count(db, "outbox") == 1


def test_a_closure_more_than_a_day_before_the_arrival_is_another_closure(
    client, db, integration, runner, fake_clock, tmp_path
):
    path, secret = integration("freshdesk")
    import_export(runner, tmp_path, fake_clock.now() - timedelta(hours=24, seconds=1))
    later = post(client, path, FRESHDESK_RESOLVED, lambda body: freshdesk_headers(secret, body))
    assert later.status_code == 201
    assert count(db, "tickets") == 2


@pytest.mark.parametrize(("gap", "tickets"), [(timedelta(hours=3), 1), (timedelta(hours=25), 2)])
def test_freshdesk_sends_the_ticket_again_without_a_time(
    client, db, integration, fake_clock, gap, tickets
):
    path, secret = integration("freshdesk")
    post(client, path, FRESHDESK_RESOLVED, lambda body: freshdesk_headers(secret, body))
    fake_clock.advance(seconds=gap.total_seconds())
    again = post(client, path, FRESHDESK_RESOLVED, lambda body: freshdesk_headers(secret, body))
    assert again.status_code == (200 if tickets == 1 else 201)
    assert count(db, "tickets") == tickets
