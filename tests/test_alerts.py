"""Alerts: the rules managers set on /settings/alerts, and the mail an alerting answer sends,
once per recipient, through a real SMTP server (aiosmtpd)."""

from email import message_from_bytes, policy

import pytest

from app import create_app
from surveys.actions import alert_mail
from surveys.config import ConfigError
from surveys.customers import outbox
from surveys.customers.personal_data import erase_customer
from surveys.helpdesk.integrations import create_integration
from surveys.helpdesk.ticket_links import set_template
from surveys.staff.accounts import create_user
from tests.helpers import (
    DEADLINE_SECONDS,
    LINK_PATTERN,
    MANAGER_EMAIL,
    PASSWORD,
    base_config,
    connection_of_each_message,
    csrf_token,
    deliver,
    free_port,
    post_ticket,
    run_flask,
    sign_in,
    within_deadline,
)

PAGE = "/settings/alerts"
COMPANY_FORM = {
    "csat_at_most": "2",
    "ces_at_most": "3",
    "nps_at_most": "6",
    "on_comment": "",
    "recipients": "",
}


@pytest.fixture
def smtp_app(smtp_config, make_app):
    return make_app()


@pytest.fixture
def people(smtp_app, db):
    """An active manager, a deactivated one (never told) and a staff member (never told)."""
    create_user(db, "boss@example.com", PASSWORD, "manager", name="Bu Boss")
    create_user(db, "gone@example.com", PASSWORD, "manager")
    db.execute("UPDATE users SET active = 0 WHERE email = 'gone@example.com'")
    create_user(db, "staff@example.com", PASSWORD, "staff")


def work(app):
    """One pass of the mail worker, as `flask outbox send-due` runs it: invitations, then
    alerts; the alerts' counts."""
    with app.app_context():
        outbox.send_due(app.config)
        return alert_mail.send_due_pass(app.config)


def received(smtp_server):
    return [
        (envelope.rcpt_tos, message_from_bytes(envelope.original_content, policy=policy.default))
        for envelope in smtp_server.handler_ref.messages
    ]


def alerts_received(smtp_server):
    """(recipient, message) of every alert the server received, in order."""
    return [
        (rcpt_tos[0], message)
        for rcpt_tos, message in received(smtp_server)
        if message["Subject"].strip().startswith("Alert: ")
    ]


def survey_token(smtp_server, ticket_id):
    """The survey token of the invitation for a ticket, from the mail the server received."""
    [message] = [
        message
        for _, message in received(smtp_server)
        if ticket_id in message["Subject"] and "How did we do" in message["Subject"]
    ]
    return LINK_PATTERN.search(message.get_body(("plain",)).get_content()).group(1)


def answer(client, token, **fields):
    """Post the survey as a customer's browser does (CSRF token from the page)."""
    page = client.get(f"/s/{token}").get_data(as_text=True)
    response = client.post(f"/s/{token}", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def invited(app, api_headers, smtp_server, ticket_id="T-1", **fields):
    """A closed ticket whose invitation was delivered; (customer's client, token)."""
    client = app.test_client()
    post_ticket(client, api_headers, ticket_id, **fields)
    deliver(app)
    return client, survey_token(smtp_server, ticket_id)


def alert_rows(db):
    return [
        (row["follow_up_id"], row["alert"], row["recipient"], row["status"])
        for row in db.query("SELECT * FROM alert_outbox ORDER BY id")
    ]


def store_rules(db, team_id=0, **values):
    for name, value in values.items():
        db.execute(
            "INSERT INTO alert_rules (team_id, name, value, updated_at) VALUES (?, ?, ?, 'x')",
            [team_id, name, value],
        )


# The mail


def test_an_alerting_answer_mails_every_recipient_once_with_the_whole_story(
    smtp_app, db, api_headers, smtp_server, people
):
    store_rules(db, recipients="ops@example.com,boss@example.com")
    customer, token = invited(smtp_app, api_headers, smtp_server)
    answer(customer, token, csat="1", nps="3", comment="Nobody listened.", contact_ok="y")

    [follow_up] = db.query("SELECT * FROM follow_ups")
    assert alert_rows(db) == [
        (follow_up["id"], 1, "boss@example.com", "pending"),
        (follow_up["id"], 1, "ops@example.com", "pending"),
    ]
    assert work(smtp_app) == {"sent": 2, "retry": 0, "failed": 0}
    mails = alerts_received(smtp_server)
    assert [recipient for recipient, _ in mails] == ["boss@example.com", "ops@example.com"]
    assert [status for *_, status in alert_rows(db)] == ["sent", "sent"]
    _, mail = mails[0]
    assert mail["Subject"].strip() == "Alert: CSAT 1 of 5, NPS 3 of 10 on ticket T-1 (Agent Smith)"
    assert mail["To"] == "boss@example.com"
    text = mail.get_content()
    for line in (
        "Scores:    CSAT 1 of 5, NPS 3 of 10",
        "Comment:   Nobody listened.",
        "Customer:  Rina <customer@example.com>, who agreed to be contacted about the answer",
        "Ticket:    T-1 (closed 2026-11-20T03:00:00Z)",
        "Agent:     Agent Smith (agent@example.com)",
        "Team:      Billing",
        f"http://puas.test/follow-ups/{follow_up['id']}",
    ):
        assert line in text, text


def test_the_mail_for_an_erased_customer_says_the_address_was_erased(
    smtp_app, db, api_headers, smtp_server, people
):
    customer, token = invited(smtp_app, api_headers, smtp_server)
    answer(customer, token, csat="1", comment="Nobody listened.", contact_ok="y")
    assert erase_customer(db, "customer@example.com") is not None  # before the mail goes
    work(smtp_app)
    [(_, mail)] = alerts_received(smtp_server)
    text = mail.get_content()
    line = (
        "Customer:  address erased (their personal data was removed), so they cannot be contacted"
    )
    assert line in text.splitlines(), text
    assert "<>" not in text and "Rina" not in text


def test_the_ticket_in_the_mail_links_to_its_help_desk(
    smtp_app, db, api_headers, smtp_server, people
):
    integration_id, _ = create_integration(db, "zendesk", "Zendesk")
    set_template(db, integration_id, "https://acme.zendesk.com/agent/tickets/{ticket_id}")
    customer, token = invited(smtp_app, api_headers, smtp_server, "T 7")
    db.execute("UPDATE tickets SET source = ?", [f"integration:{integration_id}"])
    answer(customer, token, csat="2")
    work(smtp_app)
    [(_, mail)] = alerts_received(smtp_server)
    assert "Ticket:    T 7 https://acme.zendesk.com/agent/tickets/T%207 " in mail.get_content()


def test_a_scanners_get_of_the_survey_never_alerts(smtp_app, db, api_headers, smtp_server, people):
    customer, token = invited(smtp_app, api_headers, smtp_server)
    assert customer.get(f"/s/{token}?csat=1").status_code == 200
    assert customer.head(f"/s/{token}?csat=1&nps=0").status_code == 200
    work(smtp_app)
    assert db["responses"].count == 0
    assert db["follow_ups"].count == 0 and alert_rows(db) == []
    assert alerts_received(smtp_server) == []


def test_a_happy_answer_opens_nothing_and_mails_nobody(
    smtp_app, db, api_headers, smtp_server, people
):
    customer, token = invited(smtp_app, api_headers, smtp_server)
    answer(customer, token, csat="3", ces="4", nps="7", comment="Fine.")
    work(smtp_app)
    assert db["follow_ups"].count == 0 and alerts_received(smtp_server) == []


def test_one_alert_per_answer_until_it_newly_crosses_the_rules_again(
    smtp_app, db, api_headers, smtp_server, people
):
    customer, token = invited(smtp_app, api_headers, smtp_server)
    answer(customer, token, csat="1")
    work(smtp_app)
    assert len(alerts_received(smtp_server)) == 1

    answer(customer, token, csat="1")  # the same answer again
    answer(customer, token, csat="2", comment="Still bad")  # changed, still alerting
    answer(customer, token, csat="5")  # no longer alerting
    work(smtp_app)
    assert len(alerts_received(smtp_server)) == 1
    [follow_up] = db.query("SELECT id, version, status FROM follow_ups")
    assert (follow_up["version"], follow_up["status"]) == (3, "open")
    events = [row["what"] for row in db.query("SELECT what FROM follow_up_events ORDER BY id")]
    assert events == [
        "Opened: the answer alerted (CSAT 1, CES –, NPS –, no comment).",
        "The customer changed the answer: CSAT 1, CES –, NPS –, no comment → "
        "CSAT 2, CES –, NPS –, with a comment.",
        "The customer changed the answer: CSAT 2, CES –, NPS –, with a comment → "
        "CSAT 5, CES –, NPS –, no comment.",
    ]

    answer(customer, token, csat="1")  # newly crosses the rule: told again
    work(smtp_app)
    assert [recipient for recipient, _ in alerts_received(smtp_server)] == [
        "boss@example.com",
        "boss@example.com",
    ]
    assert alert_rows(db) == [
        (follow_up["id"], 1, "boss@example.com", "sent"),
        (follow_up["id"], 2, "boss@example.com", "sent"),
    ]
    assert (
        "changed their answer, and it alerts again"
        in alerts_received(smtp_server)[1][1].get_content()
    )
    assert db["follow_ups"].count == 1


def test_a_teams_own_rules_apply_rule_by_rule_else_the_companys(
    smtp_app, db, api_headers, smtp_server, people
):
    db["teams"].insert({"name": "Billing"})
    billing = db.execute("SELECT id FROM teams WHERE name = 'Billing'").fetchone()[0]
    store_rules(db, on_comment="1", recipients="ops@example.com")
    store_rules(db, billing, csat_at_most="", recipients="billing@example.com")
    billing_customer, billing_token = invited(smtp_app, api_headers, smtp_server, "T-1")
    other_customer, other_token = invited(
        smtp_app, api_headers, smtp_server, "T-2", team="Technical", email="other@example.com"
    )
    answer(billing_customer, billing_token, csat="1")  # Billing: CSAT never alerts
    answer(other_customer, other_token, csat="1")  # Technical: the company's rules
    work(smtp_app)
    assert [recipient for recipient, _ in alerts_received(smtp_server)] == [
        "boss@example.com",
        "ops@example.com",
    ]
    # NPS and comments follow the company's rules in Billing too.
    answer(billing_customer, billing_token, csat="1", comment="Hmm")
    work(smtp_app)
    assert [recipient for recipient, _ in alerts_received(smtp_server)][2:] == [
        "boss@example.com",
        "billing@example.com",
    ]


@pytest.mark.parametrize("comment", ["\u200b", "\ufeff\u2060 \u200d", "\U0001f620"])
def test_on_comment_alerts_only_for_a_comment_that_shows_something(
    smtp_app, db, api_headers, smtp_server, people, comment
):
    store_rules(db, on_comment="1")
    customer, token = invited(smtp_app, api_headers, smtp_server)
    answer(customer, token, csat="5", comment=comment)
    work(smtp_app)
    alerted = comment == "\U0001f620"  # an angry face is a comment; zero-width ones are not
    assert db["follow_ups"].count == int(alerted)
    assert [recipient for recipient, _ in alerts_received(smtp_server)] == (
        ["boss@example.com"] if alerted else []
    )


def test_a_follow_up_is_due_follow_up_hours_after_it_opened(
    smtp_config, make_app, db, api_headers, smtp_server, fake_clock
):
    app = make_app(FOLLOW_UP_HOURS=5)
    customer, token = invited(app, api_headers, smtp_server)
    answer(customer, token, nps="0")
    [row] = db.query("SELECT opened_at, due_at, owner_id, status, outcome FROM follow_ups")
    assert row == {
        "opened_at": "2026-11-20T04:00:00Z",
        "due_at": "2026-11-20T09:00:00Z",
        "owner_id": None,
        "status": "open",
        "outcome": None,
    }


@pytest.mark.parametrize("hours", [0, -1, 8761, 1.5, True, "48"])
def test_follow_up_hours_must_be_a_whole_number_of_hours(tmp_path, hours):
    with pytest.raises(ConfigError, match="FOLLOW_UP_HOURS"):
        create_app({**base_config(tmp_path), "FOLLOW_UP_HOURS": hours})


# One connection a pass, and a server that is down


def three_alerts_due(app, db, api_headers, smtp_server):
    """An answer alerting boss@, ops@ and cs@, its three alerts due and not yet sent."""
    store_rules(db, recipients="ops@example.com,cs@example.com,boss@example.com")
    customer, token = invited(app, api_headers, smtp_server)
    answer(customer, token, csat="1")
    assert [row[2:] for row in alert_rows(db)] == [
        ("boss@example.com", "pending"),
        ("ops@example.com", "pending"),
        ("cs@example.com", "pending"),
    ]


def alert_attempts(db):
    return [
        (row["recipient"], row["status"], row["attempts"], row["last_error"])
        for row in db.query("SELECT * FROM alert_outbox ORDER BY id")
    ]


def test_a_pass_sends_its_alerts_over_one_connection(
    smtp_app, db, api_headers, smtp_server, people
):
    three_alerts_due(smtp_app, db, api_headers, smtp_server)
    connections = connection_of_each_message(smtp_server)

    assert work(smtp_app) == {"sent": 3, "retry": 0, "failed": 0}

    assert len(connections) == 3
    assert len({id(session) for session in connections}) == 1
    assert [recipient for recipient, _ in alerts_received(smtp_server)] == [
        "boss@example.com",
        "ops@example.com",
        "cs@example.com",
    ]


def test_a_server_that_never_greets_costs_one_alert_s_attempt_and_leaves_the_others_due(
    smtp_app, db, api_headers, smtp_server, people, silent_server
):
    three_alerts_due(smtp_app, db, api_headers, smtp_server)
    smtp_app.config.update(SMTP_PORT=silent_server.port, SMTP_TIMEOUT_SECONDS=1)

    outcomes = within_deadline(lambda: work(smtp_app))

    assert outcomes == {"sent": 0, "retry": 1, "failed": 0, "unreachable": 1}
    assert silent_server.accepted == 1  # not one connection's time for every alert
    [first, *others] = alert_attempts(db)
    assert first[:3] == ("boss@example.com", "pending", 1)
    assert first[3].startswith("SMTP server unreachable: ")
    # Never claimed: still due, no attempt counted, no error.
    assert others == [
        ("ops@example.com", "pending", 0, None),
        ("cs@example.com", "pending", 0, None),
    ]

    # The server is back: the next pass sends those two; the first waits for its retry.
    smtp_app.config.update(SMTP_PORT=smtp_server.port)
    assert work(smtp_app) == {"sent": 2, "retry": 0, "failed": 0}
    assert [row[:3] for row in alert_attempts(db)] == [
        ("boss@example.com", "pending", 1),
        ("ops@example.com", "sent", 1),
        ("cs@example.com", "sent", 1),
    ]


@pytest.mark.parametrize("server_up", [True, False], ids=["server-up", "server-down"])
def test_flask_outbox_send_due_exits_1_when_the_alerts_found_the_server_unreachable(
    smtp_app, smtp_config, db, api_headers, smtp_server, people, server_up
):
    three_alerts_due(smtp_app, db, api_headers, smtp_server)
    port = smtp_server.port if server_up else free_port()  # nothing listens there

    ran = run_flask(
        {**smtp_config, "SMTP_PORT": port},
        "outbox",
        "send-due",
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )

    if server_up:
        assert (ran.returncode, ran.stderr) == (0, "")
        assert "alerts: 3 sent, 0 retry, 0 failed" in ran.stdout
        return
    assert ran.returncode == 1
    assert ran.stdout.splitlines()[-1] == (
        "alerts: 0 sent, 1 retry, 0 failed; "
        "no connection to the mail server, so the pass ended there"
    )
    assert ran.stderr.splitlines() == [
        "Error: no connection to the mail server (alerts); the mail stays queued for the next run"
    ]
    assert [row[1:3] for row in alert_attempts(db)] == [
        ("pending", 1),
        ("pending", 0),
        ("pending", 0),
    ]


def test_after_the_invitations_find_no_server_the_alerts_wait_for_the_next_run(
    smtp_app, smtp_config, db, api_headers, smtp_server, people
):
    three_alerts_due(smtp_app, db, api_headers, smtp_server)
    post_ticket(smtp_app.test_client(), api_headers, "T-9", email="later@example.com")

    ran = run_flask(
        {**smtp_config, "SMTP_PORT": free_port()},  # nothing listens there
        *["outbox", "send-due"],
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )

    assert ran.returncode == 1
    # One wait for the server, not one for each pass: the alerts' pass did not run.
    assert ran.stdout.splitlines() == [
        "0 sent, 1 retry, 0 failed; no connection to the mail server, so the pass ended there"
    ]
    assert ran.stderr.splitlines() == [
        "Error: no connection to the mail server (invitations); "
        "the mail stays queued for the next run"
    ]
    assert {row[1:3] for row in alert_attempts(db)} == {("pending", 0)}


# The settings page


def rules_rows(db):
    return {
        (row["team_id"], row["name"]): row["value"]
        for row in db.query("SELECT team_id, name, value FROM alert_rules")
    }


def post(manager_client, path, form):
    token = csrf_token(manager_client.get(path).get_data(as_text=True))
    return manager_client.post(path, data={**form, "csrf_token": token})


def test_the_page_shows_the_defaults_and_saves_the_company_rules(manager_client, db):
    html = manager_client.get(PAGE).get_data(as_text=True)
    assert '<option value="2" selected>2</option>' in html  # CSAT at most 2
    assert '<option value="6" selected>6</option>' in html  # NPS at most 6
    assert "manager@example.com" in html  # who is told now
    response = post(
        manager_client,
        PAGE,
        {
            "csat_at_most": "1",
            "ces_at_most": "",
            "nps_at_most": "4",
            "on_comment": "y",
            "recipients": " Ops@Example.com, cs@example.com,ops@example.com, \u200b ",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == PAGE
    assert rules_rows(db) == {
        (0, "csat_at_most"): "1",
        (0, "ces_at_most"): "",
        (0, "nps_at_most"): "4",
        (0, "on_comment"): "1",
        (0, "recipients"): "ops@example.com,cs@example.com",
    }
    html = manager_client.get(PAGE).get_data(as_text=True)
    assert 'value="ops@example.com, cs@example.com"' in html
    assert "<li>cs@example.com</li>" in html


def test_a_team_keeps_its_own_rules_and_leaves_the_rest_to_the_company(manager_client, db):
    db["teams"].insert({"name": "Billing"})
    form = {**COMPANY_FORM, "csat_at_most": "company", "on_comment": "company"}
    form.update(ces_at_most="", nps_at_most="company", recipients="billing@example.com")
    response = post(manager_client, f"{PAGE}?team=Billing", form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}?team=Billing"
    assert rules_rows(db) == {(1, "ces_at_most"): "", (1, "recipients"): "billing@example.com"}
    # Back to the company's for CES: its row goes.
    post(manager_client, f"{PAGE}?team=Billing", {**form, "ces_at_most": "company"})
    assert rules_rows(db) == {(1, "recipients"): "billing@example.com"}
    assert manager_client.get(f"{PAGE}?team=Nobody").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("csat_at_most", "6", "csat_at_most must be a whole number from 1 to 5"),
        ("csat_at_most", "0", "csat_at_most must be a whole number from 1 to 5"),
        ("ces_at_most", "8", "ces_at_most must be a whole number from 1 to 7"),
        ("nps_at_most", "11", "nps_at_most must be a whole number from 0 to 10"),
        ("nps_at_most", "-1", "nps_at_most must be a whole number from 0 to 10"),
        ("csat_at_most", "1.5", "csat_at_most must be a whole number"),
        ("csat_at_most", "\u0663", "csat_at_most must be a whole number"),
        ("csat_at_most", "company", "csat_at_most must be a whole number"),  # company page
        ("on_comment", "yes", "on_comment must be y (any comment alerts) or empty (off)"),
        (
            "recipients",
            "ops@example.com, not-an-address",
            "recipients “not-an-address” is not a valid email address",
        ),
        ("recipients", "a@example.com\nb@example.com", "recipients"),
    ],
)
def test_a_bad_rule_is_422_with_its_message_and_nothing_is_stored(
    manager_client, db, field, value, message
):
    response = post(manager_client, PAGE, {**COMPANY_FORM, field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "Nothing was saved" in html
    assert rules_rows(db) == {}


@pytest.mark.parametrize(
    ("recipients", "shown"),
    [
        ("a@example.com\r\nBcc: x@example.net", "“a@example.com[line break]Bcc: x@example.net”"),
        ("a@example.com\tb@example.com", "“a@example.com[tab]b@example.com”"),
        ("ops@example.com, \u202eboss@example.com", "“[U+202E]boss@example.com”"),
    ],
)
def test_a_refused_address_is_quoted_in_plain_words_not_as_python_shows_it(
    manager_client, db, recipients, shown
):
    response = post(manager_client, PAGE, {**COMPANY_FORM, "recipients": recipients})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"recipients {shown} must not contain control characters" in html
    assert "&#39;" not in html and "\\r" not in html and "\\t" not in html
    assert rules_rows(db) == {}


def test_a_field_left_out_is_422_not_never(manager_client, db):
    form = {name: value for name, value in COMPANY_FORM.items() if name != "nps_at_most"}
    response = post(manager_client, PAGE, {**form, "csat_at_most": "9"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "nps_at_most is required" in html and "csat_at_most must be" in html
    assert rules_rows(db) == {}


def test_more_than_twenty_recipients_are_refused(manager_client, db):
    many = ", ".join(f"person{number}@example.com" for number in range(21))
    response = post(manager_client, PAGE, {**COMPANY_FORM, "recipients": many})
    assert response.status_code == 422
    assert "recipients may name at most 20 addresses" in response.get_data(as_text=True)
    assert rules_rows(db) == {}


def test_a_post_without_the_csrf_token_is_refused(manager_client, db):
    response = manager_client.post(PAGE, data=COMPANY_FORM)
    assert response.status_code == 400
    assert rules_rows(db) == {}


def test_staff_cannot_read_or_change_the_rules(client, db):
    create_user(db, "staff@example.com", PASSWORD, "staff")
    sign_in(client, "staff@example.com")
    assert client.get(PAGE).status_code == 403
    assert MANAGER_EMAIL not in client.get(PAGE).get_data(as_text=True)
