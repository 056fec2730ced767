"""Efficiency: a closure's handle_seconds (API, webhook, CSV), kept in the ticket rollups,
and the KPI rows' tickets_per_agent_day and aht_min."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest

from app import create_app
from surveys import clock
from surveys.config import ConfigError
from surveys.helpdesk import imports, payloads
from surveys.helpdesk.closures import Closure, record_closure
from surveys.store import db as database
from surveys.store import rollups
from surveys.store.db import immediate
from tests.helpers import MANAGER_EMAIL, post_ticket, signed_in, ticket_payload

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # Monday 5 to Sunday 18 October: 10 weekdays


def close(db, config, ref, agent, team, day, handle_seconds=None):
    """A closure by `agent` (None: nobody) of `team`, `day` days after MONDAY."""
    record_closure(
        db,
        Closure(
            ticket_ref=ref,
            closed_at=MONDAY + timedelta(days=day),
            customer_email=f"{ref.lower()}@example.com",
            agent_email=agent,
            team=team,
            channel="email",
            handle_seconds=handle_seconds,
        ),
        config,
    )


@pytest.fixture
def fortnight(app, db):
    """Two weeks of closures: Ayu (Billing) 12, four carrying 5, 10, 15 and 20 minutes;
    Budi (Billing) 6, none carrying one; Citra (Sales) 2, carrying 2 and 4 minutes; one
    Sales closure nobody is named for, carrying 90 s. Some fall on the weekend."""
    for number in range(12):
        handle = (300, 600, 900, 1200)[number] if number < 4 else None
        close(db, app.config, f"A{number}", "ayu@example.com", "Billing", number, handle)
    for number in range(6):
        close(db, app.config, f"B{number}", "budi@example.com", "Billing", number * 2)
    close(db, app.config, "C0", "citra@example.com", "Sales", 3, 120)
    close(db, app.config, "C1", "citra@example.com", "Sales", 12, 240)
    close(db, app.config, "N0", None, "Sales", 6, 90)


def efficiency(client, query):
    body = client.get(f"/api/v1/kpis?from=2026-10-05&to=2026-10-18&{query}").get_json()
    pick = ("group", "tickets", "tickets_per_agent_day", "aht_min")
    return [tuple(row[name] for name in pick) for row in body["groups"]], tuple(
        body["overall"][name] for name in pick
    )


def test_tickets_per_agent_per_working_day_and_handle_time_of_a_known_fortnight(
    manager_client, fortnight
):
    # 21 closures ÷ 3 agents who closed any ÷ 10 weekdays = 0.7. Handle times carried by
    # 7 closures: 300 + 600 + 900 + 1200 + 120 + 240 + 90 = 3450 s; ÷ 7 ÷ 60 = 8.21… min.
    groups, overall = efficiency(manager_client, "")
    assert overall == ("all", 21, 0.7, 8.2)
    assert groups == [overall]
    groups, _ = efficiency(manager_client, "group_by=team")
    # Billing: 18 ÷ 2 ÷ 10 = 0.9; mean of 300–1200 = 750 s = 12.5 min.
    # Sales: 3 closures, one agent: 0.3; (120 + 240 + 90) ÷ 3 = 150 s = 2.5 min.
    assert groups == [("Billing", 18, 0.9, 12.5), ("Sales", 3, 0.3, 2.5)]
    groups, _ = efficiency(manager_client, "group_by=agent")
    # Nobody's closure has no agent to divide by.
    assert groups == [
        (None, 1, None, 1.5),
        ("ayu@example.com", 12, 1.2, 12.5),
        ("budi@example.com", 6, 0.6, None),
        ("citra@example.com", 2, 0.2, 3.0),
    ]


def test_grouped_by_month_each_month_counts_its_own_working_days(manager_client, app, db):
    # Monday 26 – Saturday 31 October: 5 weekdays; Sunday 1 – Friday 6 November: 5.
    start = datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    for number in range(4):
        record_closure(
            db,
            Closure(
                f"O{number}",
                start + timedelta(days=number),
                f"o{number}@example.com",
                agent_email="ayu@example.com",
            ),
            app.config,
        )
    for number in range(3):
        record_closure(
            db,
            Closure(
                f"N{number}",
                start + timedelta(days=7 + number),
                f"n{number}@example.com",
                agent_email=("ayu@example.com", "budi@example.com")[number % 2],
            ),
            app.config,
        )
    body = manager_client.get("/api/v1/kpis?from=2026-10-26&to=2026-11-06&group_by=month")
    rows = [(row["group"], row["tickets_per_agent_day"]) for row in body.get_json()["groups"]]
    # October: 4 ÷ 1 ÷ 5 = 0.8; November: 3 ÷ 2 ÷ 5 = 0.3. The whole range: 7 ÷ 2 ÷ 10.
    assert rows == [("2026-10", 0.8), ("2026-11", 0.3)]
    assert body.get_json()["overall"]["tickets_per_agent_day"] == round(7 / 2 / 10, 1)


@pytest.mark.parametrize(
    ("working_days", "per_agent_day"),
    [
        ("mon,tue,wed,thu,fri,sat", 0.6),  # 21 ÷ 3 ÷ 12 = 0.583…
        ("sun", 3.5),  # 21 ÷ 3 ÷ 2
        (" Mon , Tue ", 1.8),  # 21 ÷ 3 ÷ 4 = 1.75 → 1.8; names are trimmed, any case
    ],
)
def test_the_working_days_are_the_settings(make_app, working_days, per_agent_day):
    app = make_app(WORKING_DAYS=working_days)
    db = database.connect(app.config["DATABASE"])
    for number in range(21):
        agent = ("ayu@example.com", "budi@example.com", "citra@example.com")[number % 3]
        close(db, app.config, f"T{number}", agent, "Billing", number % 14)
    client = signed_in(app.test_client(), db, MANAGER_EMAIL, "manager")
    _, overall = efficiency(client, "")
    db.close()
    assert overall[2] == per_agent_day


def test_no_handle_time_means_no_aht(manager_client, app, db):
    close(db, app.config, "A", "ayu@example.com", "Billing", 0)
    close(db, app.config, "B", "ayu@example.com", "Billing", 1, handle_seconds=None)
    _, overall = efficiency(manager_client, "")
    assert overall == ("all", 2, 0.2, None)  # 2 closures ÷ 1 agent ÷ 10 weekdays


def test_a_range_without_working_days_has_no_rate(manager_client, app, db):
    close(db, app.config, "A", "ayu@example.com", "Billing", 5)  # Saturday 10 October
    body = manager_client.get("/api/v1/kpis?from=2026-10-10&to=2026-10-11").get_json()
    assert (body["overall"]["tickets"], body["overall"]["tickets_per_agent_day"]) == (1, None)


@pytest.mark.parametrize("value", ["mon,funday", "", "mon,mon", ",", 5, ["mon"]])
def test_a_bad_working_days_setting_stops_the_start(config, value):
    with pytest.raises(ConfigError, match="WORKING_DAYS"):
        create_app(dict(config, WORKING_DAYS=value))


def test_counting_weekdays():
    weekdays = clock.parse_weekdays("mon,tue,wed,thu,fri")
    assert clock.count_weekdays(date(2026, 10, 5), date(2026, 10, 18), weekdays) == 10
    assert clock.count_weekdays(date(2026, 10, 1), date(2026, 10, 31), weekdays) == 22
    assert clock.count_weekdays(date(2026, 10, 10), date(2026, 10, 11), weekdays) == 0
    assert clock.count_weekdays(date(2026, 10, 11), date(2026, 10, 10), weekdays) == 0


# handle_seconds: in, stored, counted


def test_handle_seconds_is_stored_and_counted_in_the_rollups(client, db, api_headers, fake_clock):
    post_ticket(client, api_headers, "T-1", handle_seconds=600)
    post_ticket(client, api_headers, "T-2", handle_seconds=0)
    post_ticket(client, api_headers, "T-3")
    assert db.execute("SELECT ticket_ref, handle_seconds FROM tickets ORDER BY 1").fetchall() == [
        ("T-1", 600),
        ("T-2", 0),
        ("T-3", None),
    ]
    counts = "SELECT sum(tickets), sum(handle_n), sum(handle_seconds) FROM ticket_rollups"
    assert db.execute(counts).fetchone() == (3, 2, 600)
    with immediate(db):
        rollups.rebuild(db)
    assert db.execute(counts).fetchone() == (3, 2, 600)


@pytest.mark.parametrize("value", [-1, 1.5, "600", True, 30 * 24 * 3600 + 1, {"s": 1}])
def test_a_bad_handle_time_is_refused_and_nothing_stored(client, db, api_headers, value):
    response = client.post(
        "/api/v1/tickets/closed", json=ticket_payload(handle_seconds=value), headers=api_headers
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "handle_seconds": "must be a whole number of seconds from 0 to 2592000"
    }
    assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


def test_the_generic_webhook_passes_the_handle_time_on():
    event = payloads.read_event(
        "generic", ticket_payload(handle_seconds=420), datetime(2026, 11, 20, 4, tzinfo=UTC)
    )
    assert (event.outcome, event.body["handle_seconds"]) == ("closure", 420)


def test_a_csv_column_of_handle_times_goes_through_the_same_check(app, db):
    table = imports.read_table(
        b"ticket,closed at,email,handle time (seconds)\n"
        b"T-1,2026-10-05 09:00,a@example.com,600\n"
        b"T-2,2026-10-05 10:00,b@example.com,2592001\n"
        b"T-3,2026-10-05 11:00,c@example.com,ten\n"
        b"T-4,2026-10-05 12:00,d@example.com,\n"
    )
    mapping = imports.guess_mapping(table.header)
    assert mapping["handle_seconds"] == 3
    outcome = imports.import_rows(db, table, mapping, app.config)
    message = {"handle_seconds": "must be a whole number of seconds from 0 to 2592000"}
    assert (outcome.created, outcome.errors) == (2, [(3, message), (4, message)])
    assert db.execute("SELECT ticket_ref, handle_seconds FROM tickets ORDER BY 1").fetchall() == [
        ("T-1", 600),
        ("T-4", None),
    ]


def test_the_kpi_download_carries_the_efficiency_columns(manager_client, fortnight):
    text = manager_client.get("/reports/kpis.csv?from=2026-10-05&to=2026-10-18").text
    header, row = (line.split(",") for line in io.StringIO(text).read().splitlines()[:2])
    values = dict(zip(header, row, strict=True))
    assert (values["tickets_per_agent_day"], values["aht_min"]) == ("0.7", "8.2")


def test_the_dashboard_shows_the_efficiency_figures(manager_client, fortnight):
    page = manager_client.get("/reports?from=2026-10-05&to=2026-10-18&group_by=team").text
    assert '<h2>Tickets per agent per working day</h2><p class="big">0.7</p>' in page
    assert '<h2>Average handle time</h2><p class="big">8.2 min</p>' in page
    assert "<td>0.9</td><td>12.5 min</td>" in page  # Billing's row
