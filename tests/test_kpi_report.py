"""Ticket KPIs on real rows: /api/v1/kpis and /reports/kpis.csv."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.kpi_queries import ROW_FIELDS

CLOSED = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)


def add_ticket(
    db,
    config,
    ref,
    frt_h=None,
    resolution_h=48.0,
    customer=None,
    team="Billing",
    agent="ayu@example.com",
    contacts=None,
    escalated=None,
    reopened=None,
    closed_at=CLOSED,
):
    opened_at = closed_at - timedelta(hours=resolution_h)
    record_closure(
        db,
        Closure(
            ticket_ref=ref,
            closed_at=closed_at,
            customer_email=customer or f"{ref}@example.com",
            agent_email=agent,
            team=team,
            channel="email",
            opened_at=opened_at,
            first_response_at=opened_at + timedelta(hours=frt_h) if frt_h is not None else None,
            contacts=contacts,
            escalated=escalated,
            reopened=reopened,
        ),
        config,
    )


def kpis(client, query):
    response = client.get(f"/api/v1/kpis?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize(
    ("frts", "mean", "lateness", "compliance"),
    [
        ([12.0, 18.0, 24.0], 18.0, 0.0, 100.0),  # mean 18 h against 24 h: on target
        ([30.0, 30.0], 30.0, 25.0, 0.0),  # mean 30 h: 25 % late
        ([10.0, 50.0], 30.0, 25.0, 50.0),
    ],
)
def test_first_response_against_the_24_hour_standard(
    manager_client, app, db, frts, mean, lateness, compliance
):
    for number, frt in enumerate(frts):
        add_ticket(db, app.config, f"T-{number}", frt_h=frt)
    overall = kpis(manager_client, "from=2026-10-01&to=2026-10-31")["overall"]
    assert (overall["frt_n"], overall["frt_mean_h"], overall["frt_target_h"]) == (
        len(frts),
        mean,
        24,
    )
    assert overall["frt_lateness_pct"] == lateness
    assert overall["frt_compliance_pct"] == compliance


def test_every_kpi_of_a_known_set(manager_client, app, db):
    add_ticket(
        db,
        app.config,
        "A",
        frt_h=1.0,
        resolution_h=10.0,
        contacts=1,
        escalated=False,
        reopened=False,
        customer="rina@example.com",
    )
    add_ticket(
        db,
        app.config,
        "B",
        frt_h=3.0,
        resolution_h=20.0,
        contacts=2,
        escalated=True,
        reopened=False,
    )
    add_ticket(
        db,
        app.config,
        "C",
        frt_h=8.0,
        resolution_h=30.0,
        contacts=1,
        escalated=False,
        reopened=True,
    )
    add_ticket(db, app.config, "D", resolution_h=70.0)  # no FRT, contacts or flags known
    # Rina opens a new ticket three days after A closed: A counts as repeated.
    add_ticket(
        db,
        app.config,
        "E",
        frt_h=2.0,
        resolution_h=1.0,
        customer="rina@example.com",
        closed_at=CLOSED + timedelta(days=3, hours=1),
    )

    body = kpis(manager_client, "from=2026-10-01&to=2026-10-31")
    assert body["groups"] == [body["overall"]]
    # Medians come from histograms and are read at the middle of a bucket: FRT 2 h and 3 h
    # sit in 3-minute buckets (median 2.475 h), resolution 20 h in a half-hour bucket
    # (19.75 h). The exact medians are 2.5 h and 20 h: both within 2.5 % + 30 s.
    assert body["overall"] == {
        "group": "all",
        "tickets": 5,
        "frt_n": 4,
        "frt_median_h": 2.5,
        "frt_mean_h": 3.5,
        "frt_target_h": 24,
        "frt_compliance_pct": 100.0,
        "frt_lateness_pct": 0.0,
        "resolution_median_h": 19.8,
        "resolution_mean_h": 26.2,
        "fcr_pct": 66.7,
        "escalation_pct": 33.3,
        "reopen_pct": 33.3,
        "repeat_pct": 20.0,
        # 5 closures ÷ 1 agent ÷ 22 weekdays in October 2026; no closure had a handle time.
        "tickets_per_agent_day": 0.2,
        "aht_min": None,
    }
    assert list(body["overall"]) == list(ROW_FIELDS)


def test_a_ticket_after_the_repeat_window_is_not_a_repeat(manager_client, app, db):
    add_ticket(db, app.config, "A", customer="rina@example.com")
    add_ticket(
        db,
        app.config,
        "B",
        customer="rina@example.com",
        resolution_h=1.0,
        closed_at=CLOSED + timedelta(days=8, hours=2),
    )
    assert kpis(manager_client, "from=2026-10-01&to=2026-10-31")["overall"]["repeat_pct"] == 0


def test_grouped_by_team_and_month(manager_client, app, db):
    add_ticket(db, app.config, "A", frt_h=2.0, team="Billing")
    add_ticket(db, app.config, "B", frt_h=4.0, team="Technical")
    add_ticket(
        db, app.config, "C", frt_h=6.0, team="Technical", closed_at=CLOSED + timedelta(days=30)
    )
    teams = kpis(manager_client, "from=2026-10-01&to=2026-11-30&group_by=team")
    assert [(row["group"], row["tickets"], row["frt_median_h"]) for row in teams["groups"]] == [
        ("Billing", 1, 2.0),
        ("Technical", 2, 5.0),
    ]
    months = kpis(manager_client, "from=2026-10-01&to=2026-11-30&group_by=month")
    assert [(row["group"], row["tickets"]) for row in months["groups"]] == [
        ("2026-10", 2),
        ("2026-11", 1),
    ]
    assert months["overall"]["tickets"] == 3


def test_nothing_in_range_gives_empty_kpis(manager_client):
    overall = kpis(manager_client, "from=2026-01-01&to=2026-01-31")["overall"]
    assert overall["tickets"] == 0
    for field in (
        "frt_median_h",
        "frt_mean_h",
        "frt_compliance_pct",
        "frt_lateness_pct",
        "fcr_pct",
        "repeat_pct",
    ):
        assert overall[field] is None, field


def test_kpis_csv_has_the_same_rows(manager_client, app, db):
    add_ticket(db, app.config, "A", frt_h=2.0, team="=cmd|' /C calc'!A0")
    response = manager_client.get("/reports/kpis.csv?from=2026-10-01&to=2026-10-31&group_by=team")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert response.mimetype == "text/csv"
    assert rows[0] == list(ROW_FIELDS)
    assert rows[1][0] == "'=cmd|' /C calc'!A0"  # neutralised, not run by a spreadsheet
    assert rows[1][1] == "1"


@pytest.mark.parametrize("path", ["/api/v1/kpis", "/reports/kpis.csv"])
def test_kpis_need_a_key_or_a_manager(client, staff_client, api_headers, path):
    stranger = staff_client.application.test_client()
    assert stranger.get(path).status_code in (302, 401)
    assert staff_client.get(path).status_code == 403
    assert stranger.get(path, headers=api_headers).status_code == 200


def test_bad_range_is_422(manager_client):
    response = manager_client.get("/api/v1/kpis?from=2026-10-31&to=2026-10-01")
    assert response.status_code == 422
    assert "from" in response.get_json()["errors"]


def test_dashboard_shows_ticket_kpis_per_group_and_marks_misses(manager_client, app, db):
    add_ticket(db, app.config, "A", frt_h=2.0, agent="ayu@example.com")
    add_ticket(db, app.config, "B", frt_h=40.0, agent="budi@example.com")
    page = manager_client.get("/reports?from=2026-10-01&to=2026-10-31&group_by=agent")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html[html.index("Ticket KPIs by agent") :]
    table = table[: table.index("</table>")]
    # Each row by its group's text (an agent's name links to the agent's page).
    rows = {
        re.sub(r"<[^>]+>", "", row.split("</th>")[0]).strip(): row
        for row in table.split("<tr>")[2:]
    }
    assert set(rows) == {"ayu@example.com", "budi@example.com"}
    assert "2.0 h" in rows["ayu@example.com"] and 'class="missed"' not in rows["ayu@example.com"]
    # 40 h against the 24 h standard: the mean and the compliance (0 %) miss; the rest
    # (resolution 48 h of 72 h) meet theirs or have nothing to count
    assert "40.0 h" in rows["budi@example.com"]
    assert rows["budi@example.com"].count('class="missed"') == 2


def test_dashboard_without_grouping_has_no_kpi_table(manager_client, app, db):
    add_ticket(db, app.config, "A", frt_h=2.0)
    html = manager_client.get("/reports?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert "Ticket KPIs by" not in html and "First response (mean)" in html
