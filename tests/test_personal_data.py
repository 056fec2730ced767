"""A customer's data on request: export it, erase it (no trace left in the database files,
scores unchanged, the address never surveyed again), and retention."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from surveys.customers import outbox, personal_data
from surveys.customers.responses import save_response
from tests.helpers import csrf_token, invite, post_ticket

ADDRESS = "rina.erasable@example.com"
COMMENT = "Slow-reply-from-Zebulon-4471"  # a phrase that occurs nowhere else


def answer(client, token, csat, comment=None, **fields):
    page = client.get(f"/s/{token}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "csat": csat, **fields}
    if comment:
        data["comment"] = comment
    assert client.post(f"/s/{token}", data=data).status_code == 303


@pytest.fixture
def customer(app, client, api_headers):
    """Rina has two answered tickets (one with a comment); someone else has one."""
    for ticket, comment in (("T-1", COMMENT), ("T-2", None)):
        token = invite(
            app,
            client,
            api_headers,
            ticket,
            email=ADDRESS,
            customer={"email": ADDRESS, "name": "Rina Zebulon", "locale": "en"},
        )
        answer(client, token, 2 if comment else 5, comment, nps="3")
    other = invite(app, client, api_headers, "T-3", email="other@example.com")
    answer(client, other, 4, "Fine, thanks")
    return ADDRESS


def database_files(config):
    """The bytes of the database and its -wal and -shm, as they are on disk."""
    path = Path(config["DATABASE"])
    return {
        name: candidate.read_bytes()
        for name in ("", "-wal", "-shm")
        if (candidate := Path(f"{path}{name}")).exists()
    }


def reports(client, api_headers):
    """What the report API answers, grouped every way that matters here."""
    return {
        (path, group): client.get(
            f"{path}?group_by={group}&from=2026-11-01&to=2026-11-30", headers=api_headers
        ).get_json()
        for path in ("/api/v1/scores", "/api/v1/kpis")
        for group in ("agent", "team", "channel", "month")
    }


def test_export_prints_everything_held_as_json(runner, customer):
    result = runner.invoke(args=["customer", "export", " Rina.Erasable@Example.com "])
    assert result.exit_code == 0, result.output
    held = json.loads(result.output)
    assert held["address"] == ADDRESS
    assert [ticket["ticket_ref"] for ticket in held["tickets"]] == ["T-1", "T-2"]
    assert {ticket["customer_name"] for ticket in held["tickets"]} == {"Rina Zebulon"}
    assert [(row["csat"], row["nps"], row["comment"]) for row in held["responses"]] == [
        (2, 3, COMMENT),
        (5, None, None),  # NPS is asked once per NPS_INTERVAL_DAYS
    ]
    assert len(held["invitations"]) == 2 and len(held["mail"]) == 2
    assert held["suppression"] is None


def test_export_writes_a_file_with_out(runner, customer, tmp_path):
    out = tmp_path / "rina.json"
    result = runner.invoke(args=["customer", "export", ADDRESS, "--out", str(out)])
    assert result.exit_code == 0 and str(out) in result.output
    assert json.loads(out.read_text())["address"] == ADDRESS


@pytest.mark.parametrize("command", ["export", "erase"])
def test_an_unknown_address_is_nothing_held(runner, db, command):
    result = runner.invoke(args=["customer", command, "nobody@example.com"])
    assert result.exit_code == 0
    assert result.output == "Nothing held about nobody@example.com.\n"


def test_erase_leaves_no_copy_and_keeps_every_score(
    app, client, runner, db, config, api_headers, customer
):
    before = reports(client, api_headers)
    assert any(ADDRESS.encode() in data for data in database_files(config).values())
    result = runner.invoke(args=["customer", "erase", ADDRESS, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Erased rina.erasable@example.com: 2 tickets, 2 invitations, 2 responses" in (
        result.output
    )
    for name, data in database_files(config).items():
        lowered = data.lower()
        for needle in (ADDRESS.encode(), COMMENT.lower().encode(), b"rina zebulon"):
            assert needle not in lowered, (name, needle)
    assert reports(client, api_headers) == before
    # The other customer keeps everything; the erasure is logged without the address.
    [other] = db.query("SELECT customer_email FROM tickets WHERE ticket_ref = 'T-3'")
    assert other["customer_email"] == "other@example.com"
    [erasure] = db.query("SELECT * FROM erasures")
    assert (erasure["reason"], erasure["tickets"], erasure["responses"]) == ("request", 2, 2)
    assert ADDRESS not in json.dumps(erasure)


def test_after_erasure_a_new_closure_for_the_address_stays_suppressed(
    runner, client, db, api_headers, customer
):
    assert runner.invoke(args=["customer", "erase", ADDRESS, "--yes"]).exit_code == 0
    result = post_ticket(client, api_headers, "T-9", email=ADDRESS)
    assert result["invitation"]["status"] == "suppressed"
    assert result["invitation"]["reason"] == "unsubscribed"


def test_erase_is_idempotent_and_asks_first(runner, db, customer):
    refused = runner.invoke(args=["customer", "erase", ADDRESS], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert db["erasures"].count == 0
    assert runner.invoke(args=["customer", "erase", ADDRESS], input="y\n").exit_code == 0
    again = runner.invoke(args=["customer", "erase", ADDRESS, "--yes"])
    assert again.exit_code == 0 and "Nothing held about" in again.output
    assert db["erasures"].count == 1


def test_erase_removes_the_mailbox_files_and_the_import_lines(app, runner, db, config, customer):
    mail_dir = Path(config["MAIL_DIR"])
    assert any(ADDRESS.encode() in path.read_bytes() for path in mail_dir.glob("*.eml"))
    db["ticket_imports"].insert(
        {
            "filename": "export.csv",
            "content": f"id,email\r\nT-7,{ADDRESS.upper()}\r\nT-8,kept@example.com\r\n".encode(),
            "created_at": "2026-11-20T00:00:00Z",
        }
    )
    assert runner.invoke(args=["customer", "erase", ADDRESS, "--yes"]).exit_code == 0
    assert not any(ADDRESS.encode() in path.read_bytes() for path in mail_dir.glob("*.eml"))
    [stored] = db.query("SELECT content FROM ticket_imports")
    assert stored["content"] == b"id,email\r\nT-8,kept@example.com\r\n"


def test_erasing_a_comment_sends_nothing_to_the_help_desk(app, runner, db, customer):
    from surveys.helpdesk import outbound

    outbound.create_hook(db, "https://helpdesk.example/hook")
    invitation = next(db.query("SELECT * FROM invitations WHERE customer_email = ?", [ADDRESS]))
    with app.app_context():
        answers = {"csat": 2, "ces": None, "nps": None, "comment": COMMENT + " again"}
        save_response(db, invitation, answers)
    queued = db["outbound_deliveries"].count
    assert runner.invoke(args=["customer", "erase", ADDRESS, "--yes"]).exit_code == 0
    assert db["outbound_deliveries"].count == queued
    payloads = [row["payload"] for row in db.query("SELECT payload FROM outbound_deliveries")]
    assert payloads and not any(COMMENT in payload for payload in payloads)


def test_the_page_looks_up_exports_and_erases_after_confirmation(manager_client, db, customer):
    page = manager_client.get("/customers").get_data(as_text=True)
    token = csrf_token(page)
    shown = manager_client.post("/customers", data={"csrf_token": token, "email": ADDRESS})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and f"Held about {ADDRESS}" in html
    download = manager_client.post(
        "/customers/export", data={"csrf_token": token, "email": ADDRESS}
    )
    assert download.mimetype == "application/json"
    assert json.loads(download.get_data())["responses"][0]["comment"] == COMMENT
    wrong = manager_client.post(
        "/customers/erase",
        data={"csrf_token": token, "email": ADDRESS, "confirm": "someone@else.example"},
    )
    assert wrong.status_code == 422 and db["erasures"].count == 0
    erased = manager_client.post(
        "/customers/erase", data={"csrf_token": token, "email": ADDRESS, "confirm": ADDRESS}
    )
    assert erased.status_code == 303 and erased.headers["Location"] == "/customers"
    assert db["erasures"].count == 1
    [row] = db.query("SELECT erased_by FROM erasures")
    assert row["erased_by"] is not None


@pytest.mark.parametrize("email", ["", "not-an-address", "x" * 300 + "@example.com"])
def test_the_page_refuses_a_bad_address(manager_client, email):
    token = csrf_token(manager_client.get("/customers").get_data(as_text=True))
    response = manager_client.post("/customers", data={"csrf_token": token, "email": email})
    assert response.status_code == 422


def test_staff_cannot_open_the_page(staff_client):
    assert staff_client.get("/customers").status_code == 403


def test_retention_erases_only_tickets_closed_before_the_cutoff(
    app, client, runner, db, config, api_headers, make_app
):
    old = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    post_ticket(client, api_headers, "OLD-1", email="old@example.com", closed_at=old.isoformat())
    post_ticket(client, api_headers, "NEW-1", email="old@example.com")
    unset = runner.invoke(args=["retention", "run"])
    assert unset.output == "RETENTION_MONTHS is not set: personal data is kept.\n"
    retained = make_app(RETENTION_MONTHS=6)
    result = retained.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "erased the personal data of 1 tickets closed before" in result.output
    rows = {
        row["ticket_ref"]: row["customer_email"]
        for row in db.query("SELECT ticket_ref, customer_email FROM tickets")
    }
    assert rows == {"OLD-1": "", "NEW-1": "old@example.com"}
    again = retained.test_cli_runner().invoke(args=["retention", "run"])
    assert "no personal data from tickets closed before" in again.output


@pytest.mark.parametrize(
    ("now", "months", "cutoff"),
    [
        (datetime(2026, 11, 30, 8, tzinfo=UTC), 6, datetime(2026, 5, 30, 8, tzinfo=UTC)),
        (datetime(2026, 8, 31, 8, tzinfo=UTC), 6, datetime(2026, 2, 28, 8, tzinfo=UTC)),
        (datetime(2026, 3, 15, 8, tzinfo=UTC), 12, datetime(2025, 3, 15, 8, tzinfo=UTC)),
    ],
)
def test_the_cutoff_is_calendar_months_back(now, months, cutoff):
    assert personal_data.retention_cutoff(now, months) == cutoff


def test_the_worker_applies_retention_at_start_then_daily(make_app, db, fake_clock):
    app = make_app(RETENTION_MONTHS=6)
    said = []
    with app.app_context():
        due = outbox.apply_retention_when_due(app.config, said.append, fake_clock.now())
        assert due == fake_clock.now() + timedelta(hours=24) and len(said) == 1
        fake_clock.advance(hours=23)
        assert outbox.apply_retention_when_due(app.config, said.append, due) == due
        fake_clock.advance(hours=1)
        assert outbox.apply_retention_when_due(app.config, said.append, due) > due
    assert len(said) == 2
