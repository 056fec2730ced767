"""Change since a comparison period, through the API, the downloads and the dashboard.

Every expected figure is worked by hand in the comments (the intervals' arithmetic is
checked step by step in test_changes.py), or counted from the rows the test wrote.
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from surveys import clock
from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.kpi_queries import ROW_FIELDS as KPI_FIELDS
from surveys.reports.score_queries import ROW_FIELDS

AYU = {"agent": "ayu@example.com", "name": "Ayu Lestari", "team": "Billing", "channel": "email"}
BUDI = {"agent": "budi@example.com", "name": "Budi Santoso", "team": "Technical", "channel": "chat"}
CHANGED = ("response_rate", "csat_pct", "ces_mean", "nps")
CHANGE_SUFFIXES = ("_prev", "_change", "_change_low", "_change_high", "_change_significant")


def close(db, config, ref, day, answers=None, who=AYU, sent=True, frt_h=None):
    """A closure on `day` (noon UTC), its invitation sent (unless not), answered if given."""
    closed_at = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    opened_at = closed_at - timedelta(hours=72)
    result, _ = record_closure(
        db,
        Closure(
            ticket_ref=ref,
            closed_at=closed_at,
            customer_email=f"{ref.lower()}@example.com",
            agent_email=who["agent"],
            agent_name=who["name"],
            team=who["team"],
            channel=who["channel"],
            opened_at=opened_at,
            first_response_at=None if frt_h is None else opened_at + timedelta(hours=frt_h),
        ),
        config,
    )
    invitation_id = result["invitation"]["id"]
    if sent:
        db.execute(
            "UPDATE invitations SET status = 'sent', sent_at = ? WHERE id = ?",
            [clock.to_iso(closed_at), invitation_id],
        )
    if answers:
        now = clock.to_iso(closed_at)
        db["responses"].insert(
            dict(invitation_id=invitation_id, created_at=now, updated_at=now, **answers)
        )


def answer_many(db, config, prefix, day, csat=(), nps=(), ces=(), who=AYU, unanswered=0):
    """One response per position: the i-th CSAT, NPS and CES answers (a missing one skipped),
    and some invitations sent but not answered."""
    for index in range(max(len(csat), len(nps), len(ces))):
        answers = {
            kind: values[index]
            for kind, values in (("csat", csat), ("nps", nps), ("ces", ces))
            if index < len(values)
        }
        close(db, config, f"{prefix}{index}", day, answers, who)
    for index in range(unanswered):
        close(db, config, f"{prefix}-silent-{index}", day, who=who)


def scores(client, query):
    response = client.get(f"/api/v1/scores?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def kpis(client, query):
    response = client.get(f"/api/v1/kpis?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def changes(row):
    """The compared fields of a ROW."""
    return {
        f"{name}{suffix}": row[f"{name}{suffix}"] for name in CHANGED for suffix in CHANGE_SUFFIXES
    }


def agent_ids(db):
    return {row["email"]: row["id"] for row in db.query("SELECT id, email FROM agents")}


@pytest.fixture
def november_and_october(app, db):
    """November's answers against October's, worked by hand (see test_changes.py):

    November (10 invitations, 10 responses): CSAT 9 satisfied of 10; NPS 5 promoters,
    3 passives, 2 detractors; CES 1, 2, 3, 4.
    October (12 invitations, 10 responses): CSAT 3 of 10; NPS 2, 3, 5; CES 4, 5, 5, 6.
    One answer a day either side of October's 30 days, which no report here counts.
    """
    config = app.config
    answer_many(
        db,
        config,
        "N",
        "2026-11-10",
        csat=(5, 5, 5, 5, 4, 4, 4, 4, 4, 1),
        nps=(10, 10, 9, 9, 9, 8, 7, 7, 3, 0),
        ces=(1, 2, 3, 4),
    )
    answer_many(
        db,
        config,
        "O",
        "2026-10-15",
        csat=(5, 4, 4, 3, 3, 2, 2, 1, 1, 1),
        nps=(10, 9, 8, 7, 7, 6, 5, 4, 3, 0),
        ces=(4, 5, 5, 6),
        unanswered=2,
    )
    close(db, config, "BEFORE", "2026-10-01", {"csat": 1, "nps": 0, "ces": 1})
    close(db, config, "AFTER", "2026-12-01", {"csat": 1, "nps": 0, "ces": 1})
    return db


def test_each_change_and_its_interval_by_hand(manager_client, november_and_october):
    body = scores(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous")
    # November's 30 days against the 30 days before them.
    assert body["compare"] == {"from": "2026-10-02", "to": "2026-10-31"}
    assert changes(body["overall"]) == {
        # Response rate 10/10 against 10/12 = 83.33 %. Wilson: 10/10 → (0.72247, 1),
        # 10/12 → (0.55197, 0.95304). Newcombe: low = 0.16667 − √(0.27753² + 0.11971²)
        # = −0.13558, high = 0.16667 + √(0² + 0.28136²) = 0.44803.
        "response_rate_prev": 83.3,
        "response_rate_change": 16.7,
        "response_rate_change_low": -13.6,
        "response_rate_change_high": 44.8,
        "response_rate_change_significant": False,
        # CSAT 9/10 against 3/10: Newcombe's example (b), 0.1705 to 0.8090.
        "csat_pct_prev": 30.0,
        "csat_pct_change": 60.0,
        "csat_pct_change_low": 17.1,
        "csat_pct_change_high": 80.9,
        "csat_pct_change_significant": True,
        # CES 2.5 against 5.0: Welch, −4.454 to −0.545 (test_changes.py).
        "ces_mean_prev": 5.0,
        "ces_mean_change": -2.5,
        "ces_mean_change_low": -4.46,
        "ces_mean_change_high": -0.54,
        "ces_mean_change_significant": True,
        # NPS +30 against −30: +60 ± 68.46, so −8.46 to +128.46.
        "nps_prev": -30.0,
        "nps_change": 60.0,
        "nps_change_low": -8.5,
        "nps_change_high": 128.5,
        "nps_change_significant": False,
    }
    assert (body["overall"]["csat_pct"], body["overall"]["nps"]) == (90.0, 30.0)


def test_without_compare_the_answer_is_as_before(manager_client, november_and_october):
    body = scores(manager_client, "from=2026-11-01&to=2026-11-30")
    assert list(body) == ["from", "to", "group_by", "groups", "overall"]
    assert list(body["overall"]) == list(ROW_FIELDS)
    body = kpis(manager_client, "from=2026-11-01&to=2026-11-30")
    assert list(body) == ["from", "to", "group_by", "groups", "overall"]
    assert list(body["overall"]) == list(KPI_FIELDS)


def test_compared_rows_keep_the_row_then_add_each_score_in_order(
    manager_client, november_and_october
):
    body = scores(manager_client, "from=2026-11-01&to=2026-11-30&compare=last_year&group_by=team")
    assert body["compare"] == {"from": "2025-11-01", "to": "2025-11-30"}
    compared = [f"{name}{suffix}" for name in CHANGED for suffix in CHANGE_SUFFIXES]
    for row in [*body["groups"], body["overall"]]:
        assert list(row) == [*ROW_FIELDS, *compared]


def test_identical_periods_change_by_nothing(manager_client, app, db):
    # The same answers on the same day a year apart; one invitation unanswered in each.
    for prefix, day in (("THEN", "2025-03-10"), ("NOW", "2026-03-10")):
        answer_many(
            db, app.config, prefix, day, csat=(5, 4, 2), nps=(10, 7, 3), ces=(6, 4), unanswered=1
        )
    overall = scores(manager_client, "from=2026-03-01&to=2026-03-31&compare=last_year")["overall"]
    for name in CHANGED:
        assert overall[f"{name}_prev"] == overall[name]
        assert overall[f"{name}_change"] == 0
        assert overall[f"{name}_change_low"] == -overall[f"{name}_change_high"] < 0
        assert overall[f"{name}_change_significant"] is False


def test_nothing_to_compare_with_is_null_not_zero(manager_client, app, db):
    answer_many(db, app.config, "N", "2026-11-10", csat=(5, 4), nps=(9, 0), ces=(7,))
    body = scores(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous")
    # October had no closures at all: nothing to compare any score with.
    assert changes(body["overall"]) == {
        f"{name}{suffix}": None for name in CHANGED for suffix in CHANGE_SUFFIXES
    }


def test_a_mean_needs_two_answers_in_each_period(manager_client, app, db):
    answer_many(db, app.config, "N", "2026-11-10", csat=(5, 5), ces=(6,))
    answer_many(db, app.config, "O", "2026-10-15", csat=(5, 1), ces=(2, 4))
    overall = scores(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous")["overall"]
    # One CES answer in November: a mean (6.0) but no variance, so no interval of a change.
    assert (overall["ces_mean"], overall["ces_mean_prev"]) == (6.0, 3.0)
    assert [overall[f"ces_mean{suffix}"] for suffix in CHANGE_SUFFIXES[1:]] == [None] * 4
    # CSAT has what it needs: 2/2 against 1/2.
    assert overall["csat_pct_change"] == 50.0


@pytest.mark.parametrize(
    ("now", "then", "expected"),
    [
        # 10/10 against 0/10: Wilson (0.72247, 1) and (0, 0.27753); low = 1 − √(0.27753² +
        # 0.27753²) = 0.60751, high = 1 − √0 = 1.
        ((5,) * 10, (1,) * 10, (100.0, 60.8, 100.0, True)),
        ((1,) * 10, (5,) * 10, (-100.0, -100.0, -60.8, True)),
    ],
)
def test_from_0_to_100_percent(manager_client, app, db, now, then, expected):
    answer_many(db, app.config, "N", "2026-11-10", csat=now)
    answer_many(db, app.config, "O", "2026-10-15", csat=then)
    overall = scores(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous")["overall"]
    assert (
        overall["csat_pct_change"],
        overall["csat_pct_change_low"],
        overall["csat_pct_change_high"],
        overall["csat_pct_change_significant"],
    ) == expected


@pytest.fixture
def budi_left(app, db):
    """Ayu answered in November; Budi only in October (another team and channel)."""
    answer_many(db, app.config, "N", "2026-11-10", csat=(5, 4))
    answer_many(db, app.config, "O", "2026-10-15", csat=(2, 5), who=BUDI)
    return db


def empty_row(group):
    """A ROW with nothing in the current period."""
    counts = ("invitations_sent", "responses", "csat_n", "ces_n", "nps_n")
    counts += ("promoters", "passives", "detractors")
    return {field: 0 if field in counts else None for field in ROW_FIELDS} | {"group": group}


def test_a_group_only_in_the_comparison_period_is_listed_empty(manager_client, budi_left):
    ids = agent_ids(budi_left)
    body = scores(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous&group_by=agent")
    ayu, budi = body["groups"]
    no_change = {
        f"{name}{suffix}": None
        for name in CHANGED
        for suffix in CHANGE_SUFFIXES
        if suffix != "_prev"
    }
    # Budi: no closure in November; in October 2 of 2 answered, CSAT 1 of 2 satisfied.
    assert budi == {
        **empty_row("budi@example.com"),
        "agent_id": ids["budi@example.com"],
        "agent_name": "Budi Santoso",
        **no_change,
        "response_rate_prev": 100.0,
        "csat_pct_prev": 50.0,
        "ces_mean_prev": None,
        "nps_prev": None,
    }
    assert list(budi)[:3] == ["group", "agent_id", "agent_name"]
    # Ayu: nothing in October to compare with.
    assert (ayu["group"], ayu["agent_id"], ayu["agent_name"]) == (
        "ayu@example.com",
        ids["ayu@example.com"],
        "Ayu Lestari",
    )
    assert (ayu["csat_pct"], ayu["csat_pct_prev"], ayu["csat_pct_change"]) == (100.0, None, None)
    # The whole range compares both agents together: 2/2 satisfied against 1/2.
    assert body["overall"]["csat_pct_change"] == 50.0
    assert (body["overall"]["agent_id"], body["overall"]["agent_name"]) == (None, None)


@pytest.mark.parametrize(
    ("group_by", "groups"),
    [("team", ["Billing", "Technical"]), ("channel", ["chat", "email"])],
)
def test_groups_pair_by_name(manager_client, budi_left, group_by, groups):
    body = scores(
        manager_client, f"from=2026-11-01&to=2026-11-30&compare=previous&group_by={group_by}"
    )
    assert [row["group"] for row in body["groups"]] == groups
    rows = {row["group"]: row for row in body["groups"]}
    gone = rows[groups[1] if group_by == "team" else groups[0]]
    assert (gone["responses"], gone["csat_pct"], gone["csat_pct_prev"]) == (0, None, 50.0)


def test_compare_follows_the_filters(manager_client, budi_left):
    overall = scores(
        manager_client, "from=2026-11-01&to=2026-11-30&compare=previous&team=Technical"
    )["overall"]
    assert (overall["responses"], overall["csat_pct"], overall["csat_pct_prev"]) == (0, None, 50.0)


@pytest.fixture
def three_months(app, db):
    """CSAT answers: Dec 2025 1; Jan 2026 5; Feb 5 and 1; Mar 4, 4, 4; a year earlier,
    Feb 2025 4 and Mar 2025 1 and 1."""
    for prefix, day, csat in (
        ("D", "2025-12-10", (1,)),
        ("J", "2026-01-20", (5,)),
        ("F", "2026-02-10", (5, 1)),
        ("M", "2026-03-05", (4, 4, 4)),
        ("F25", "2025-02-10", (4,)),
        ("M25", "2025-03-05", (1, 1)),
    ):
        answer_many(db, app.config, prefix, day, csat=csat)
    return db


def test_grouped_by_month_each_month_is_compared_with_the_month_before(
    manager_client, three_months
):
    body = scores(manager_client, "from=2026-02-01&to=2026-03-31&group_by=month&compare=previous")
    # February and March are 59 days; the 59 days before them run from 4 December.
    assert body["compare"] == {"from": "2025-12-04", "to": "2026-01-31"}
    got = {
        row["group"]: (row["csat_pct"], row["csat_pct_prev"], row["csat_pct_change"])
        for row in body["groups"]
    }
    # February 1/2 against January 1/1; March 3/3 against February 1/2.
    assert got == {"2026-02": (50.0, 100.0, -50.0), "2026-03": (100.0, 50.0, 50.0)}
    # The whole range (4/5) against its 59 days before: December's 0/1 and January's 1/1.
    overall = body["overall"]
    assert (overall["csat_pct"], overall["csat_pct_prev"], overall["csat_pct_change"]) == (
        80.0,
        50.0,
        30.0,
    )


def test_grouped_by_month_against_last_year(manager_client, three_months):
    body = scores(manager_client, "from=2026-02-01&to=2026-03-31&group_by=month&compare=last_year")
    assert body["compare"] == {"from": "2025-02-01", "to": "2025-03-31"}
    got = {row["group"]: (row["csat_pct"], row["csat_pct_prev"]) for row in body["groups"]}
    # February 1/2 against February 2025's 1/1; March 3/3 against March 2025's 0/2.
    assert got == {"2026-02": (50.0, 100.0), "2026-03": (100.0, 0.0)}
    overall = body["overall"]
    assert (overall["csat_pct"], overall["csat_pct_prev"]) == (80.0, round(100 / 3, 1))


def test_a_month_only_in_the_comparison_is_listed_as_the_month_it_pairs_with(
    manager_client, three_months
):
    # April 2026 had no closures, March 2026 had: April is listed, empty, against March.
    body = scores(manager_client, "from=2026-04-01&to=2026-04-30&group_by=month&compare=previous")
    [april] = body["groups"]
    assert (april["group"], april["responses"], april["csat_pct_prev"]) == ("2026-04", 0, 100.0)


@pytest.mark.parametrize(
    ("query", "compared", "csat_prev"),
    [
        # A year before 29 February 2028 is 28 February 2027 (CSAT 1 that day: 0 %).
        ("from=2028-02-29&to=2028-02-29&compare=last_year", ("2027-02-28", "2027-02-28"), 0.0),
        ("from=2028-02-01&to=2028-02-29&compare=last_year", ("2027-02-01", "2027-02-28"), 0.0),
        ("from=2029-03-01&to=2029-03-31&compare=last_year", ("2028-03-01", "2028-03-31"), None),
        # The 31 days before March 2028 end on 29 February (CSAT 5 that day: 100 %).
        ("from=2028-03-01&to=2028-03-31&compare=previous", ("2028-01-30", "2028-02-29"), 100.0),
        ("from=2028-02-29&to=2028-03-01&compare=previous", ("2028-02-27", "2028-02-28"), None),
    ],
)
def test_29_february(manager_client, app, db, query, compared, csat_prev):
    close(db, app.config, "LEAP", "2028-02-29", {"csat": 5})
    close(db, app.config, "LAST", "2027-02-28", {"csat": 1})
    body = scores(manager_client, query)
    assert (body["compare"]["from"], body["compare"]["to"]) == compared
    assert body["overall"]["csat_pct_prev"] == csat_prev


def test_29_february_grouped_by_month_against_last_year(manager_client, app, db):
    close(db, app.config, "LEAP", "2028-02-29", {"csat": 5})
    close(db, app.config, "LAST", "2027-02-28", {"csat": 1})
    body = scores(manager_client, "from=2028-02-01&to=2028-02-29&group_by=month&compare=last_year")
    [february] = body["groups"]
    assert (february["group"], february["csat_pct"], february["csat_pct_prev"]) == (
        "2028-02",
        100.0,
        0.0,
    )


# Ticket KPIs


@pytest.fixture
def tickets(app, db):
    """First responses: November 12 h and 18 h (Ayu); October 30 h, 30 h (Ayu) and 30 h
    (Budi), against the 24 h standard."""
    for ref, day, frt_h, who in (
        ("K1", "2026-11-10", 12, AYU),
        ("K2", "2026-11-10", 18, AYU),
        ("K3", "2026-10-15", 30, AYU),
        ("K4", "2026-10-15", 30, AYU),
        ("K5", "2026-10-15", 30, BUDI),
    ):
        close(db, app.config, ref, day, who=who, frt_h=frt_h)
    return db


def test_kpi_rows_gain_each_figures_previous_value_and_change(manager_client, tickets):
    body = kpis(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous")
    assert body["compare"] == {"from": "2026-10-02", "to": "2026-10-31"}
    overall = body["overall"]
    compared = [
        f"{field}{suffix}"
        for field in KPI_FIELDS
        if field not in ("group", "frt_target_h")
        for suffix in ("_prev", "_change")
    ]
    assert list(overall) == [*KPI_FIELDS, *compared]
    # 2 tickets, mean 15 h, both within 24 h, none late; against 3 tickets, mean 30 h,
    # none within, 25 % late (30 h against 24 h); every ticket took 72 h to resolve.
    assert {name: overall[name] for name in compared if not name.startswith("frt_median")} == {
        "tickets_prev": 3,
        "tickets_change": -1,
        "frt_n_prev": 3,
        "frt_n_change": -1,
        "frt_mean_h_prev": 30.0,
        "frt_mean_h_change": -15.0,
        "frt_compliance_pct_prev": 0.0,
        "frt_compliance_pct_change": 100.0,
        "frt_lateness_pct_prev": 25.0,
        "frt_lateness_pct_change": -25.0,
        "resolution_median_h_prev": overall["resolution_median_h"],
        "resolution_median_h_change": 0.0,
        "resolution_mean_h_prev": 72.0,
        "resolution_mean_h_change": 0.0,
        "fcr_pct_prev": None,
        "fcr_pct_change": None,
        "escalation_pct_prev": None,
        "escalation_pct_change": None,
        "reopen_pct_prev": None,
        "reopen_pct_change": None,
        "repeat_pct_prev": 0.0,
        "repeat_pct_change": 0.0,
        # 2 tickets ÷ 1 agent ÷ 21 weekdays of November (0.095…) against 3 ÷ 2 agents ÷ 21
        # weekdays from 2 to 31 October (0.071…): 0.1 each, a change of 0.02… → 0.0.
        "tickets_per_agent_day_prev": 0.1,
        "tickets_per_agent_day_change": 0.0,
        "aht_min_prev": None,
        "aht_min_change": None,
    }


def test_kpi_groups_pair_like_scores(manager_client, tickets):
    ids = agent_ids(tickets)
    body = kpis(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous&group_by=agent")
    ayu, budi = body["groups"]
    assert (ayu["group"], ayu["agent_id"], ayu["agent_name"]) == (
        "ayu@example.com",
        ids["ayu@example.com"],
        "Ayu Lestari",
    )
    assert (ayu["tickets"], ayu["tickets_prev"], ayu["frt_mean_h_change"]) == (2, 2, -15.0)
    assert (budi["group"], budi["agent_name"], budi["tickets"], budi["frt_mean_h"]) == (
        "budi@example.com",
        "Budi Santoso",
        0,
        None,
    )
    assert (budi["tickets_prev"], budi["tickets_change"], budi["frt_mean_h_change"]) == (
        1,
        -1,
        None,
    )


# Downloads


def csv_rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_downloads_carry_the_same_columns_in_the_same_order(manager_client, budi_left):
    query = "from=2026-11-01&to=2026-11-30&compare=previous&group_by=agent"
    body = scores(manager_client, query)
    rows = csv_rows(manager_client.get(f"/reports/summary.csv?{query}"))
    assert list(rows[0]) == list(body["groups"][0])
    budi = rows[1]
    assert (budi["agent_name"], budi["responses"], budi["csat_pct"], budi["csat_pct_prev"]) == (
        "Budi Santoso",
        "0",
        "",
        "50.0",
    )
    kpi_rows = csv_rows(manager_client.get(f"/reports/kpis.csv?{query}"))
    assert list(kpi_rows[0]) == list(kpis(manager_client, query)["groups"][0])
    excel = manager_client.get(f"/reports/summary.xlsx?{query}")
    assert excel.status_code == 200 and excel.data[:2] == b"PK"


@pytest.mark.parametrize("query", ["compare=lastyear", "compare=previous;DROP", "compare=1"])
def test_an_unknown_comparison_is_422_naming_it(manager_client, db, query):
    response = manager_client.get(f"/api/v1/scores?{query}")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"compare": "must be one of previous, last_year"}
    for path in ("/api/v1/kpis", "/reports/summary.csv", "/reports/kpis.csv", "/reports"):
        assert manager_client.get(f"{path}?{query}").status_code == 422, path


# The dashboard


def dashboard(client, query):
    response = client.get(f"/reports?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def tile(html, title):
    return html.split(f"<h2>{title}</h2>")[1].split("</div>")[0]


def test_tiles_show_each_change_and_whether_it_is_noise(manager_client, november_and_october):
    html = dashboard(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous")
    # The comparison period is said once, and what "significant" means.
    assert html.count("Changes compare with tickets closed 02 Oct 2026 – 31 Oct 2026") == 1
    assert "the previous period" in html
    csat = tile(html, "CSAT")
    assert '▲</span><span class="visually-hidden">up</span> +60.0 points from 30.0%' in csat
    assert '<strong class="significant">significant</strong>' in csat
    assert "(95 % interval of the change +17.1 to +80.9)" in csat
    ces = tile(html, "CES")
    assert "▼" in ces and "-2.50 from 5.00" in ces and "significant" in ces
    nps = tile(html, "NPS")
    assert "+60.0 points from -30.0" in nps and '<span class="noise">within noise</span>' in nps
    assert "within noise" in tile(html, "Response rate")
    # Without compare, no change is shown.
    plain = dashboard(manager_client, "from=2026-11-01&to=2026-11-30")
    assert "Changes compare" not in plain and "▲" not in plain and "within noise" not in plain


def test_group_rows_show_changes_and_link_onwards(manager_client, budi_left):
    ids = agent_ids(budi_left)
    html = dashboard(
        manager_client, "from=2026-11-01&to=2026-11-30&compare=previous&group_by=agent"
    )
    # Agents by name, the email beside it, each linked to the agent's page for the same days.
    assert (
        f'<a href="/reports/agents/{ids["budi@example.com"]}?from=2026-11-01&amp;to=2026-11-30">'
        '<span class="who-name">Budi Santoso</span> <span class="who-email">budi@example.com'
        in html
    )
    assert f'<a href="/reports/agents/{ids["ayu@example.com"]}?' in html
    # Neither agent was in both periods: nothing compared per row.
    scores_table = html.split("<caption>Scores by agent</caption>")[1].split("</table>")[0]
    assert scores_table.count("not compared") == 8


def links_in(html, caption):
    """The query of every link in the first column of a table, by its text."""
    table = html.split(f"<caption>{caption}")[1].split("</table>")[0]
    found = {}
    for cell in table.split('<th scope="row">')[1:]:
        if cell.startswith("<a href="):
            href = cell.split('"')[1].replace("&amp;", "&")
            text = cell.split(">", 1)[1].split("<", 1)[0]
            found[text] = (urlsplit(href).path, parse_qs(urlsplit(href).query))
    return found


@pytest.mark.parametrize(
    ("group_by", "links"),
    [
        (
            "team",
            {
                "Billing": {"team": ["Billing"]},
                "Technical": {"team": ["Technical"]},
            },
        ),
        ("channel", {"chat": {"channel": ["chat"]}, "email": {"channel": ["email"]}}),
    ],
)
def test_team_and_channel_rows_lead_to_the_dashboard_narrowed_to_them(
    manager_client, budi_left, group_by, links
):
    query = f"from=2026-11-01&to=2026-11-30&compare=previous&group_by={group_by}"
    html = dashboard(manager_client, query)
    same = {"from": ["2026-11-01"], "to": ["2026-11-30"], "compare": ["previous"]}
    expected = {
        name: ("/reports", {**same, "group_by": ["agent"], **narrowed})
        for name, narrowed in links.items()
    }
    assert links_in(html, f"Scores by {group_by}") == expected
    assert links_in(html, f"Ticket KPIs by {group_by}") == expected
    for _, (path, args) in expected.items():
        assert manager_client.get(path, query_string=args).status_code == 200


def test_month_rows_lead_to_their_days_of_the_range(manager_client, three_months):
    html = dashboard(
        manager_client, "from=2026-02-10&to=2026-03-31&group_by=month&compare=last_year"
    )
    assert links_in(html, "Scores by month") == {
        "2026-02": (
            "/reports",
            {
                "from": ["2026-02-10"],
                "to": ["2026-02-28"],
                "group_by": ["agent"],
                "compare": ["last_year"],
            },
        ),
        "2026-03": (
            "/reports",
            {
                "from": ["2026-03-01"],
                "to": ["2026-03-31"],
                "group_by": ["agent"],
                "compare": ["last_year"],
            },
        ),
    }


# No contradictions


def test_the_ces_interval_stays_on_its_scale(manager_client, app, db):
    # CES 4 and 6: mean 5, s = 1.414, t(1) = 12.706, so 5 ± 12.71 before clipping.
    answer_many(db, app.config, "N", "2026-11-10", ces=(4, 6))
    ces = tile(dashboard(manager_client, "from=2026-11-01&to=2026-11-30"), "CES")
    assert "95 % CI 1.00–7.00" in ces


def test_a_score_on_too_few_answers_is_not_judged(manager_client, app, db):
    # Four CSAT answers, all satisfied: 100 % would meet 85 %, but MIN_N is 5.
    answer_many(db, app.config, "N", "2026-11-10", csat=(5, 5, 5, 5))
    csat = tile(dashboard(manager_client, "from=2026-11-01&to=2026-11-30"), "CSAT")
    assert "not judged: too few answers" in csat
    assert "✓ met" not in csat and "✗ not met" not in csat
    answer_many(db, app.config, "M", "2026-11-11", csat=(5,))
    csat = tile(dashboard(manager_client, "from=2026-11-01&to=2026-11-30"), "CSAT")
    assert "✓ met" in csat and "not judged" not in csat


def test_the_first_response_tile_says_what_late_means(manager_client, tickets):
    html = dashboard(manager_client, "from=2026-10-01&to=2026-10-31&compare=previous")
    first_response = tile(html, "First response (mean)")
    # October: mean 30 h against the 24 h standard is 25 % late.
    assert "25.0% late: how far the mean overshoots the 24.0 h standard" in first_response
    assert "(30.0 h would be 25 % late)" in first_response
    # Nothing to compare October with (September has no tickets).
    assert "No change to show: nothing to count in the comparison period." in first_response
    november = dashboard(manager_client, "from=2026-11-01&to=2026-11-30&compare=previous")
    first_response = tile(november, "First response (mean)")
    assert "▼" in first_response and "-15.0 h from 30.0 h: better" in first_response
    # Percentages change in points, from the earlier percentage; no change is said so.
    within = tile(november, "Within 24.0 h")
    assert "+100.0 points from 0.0%: better" in within
    assert "Repeats: " in tile(november, "Reopened / repeat")
    assert "unchanged at 0.0%" in tile(november, "Reopened / repeat")
