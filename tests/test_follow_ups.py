"""Follow-ups: the list and its filters, working one (409 on a stale version, 422 on bad
values), the API, the dashboard's figures, and the customer's side (consent, thanks)."""

from html import unescape

import pytest

from surveys.customers.personal_data import erase_customer
from surveys.staff.accounts import create_user
from tests.helpers import MANAGER_EMAIL, PASSWORD, csrf_token, invite


def answer(client, token, **fields):
    """Post the survey as a customer's browser does (CSRF token from the page)."""
    page = client.get(f"/s/{token}").get_data(as_text=True)
    return client.post(f"/s/{token}", data={"csrf_token": csrf_token(page), **fields})


@pytest.fixture
def alerted(app, api_headers, fake_clock):
    """Answer tickets as customers: alerted(ticket_id, csat=..., ...) → the follow-up's id."""

    def make(ticket_id="T-1", fields=None, **answers):
        customer = app.test_client()
        token = invite(app, customer, api_headers, ticket_id, **(fields or {}))
        response = answer(customer, token, **answers)
        assert response.status_code == 303, response.get_data(as_text=True)
        return token

    return make


def follow_up_row(db, follow_up_id=1):
    return next(
        db.query(
            "SELECT status, outcome, notes, owner_id, version, first_contact_at, closed_at "
            "FROM follow_ups WHERE id = ?",
            [follow_up_id],
        )
    )


def events(db):
    return [(row["by_user_id"], row["what"]) for row in db.query("SELECT * FROM follow_up_events")]


def save(client, follow_up_id=1, **fields):
    """POST the follow-up's form with the version the page shows, then `fields`."""
    page = client.get(f"/follow-ups/{follow_up_id}").get_data(as_text=True)
    version = page.split('name="version" value="')[1].split('"')[0]
    form = {"status": "open", "outcome": "", "notes": "", "owner": "", "version": version}
    form.update(fields, csrf_token=csrf_token(page))
    return client.post(f"/follow-ups/{follow_up_id}", data=form)


def one_value(db, sql):
    [row] = db.execute(sql).fetchall()
    return row[0]


def manager_id(db):
    return db.execute("SELECT id FROM users WHERE email = ?", [MANAGER_EMAIL]).fetchone()[0]


# Working a follow-up


def test_the_follow_up_page_shows_the_answer_consent_earlier_tickets_and_history(
    manager_client, db, alerted
):
    earlier = {"closed_at": "2026-11-02T10:00:00+07:00"}
    alerted("T-0", fields=earlier, csat="5", comment="Lovely")  # an earlier, happy ticket
    alerted("T-1", csat="1", comment="<b>Rude</b> agent", contact_ok="y")
    [follow_up_id] = [row["id"] for row in db.query("SELECT id FROM follow_ups")]
    html = manager_client.get(f"/follow-ups/{follow_up_id}").get_data(as_text=True)
    assert "CSAT 1 of 5" in html
    assert "&lt;b&gt;Rude&lt;/b&gt; agent" in html  # escaped, never markup
    assert "<strong>Yes</strong>: they ticked" in html
    assert "Agent Smith" in html and "Billing" in html
    assert "T-0" in html and "CSAT 5 of 5" in html and "Lovely" in html  # earlier ticket
    assert "Puas: Opened: the answer alerted (CSAT 1, CES –, NPS –, with a comment)." in html
    assert manager_client.get("/follow-ups/999").status_code == 404


def test_an_erased_customers_follow_up_shows_no_other_erased_customers_tickets(
    manager_client, db, alerted
):
    earlier = {"email": "ana@example.com", "closed_at": "2026-11-02T10:00:00+07:00"}
    alerted("T-0", fields=earlier, csat="5")  # another customer's earlier ticket
    alerted("T-1", csat="1")
    erase_customer(db, "ana@example.com")
    erase_customer(db, "customer@example.com")  # both tickets now carry the address ''
    html = manager_client.get("/follow-ups/1").get_data(as_text=True)
    assert ">T-0<" not in html and "CSAT 5 of 5" not in html
    assert "The customer's earlier tickets (0)" in html
    assert "None shown: the customer's address was erased" in html


def test_a_history_line_erased_with_the_customers_data_reads_as_a_sentence(
    manager_client, db, alerted
):
    alerted(csat="1")
    erase_customer(db, "customer@example.com")
    page = unescape(manager_client.get("/follow-ups/1").get_data(as_text=True))
    assert "Puas: This line was removed when the customer's personal data was erased." in page
    assert '{"erased"' not in page and "personal data removed" not in page


def test_a_manager_works_a_follow_up_to_closed(manager_client, db, alerted, fake_clock):
    alerted(csat="2")
    create_user(db, "ayu@example.com", PASSWORD, "staff", name="Ayu Lestari")
    fake_clock.advance(hours=3)
    response = save(
        manager_client, status="contacted", owner="Ayu@Example.com", notes="Called, voicemail."
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/follow-ups/1"
    ayu = db.execute("SELECT id FROM users WHERE email = 'ayu@example.com'").fetchone()[0]
    assert follow_up_row(db) == {
        "status": "contacted",
        "outcome": None,
        "notes": "Called, voicemail.",
        "owner_id": ayu,
        "version": 2,
        "first_contact_at": "2026-11-20T07:00:00Z",
        "closed_at": None,
    }
    fake_clock.advance(hours=2)
    response = save(
        manager_client,
        status="closed",
        outcome="resolved",
        owner="ayu@example.com",
        notes="Called, voicemail.",
    )
    assert response.status_code == 303
    assert follow_up_row(db) == {
        "status": "closed",
        "outcome": "resolved",
        "notes": "Called, voicemail.",
        "owner_id": ayu,
        "version": 3,
        "first_contact_at": "2026-11-20T07:00:00Z",  # the first move out of open stays
        "closed_at": "2026-11-20T09:00:00Z",
    }
    me = manager_id(db)
    assert events(db)[1:] == [
        (
            me,
            "status open → contacted; owner nobody → Ayu Lestari (ayu@example.com); notes changed",
        ),
        (me, "status contacted → closed; outcome none → resolved"),
    ]
    html = manager_client.get("/follow-ups/1").get_data(as_text=True)
    assert "status contacted → closed" in html


def test_notes_in_which_nothing_shows_are_no_notes(manager_client, db, alerted):
    alerted(csat="2")
    response = save(manager_client, status="contacted", notes=" \u200b\u2060 ", owner="\u200b")
    assert response.status_code == 303
    assert follow_up_row(db)["notes"] is None
    assert follow_up_row(db)["owner_id"] is None
    assert events(db)[1:] == [(manager_id(db), "status open → contacted")]


def test_saving_keeps_an_owner_who_can_no_longer_sign_in(manager_client, db, alerted):
    alerted(csat="1")
    create_user(db, "gita@example.com", PASSWORD, "staff", name="Gita")
    save(manager_client, owner="gita@example.com")
    db.execute("UPDATE users SET active = 0 WHERE email = 'gita@example.com'")
    gita = db.execute("SELECT id FROM users WHERE email = 'gita@example.com'").fetchone()[0]

    page = manager_client.get("/follow-ups/1").get_data(as_text=True)
    assert (
        '<option value="gita@example.com" selected>'
        "Gita (gita@example.com), who can no longer sign in</option>"
    ) in page
    response = save(manager_client, status="contacted", owner="gita@example.com")

    assert response.status_code == 303
    assert follow_up_row(db)["owner_id"] == gita
    assert events(db)[-1] == (manager_id(db), "status open → contacted")


def test_a_save_on_a_stale_version_is_409_and_stores_nothing(manager_client, db, alerted):
    alerted(csat="1")
    page = manager_client.get("/follow-ups/1").get_data(as_text=True)
    assert save(manager_client, status="contacted").status_code == 303  # another tab's save
    before, history = follow_up_row(db), events(db)
    stale = {
        "status": "closed",
        "outcome": "no_reply",
        "notes": "Gave up",
        "owner": "",
        "version": "1",
        "csrf_token": csrf_token(page),
    }
    response = manager_client.post("/follow-ups/1", data=stale)
    assert response.status_code == 409
    assert "Someone changed this follow-up" in response.get_data(as_text=True)
    assert follow_up_row(db) == before and events(db) == history


def test_a_changed_answer_makes_an_open_page_stale(manager_client, db, alerted, app):
    token = alerted(csat="1")
    page = manager_client.get("/follow-ups/1").get_data(as_text=True)
    assert answer(app.test_client(), token, csat="2").status_code == 303
    response = manager_client.post(
        "/follow-ups/1",
        data={
            "status": "contacted",
            "outcome": "",
            "notes": "",
            "owner": "",
            "version": "1",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 409
    assert follow_up_row(db)["status"] == "open"


def test_a_stale_page_is_409_before_its_fields_are_judged_against_the_follow_up_now(
    manager_client, db, alerted, app
):
    token = alerted(csat="1")
    save(manager_client, status="closed", outcome="resolved")
    page = manager_client.get("/follow-ups/1").get_data(as_text=True)  # closed, resolved
    customer = app.test_client()
    assert answer(customer, token, csat="5").status_code == 303
    assert answer(customer, token, csat="1").status_code == 303  # reopens it
    version = page.split('name="version" value="')[1].split('"')[0]
    response = manager_client.post(
        "/follow-ups/1",
        data={
            "status": "open",  # "reopen" chosen on the old page, its outcome left as shown
            "outcome": "resolved",
            "notes": "",
            "owner": "",
            "version": version,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 409
    assert "Someone changed this follow-up" in response.get_data(as_text=True)
    assert follow_up_row(db)["outcome"] is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "done"}, "status must be one of open, contacted, closed"),
        ({"outcome": "fixed"}, "outcome must be one of resolved, not_resolved, no_reply"),
        ({"status": "closed"}, "outcome is needed to close a follow-up"),
        ({"owner": "nobody@example.com"}, "owner must be the email of a person who can sign in"),
        ({"owner": "gone@example.com"}, "owner must be the email of a person who can sign in"),
        ({"owner": "not an email"}, "owner is not a valid email address"),
        ({"notes": "a\x00b"}, "notes must not contain control characters"),
        ({"notes": "x" * 5001}, "notes must be at most 5000 characters"),
        ({"version": "one"}, "version must be the version the page was loaded at"),
    ],
)
def test_a_bad_value_is_422_and_stores_nothing(manager_client, db, alerted, fields, message):
    alerted(csat="1")
    create_user(db, "gone@example.com", PASSWORD, "staff")
    db.execute("UPDATE users SET active = 0 WHERE email = 'gone@example.com'")
    before, history = follow_up_row(db), events(db)
    response = save(manager_client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert follow_up_row(db) == before and events(db) == history


OUTCOME_WHILE_OPEN = "outcome must be “Not yet known” while the follow-up is open"


@pytest.mark.parametrize(
    ("worked", "outcome"),
    [
        ({}, "resolved"),  # open, and an outcome chosen
        ({"status": "closed", "outcome": "resolved"}, "no_reply"),  # reopened, outcome changed
    ],
    ids=["open", "reopened"],
)
def test_an_outcome_chosen_for_an_open_follow_up_is_422(
    manager_client, db, alerted, worked, outcome
):
    alerted(csat="1")
    if worked:
        assert save(manager_client, **worked).status_code == 303
    before, history = follow_up_row(db), events(db)
    response = save(manager_client, status="open", outcome=outcome)
    assert response.status_code == 422
    assert OUTCOME_WHILE_OPEN in response.get_data(as_text=True)
    assert follow_up_row(db) == before and events(db) == history


def test_reopening_a_closed_follow_up_clears_its_outcome(manager_client, db, alerted, fake_clock):
    alerted(csat="1")
    save(manager_client, status="closed", outcome="resolved")
    fake_clock.advance(hours=1)
    response = save(manager_client, status="open", outcome="resolved")  # the outcome as shown
    assert response.status_code == 303
    assert follow_up_row(db) == {
        "status": "open",
        "outcome": None,
        "notes": None,
        "owner_id": None,
        "version": 3,
        "first_contact_at": "2026-11-20T04:00:00Z",
        "closed_at": None,
    }
    assert events(db)[-1] == (manager_id(db), "status closed → open; outcome resolved → none")


def test_a_field_left_out_is_422(manager_client, db, alerted):
    alerted(csat="1")
    page = manager_client.get("/follow-ups/1").get_data(as_text=True)
    response = manager_client.post(
        "/follow-ups/1",
        data={"status": "contacted", "version": "1", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 422
    assert "owner is required" in response.get_data(as_text=True)
    assert follow_up_row(db)["version"] == 1


def test_an_answer_that_alerts_again_reopens_its_closed_follow_up(
    manager_client, db, alerted, app, fake_clock
):
    token = alerted(csat="1")
    fake_clock.advance(hours=2)
    save(manager_client, status="closed", outcome="resolved", notes="Refunded.")
    fake_clock.advance(hours=58)  # 2026-11-22 16:00 UTC
    customer = app.test_client()
    assert answer(customer, token, csat="5").status_code == 303  # stops alerting
    assert answer(customer, token, csat="1", comment="Broken again").status_code == 303

    assert follow_up_row(db) == {
        "status": "open",
        "outcome": None,
        "notes": "Refunded.",
        "owner_id": None,
        "version": 5,
        "first_contact_at": "2026-11-20T06:00:00Z",  # the first move out of open stays
        "closed_at": None,
    }
    assert one_value(db, "SELECT due_at FROM follow_ups") == "2026-11-24T16:00:00Z"
    assert events(db)[-1] == (
        None,
        "Reopened: the answer alerted again (CSAT 1, CES –, NPS –, with a comment). "
        "It was closed, outcome resolved; it is open again, due 2026-11-24 16:00:00 UTC.",
    )
    alerts = [row["alert"] for row in db.query("SELECT DISTINCT alert FROM alert_outbox")]
    assert alerts == [1, 2]  # the second alert asks for a follow-up by the new due time
    assert ">T-1<" in manager_client.get("/follow-ups?status=open").get_data(as_text=True)
    fake_clock.advance(hours=49)
    assert ">T-1<" in manager_client.get("/follow-ups?overdue=1").get_data(as_text=True)


def test_an_answer_that_alerts_again_leaves_an_open_follow_up_due_as_it_was(
    db, alerted, app, fake_clock
):
    token = alerted(csat="1")
    customer = app.test_client()
    fake_clock.advance(hours=1)
    answer(customer, token, csat="5")
    answer(customer, token, csat="1")
    assert one_value(db, "SELECT due_at FROM follow_ups") == "2026-11-22T04:00:00Z"
    assert "Reopened" not in " ".join(what for _, what in events(db))


# The list


def test_the_list_filters_by_mine_overdue_team_and_status(manager_client, db, alerted, fake_clock):
    alerted("T-1", csat="1")
    alerted("T-2", fields={"team": "Technical", "email": "b@example.com"}, nps="0")
    alerted("T-3", fields={"email": "c@example.com"}, ces="1")
    save(manager_client, 2, status="contacted", owner=MANAGER_EMAIL)
    fake_clock.advance(hours=49)  # past the 48 hours: the open ones are overdue

    def listed(query=""):
        response = manager_client.get(f"/follow-ups{query}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        return [ticket for ticket in ("T-1", "T-2", "T-3") if f">{ticket}<" in html]

    assert listed() == ["T-1", "T-2", "T-3"]
    assert listed("?mine=1") == ["T-2"]
    assert listed("?overdue=1") == ["T-1", "T-3"]
    assert listed("?team=Technical") == ["T-2"]
    assert listed("?status=open&team=Billing") == ["T-1", "T-3"]
    assert listed("?status=closed") == []
    for query, name in (("?status=done", "status"), ("?overdue=yes", "overdue")):
        response = manager_client.get(f"/follow-ups{query}")
        assert response.status_code == 422
        assert f"{name} must be" in response.get_data(as_text=True)


# The API


def test_the_api_answers_exactly_the_documented_fields(
    manager_client, db, alerted, api_headers, fake_clock
):
    alerted("T-1", csat="1", ces="2", comment="Slow", contact_ok="y")
    save(manager_client, status="contacted", owner=MANAGER_EMAIL)
    response = manager_client.get("/api/v1/follow-ups?from=2026-11-20&to=2026-11-20")
    assert response.status_code == 200
    assert response.get_json() == {
        "follow_ups": [
            {
                "id": 1,
                "ticket_id": "T-1",
                "customer_email": "customer@example.com",
                "agent": "agent@example.com",
                "agent_name": "Agent Smith",
                "team": "Billing",
                "csat": 1,
                "ces": 2,
                "nps": None,
                "comment": "Slow",
                "consent": True,
                "status": "contacted",
                "outcome": None,
                "owner": MANAGER_EMAIL,
                "opened_at": "2026-11-20T04:00:00Z",
                "due_at": "2026-11-22T04:00:00Z",
                "first_contact_at": "2026-11-20T04:00:00Z",
                "closed_at": None,
            }
        ]
    }
    keyed = manager_client.get("/api/v1/follow-ups?from=2026-11-20", headers=api_headers)
    assert keyed.get_json() == response.get_json()


def test_the_api_selects_by_closing_day_status_team_and_overdue(
    client, db, alerted, api_headers, fake_clock
):
    alerted("T-1", csat="1")  # closed 2026-11-20
    alerted("T-2", fields={"closed_at": "2026-11-18T10:00:00+07:00", "email": "b@x.com"}, csat="1")
    alerted("T-3", fields={"team": "Technical", "email": "c@x.com"}, csat="2")

    def ids(query):
        response = client.get(f"/api/v1/follow-ups?{query}", headers=api_headers)
        assert response.status_code == 200, response.get_json()
        return [row["ticket_id"] for row in response.get_json()["follow_ups"]]

    assert ids("from=2026-11-19&to=2026-11-20") == ["T-1", "T-3"]
    assert ids("from=2026-11-18&to=2026-11-18") == ["T-2"]
    assert ids("from=2026-11-01&team=Technical") == ["T-3"]
    assert ids("from=2026-11-01&status=contacted") == []
    assert ids("from=2026-11-01&overdue=1") == []
    fake_clock.advance(hours=48, seconds=1)
    assert ids("from=2026-11-01&overdue=1&status=open") == ["T-1", "T-2", "T-3"]


@pytest.mark.parametrize(
    ("query", "name"),
    [("status=done", "status"), ("overdue=true", "overdue"), ("from=2026-13-01", "from")],
)
def test_a_bad_api_parameter_is_422_naming_it(client, api_headers, query, name):
    response = client.get(f"/api/v1/follow-ups?{query}", headers=api_headers)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [name]


def test_the_api_needs_a_key_or_a_manager(client, staff_client):
    assert client.get("/api/v1/follow-ups").status_code in (401, 403)


# The dashboard


def test_the_dashboard_shows_the_share_followed_up_and_the_median_time(
    manager_client, db, alerted, fake_clock
):
    for number in range(1, 5):
        alerted(f"T-{number}", fields={"email": f"c{number}@example.com"}, csat="1")
    alerted("T-5", fields={"email": "happy@example.com"}, csat="5")  # no follow-up
    fake_clock.advance(hours=3)
    save(manager_client, 1, status="contacted")  # 3 h after opening
    fake_clock.advance(hours=2)
    save(manager_client, 2, status="closed", outcome="no_reply")  # 5 h
    fake_clock.advance(hours=5)
    save(manager_client, 3, status="contacted")  # 10 h
    save(manager_client, 3, status="open")  # back to open: no longer followed up
    # By hand: 2 of the 4 follow-ups are out of open (50.0 %); the three that moved took
    # 3, 5 and 10 hours, whose median is 5.0 h.
    html = manager_client.get("/reports?from=2026-11-20&to=2026-11-20").get_data(as_text=True)
    assert '<p class="big">50.0%</p>' in html
    assert "2 of 4 alerting answers to these tickets moved out of open" in html
    assert '<p class="big">5.0 h</p>' in html
    assert "over the 3 follow-ups that moved" in html
    empty = manager_client.get("/reports?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert "0 of 0 alerting answers" in empty


# The customer's side


def test_consent_is_stored_with_the_answer_and_each_submit_sets_it(app, client, db, api_headers):
    token = invite(app, client, api_headers)
    assert answer(client, token, csat="4", contact_ok="y").status_code == 303
    assert db.execute("SELECT contact_ok FROM responses").fetchone()[0] == 1
    assert (
        '<input checked id="contact_ok" name="contact_ok" type="checkbox" value="y">'
        in client.get(f"/s/{token}").get_data(as_text=True)
    )
    assert answer(client, token, csat="4").status_code == 303
    assert db.execute("SELECT contact_ok FROM responses").fetchone()[0] == 0


@pytest.mark.parametrize("value", ["yes", "on", "1", "false", ""])
def test_consent_other_than_y_is_422_and_nothing_is_stored(app, client, db, api_headers, value):
    token = invite(app, client, api_headers)
    response = answer(client, token, csat="1", contact_ok=value)
    assert response.status_code == 422
    assert "Please tick the box or leave it empty." in response.get_data(as_text=True)
    assert db["responses"].count == 0 and db["follow_ups"].count == 0


def set_review_url(manager_client, url):
    page = manager_client.get("/settings/distribution").get_data(as_text=True)
    form = {
        "send_delay_minutes": "0",
        "sample_rate_percent": "100",
        "throttle_days": "0",
        "nps_interval_days": "0",
        "reminder_days": "0",
        "link_ttl_days": "14",
        "review_url": url,
        "csrf_token": csrf_token(page),
    }
    return manager_client.post("/settings/distribution", data=form)


@pytest.mark.parametrize(
    ("answers", "review", "in_touch"),
    [
        ({"nps": "9", "csat": "1"}, True, False),  # NPS decides when answered
        ({"nps": "10"}, True, False),
        ({"csat": "5"}, True, False),  # CSAT 5 without NPS
        ({"csat": "5", "nps": "8"}, False, False),
        ({"csat": "4"}, False, False),
        ({"csat": "1", "contact_ok": "y"}, False, True),
        ({"csat": "1"}, False, False),  # unhappy, but did not consent
        ({"csat": "3", "contact_ok": "y"}, False, False),  # consented, not alerting
    ],
)
def test_the_thanks_page_follows_up_by_score(
    app, manager_client, db, api_headers, answers, review, in_touch
):
    assert set_review_url(manager_client, "https://reviews.example.com/acme").status_code == 302
    customer = app.test_client()
    token = invite(app, customer, api_headers)
    response = answer(customer, token, **answers)
    assert response.headers["Location"] == f"/s/{token}/thanks"
    html = customer.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert ('href="https://reviews.example.com/acme"' in html) is review
    assert ("will be in touch with you about your answer" in html) is in_touch


def test_without_a_review_url_a_promoter_sees_no_link(app, client, db, api_headers):
    token = invite(app, client, api_headers)
    answer(client, token, nps="10")
    assert "Leave us a review" not in client.get(f"/s/{token}/thanks").get_data(as_text=True)


def test_the_thanks_page_speaks_indonesian(app, manager_client, db, api_headers):
    set_review_url(manager_client, "https://reviews.example.com/acme")
    customer = app.test_client()
    token = invite(app, customer, api_headers, customer={"email": "c@x.com", "locale": "id"})
    answer(customer, token, nps="10")
    html = customer.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "Tulis ulasan untuk kami" in html


@pytest.mark.parametrize(
    "url",
    [
        "http://reviews.example.com/acme",
        "HTTPS://reviews.example.com",
        "javascript:alert(1)",
        "https://",
        "https://user:pw@reviews.example.com",
        "https://reviews.example.com/a b",
        "https://" + "a" * 2000 + ".com",
    ],
)
def test_a_review_url_that_is_not_https_is_422_and_nothing_is_stored(manager_client, db, url):
    response = set_review_url(manager_client, url)
    assert response.status_code == 422
    assert "The review link must" in response.get_data(as_text=True)
    assert db["distribution_rules"].count == 0


def test_the_review_url_is_stored_and_cleared(manager_client, db):
    set_review_url(manager_client, " https://reviews.example.com/acme?x=1 ")
    assert db.execute("SELECT review_url FROM distribution_rules").fetchone()[0] == (
        "https://reviews.example.com/acme?x=1"
    )
    set_review_url(manager_client, "")
    assert db.execute("SELECT review_url FROM distribution_rules").fetchone()[0] is None
