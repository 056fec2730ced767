"""Distribution rules: the settings page, each rule, and each reason an invitation is not sent."""

import re
from dataclasses import fields, replace
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from surveys import clock
from surveys.customers.distribution import RULES, Rules, current_rules, sampled_in, save_rules
from surveys.customers.suppression import address_hash, suppress
from surveys.helpdesk.closures import Closure, record_closure
from surveys.store import rollups
from tests.helpers import (
    MANAGER_EMAIL,
    csrf_token,
    deliver,
    free_port,
    mailbox_messages,
    ticket_payload,
    token_in,
)

URL = "/api/v1/tickets/closed"
PAGE = "/settings/distribution"
VALID_FORM = {
    "send_delay_minutes": "30",
    "sample_rate_percent": "50",
    "throttle_days": "7",
    "nps_interval_days": "60",
    "reminder_days": "2",
    "link_ttl_days": "10",
}


def close(client, headers, ticket_id, email="customer@example.com", **fields):
    """Report a ticket closed at the fake clock's now; returns the invitation in the answer."""
    payload = ticket_payload(ticket_id, email=email, closed_at=clock.to_iso(clock.now()), **fields)
    response = client.post(URL, json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["invitation"]


def set_rules(app, db, **changes):
    """Store rules as a manager would: the settings' defaults with some changed."""
    save_rules(db, replace(current_rules(db, app.config), **changes), None)


def field_values(html):
    """The value of every number field on the settings page, by name."""
    inputs = re.findall(r'<input [^>]*type="number"[^>]*>', html)
    return {
        re.search(r'name="(\w+)"', tag).group(1): re.search(r'value="([^"]*)"', tag).group(1)
        for tag in inputs
    }


def stored_rules(db):
    return [
        dict(row)
        for row in db.query(
            "SELECT send_delay_minutes, sample_rate_percent, throttle_days, nps_interval_days, "
            "reminder_days, link_ttl_days, updated_by FROM distribution_rules"
        )
    ]


# The settings page


def test_the_rules_are_the_settings_until_a_manager_saves_them(make_app, db):
    app = make_app(
        SEND_DELAY_MINUTES=15,
        SAMPLE_RATE_PERCENT=80,
        THROTTLE_DAYS=3,
        NPS_INTERVAL_DAYS=30,
        REMINDER_DAYS=4,
        LINK_TTL_DAYS=9,
    )
    assert current_rules(db, app.config) == Rules(15, 80, 3, 30, 4, 9)
    save_rules(db, Rules(0, 100, 14, 90, 0, 14), None)
    assert current_rules(db, app.config) == Rules(0, 100, 14, 90, 0, 14)


def test_every_rule_has_a_field_and_a_setting(app):
    assert [field.name for field in fields(Rules)] == [rule.name for rule in RULES]
    assert all(rule.setting in app.config for rule in RULES)


def test_the_page_shows_the_settings_before_anyone_saved(manager_client):
    page = manager_client.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nobody has saved these rules yet" in html
    assert field_values(html) == {
        "send_delay_minutes": "0",
        "sample_rate_percent": "100",
        "throttle_days": "0",
        "nps_interval_days": "90",
        "reminder_days": "0",
        "link_ttl_days": "14",
    }


def test_a_manager_saves_the_rules(manager_client, db):
    form = manager_client.get(PAGE).get_data(as_text=True)
    response = manager_client.post(PAGE, data={**VALID_FORM, "csrf_token": csrf_token(form)})

    assert response.status_code == 302
    assert response.headers["Location"] == PAGE
    manager_id = db["users"].get(1)["id"]
    assert stored_rules(db) == [
        {
            "send_delay_minutes": 30,
            "sample_rate_percent": 50,
            "throttle_days": 7,
            "nps_interval_days": 60,
            "reminder_days": 2,
            "link_ttl_days": 10,
            "updated_by": manager_id,
        }
    ]
    html = manager_client.get(PAGE).get_data(as_text=True)
    assert "Distribution rules saved." in html
    assert f"by {MANAGER_EMAIL}" in html
    assert field_values(html) == VALID_FORM


HOSTILE = [
    ("send_delay_minutes", "", "This rule is required. Enter a whole number from 0 to 10080."),
    ("send_delay_minutes", "   ", "This rule is required."),
    ("send_delay_minutes", "-5", "Enter a whole number from 0 to 10080."),
    ("send_delay_minutes", "10081", "Enter a whole number from 0 to 10080."),
    ("sample_rate_percent", "101", "Enter a whole number from 0 to 100."),
    ("sample_rate_percent", "12.5", "Enter a whole number from 0 to 100."),
    ("sample_rate_percent", "fifty", "Enter a whole number from 0 to 100."),
    ("throttle_days", "99999999999999999999999999", "Enter a whole number from 0 to 365."),
    ("throttle_days", "+3", "Enter a whole number from 0 to 365."),
    ("throttle_days", "1e2", "Enter a whole number from 0 to 365."),
    ("nps_interval_days", "\u0663", "Enter a whole number from 0 to 730."),  # Arabic-Indic 3
    ("nps_interval_days", "9\x00", "Enter a whole number from 0 to 730."),
    ("reminder_days", "61", "Enter a whole number from 0 to 60."),
    ("link_ttl_days", "0", "Enter a whole number from 1 to 365."),
]


@pytest.mark.parametrize(("field", "value", "message"), HOSTILE)
def test_hostile_input_is_refused_and_nothing_is_stored(manager_client, db, field, value, message):
    save_rules(db, Rules(60, 100, 14, 90, 0, 14), None)
    before = stored_rules(db)
    token = csrf_token(manager_client.get(PAGE).get_data(as_text=True))

    response = manager_client.post(PAGE, data={**VALID_FORM, field: value, "csrf_token": token})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved." in html and message in html
    assert stored_rules(db) == before


def test_a_missing_field_is_refused(manager_client, db):
    token = csrf_token(manager_client.get(PAGE).get_data(as_text=True))
    data = {**VALID_FORM, "csrf_token": token}
    del data["reminder_days"]
    response = manager_client.post(PAGE, data=data)
    assert response.status_code == 422
    assert "This rule is required." in response.get_data(as_text=True)
    assert db["distribution_rules"].count == 0


def test_a_form_without_its_csrf_token_is_refused(manager_client, db):
    response = manager_client.post(PAGE, data=VALID_FORM)
    assert response.status_code == 400
    assert db["distribution_rules"].count == 0


@pytest.mark.parametrize(("length", "status"), [(100_000, 422), (2_000_000, 413)])
def test_a_huge_value_is_refused(manager_client, db, length, status):
    token = csrf_token(manager_client.get(PAGE).get_data(as_text=True))
    response = manager_client.post(
        PAGE, data={**VALID_FORM, "throttle_days": "9" * length, "csrf_token": token}
    )
    assert response.status_code == status  # over MAX_CONTENT_LENGTH: 413
    if status == 422:
        assert "Enter a whole number from 0 to 365." in response.get_data(as_text=True)
    assert db["distribution_rules"].count == 0


def test_staff_cannot_open_the_page(staff_client, db):
    assert staff_client.get(PAGE).status_code == 403


# Each rule


def test_the_send_delay_comes_from_the_rules(app, db, client, api_headers, fake_clock):
    set_rules(app, db, send_delay_minutes=45)
    invitation = close(client, api_headers, "T-1")
    assert invitation["send_at"] == "2026-11-20T04:45:00Z"

    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 0}
    fake_clock.advance(minutes=45)
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}


def test_sampling_is_a_stable_draw_per_closure():
    keys = [f"api\nT-{number}\n2026-11-20T03:00:00Z" for number in range(2000)]
    assert all(sampled_in(key, 100) for key in keys)
    assert not any(sampled_in(key, 0) for key in keys)
    drawn = [sampled_in(key, 25) for key in keys]
    assert drawn == [sampled_in(key, 25) for key in keys]  # the same closure, the same draw
    assert 0.22 < sum(drawn) / len(keys) < 0.28
    # A closure in a 25 % sample is also in every larger one.
    assert all(sampled_in(key, 60) for key, inside in zip(keys, drawn, strict=True) if inside)


@pytest.mark.parametrize("rate", [0, 50, 100])
def test_closures_outside_the_sample_are_recorded_as_sampled_out(
    app, db, client, api_headers, fake_clock, rate
):
    set_rules(app, db, sample_rate_percent=rate)
    outcomes = {}
    for number in range(40):
        ticket_id = f"T-{number}"
        invitation = close(client, api_headers, ticket_id, email=f"c{number}@example.com")
        outcomes[ticket_id] = (invitation["status"], invitation["reason"])

    expected = {
        ticket_id: ("scheduled", None)
        if sampled_in(f"api\n{ticket_id}\n{clock.to_iso(fake_clock.now())}", rate)
        else ("suppressed", "sampled_out")
        for ticket_id in outcomes
    }
    assert outcomes == expected
    sent = sum(status == "scheduled" for status, _ in outcomes.values())
    assert {0: sent == 0, 50: 10 < sent < 30, 100: sent == 40}[rate]
    assert db["outbox"].count == sent


def test_a_customer_is_surveyed_at_most_once_per_throttle_window(
    make_app, db, api_headers, fake_clock
):
    client = make_app(THROTTLE_DAYS=14).test_client()
    assert close(client, api_headers, "T-1")["status"] == "scheduled"
    fake_clock.advance(days=13, hours=23)
    assert close(client, api_headers, "T-2")["reason"] == "throttled"
    assert close(client, api_headers, "T-3", email="other@example.com")["status"] == "scheduled"
    fake_clock.advance(hours=1)
    assert close(client, api_headers, "T-4")["status"] == "scheduled"


def test_throttle_zero_never_throttles(app, db, client, api_headers, fake_clock):
    statuses = [close(client, api_headers, f"T-{number}")["status"] for number in range(3)]
    assert statuses == ["scheduled"] * 3


def test_closures_not_surveyed_do_not_count_for_the_throttle(make_app, db, api_headers, fake_clock):
    app = make_app(THROTTLE_DAYS=14)
    client = app.test_client()
    set_rules(app, db, sample_rate_percent=0)
    assert close(client, api_headers, "T-1")["reason"] == "sampled_out"
    set_rules(app, db, sample_rate_percent=100)
    assert close(client, api_headers, "T-2")["status"] == "scheduled"


def test_nps_is_asked_at_most_once_per_interval(app, db, client, api_headers, fake_clock):
    first = close(client, api_headers, "T-1")
    fake_clock.advance(days=1)
    second = close(client, api_headers, "T-2")
    other = close(client, api_headers, "T-3", email="other@example.com")
    fake_clock.advance(days=89)
    fourth = close(client, api_headers, "T-4")

    asked = {
        row["id"]: row["nps_asked"] for row in db.query("SELECT id, nps_asked FROM invitations")
    }
    assert asked == {first["id"]: 1, second["id"]: 0, other["id"]: 1, fourth["id"]: 1}


def test_nps_interval_zero_asks_nps_in_every_survey(make_app, db, api_headers, fake_clock):
    client = make_app(NPS_INTERVAL_DAYS=0).test_client()
    for number in range(3):
        close(client, api_headers, f"T-{number}")
    assert [row["nps_asked"] for row in db["invitations"].rows] == [1, 1, 1]


def survey_page(client, token):
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_survey_without_nps_leaves_the_question_out(app, db, client, api_headers, fake_clock):
    close(client, api_headers, "T-1")
    close(client, api_headers, "T-2")  # within 90 days of T-1: no NPS
    deliver(app)
    with_nps, without_nps = (token_in(message) for message in mailbox_messages(app))

    assert 'name="nps"' in survey_page(client, with_nps)
    html = survey_page(client, without_nps)
    assert 'name="nps"' not in html and "recommend" not in html
    assert 'name="csat"' in html and 'name="ces"' in html
    texts = [message.get_body(("plain",)).get_content() for message in mailbox_messages(app)]
    assert "Two more short questions follow" in texts[0]
    assert "One more short question follows" in texts[1]

    # An NPS answer posted anyway is not recorded, and alone it is no answer at all.
    only_nps = client.post(f"/s/{without_nps}", data={"nps": "9", "csrf_token": csrf_token(html)})
    assert only_nps.status_code == 422
    assert "Please answer at least one question" in only_nps.get_data(as_text=True)
    answered = client.post(
        f"/s/{without_nps}", data={"csat": "4", "nps": "9", "csrf_token": csrf_token(html)}
    )
    assert answered.status_code == 303
    assert [dict(row) for row in db.query("SELECT csat, ces, nps FROM responses")] == [
        {"csat": 4, "ces": None, "nps": None}
    ]


def test_one_reminder_goes_to_an_unanswered_invitation(make_app, db, api_headers, fake_clock):
    app = make_app(REMINDER_DAYS=3)
    client = app.test_client()
    close(client, api_headers, "T-1")
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}
    sent = dict(db["invitations"].get(1))
    reminder = next(db.query("SELECT * FROM outbox WHERE kind = 'reminder'"))
    assert (reminder["status"], reminder["next_attempt_at"]) == ("pending", "2026-11-23T04:00:00Z")

    fake_clock.advance(days=2, hours=23)
    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 0}
    fake_clock.advance(hours=1)
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}
    invitation_mail, reminder_mail = mailbox_messages(app)
    assert reminder_mail["Subject"] == f"Reminder: {invitation_mail['Subject']}"
    assert "A short reminder" in reminder_mail.get_body(("plain",)).get_content()
    assert token_in(reminder_mail) != token_in(invitation_mail)
    survey_page(client, token_in(reminder_mail))  # the reminder's link answers the invitation
    assert dict(db["invitations"].get(1)) == sent  # the reminder changes nothing on it

    fake_clock.advance(days=30)
    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 0}  # one reminder, no more
    assert db["outbox"].count == 2


def test_an_answered_invitation_gets_no_reminder(make_app, db, api_headers, fake_clock):
    app = make_app(REMINDER_DAYS=3)
    client = app.test_client()
    close(client, api_headers, "T-1")
    deliver(app)
    token = token_in(mailbox_messages(app)[0])
    client.post(
        f"/s/{token}", data={"csat": "5", "csrf_token": csrf_token(survey_page(client, token))}
    )

    fake_clock.advance(days=3)
    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 0, "skipped": 1}
    reminder = next(db.query("SELECT status, last_error FROM outbox WHERE kind = 'reminder'"))
    assert reminder == {"status": "skipped", "last_error": "answered"}
    assert db["invitations"].get(1)["status"] == "sent"
    assert len(mailbox_messages(app)) == 1


def test_no_reminder_by_default(app, db, client, api_headers, fake_clock):
    close(client, api_headers, "T-1")
    deliver(app)
    assert [row["kind"] for row in db["outbox"].rows] == ["invitation"]


def test_the_link_lifetime_comes_from_the_rules(app, db, client, api_headers, fake_clock):
    set_rules(app, db, link_ttl_days=3)
    close(client, api_headers, "T-1")
    deliver(app)
    [message] = mailbox_messages(app)
    token = token_in(message)
    assert "works for 3 days" in message.get_body(("plain",)).get_content()
    assert [row["expires_at"] for row in db["survey_links"].rows] == ["2026-11-23T04:00:00Z"]

    fake_clock.advance(days=2, hours=23)
    assert client.get(f"/s/{token}").status_code == 200
    fake_clock.advance(hours=1)
    assert client.get(f"/s/{token}").status_code == 410


# Each reason an invitation is not sent


def test_a_closure_without_an_address_is_stored_as_no_email(app, db, fake_clock):
    def closure(ticket_ref):
        """Closed now, opened an hour ago, with no customer address."""
        now = fake_clock.now()
        return Closure(
            ticket_ref=ticket_ref,
            closed_at=now,
            customer_email=None,
            opened_at=now - timedelta(hours=1),
        )

    with app.app_context():
        result, created = record_closure(db, closure("T-1"), app.config, source="import")
        fake_clock.advance(hours=2)  # T-2 opens an hour after T-1 closed
        record_closure(db, closure("T-2"), app.config, source="import")

    assert created and result["invitation"] == {
        "id": 1,
        "status": "suppressed",
        "reason": "no_email",
        "send_at": None,
        "sent_at": None,
    }
    assert [(row["customer_email"], row["repeated"]) for row in db["tickets"].rows] == [
        ("", 0),
        ("", 0),
    ]  # two closures without an address are not the same customer
    assert db["outbox"].count == 0
    kpis_before = [dict(row) for row in db["ticket_rollups"].rows]
    rollups.rebuild(db)
    assert [dict(row) for row in db["ticket_rollups"].rows] == kpis_before
    assert kpis_before[0]["tickets"] == 2


def test_an_unsubscribed_address_is_suppressed(app, db, client, api_headers, fake_clock):
    suppress(db, address_hash("Customer@EXAMPLE.com"), "unsubscribed")
    invitation = close(client, api_headers, "T-1", email="customer@example.com")
    assert (invitation["status"], invitation["reason"]) == ("suppressed", "unsubscribed")
    assert db["outbox"].count == 0


def test_address_reasons_come_before_throttle_and_throttle_before_sampling(
    make_app, db, api_headers, fake_clock
):
    app = make_app(THROTTLE_DAYS=14)
    client = app.test_client()
    close(client, api_headers, "T-1")
    set_rules(app, db, sample_rate_percent=0)
    assert close(client, api_headers, "T-2")["reason"] == "throttled"
    suppress(db, address_hash("customer@example.com"), "bounced")
    assert close(client, api_headers, "T-3")["reason"] == "bounced"
    suppress(db, address_hash("customer@example.com"), "unsubscribed")
    assert close(client, api_headers, "T-4")["reason"] == "unsubscribed"


def test_an_address_suppressed_while_its_mail_waited_is_skipped(
    app, db, client, api_headers, fake_clock
):
    set_rules(app, db, send_delay_minutes=60)
    assert close(client, api_headers, "T-1")["status"] == "scheduled"
    suppress(db, address_hash("customer@example.com"), "unsubscribed")

    fake_clock.advance(minutes=60)
    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 0, "skipped": 1}
    assert mailbox_messages(app) == []
    invitation = db["invitations"].get(1)
    assert (invitation["status"], invitation["reason"]) == ("suppressed", "unsubscribed")
    assert next(db.query("SELECT status, last_error FROM outbox")) == {
        "status": "skipped",
        "last_error": "unsubscribed",
    }


class RefusingHandler:
    """An SMTP server that refuses some recipients at RCPT TO and keeps the rest."""

    def __init__(self, refused):
        self.refused = refused
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def refusing_smtp(smtp_config, make_app):
    handler = RefusingHandler({"gone@example.com"})
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield make_app(SMTP_PORT=controller.port), handler
    controller.stop()


def test_a_refused_recipient_bounces_and_later_invitations_are_suppressed(
    refusing_smtp, db, api_headers, fake_clock
):
    app, handler = refusing_smtp
    client = app.test_client()
    close(client, api_headers, "T-1", email="gone@example.com")
    close(client, api_headers, "T-2", email="here@example.com")
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 1}

    first = db["invitations"].get(1)
    assert first["status"] == "failed" and "recipient refused: 550 5.1.1" in first["reason"]
    assert [dict(row) for row in db.query("SELECT address_hash, reason FROM suppressions")] == [
        {"address_hash": address_hash("gone@example.com"), "reason": "bounced"}
    ]
    assert close(client, api_headers, "T-3", email="GONE@example.com")["reason"] == "bounced"
    assert close(client, api_headers, "T-4", email="here@example.com")["status"] == "scheduled"
    [envelope] = handler.messages
    assert envelope.rcpt_tos == ["here@example.com"]


@pytest.mark.parametrize(
    ("reply", "bounced"),
    [
        ("550 5.1.1 No such user here", True),
        ("554 5.7.1 Message rejected as spam", False),
        ("552 Message size exceeds fixed limit", False),
    ],
)
def test_only_a_refusal_of_the_address_after_data_bounces(
    smtp_config, make_app, db, api_headers, smtp_server, fake_clock, reply, bounced
):
    app = make_app()
    client = app.test_client()
    close(client, api_headers, "T-1")
    smtp_server.handler_ref.replies = [reply]
    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 1}

    later = close(client, api_headers, "T-2")
    assert (later["reason"] == "bounced") is bounced
    assert db["suppressions"].count == int(bounced)


def test_settings_page_counts_the_outcomes(make_app, db, api_headers, manager_client):
    app = make_app(THROTTLE_DAYS=14)
    client = app.test_client()
    today = clock.to_iso(clock.now())
    for ticket_id in ("T-1", "T-2", "T-3"):
        client.post(URL, json=ticket_payload(ticket_id, closed_at=today), headers=api_headers)

    html = manager_client.get(PAGE).get_data(as_text=True)
    assert "<td><code>throttled</code></td><td>2</td>" in html
    assert "<td><code>scheduled</code></td><td>1</td>" in html
