"""Admin scorecards: the maths on real rows, the anonymity threshold, targets, CSV and API."""

import csv
import io
import re
from datetime import timedelta

import pytest

from surveys import clock
from surveys.staff.accounts import create_user
from surveys.staff.scorecards import ROW_FIELDS
from tests.helpers import PASSWORD, csrf_token, sign_in

ADMIN = "fitri@example.com"
PERIOD = "2026-10"
STAMP = "2026-10-31T00:00:00Z"


def user_id(db, email):
    return db.execute("SELECT id FROM users WHERE email = ?", [email]).fetchone()[0]


def add_rating(db, rater, admin, scores, period=PERIOD, comment=None):
    if not db["users"].count_where("email = ?", [rater]):
        create_user(db, rater, PASSWORD, "staff")
    db.execute(
        "INSERT INTO ratings (rater_id, admin_id, period, speed, initiative, accuracy, "
        "comment_speed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [user_id(db, rater), user_id(db, admin), period, *scores, comment, STAMP, STAMP],
    )


def add_deliverable(db, admin, deadline, submitted_on):
    db["deliverables"].insert(
        {
            "admin_id": user_id(db, admin),
            "title": "Report",
            "deadline": deadline,
            "submitted_on": submitted_on,
            "created_at": STAMP,
        }
    )


@pytest.fixture
def fitri(db):
    create_user(db, ADMIN, PASSWORD, "staff", name="Fitri", rated=True)
    return db


@pytest.fixture
def october(fitri):
    """Three raters, one incident, and 3 of 4 due deliverables on time (the seeds' example)."""
    db = fitri
    add_rating(db, "a@example.com", ADMIN, (5, 4, 3), comment="Zippy")
    add_rating(db, "b@example.com", ADMIN, (4, 4, 3), comment="Answers at once")
    add_rating(db, "c@example.com", ADMIN, (3, 4, 3))
    db["incidents"].insert(
        {
            "admin_id": user_id(db, ADMIN),
            "occurred_on": "2026-10-07",
            "description": "Letter sent to the wrong address",
            "severity": "medium",
            "created_at": STAMP,
        }
    )
    add_deliverable(db, ADMIN, "2026-10-05", "2026-10-05")  # on time
    add_deliverable(db, ADMIN, "2026-10-10", "2026-10-08")  # early
    add_deliverable(db, ADMIN, "2026-10-20", "2026-10-20")  # on time
    add_deliverable(db, ADMIN, "2026-10-25", "2026-10-28")  # late
    return db


EXPECTED_OCTOBER = {
    "admin": ADMIN,
    "admin_name": "Fitri",
    "raters": 3,
    "speed_mean": 4.0,
    "initiative_mean": 4.0,
    "accuracy_mean": 3.0,
    "speed_pct": 75.0,
    "initiative_pct": 75.0,
    "accuracy_pct": 50.0,
    "overall_pct": 66.7,
    "incidents": 1,
    "deliverables_due": 4,
    "on_time": 3,
    "on_time_pct": 75.0,
}


def test_admin_scores_api(manager_client, october):
    response = manager_client.get(f"/api/v1/admin-scores?period={PERIOD}")
    assert response.status_code == 200
    assert response.get_json() == {"period": PERIOD, "admins": [EXPECTED_OCTOBER]}
    assert list(response.get_json()["admins"][0]) == list(ROW_FIELDS)


def test_admin_scores_api_takes_a_key_and_refuses_strangers(client, october, api_headers, app):
    assert client.get(f"/api/v1/admin-scores?period={PERIOD}", headers=api_headers).get_json()[
        "admins"
    ] == [EXPECTED_OCTOBER]
    assert app.test_client().get("/api/v1/admin-scores").status_code == 401


@pytest.mark.parametrize("period", ["2026-13", "10-2026", "2026-1", "x"])
def test_admin_scores_api_refuses_a_bad_month(manager_client, period):
    response = manager_client.get(f"/api/v1/admin-scores?period={period}")
    assert response.status_code == 422
    assert "period" in response.get_json()["errors"]


def test_an_admin_with_nothing_recorded_is_listed_with_empty_figures(manager_client, fitri):
    [row] = manager_client.get("/api/v1/admin-scores?period=2026-09").get_json()["admins"]
    assert row == {
        "admin": ADMIN,
        "admin_name": "Fitri",
        "raters": 0,
        "speed_mean": None,
        "initiative_mean": None,
        "accuracy_mean": None,
        "speed_pct": None,
        "initiative_pct": None,
        "accuracy_pct": None,
        "overall_pct": None,
        "incidents": 0,
        "deliverables_due": 0,
        "on_time": 0,
        "on_time_pct": None,
    }


def test_a_deliverable_not_yet_due_does_not_count(manager_client, fitri):
    this_month = clock.current_period("UTC")
    future = clock.add_days(clock.today("UTC"), 40).isoformat()
    past = clock.add_days(clock.today("UTC"), -40).isoformat()
    add_deliverable(fitri, ADMIN, future, None)  # not due yet
    add_deliverable(fitri, ADMIN, past, None)  # overdue: due, not on time
    for period in {this_month, future[:7], past[:7]}:
        rows = manager_client.get(f"/api/v1/admin-scores?period={period}").get_json()["admins"]
        due = rows[0]["deliverables_due"]
        assert due == (1 if period == past[:7] else 0), period


def test_weights_are_configurable(make_app, october, api_headers):
    app = make_app(RATING_WEIGHTS={"speed": 2, "initiative": 1, "accuracy": 1})
    [row] = (
        app.test_client()
        .get(f"/api/v1/admin-scores?period={PERIOD}", headers=api_headers)
        .get_json()["admins"]
    )
    assert row["overall_pct"] == 68.8  # (2 × 75 + 75 + 50) ÷ 4


def test_overview_shows_each_figure_beside_its_target(manager_client, october):
    html = manager_client.get(f"/scorecards?period={PERIOD}").get_data(as_text=True)
    assert ADMIN in html
    # Targets: 75 % per dimension and overall, 0 incidents, 90 % on time.
    assert html.count("✓ met") == 2  # speed 75, initiative 75
    assert html.count("✗ not met") == 4  # accuracy 50, overall 66.7, 1 incident, 75 % on time


def test_overview_csv(manager_client, october):
    response = manager_client.get(f"/scorecards.csv?period={PERIOD}")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert response.mimetype == "text/csv"
    assert rows == [{key: str(value) for key, value in EXPECTED_OCTOBER.items()}]


def test_trend_shows_twelve_months(manager_client, october):
    response = manager_client.get(f"/scorecards/{user_id(october, ADMIN)}?period=2026-11")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2025-12" in html and "2026-11" in html and "2025-11" not in html
    assert "66.7%" in html
    assert manager_client.get("/scorecards/999").status_code == 404


def close(db, period=PERIOD):
    db.execute("INSERT INTO closed_periods (period, closed_at) VALUES (?, ?)", [period, STAMP])


def test_two_raters_show_the_admin_nothing(client, fitri):
    add_rating(fitri, "a@example.com", ADMIN, (5, 5, 5), comment="Zippy")
    add_rating(fitri, "b@example.com", ADMIN, (1, 1, 1))
    close(fitri)
    sign_in(client, ADMIN)
    html = client.get(f"/my-scorecard?period={PERIOD}").get_data(as_text=True)
    assert "at least 3 different people have rated you" in html
    assert "Zippy" not in html and "50.0%" not in html and "<table" not in html


def test_an_open_month_shows_the_admin_nothing_yet(client, october):
    # Averages that change as each rating arrives would show what the newest rater gave.
    sign_in(client, ADMIN)
    html = client.get(f"/my-scorecard?period={PERIOD}").get_data(as_text=True)
    assert "This month is still open." in html
    assert "Zippy" not in html and "66.7%" not in html and "<table" not in html


def test_three_raters_show_the_admin_aggregates_without_names(client, october):
    close(october)
    sign_in(client, ADMIN)
    response = client.get(f"/my-scorecard?period={PERIOD}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "66.7%" in html and "Averages of 3 people" in html
    # Comments in alphabetical order, never beside a rater.
    assert html.index("Answers at once") < html.index("Zippy")
    for rater in ("a@example.com", "b@example.com", "c@example.com"):
        assert rater not in html


def test_the_threshold_is_configurable(make_app, client, october):
    close(october)
    app = make_app(ANONYMITY_MIN_RATERS=4)
    browser = app.test_client()
    sign_in(browser, ADMIN)
    assert "at least 4 different people" in browser.get(f"/my-scorecard?period={PERIOD}").get_data(
        as_text=True
    )


def test_staff_who_are_not_admins_have_no_scorecard(staff_client):
    assert staff_client.get("/my-scorecard").status_code == 403


def test_recording_an_incident_and_a_deliverable(manager_client, fitri):
    page = manager_client.get("/incidents").get_data(as_text=True)
    response = manager_client.post(
        "/incidents",
        data={
            "csrf_token": csrf_token(page),
            "admin": ADMIN,
            "occurred_on": "2026-10-07",
            "description": "Letter sent to the wrong address",
            "severity": "high",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/incidents?period=2026-10"
    [incident] = fitri["incidents"].rows
    assert (incident["occurred_on"], incident["severity"]) == ("2026-10-07", "high")

    page = manager_client.get("/deliverables").get_data(as_text=True)
    response = manager_client.post(
        "/deliverables",
        data={
            "csrf_token": csrf_token(page),
            "admin": ADMIN,
            "title": "Payroll",
            "deadline": "2026-10-10",
            "submitted_on": "",
        },
    )
    assert response.status_code == 302
    [deliverable] = fitri["deliverables"].rows
    assert (deliverable["title"], deliverable["submitted_on"]) == ("Payroll", None)

    page = manager_client.get("/deliverables?period=2026-10").get_data(as_text=True)
    response = manager_client.post(
        f"/deliverables/{deliverable['id']}/submitted", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    assert (
        fitri["deliverables"].get(deliverable["id"])["submitted_on"]
        == clock.today("UTC").isoformat()
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"admin": "nobody@example.com"},
        {"occurred_on": "yesterday"},
        {"description": ""},
        {"description": " \u200b\u200d "},  # nothing in it shows
        {"severity": "apocalyptic"},
        {"description": "x" * 2001},
    ],
)
def test_bad_incidents_are_refused(manager_client, fitri, changes):
    page = manager_client.get("/incidents").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "admin": ADMIN,
        "occurred_on": "2026-10-07",
        "description": "Wrong address",
        "severity": "low",
        **changes,
    }
    assert manager_client.post("/incidents", data=data).status_code == 422
    assert fitri["incidents"].count == 0


def test_closing_and_reopening_a_month(manager_client, fitri):
    page = manager_client.get("/periods").get_data(as_text=True)
    closed = manager_client.post(f"/periods/{PERIOD}/close", data={"csrf_token": csrf_token(page)})
    assert closed.status_code == 302
    assert [row["period"] for row in fitri["closed_periods"].rows] == [PERIOD]
    assert (
        manager_client.post(
            f"/periods/{PERIOD}/reopen", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 302
    )
    assert fitri["closed_periods"].count == 0
    assert (
        manager_client.post(
            "/periods/2026-13/close", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 404
    )
    assert manager_client.post(f"/periods/{PERIOD}/close").status_code == 400


def test_closing_a_month_keeps_its_figures(manager_client, october):
    october.execute(
        "INSERT INTO closed_periods (period, closed_at) VALUES (?, ?)",
        [PERIOD, clock.to_iso(clock.now() - timedelta(days=1))],
    )
    [row] = manager_client.get(f"/api/v1/admin-scores?period={PERIOD}").get_json()["admins"]
    assert row == EXPECTED_OCTOBER


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "   "},
        {"title": "a\x01b"},
        {"title": "a\u202eb"},
        {"title": "x" * 201},
        {"deadline": "0001-01-01"},
        {"deadline": "3000-01-01"},
        {"deadline": "2026-02-30"},
        {"submitted_on": "2999-01-01"},
        {"submitted_on": "1999-12-31"},
        {"admin": "nobody@example.com"},
    ],
)
def test_bad_deliverables_are_refused(manager_client, fitri, changes):
    page = manager_client.get("/deliverables").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "admin": ADMIN,
        "title": "Payroll",
        "deadline": "2026-10-10",
        "submitted_on": "",
        **changes,
    }
    assert manager_client.post("/deliverables", data=data).status_code == 422
    assert fitri["deliverables"].count == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"description": "   "},
        {"occurred_on": "1999-12-31"},
        {"occurred_on": "2999-01-01"},
    ],
)
def test_incidents_need_text_and_a_past_date(manager_client, fitri, changes):
    page = manager_client.get("/incidents").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "admin": ADMIN,
        "occurred_on": "2026-10-07",
        "description": "Wrong address",
        "severity": "low",
        **changes,
    }
    assert manager_client.post("/incidents", data=data).status_code == 422
    assert fitri["incidents"].count == 0


@pytest.mark.parametrize(
    "path",
    [
        "/scorecards/99999999999999999999999",
        "/scorecards/9223372036854775808",
        "/scorecards/\uff11",
        "/people/99999999999999999999",
        "/people/\uff11",
    ],
)
def test_ids_that_are_not_row_ids_are_404(manager_client, path):
    assert manager_client.get(path).status_code == 404


def test_an_unreadable_month_says_which_parameter(manager_client):
    response = manager_client.get("/scorecards?period=2026-13")
    assert response.status_code == 422
    assert "period must be a month as YYYY-MM" in response.get_data(as_text=True)


# The month each scorecard page opens on (docs/pages.md, "Scorecards"): the latest it can
# show, never an empty month while a fuller one exists; an explicit ?period= still wins.


def month(offset):
    """This month moved by `offset` months, in the app's zone (UTC in the tests)."""
    return clock.add_months(clock.current_period("UTC"), offset)


def rate_month(db, period, raters, score):
    for number in range(raters):
        add_rating(db, f"rater{number}@example.com", ADMIN, (score, score, score), period)


def record(db, kind, period, admin=ADMIN):
    """One thing on an admin's scorecard in that month: a rating, an incident or a deliverable."""
    if kind == "rating":
        add_rating(db, "someone@example.com", admin, (4, 4, 4), period)
    elif kind == "incident":
        db["incidents"].insert(
            {
                "admin_id": user_id(db, admin),
                "occurred_on": f"{period}-01",
                "description": "Wrong address",
                "severity": "low",
                "created_at": STAMP,
            }
        )
    else:
        add_deliverable(db, admin, f"{period}-05", None)


@pytest.fixture
def four_months(fitri):
    """Three months back: closed, 3 raters giving 3s (50 %); two back: closed, 4 raters
    giving 5s (100 %); last month: closed, 2 raters; this month: open, 5 raters."""
    for offset, raters, score in [(-3, 3, 3), (-2, 4, 5), (-1, 2, 4), (0, 5, 4)]:
        rate_month(fitri, month(offset), raters, score)
    for offset in (-3, -2, -1):
        close(fitri, month(offset))
    return fitri


@pytest.mark.parametrize(
    ("minimum", "opens_on", "shown"),
    [
        (2, -1, "Averages of 2 people's ratings"),
        (3, -2, "Averages of 4 people's ratings"),
        (4, -2, "Averages of 4 people's ratings"),
        (5, 0, "at least 5 different people have rated you"),
    ],
)
def test_an_admin_opens_on_the_latest_month_they_may_see(
    make_app, four_months, minimum, opens_on, shown
):
    client = make_app(ANONYMITY_MIN_RATERS=minimum).test_client()
    sign_in(client, ADMIN)

    response = client.get("/my-scorecard")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<strong>{month(opens_on)}</strong>" in html
    if opens_on:
        assert f"{shown} for {month(opens_on)}" in html
    else:  # no month qualifies: this month, saying why it is empty
        assert shown in html and "This month is still open." in html and "<table" not in html


def test_the_admin_s_latest_month_shows_that_month_s_figures(client, four_months):
    sign_in(client, ADMIN)
    html = client.get("/my-scorecard").get_data(as_text=True)
    assert "100.0%" in html and "50.0%" not in html  # two months back, all 5s
    assert f"?period={month(-3)}" in html and f"?period={month(-1)}" in html


def test_an_admin_s_explicit_month_still_wins(client, four_months):
    sign_in(client, ADMIN)
    html = client.get(f"/my-scorecard?period={month(-3)}").get_data(as_text=True)
    assert f"Averages of 3 people's ratings for {month(-3)}" in html
    assert "50.0%" in html
    html = client.get(f"/my-scorecard?period={month(-1)}").get_data(as_text=True)
    assert f"<strong>{month(-1)}</strong>" in html
    assert "at least 3 different people have rated you" in html and "<table" not in html


def test_an_admin_rated_by_nobody_opens_on_this_month(client, fitri):
    sign_in(client, ADMIN)
    response = client.get("/my-scorecard")
    assert response.status_code == 200
    assert f"<strong>{month(0)}</strong>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("records", "opens_on"),
    [
        ([], 0),
        ([("rating", -3)], -3),
        ([("rating", -3), ("incident", -1)], -1),
        ([("rating", -3), ("deliverable", -2)], -2),
        # Next month's deadline is not yet anything to show.
        ([("rating", -3), ("deliverable", 1)], -3),
        ([("incident", -4), ("rating", 0)], 0),
    ],
)
def test_managers_open_on_the_latest_month_with_anything_recorded(
    manager_client, fitri, records, opens_on
):
    for kind, offset in records:
        record(fitri, kind, month(offset))

    response = manager_client.get("/scorecards")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<strong>{month(opens_on)}</strong>" in html
    assert f"/scorecards.csv?period={month(opens_on)}" in html


def test_a_manager_s_explicit_month_still_wins(manager_client, fitri):
    record(fitri, "rating", month(-1))
    html = manager_client.get(f"/scorecards?period={month(-5)}").get_data(as_text=True)
    assert f"/scorecards.csv?period={month(-5)}" in html


def test_an_admin_s_trend_ends_on_their_own_latest_month(manager_client, fitri):
    create_user(fitri, "gilang@example.com", PASSWORD, "staff", name="Gilang", rated=True)
    record(fitri, "incident", month(-2))
    record(fitri, "rating", month(0), admin="gilang@example.com")  # someone else's month

    html = manager_client.get(f"/scorecards/{user_id(fitri, ADMIN)}").get_data(as_text=True)

    shown = re.findall(r'<th scope="row">(\d{4}-\d{2})</th>', html)
    assert shown == [month(offset) for offset in range(-13, -1)]
    html = manager_client.get(f"/scorecards/{user_id(fitri, ADMIN)}?period={month(0)}").get_data(
        as_text=True
    )
    assert re.findall(r'<th scope="row">(\d{4}-\d{2})</th>', html)[-1] == month(0)
