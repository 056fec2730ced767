"""Corrective actions: recorded from a missed target (a dashboard tile, a team or agent row,
an admin's scorecard), listed with the figure when opened and the figure now, changed,
and read as JSON; bad input is refused with 422 and stores nothing."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from surveys.helpdesk.closures import Closure, record_closure
from surveys.staff.accounts import create_user
from tests.helpers import MANAGER_EMAIL, PASSWORD, csrf_token, form_key, sign_in
from tests.test_reports import add_answer
from tests.test_scorecards import ADMIN, add_rating

OCTOBER = "from=2026-10-01&to=2026-10-31"
# The fake clock's today is 2026-11-20: a figure now covers the 31 days ending then.
NOW_DAYS = "from=2026-10-21&to=2026-11-20"
OWNER = "rudi@example.com"
ROW_FIELDS = [
    "id",
    "metric",
    "scope",
    "scope_name",
    "what",
    "owner",
    "due_on",
    "status",
    "target",
    "value_at_open",
    "value_now",
]
LINK = re.compile(r'href="(/actions/new\?[^"]+)"')


@pytest.fixture
def app(make_app, fake_clock):
    """Scores judged on as few as 2 answers, so a handful of answers can miss a target."""
    return make_app(MIN_N=2)


@pytest.fixture
def answers(app, db):
    """October: Billing's Ayu got CSAT 1 and 2, Technical's Budi 5 and 5 (company 2 of 4
    satisfied: 50 %; Billing 0 %; Technical 100 %). November: Ayu got 5 and 4."""
    config = app.config
    early_october = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
    for ref, csat in (("A1", 1), ("A2", 2)):
        add_answer(db, config, ref, early_october, {"csat": csat})
    for ref in ("B1", "B2"):
        add_answer(
            db, config, ref, early_october, {"csat": 5}, agent="budi@example.com", team="Technical"
        )
    november = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    for ref, csat in (("A3", 5), ("A4", 4)):
        add_answer(db, config, ref, november, {"csat": csat})
    create_user(db, OWNER, PASSWORD, "staff", name="Rudi")
    return db


def one(db, sql, *params):
    [row] = db.execute(sql, params).fetchall()
    return row[0]


def action_links(page_html, **wanted):
    """The new-action links on a page whose parameters include `wanted`."""
    links = [html.unescape(link) for link in LINK.findall(page_html)]
    return [
        link
        for link in links
        if all(f"{name}={value}" in link.split("?")[1].split("&") for name, value in wanted.items())
    ]


def record(client, link, **fields):
    """Open the new-action page from a link and send its form."""
    page = client.get(link)
    assert page.status_code == 200, page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "form_key": form_key(page.get_data(as_text=True)),
        "what": "Coach the team on first replies",
        "owner": OWNER,
        "due_on": "2026-12-04",
        "status": "open",
    }
    data.update(fields)
    return client.post(link, data=data)


def stored(db):
    """Every stored action but its form's key, which is random (checked on its own)."""
    return [
        {name: value for name, value in row.items() if name != "form_key"}
        for row in db.query("SELECT * FROM actions ORDER BY id")
    ]


def expected_row(db, **fields):
    """The whole stored row of an action recorded by the manager at the fake clock's now."""
    manager_id = one(db, "SELECT id FROM users WHERE email = ?", MANAGER_EMAIL)
    row = {
        "id": 1,
        "scope_id": None,
        "scope_name": None,
        "what": "Coach the team on first replies",
        "owner_id": one(db, "SELECT id FROM users WHERE email = ?", OWNER),
        "due_on": "2026-12-04",
        "status": "open",
        "opened_from": "2026-10-01",
        "opened_to": "2026-10-31",
        "created_at": "2026-11-20T04:00:00Z",
        "created_by": manager_id,
        "updated_at": "2026-11-20T04:00:00Z",
    }
    row.update(fields)
    return row


def api_overall(client, path, query):
    response = client.get(f"/api/v1/{path}?{query}")
    assert response.status_code == 200
    return response.get_json()["overall"]


# Recording, from every kind of missed target


def test_recording_from_a_dashboard_tile(manager_client, answers):
    dashboard = manager_client.get(f"/reports?{OCTOBER}").get_data(as_text=True)
    [link] = action_links(dashboard, metric="csat_pct")
    assert action_links(dashboard, metric="nps") == []  # no answers: nothing missed

    page = manager_client.get(link).get_data(as_text=True)
    assert "CSAT for the company" in page
    assert "50.0%" in page and "at least 85.0%" in page and "n = 4 answers" in page

    response = record(manager_client, link)

    assert response.status_code == 302
    assert response.headers["Location"] == "/actions"
    assert stored(answers) == [
        expected_row(answers, metric="csat_pct", scope="company", target=85.0, value_at_open=50.0)
    ]


def test_recording_from_a_team_row(manager_client, answers):
    dashboard = manager_client.get(f"/reports?{OCTOBER}&group_by=team").get_data(as_text=True)
    # Billing's 0 % misses; Technical's 100 % meets its target and offers nothing.
    assert action_links(dashboard, scope="team", scope_name="Technical") == []
    [link] = action_links(dashboard, metric="csat_pct", scope="team", scope_name="Billing")

    response = record(manager_client, link)

    assert response.status_code == 302
    team_id = one(answers, "SELECT id FROM teams WHERE name = 'Billing'")
    assert stored(answers) == [
        expected_row(
            answers,
            metric="csat_pct",
            scope="team",
            scope_id=team_id,
            scope_name="Billing",
            target=85.0,
            value_at_open=0.0,
        )
    ]


def test_recording_from_an_agent_row(manager_client, answers):
    dashboard = manager_client.get(f"/reports?{OCTOBER}&group_by=agent").get_data(as_text=True)
    agent_id = one(answers, "SELECT id FROM agents WHERE email = 'ayu@example.com'")
    [link] = action_links(dashboard, metric="csat_pct", scope="agent", scope_id=agent_id)

    response = record(manager_client, link)

    assert response.status_code == 302
    assert stored(answers) == [
        expected_row(
            answers,
            metric="csat_pct",
            scope="agent",
            scope_id=agent_id,
            scope_name="ayu@example.com",
            target=85.0,
            value_at_open=0.0,
        )
    ]


@pytest.fixture
def rated_admin(answers):
    """Fitri's October: accuracy 2, 3, 3 (mean 2.67: 41.7 % of the scale, under 75 %)."""
    create_user(answers, ADMIN, PASSWORD, "staff", name="Fitri", rated=True)
    for rater, scores in (("a@example.com", (4, 4, 2)), ("b@example.com", (4, 4, 3))):
        add_rating(answers, rater, ADMIN, scores)
    add_rating(answers, "c@example.com", ADMIN, (4, 4, 3))
    return one(answers, "SELECT id FROM users WHERE email = ?", ADMIN)


def test_recording_from_a_scorecard(manager_client, answers, rated_admin):
    scorecards = manager_client.get("/scorecards?period=2026-10").get_data(as_text=True)
    # (mean − 1) ÷ 4: speed and initiative 4 → 75 % meet 75 %; accuracy 8/3 → 41.7 % misses,
    # and so does overall (weighted).
    assert action_links(scorecards, metric="speed_pct") == []
    [link] = action_links(scorecards, metric="accuracy_pct", scope="admin", scope_id=rated_admin)
    page = manager_client.get(link).get_data(as_text=True)
    assert "Accuracy for" in page and "Fitri" in page and "41.7%" in page

    response = record(manager_client, link)

    assert response.status_code == 302
    assert stored(answers) == [
        expected_row(
            answers,
            metric="accuracy_pct",
            scope="admin",
            scope_id=rated_admin,
            scope_name=ADMIN,
            target=75.0,
            value_at_open=round((8 / 3 - 1) / 4 * 100, 1),
        )
    ]


def test_a_ticket_figure_is_read_like_the_kpi_report(manager_client, app, answers):
    # Two October tickets first answered after 40 h and 10 h: a mean of 25 h, over 24 h.
    for ref, hours in (("K1", 40), ("K2", 10)):
        closed_at = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
        opened_at = closed_at - timedelta(hours=48)
        record_closure(
            answers,
            Closure(
                ticket_ref=ref,
                closed_at=closed_at,
                customer_email=f"{ref}@example.com",
                agent_email="ayu@example.com",
                team="Billing",
                channel="email",
                opened_at=opened_at,
                first_response_at=opened_at + timedelta(hours=hours),
            ),
            app.config,
        )
    dashboard = manager_client.get(f"/reports?{OCTOBER}").get_data(as_text=True)
    [link] = action_links(dashboard, metric="frt_hours", scope="company")

    assert record(manager_client, link).status_code == 302

    [action] = manager_client.get("/api/v1/actions").get_json()["actions"]
    assert (action["target"], action["value_at_open"]) == (24.0, 25.0)
    assert action["value_at_open"] == api_overall(manager_client, "kpis", OCTOBER)["frt_mean_h"]
    # Now (21 October to 20 November) holds the same two tickets.
    assert action["value_now"] == api_overall(manager_client, "kpis", NOW_DAYS)["frt_mean_h"]


# Where no single scope's figure is on screen, nothing is offered


@pytest.mark.parametrize(
    ("query", "scopes"),
    [
        (f"{OCTOBER}&channel=email", set()),  # the company's figure narrowed to a channel
        (f"{OCTOBER}&team=Billing&team=Technical", set()),  # two teams together
        (f"{OCTOBER}&group_by=channel", {"company"}),  # company tiles; channel rows offer none
        (f"{OCTOBER}&team=Billing&group_by=agent", {"team"}),  # Billing's tiles; agents within it
    ],
)
def test_only_a_single_scopes_figure_offers_an_action(manager_client, answers, query, scopes):
    dashboard = manager_client.get(f"/reports?{query}").get_data(as_text=True)
    offered = {re.search(r"scope=(\w+)", link).group(1) for link in action_links(dashboard)}
    assert offered == scopes


def test_a_score_on_too_few_answers_offers_nothing(manager_client, answers):
    manager_client.application.config["MIN_N"] = 5
    dashboard = manager_client.get(f"/reports?{OCTOBER}&group_by=team").get_data(as_text=True)
    assert action_links(dashboard, metric="csat_pct") == []


# Whether it worked: the figure when opened and the figure now


def test_the_list_and_the_api_show_the_figure_then_and_now(manager_client, answers):
    dashboard = manager_client.get(f"/reports?{OCTOBER}&group_by=team").get_data(as_text=True)
    [link] = action_links(dashboard, metric="csat_pct", scope_name="Billing")
    record(manager_client, link)

    [action] = manager_client.get("/api/v1/actions").get_json()["actions"]

    billing_then = api_overall(manager_client, "scores", f"{OCTOBER}&team=Billing")["csat_pct"]
    billing_now = api_overall(manager_client, "scores", f"{NOW_DAYS}&team=Billing")["csat_pct"]
    assert (billing_then, billing_now) == (0.0, 100.0)  # 0 of 2, then 2 of 2 satisfied
    assert action == {
        "id": 1,
        "metric": "csat_pct",
        "scope": "team",
        "scope_name": "Billing",
        "what": "Coach the team on first replies",
        "owner": OWNER,
        "due_on": "2026-12-04",
        "status": "open",
        "target": 85.0,
        "value_at_open": billing_then,
        "value_now": billing_now,
    }
    page = manager_client.get("/actions").get_data(as_text=True)
    assert "Coach the team on first replies" in page and "team Billing" in page
    assert "0.0%" in page and "100.0%" in page and "at least 85.0%" in page
    assert "01 Oct 2026 – 31 Oct 2026" in page and "21 Oct 2026 – 20 Nov 2026" in page
    assert "as many days, ending today" in page
    assert "Rudi" in page  # the owner by name


def test_an_admins_figure_now_is_their_latest_month(manager_client, answers, rated_admin):
    [link] = action_links(
        manager_client.get("/scorecards?period=2026-10").get_data(as_text=True),
        metric="accuracy_pct",
    )
    record(manager_client, link)
    # November's ratings: accuracy 5 from everyone, 100 %.
    for rater in ("a@example.com", "b@example.com", "c@example.com"):
        add_rating(answers, rater, ADMIN, (4, 4, 5), period="2026-11")

    [action] = manager_client.get("/api/v1/actions").get_json()["actions"]

    november = manager_client.get("/api/v1/admin-scores?period=2026-11").get_json()
    [fitri] = [row for row in november["admins"] if row["admin"] == ADMIN]
    assert (action["value_at_open"], action["value_now"]) == (41.7, fitri["accuracy_pct"])
    assert action["value_now"] == 100.0
    assert action["scope_name"] == ADMIN


# The dashboard reads the years 2000 to 2999, and offers an action over all of them.
CENTURIES = "from=2000-01-01&to=2999-12-31"


def test_an_action_over_centuries_is_recorded_with_its_figure_now_read_from_2000(
    manager_client, answers
):
    dashboard = manager_client.get(f"/reports?{CENTURIES}").get_data(as_text=True)
    [link] = action_links(dashboard, metric="csat_pct")
    page = manager_client.get(link).get_data(as_text=True)
    assert "01 Jan 2000 – 20 Nov 2026" in page  # as many days would start in 1027

    response = record(manager_client, link, status="done")

    assert response.status_code == 302
    assert response.headers["Location"] == "/actions"
    assert stored(answers) == [
        expected_row(
            answers,
            metric="csat_pct",
            scope="company",
            target=85.0,
            value_at_open=66.7,  # 4 of all 6 answers satisfied
            status="done",
            opened_from="2000-01-01",
            opened_to="2999-12-31",
        )
    ]


@pytest.mark.parametrize("path", ["/actions", "/actions?status=done", "/actions/1"])
def test_every_page_lists_an_action_over_centuries_with_its_figure_now(
    manager_client, answers, path
):
    [link] = action_links(
        manager_client.get(f"/reports?{CENTURIES}").get_data(as_text=True), metric="csat_pct"
    )
    assert record(manager_client, link, status="done").status_code == 302

    response = manager_client.get(path)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "01 Jan 2000 – 31 Dec 2999" in page and "01 Jan 2000 – 20 Nov 2026" in page
    [action] = manager_client.get("/api/v1/actions?status=done").get_json()["actions"]
    assert (action["value_at_open"], action["value_now"]) == (66.7, 66.7)


# Changing an action, and the list's filters


@pytest.fixture
def two_actions(manager_client, answers):
    """One action owned by Rudi (due 4 December), one by the manager (due 10 November,
    before the fake clock's 20 November: overdue)."""
    dashboard = manager_client.get(f"/reports?{OCTOBER}&group_by=team").get_data(as_text=True)
    [team_link] = action_links(dashboard, metric="csat_pct", scope_name="Billing")
    assert record(manager_client, team_link).status_code == 302
    answers.execute(
        "UPDATE actions SET due_on = '2026-11-10', owner_id = "
        "(SELECT id FROM users WHERE email = ?) WHERE id = 1",
        [MANAGER_EMAIL],
    )
    [tile_link] = action_links(
        manager_client.get(f"/reports?{OCTOBER}").get_data(as_text=True), metric="csat_pct"
    )
    assert (
        record(manager_client, tile_link, what="Call back every unhappy customer").status_code
        == 302
    )
    return answers


def listed_ids(client, query):
    response = client.get(f"/api/v1/actions?{query}")
    assert response.status_code == 200
    return [row["id"] for row in response.get_json()["actions"]]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", [1, 2]),  # open ones by due date
        ("status=open", [1, 2]),
        ("status=done", []),
        ("overdue=1", [1]),
    ],
)
def test_the_api_narrows_by_status_and_overdue(manager_client, two_actions, query, ids):
    assert listed_ids(manager_client, query) == ids


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("mine=1", "Coach the team", "Call back"),
        ("overdue=1", "Coach the team", "Call back"),
        ("status=dropped", None, "Coach the team"),
    ],
)
def test_the_list_filters(manager_client, two_actions, query, shown, hidden):
    page = manager_client.get(f"/actions?{query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    if shown:
        assert shown in text
    assert hidden not in text


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("status=closed", "status"), ("mine=yes", "mine"), ("overdue=2", "overdue")],
)
def test_bad_filters_are_422_naming_the_parameter(manager_client, query, parameter):
    response = manager_client.get(f"/api/v1/actions?{query}")
    assert response.status_code == 422
    assert parameter in response.get_json()["errors"]
    assert manager_client.get(f"/actions?{query}").status_code == 422


@pytest.mark.parametrize(
    ("query", "parameters"),
    [("mine=1", {"mine"}), ("mine=", {"mine"}), ("mine=1&status=closed", {"mine", "status"})],
)
def test_the_api_refuses_the_pages_mine_filter_it_cannot_apply(manager_client, query, parameters):
    response = manager_client.get(f"/api/v1/actions?{query}")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == parameters
    for other in ("status=open&overdue=1", "_=1700000000"):  # others are ignored, as elsewhere
        assert manager_client.get(f"/api/v1/actions?{other}").status_code == 200


def edit_form(client, action_id, **fields):
    page = client.get(f"/actions/{action_id}")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "what": "Coach the team on first replies",
        "owner": OWNER,
        "due_on": "2026-12-04",
        "status": "open",
    }
    data.update(fields)
    return client.post(f"/actions/{action_id}", data=data)


def test_changing_an_action(manager_client, two_actions):
    before = stored(two_actions)[1]
    response = edit_form(
        manager_client,
        2,
        what="Called all six",
        owner=MANAGER_EMAIL,
        status="done",
        due_on="2026-11-30",
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/actions"
    manager_id = one(two_actions, "SELECT id FROM users WHERE email = ?", MANAGER_EMAIL)
    assert stored(two_actions)[1] == dict(
        before, what="Called all six", owner_id=manager_id, status="done", due_on="2026-11-30"
    )
    assert listed_ids(manager_client, "status=done") == [2]


def test_an_owner_who_can_no_longer_sign_in_stays_on_their_action_said_so(
    manager_client, two_actions
):
    two_actions.execute("UPDATE users SET active = 0 WHERE email = ?", [OWNER])
    owner_id = one(two_actions, "SELECT owner_id FROM actions WHERE id = 2")
    assert owner_id == one(two_actions, "SELECT id FROM users WHERE email = ?", OWNER)

    page = manager_client.get("/actions/2").get_data(as_text=True)
    [option] = re.findall(rf'<option selected value="{re.escape(OWNER)}">([^<]*)</option>', page)
    assert option.endswith(", who can no longer sign in")
    assert edit_form(manager_client, 2, what="Called all six").status_code == 302
    assert one(two_actions, "SELECT owner_id FROM actions WHERE id = 2") == owner_id
    new_page = manager_client.get(f"/actions/new?metric=csat_pct&scope=company&{OCTOBER}")
    assert f'value="{OWNER}"' not in new_page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "closed"}, "Not a valid choice"),
        ({"what": "  "}, "Say what will be done."),
        ({"owner": "nobody@example.com"}, "Not a valid choice"),
        ({"due_on": "2026-11-19"}, "Choose a day from 2026-11-20 on."),
    ],
)
def test_a_bad_change_is_422_and_changes_nothing(manager_client, two_actions, fields, message):
    before = stored(two_actions)
    response = edit_form(manager_client, 2, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(two_actions) == before


def test_an_unknown_action_is_404(manager_client):
    assert manager_client.get("/actions/999").status_code == 404


# Hostile input: nothing is stored


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("metric=csat_pct&scope=planet&" + OCTOBER, "scope"),
        ("metric=drop%20table&scope=company&" + OCTOBER, "metric"),
        ("metric=speed_pct&scope=company&" + OCTOBER, "metric"),  # an admin's figure
        ("metric=csat_pct&scope=team&scope_name=Nobody&" + OCTOBER, "scope_name"),
        ("metric=csat_pct&scope=agent&scope_id=999&" + OCTOBER, "scope_id"),
        ("metric=csat_pct&scope=agent&scope_id=1%20OR%201=1&" + OCTOBER, "scope_id"),
        ("metric=csat_pct&scope=company&from=2026-10-31&to=2026-10-01", "from"),
        ("metric=csat_pct&scope=company&from=2026-13-01&to=2026-10-01", "from"),
        ("metric=csat_pct&scope=company&from=2026-10-01", "to"),
        ("metric=csat_pct&scope=company&from=2030-01-01&to=2030-01-31", "from"),
        ("metric=accuracy_pct&scope=admin&scope_id=1&period=2026-13", "period"),
        ("metric=accuracy_pct&scope=admin&scope_id=999&period=2026-10", "scope_id"),
    ],
)
def test_a_bad_subject_is_422_naming_the_parameter(manager_client, answers, query, parameter):
    token = csrf_token(manager_client.get("/actions").get_data(as_text=True))
    for response in (
        manager_client.get(f"/actions/new?{query}"),
        manager_client.post(
            f"/actions/new?{query}",
            data={"csrf_token": token, "what": "x", "owner": OWNER, "due_on": "2026-12-01"},
        ),
    ):
        assert response.status_code == 422
        assert parameter in response.get_data(as_text=True)
    assert stored(answers) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"what": ""}, "Say what will be done."),
        ({"what": "\u200b\u2060"}, "Say what will be done."),
        ({"what": "\x07"}, "special control characters"),  # not blank: refused by name
        ({"what": "x" * 2001}, "Keep it under 2,000 characters."),
        ({"what": "bell\x07"}, "special control characters"),
        ({"owner": "nobody@example.com"}, "Not a valid choice"),
        ({"owner": ""}, "Choose who owns the action."),
        ({"due_on": "4 December"}, "Not a valid date value"),
        ({"due_on": "2026-11-19"}, "Choose a day from 2026-11-20 on."),
        ({"status": "maybe"}, "Not a valid choice"),
    ],
)
def test_a_bad_form_is_422_and_stores_nothing(manager_client, answers, fields, message):
    [link] = action_links(
        manager_client.get(f"/reports?{OCTOBER}").get_data(as_text=True), metric="csat_pct"
    )
    response = record(manager_client, link, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(answers) == []


def test_a_form_posted_again_records_one_action_and_shows_it(manager_client, answers):
    link = f"/actions/new?metric=csat_pct&scope=company&{OCTOBER}"
    page = manager_client.get(link).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "form_key": form_key(page),
        "what": "Coach the team on first replies",
        "owner": OWNER,
        "due_on": "2026-12-04",
        "status": "open",
    }

    first = manager_client.post(link, data=data)
    again = manager_client.post(link, data=data)

    assert first.status_code == 302 and first.headers["Location"] == "/actions"
    assert again.status_code == 303 and again.headers["Location"] == "/actions/1"
    assert answers.execute("SELECT id, form_key FROM actions").fetchall() == [(1, data["form_key"])]
    shown = manager_client.get("/actions/1").get_data(as_text=True)
    assert "This form was already recorded; here is its action." in shown
    fresh = manager_client.get(link)
    assert form_key(fresh.get_data(as_text=True)) != data["form_key"]
    assert fresh.headers["Cache-Control"] == "no-store"  # Back loads it again, with a new key


@pytest.mark.parametrize("key", [None, "", "short", "x" * 65, "bad key with spaces_____"])
def test_a_form_without_a_good_key_is_422_and_stores_nothing(manager_client, answers, key):
    link = f"/actions/new?metric=csat_pct&scope=company&{OCTOBER}"
    fields = {"form_key": key} if key is not None else {}
    page = manager_client.get(link).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "what": "x", "owner": OWNER}
    response = manager_client.post(
        link, data={**data, "due_on": "2026-12-04", "status": "open", **fields}
    )
    assert response.status_code == 422
    assert "This form is incomplete: open the page again and fill it in." in response.get_data(
        as_text=True
    )
    assert stored(answers) == []


def test_text_is_escaped_on_every_page(manager_client, answers):
    [link] = action_links(
        manager_client.get(f"/reports?{OCTOBER}").get_data(as_text=True), metric="csat_pct"
    )
    record(manager_client, link, what="<script>alert(1)</script>")
    for path in ("/actions", "/actions/1"):
        text = manager_client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_post_without_its_csrf_token_stores_nothing(make_app, config, db, answers):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    create_user(db, MANAGER_EMAIL, PASSWORD, "manager")
    sign_in(client, MANAGER_EMAIL)
    response = client.post(
        f"/actions/new?metric=csat_pct&scope=company&{OCTOBER}",
        data={"what": "x", "owner": OWNER, "due_on": "2026-12-01", "status": "open"},
    )
    assert response.status_code in (400, 422)
    assert stored(db) == []


# Who may


def test_staff_get_403_and_strangers_sign_in(client, staff_client, answers):
    for path in ("/actions", f"/actions/new?metric=csat_pct&scope=company&{OCTOBER}"):
        assert staff_client.get(path).status_code == 403
    assert staff_client.get("/api/v1/actions").status_code == 403
    staff_client.post(
        "/logout", data={"csrf_token": csrf_token(staff_client.get("/").get_data(as_text=True))}
    )
    response = client.get("/actions")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/api/v1/actions").status_code == 401


def test_the_api_takes_a_key_and_answers_exactly_the_row_fields(
    manager_client, client, answers, api_headers
):
    [link] = action_links(
        manager_client.get(f"/reports?{OCTOBER}").get_data(as_text=True), metric="csat_pct"
    )
    record(manager_client, link)
    response = client.get("/api/v1/actions", headers=api_headers)
    assert response.status_code == 200
    [action] = response.get_json()["actions"]
    assert list(action) == ROW_FIELDS
    assert (action["scope"], action["scope_name"], action["value_at_open"]) == (
        "company",
        None,
        50.0,
    )
    # The company now (21 October to 20 November): Ayu's 5 and 4, both satisfied.
    now = client.get(f"/api/v1/scores?{NOW_DAYS}", headers=api_headers).get_json()["overall"]
    assert action["value_now"] == now["csat_pct"] == 100.0
