"""The whole path: a closed ticket becomes a mail, an answer and a score."""

import csv
import io
from email import message_from_bytes, policy

from surveys.staff.accounts import create_user
from tests.helpers import LINK_PATTERN, csrf_token, sign_in, ticket_payload


def test_closed_ticket_to_score_through_a_real_smtp_server(smtp_config, make_app, db, smtp_server):
    app = make_app()
    help_desk, customer, manager = app.test_client(), app.test_client(), app.test_client()
    runner = app.test_cli_runner()

    # A manager creates a key for the help desk; the key is printed once.
    created = runner.invoke(args=["api-key", "create", "Zendesk"])
    assert created.exit_code == 0
    key = created.output.strip().splitlines()[-1]

    # The help desk reports a closed ticket.
    posted = help_desk.post(
        "/api/v1/tickets/closed",
        headers={"Authorization": f"Bearer {key}"},
        json=ticket_payload(
            "ZD-1001",
            email="rina@example.com",
            agent={"email": "ayu@example.com"},
            closed_at="2026-11-20T16:30:00+07:00",
        ),
    )
    assert posted.status_code == 201

    # The mail worker delivers the invitation through SMTP.
    sent = runner.invoke(args=["outbox", "send-due"])
    assert sent.exit_code == 0 and "1 sent" in sent.output
    [envelope] = smtp_server.handler_ref.messages
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "ZD-1001" in text
    [token] = set(LINK_PATTERN.findall(text))

    # The customer follows the "5" link, which pre-selects, and sends the form.
    page = customer.get(f"/s/{token}?csat=5")
    assert page.status_code == 200
    answered = customer.post(
        f"/s/{token}",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "csat": "5",
            "ces": "6",
            "nps": "10",
            "comment": "Thanks Ayu!",
        },
    )
    assert answered.status_code == 303

    # The manager finds the answer in the scores API and in the CSV.
    create_user(db, "boss@example.com", "a long enough password", "manager")
    sign_in(manager, "boss@example.com", "a long enough password")
    query = "from=2026-11-20&to=2026-11-20&group_by=agent"
    scores = manager.get(f"/api/v1/scores?{query}").get_json()
    [agent_id] = db.execute("SELECT id FROM agents WHERE email = 'ayu@example.com'").fetchone()
    expected_row = {
        "group": "ayu@example.com",
        "agent_id": agent_id,  # grouped by agent, the agent's id and name (none reported)
        "agent_name": None,
        "invitations_sent": 1,
        "responses": 1,
        "response_rate": 100.0,
        "csat_n": 1,
        "csat_pct": 100.0,
        "csat_low": 20.7,
        "csat_high": 100.0,
        "csat_mean": 5.0,
        "ces_n": 1,
        "ces_mean": 6.0,
        "ces_agree_pct": 100.0,
        "nps_n": 1,
        "promoters": 1,
        "passives": 0,
        "detractors": 0,
        "nps": 100.0,
        "nps_low": 100.0,
        "nps_high": 100.0,
    }
    assert scores["groups"] == [expected_row]
    assert scores["overall"] == dict(expected_row, group="all", agent_id=None)

    download = manager.get(f"/reports/summary.csv?{query}")
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert rows == [
        {field: "" if value is None else str(value) for field, value in expected_row.items()}
    ]
