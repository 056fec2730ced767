"""Monthly business figures: PUT /api/v1/months/<YYYY-MM>, GET /api/v1/business, the
/business pages, the CSV import (page and `flask import-months`), and CRR, churn and cost
per resolution on the dashboard, in the downloads and in the digest."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from surveys.actions.digest_content import digest_content, digest_message
from surveys.actions.digest_periods import Period
from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.business import ROW_FIELDS
from surveys.reports.business_queries import read_months_csv
from surveys.reports.targets import save_targets
from surveys.staff.accounts import create_api_key
from surveys.store import db as database
from tests.helpers import csrf_token

OCTOBER = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
STORED = (
    "SELECT team_id, period, customers_start, customers_new, customers_end, "
    "support_cost_cents FROM business_months ORDER BY team_id, period"
)


def close_tickets(db, config, count, closed_at=OCTOBER, team="Billing", prefix="T"):
    """`count` closures at `closed_at` (the rollups count them as the API's would)."""
    for number in range(count):
        record_closure(
            db,
            Closure(
                ticket_ref=f"{prefix}-{number}",
                closed_at=closed_at,
                customer_email=f"{prefix.lower()}{number}@example.com",
                agent_email="ayu@example.com",
                team=team,
            ),
            config,
        )


def put(client, headers, month, body, team=None):
    query = f"?team={team}" if team else ""
    return client.put(f"/api/v1/months/{month}{query}", json=body, headers=headers)


def empty_row(month, tickets=0):
    return dict.fromkeys(ROW_FIELDS) | {"month": month, "tickets": tickets}


def stored(db):
    return db.execute(STORED).fetchall()


# The figures, computed by hand


def test_a_month_gives_retention_churn_and_cost_per_resolution(
    client, app, db, api_headers, fake_clock
):
    # 100 customers at the start, 20 new, 110 at the end: 90 of the 100 stayed (CRR 90 %,
    # churn 10 %). 5,000 spent on 250 closures in October: 20.00 per resolution.
    close_tickets(db, app.config, 250)
    close_tickets(db, app.config, 3, closed_at=OCTOBER - timedelta(days=30), prefix="S")
    response = put(
        client,
        api_headers,
        "2026-10",
        {"customers_start": 100, "customers_new": 20, "customers_end": 110, "support_cost": 5000},
    )
    october = {
        "month": "2026-10",
        "customers_start": 100,
        "customers_new": 20,
        "customers_end": 110,
        "crr_pct": 90.0,
        "churn_pct": 10.0,
        "support_cost": 5000.0,
        "tickets": 250,
        "cost_per_resolution": 20.0,
    }
    assert (response.status_code, response.get_json()) == (201, october)
    assert stored(db) == [(0, "2026-10", 100, 20, 110, 500000)]

    body = client.get("/api/v1/business?from=2026-09&to=2026-11", headers=api_headers).get_json()
    assert body == {
        "from": "2026-09",
        "to": "2026-11",
        "months": [empty_row("2026-09", tickets=3), october, empty_row("2026-11")],
    }
    assert list(body["months"][1]) == list(ROW_FIELDS)


@pytest.mark.parametrize(
    ("cost", "tickets", "per_resolution"),
    [
        (10.05, 2, 5.03),  # 5.025 exactly, half up; a float would make it 5.02
        (1000.1, 3, 333.37),  # 333.3666…
        (0, 4, 0.0),
        (99.99, 0, None),  # no ticket closed: nothing to divide by
    ],
)
def test_cost_per_resolution_is_exact_to_the_cent(
    client, app, db, api_headers, fake_clock, cost, tickets, per_resolution
):
    close_tickets(db, app.config, tickets)
    row = put(client, api_headers, "2026-10", {"support_cost": cost}).get_json()
    assert (row["support_cost"], row["tickets"], row["cost_per_resolution"]) == (
        cost,
        tickets,
        per_resolution,
    )


@pytest.mark.parametrize(
    ("start", "new", "end", "crr", "churn"),
    [
        (100, 20, 110, 90.0, 10.0),
        (3, 0, 2, 66.7, 33.3),  # 66.66…: one decimal each, still adding up to 100
        (50, 10, 10, 0.0, 100.0),  # everyone left; the end is the new ones
        (0, 5, 5, None, None),  # nobody to retain: no rate
        (100, None, 110, None, None),  # a figure missing
    ],
)
def test_retention_and_churn_to_one_decimal(
    client, db, api_headers, fake_clock, start, new, end, crr, churn
):
    body = {"customers_start": start, "customers_new": new, "customers_end": end}
    row = put(client, api_headers, "2026-10", body).get_json()
    assert (row["crr_pct"], row["churn_pct"]) == (crr, churn)


def test_a_teams_months_are_its_own(client, app, db, api_headers, fake_clock):
    close_tickets(db, app.config, 4, team="Billing")
    close_tickets(db, app.config, 6, team="Sales", prefix="U")
    put(client, api_headers, "2026-10", {"support_cost": 600}, team="Sales")
    put(client, api_headers, "2026-10", {"support_cost": 1000})
    sales_id = db.execute("SELECT id FROM teams WHERE name = 'Sales'").fetchone()[0]
    assert stored(db) == [
        (0, "2026-10", None, None, None, 100000),
        (sales_id, "2026-10", None, None, None, 60000),
    ]
    query = "from=2026-10&to=2026-10"
    [sales] = client.get(f"/api/v1/business?{query}&team=Sales", headers=api_headers).get_json()[
        "months"
    ]
    [company] = client.get(f"/api/v1/business?{query}", headers=api_headers).get_json()["months"]
    # Sales closed 6 of the 10: 600 ÷ 6; the company spent 1,000 on all 10.
    assert (sales["tickets"], sales["cost_per_resolution"]) == (6, 100.0)
    assert (company["tickets"], company["cost_per_resolution"]) == (10, 100.0)


# PUT: what a request changes


def test_a_put_changes_the_fields_it_names_and_null_clears_one(client, db, api_headers, fake_clock):
    first = {"customers_start": 100, "customers_new": 20, "customers_end": 110}
    assert put(client, api_headers, "2026-10", first).status_code == 201
    # Finance sends the cost alone: the customers the CRM sent stay.
    response = put(client, api_headers, "2026-10", {"support_cost": 4321.5})
    assert response.status_code == 200
    assert stored(db) == [(0, "2026-10", 100, 20, 110, 432150)]
    # The same request again changes nothing (PUT is idempotent).
    assert put(client, api_headers, "2026-10", {"support_cost": 4321.5}).get_json() == (
        response.get_json()
    )
    assert put(client, api_headers, "2026-10", {"customers_new": None}).status_code == 200
    assert stored(db) == [(0, "2026-10", 100, None, 110, 432150)]


ALL_FIELDS = {"customers_start": 100, "customers_new": 20, "customers_end": 110}


@pytest.mark.parametrize(
    ("month", "body", "errors"),
    [
        ("2026-10", {"customers_start": -1}, {"customers_start": "must not be negative"}),
        ("2026-10", {"support_cost": -0.01}, {"support_cost": "must not be negative"}),
        ("2026-10", {"customers_new": "20"}, {"customers_new": "must be a whole number"}),
        ("2026-10", {"customers_end": 10.5}, {"customers_end": "must be a whole number"}),
        ("2026-10", {"customers_end": True}, {"customers_end": "must be a whole number"}),
        ("2026-10", {"support_cost": "5000"}, {"support_cost": "must be a number"}),
        ("2026-10", {"support_cost": 12.345}, {"support_cost": "must have at most 2 decimals"}),
        (
            "2026-10",
            {"customers_start": 10**12},
            {"customers_start": "must be at most 1,000,000,000"},
        ),
        (
            "2026-10",
            {"support_cost": 1e300},
            {"support_cost": "must be at most 1,000,000,000,000.00"},
        ),
        (
            "2026-10",
            {"customers_start": 100, "customers_new": 30, "customers_end": 20},
            {"customers_end": "less customers_new is -10: it must not be below 0"},
        ),
        (
            "2026-10",
            {"customers_start": 100, "customers_new": 10, "customers_end": 111},
            {
                "customers_end": "less customers_new is 101: it must not be above "
                "customers_start (100)"
            },
        ),
        (
            "2026-10",
            {"customers": 5, "support_cost": 1},
            {
                "customers": "is not a field of a month (customers_start, customers_new, "
                "customers_end, support_cost)"
            },
        ),
        ("2026-10", [1, 2], {"body": "must be a JSON object"}),
        ("2026-12", ALL_FIELDS, {"month": "is in the future"}),
        ("2026-13", ALL_FIELDS, {"month": "must be a month as YYYY-MM"}),
        ("2026-1", ALL_FIELDS, {"month": "must be a month as YYYY-MM"}),
        ("1999-12", ALL_FIELDS, {"month": "must be between the years 2000 and 2999"}),
        (
            "oct",
            {"customers_start": -5},
            {"month": "must be a month as YYYY-MM", "customers_start": "must not be negative"},
        ),
    ],
)
def test_bad_figures_are_refused_with_a_message_per_field_and_nothing_stored(
    client, db, api_headers, fake_clock, month, body, errors
):
    response = put(client, api_headers, month, body)
    assert response.status_code == 422
    assert response.get_json() == {"error": "the month could not be accepted", "errors": errors}
    assert stored(db) == []


def test_a_month_is_checked_whole_with_what_is_stored(client, db, api_headers, fake_clock):
    put(client, api_headers, "2026-10", {"customers_start": 100, "support_cost": 50})
    response = put(client, api_headers, "2026-10", {"customers_new": 10, "customers_end": 200})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "customers_end": "less customers_new is 190: it must not be above customers_start (100)"
    }
    assert stored(db) == [(0, "2026-10", 100, None, None, 5000)]


@pytest.mark.parametrize(
    ("raw", "status", "errors"),
    [
        (
            b'{"customers_start": 1, "customers_start": 2}',
            422,
            {"body": "repeats the key 'customers_start' in one object"},
        ),
        (b'{"support_cost": NaN}', 422, {"support_cost": "must be a number"}),
        (b'{"support_cost": 1e999}', 422, {"support_cost": "must be a number"}),
        (b'{"customers_start": ' + b"9" * 5000 + b"}", 415, None),  # past Python's digit limit
        (b"not json", 415, None),
    ],
)
def test_bodies_json_cannot_mean_one_thing_are_refused(
    client, db, api_headers, fake_clock, raw, status, errors
):
    response = client.put(
        "/api/v1/months/2026-10",
        data=raw,
        headers=dict(api_headers, **{"Content-Type": "application/json"}),
    )
    assert response.status_code == status
    assert response.get_json().get("errors") == errors
    assert stored(db) == []


def test_a_month_in_the_future_is_judged_in_the_business_time_zone(make_app, fake_clock):
    # 18:00 UTC on 30 November is 1 December in Jakarta (UTC+7).
    fake_clock.current = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    for zone, status in (("UTC", 422), ("Asia/Jakarta", 201)):
        app = make_app(TIMEZONE=zone)
        db = database.connect(app.config["DATABASE"])
        headers = {"Authorization": f"Bearer {create_api_key(db, zone)}"}
        response = put(app.test_client(), headers, "2026-12", {"customers_start": 5})
        assert response.status_code == status, (zone, response.get_json())
        db.close()


def test_an_unknown_team_is_refused(client, db, api_headers, fake_clock):
    response = put(client, api_headers, "2026-10", {"customers_start": 5}, team="Nobody")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"team": "is not a team Puas knows"}
    response = client.get("/api/v1/business?team=Nobody", headers=api_headers)
    assert response.status_code == 422
    assert stored(db) == []


# GET: the range


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("from=2026-10&to=2026-09", {"from": "must not be after to"}),
        ("from=2016-10&to=2026-10", {"to": "must be at most 120 months after from"}),
        ("from=2026-10-01", {"from": "must be a month as YYYY-MM"}),
        ("to=3000-01", {"to": "must be between the years 2000 and 2999"}),
    ],
)
def test_a_bad_range_is_refused(client, api_headers, query, errors):
    response = client.get(f"/api/v1/business?{query}", headers=api_headers)
    assert response.status_code == 422
    assert response.get_json() == {"error": "the report parameters are not valid", "errors": errors}


def test_the_range_defaults_to_a_year_of_months_to_this_one(client, api_headers, fake_clock):
    body = client.get("/api/v1/business", headers=api_headers).get_json()
    assert (body["from"], body["to"], len(body["months"])) == ("2025-12", "2026-11", 12)
    longest = client.get("/api/v1/business?from=2016-11&to=2026-10", headers=api_headers)
    assert len(longest.get_json()["months"]) == 120


# Who may do what


def test_only_a_key_puts_and_a_key_or_a_manager_reads(
    client, db, api_headers, manager_client, fake_clock
):
    # manager_client is the same client, signed in as a manager: a session is not a key.
    assert put(client, {}, "2026-10", {"customers_start": 5}).status_code == 401
    assert client.get("/api/v1/business").status_code == 200
    assert client.get("/api/v1/business", headers={"Authorization": "Bearer nope"}).status_code == (
        401
    )
    assert stored(db) == []


def test_staff_and_strangers_are_kept_out(client, staff_client, db):
    for url in ("/api/v1/business", "/business", "/business/2026-10", "/business.csv"):
        assert staff_client.get(url).status_code == 403, url
    staff_client.post("/logout", data={"csrf_token": csrf_token(staff_client.get("/").text)})
    assert client.get("/business").status_code == 302
    assert client.get("/api/v1/business").status_code == 401


# The pages


def test_a_manager_saves_a_month_on_its_form(manager_client, app, db, fake_clock):
    close_tickets(db, app.config, 250)
    page = manager_client.get("/business/2026-10")
    assert page.status_code == 200
    form = {
        "customers_start": "100",
        "customers_new": "20",
        "customers_end": "110",
        "support_cost": "5000.00",
    }
    response = manager_client.post(
        "/business/2026-10", data=dict(form, csrf_token=csrf_token(page.text))
    )
    assert (response.status_code, response.location) == (303, "/business")
    assert stored(db) == [(0, "2026-10", 100, 20, 110, 500000)]
    listing = manager_client.get("/business").text
    row = re.search(r"<th scope=\"row\">2026-10</th>(.*?)</tr>", listing, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("</td>")[:-1]]
    assert cells[:8] == [
        "100",
        "20",
        "110",
        "90.0% ✓ meets its target",
        "10.0% ✓ meets its target",
        "5,000.00",
        "250",
        "20.00 ✓ meets its target",
    ]
    # The form shows what is stored; emptying a box clears that figure.
    page = manager_client.get("/business/2026-10")
    assert 'value="5000.00"' in page.text and 'value="110"' in page.text
    manager_client.post(
        "/business/2026-10",
        data=dict(form, support_cost="", csrf_token=csrf_token(page.text)),
    )
    assert stored(db) == [(0, "2026-10", 100, 20, 110, None)]


def test_a_bad_form_is_422_and_stores_nothing(manager_client, db, fake_clock):
    page = manager_client.get("/business/2026-10")
    response = manager_client.post(
        "/business/2026-10",
        data={
            "customers_start": "ten",
            "customers_new": "5",
            "customers_end": "1",
            "support_cost": "1,000",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 422
    assert "Customers at the start must be a whole number." in response.text
    assert "Support cost must be a number." in response.text
    assert stored(db) == []
    no_token = manager_client.post("/business/2026-10", data={"customers_start": "5"})
    assert no_token.status_code == 400
    assert stored(db) == []


@pytest.mark.parametrize("month", ["2026-12", "2026-13", "x"])
def test_a_month_that_cannot_be_entered_has_no_form(manager_client, fake_clock, month):
    assert manager_client.get(f"/business/{month}").status_code == 404


def upload(client, content, team=None):
    page = client.get("/business")
    return client.post(
        "/business/import" + (f"?team={team}" if team else ""),
        data={
            "csrf_token": csrf_token(page.text),
            "file": (io.BytesIO(content), "months.csv"),
        },
        content_type="multipart/form-data",
    )


def test_a_csv_of_months_is_stored_whole_or_not_at_all(manager_client, db, fake_clock):
    bad = (
        b"month,customers_start,customers_new,customers_end,support_cost\r\n"
        b"2026-08,100,20,110,5000\r\n"
        b"2026-09,110,-3,115,\r\n"
        b"2026-10,115,10,200,4000.5\r\n"
        b"2026-08,1,1,1,1\r\n"
    )
    response = upload(manager_client, bad)
    assert response.status_code == 422
    assert "Nothing was stored: 3 lines cannot be used." in response.text
    assert "Line 3: customers_new must not be negative." in response.text
    # 200 at the end less 10 new is more than the 115 it started with.
    assert (
        "Line 4: customers_end less customers_new is 190: it must not be above customers_start"
        " (115)." in response.text
    )
    assert "Line 5: month is on line 2 too." in response.text
    assert stored(db) == []

    good = (
        b"\xef\xbb\xbfMonth,customers_start,customers_new,customers_end,support_cost\r\n"
        b"2026-08,100,20,110,5000\r\n"
        b"2026-09,110,,115,\r\n"
        b"\r\n"
        b"2026-10,115,10,120,4000.5\r\n"
    )
    response = upload(manager_client, good)
    assert (response.status_code, response.location) == (303, "/business")
    assert stored(db) == [
        (0, "2026-08", 100, 20, 110, 500000),
        (0, "2026-09", 110, None, 115, None),
        (0, "2026-10", 115, 10, 120, 400050),
    ]


def test_a_csv_line_is_checked_with_the_month_stored(manager_client, db, api_headers, fake_clock):
    manager_client.put("/api/v1/months/2026-10", json={"customers_start": 50}, headers=api_headers)
    response = upload(manager_client, b"month,customers_new,customers_end\n2026-10,10,100\n")
    assert response.status_code == 422
    assert (
        "Line 2: customers_end less customers_new is 90: it must not be above customers_start"
        " (50)." in response.text
    )
    assert stored(db) == [(0, "2026-10", 50, None, None, None)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"customers_start\n100\n", "Line 1: month must be a column"),
        (b"month,cost\n2026-10,5\n", "Line 1: cost is not a column"),
        (b"month,customers_start\n2026-10\n", "Line 2: line has 1 cells, not 2."),
        (  # a cell past csv's default limit (131,072) refuses its line, not the file
            b'month,customers_start\n2026-10,"' + b"1" * 140_000 + b'"\n',
            "Line 2: customers_start must be a whole number",
        ),
    ],
)
def test_a_csv_without_the_right_columns_is_refused(manager_client, db, content, message):
    response = upload(manager_client, content)
    assert response.status_code == 422
    assert message in response.text
    assert stored(db) == []


def test_a_cell_longer_than_a_line_may_be_refuses_the_months_file():
    content = b'month,customers_start\n2026-10,"' + b"1" * 1_100_000 + b'"\n'

    outcome = read_months_csv(content, "2026-11")

    assert outcome.lines == []
    assert outcome.errors == [
        (2, {"file": "cannot be read as CSV: field larger than field limit (1048576)"})
    ]


def test_flask_import_months(runner, app, db, tmp_path, fake_clock):
    path = tmp_path / "months.csv"
    path.write_text("month,customers_start,customers_new,customers_end\n2026-10,100,20,110\n")
    result = runner.invoke(args=["import-months", str(path)])
    assert (result.exit_code, result.output) == (0, "1 month stored.\n")
    assert stored(db) == [(0, "2026-10", 100, 20, 110, None)]
    path.write_text("month,customers_start\n2026-09,100\n2026-12,5\n")
    result = runner.invoke(args=["import-months", str(path)])
    assert result.exit_code == 1
    assert "line 3: month is in the future" in result.output
    assert "1 lines refused; nothing stored." in result.output
    assert stored(db) == [(0, "2026-10", 100, 20, 110, None)]
    result = runner.invoke(args=["import-months", "--team", "Nobody", str(path)])
    assert (result.exit_code, "no team has that name" in result.output) == (1, True)


# The dashboard, downloads and digest


def business_section(html):
    return html[html.index("<h2>Business figures") : html.index("<h2>Follow-ups")]


def test_the_dashboard_marks_each_business_figure_against_its_target(
    manager_client, app, db, api_headers, fake_clock
):
    close_tickets(db, app.config, 250)
    close_tickets(db, app.config, 100, closed_at=OCTOBER - timedelta(days=30), prefix="S")
    put(
        manager_client,
        api_headers,
        "2026-09",
        {"customers_start": 100, "customers_new": 0, "customers_end": 80, "support_cost": 2500},
    )
    put(manager_client, api_headers, "2026-10", ALL_FIELDS | {"support_cost": 5000})
    save_targets(db, {"crr_pct": 85, "churn_pct": 12, "cost_per_resolution": 22.5}, None)
    section = business_section(manager_client.get("/reports?from=2026-09-01&to=2026-10-31").text)
    assert "at least 85.0 %" in section and "at most 12.0 %" in section
    assert "at most 22.50" in section
    rows = {
        month: [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("</td>")[:-1]]
        for month, row in re.findall(r'<th scope="row">(\d{4}-\d\d)</th>(.*?)</tr>', section, re.S)
    }
    # September: 80 of 100 kept (below 85 %), churn 20 % (above 12 %), 2,500 ÷ 100 = 25.00
    # (above 22.50). October: 90 %, 10 %, 20.00: all met.
    assert rows == {
        "2026-09": ["80.0% ✗ not met", "20.0% ✗ not met", "2,500.00", "100", "25.00 ✗ not met"],
        "2026-10": ["90.0% ✓ met", "10.0% ✓ met", "5,000.00", "250", "20.00 ✓ met"],
    }


def test_the_business_download_has_the_apis_rows(manager_client, app, db, api_headers, fake_clock):
    close_tickets(db, app.config, 250)
    put(manager_client, api_headers, "2026-10", ALL_FIELDS | {"support_cost": 5000})
    response = manager_client.get("/business.csv?from=2026-10&to=2026-11")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="puas-business-2026-10-2026-11.csv"'
    )
    assert list(csv.reader(io.StringIO(response.text))) == [
        list(ROW_FIELDS),
        ["2026-10", "100", "20", "110", "90.0", "10.0", "5000.0", "250", "20.0"],
        ["2026-11", "", "", "", "", "", "", "0", ""],
    ]
    workbook = manager_client.get("/business.xlsx?from=2026-10&to=2026-11")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"


def test_the_monthly_digest_gives_crr_churn_and_cost_per_resolution(
    app, db, api_headers, client, fake_clock
):
    close_tickets(db, app.config, 250)
    put(
        client,
        api_headers,
        "2026-09",
        {"customers_start": 100, "customers_new": 0, "customers_end": 80},
    )
    put(client, api_headers, "2026-10", ALL_FIELDS | {"support_cost": 5000})
    october = Period("monthly", date(2026, 10, 1), date(2026, 10, 31))
    with app.test_request_context():
        content = digest_content(db, app.config, october, fake_clock.now())
        text = (
            digest_message(app.config, content, "boss@example.com")
            .get_body(("plain",))
            .get_content()
        )
    assert (
        "- Customer retention rate (CRR), 2026-10: 90.0% (90 of 100 customers kept)\n"
        "  ▲ +10.0 points from 80.0% in 2026-09, better\n"
        "  target at least 90.0%: met"
    ) in text
    assert (
        "- Churn rate, 2026-10: 10.0% (90 of 100 customers kept)\n"
        "  ▼ -10.0 points from 20.0% in 2026-09, better\n"
        "  target at most 10.0%: met"
    ) in text
    assert (
        "- Cost per resolution, 2026-10: 20.00 (support cost 5,000.00 ÷ 250 tickets closed)\n"
        "  no change to show: nothing to count in 2026-09\n"
        "  target at most 20.0: met"
    ) in text


def test_the_put_answer_is_json_a_client_can_read_back(client, api_headers, fake_clock):
    response = put(client, api_headers, "2026-10", {"support_cost": 0.1})
    assert json.loads(response.data)["support_cost"] == 0.1
