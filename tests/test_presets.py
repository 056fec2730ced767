"""Date presets (?period=): each one's days, counted in TIMEZONE from a clock the test holds,
across month, quarter and year ends; refused when unknown or mixed with from and to."""

from datetime import UTC, datetime

import pytest

from surveys import clock
from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.ranges import PRESETS
from tests.helpers import MANAGER_EMAIL, signed_in

# (the clock in UTC, TIMEZONE, today there): the business's day, not UTC's, decides.
CLOCKS = {
    # 00:30 on New Year's Day in Jakarta (UTC+7), still 31 December in UTC.
    "new year in Jakarta": (datetime(2026, 12, 31, 17, 30, tzinfo=UTC), "Asia/Jakarta"),
    "new year's eve in UTC": (datetime(2026, 12, 31, 17, 30, tzinfo=UTC), "UTC"),
    # 23:00 on 31 March in New York (UTC−4 in summer time), already April in UTC.
    "end of March in New York": (datetime(2026, 4, 1, 3, 0, tzinfo=UTC), "America/New_York"),
    # 17:30 on 30 June in Los Angeles (UTC−7), the last day of a quarter.
    "end of June in Los Angeles": (datetime(2026, 7, 1, 0, 30, tzinfo=UTC), "America/Los_Angeles"),
    # Noon on 1 March 2028 in Jakarta, after a 29 February.
    "1 March of a leap year": (datetime(2028, 3, 1, 5, 0, tzinfo=UTC), "Asia/Jakarta"),
}

# Each preset's (from, to) at each clock, worked out on a calendar.
EXPECTED = {
    "new year in Jakarta": {
        "last_7_days": ("2026-12-26", "2027-01-01"),
        "last_30_days": ("2026-12-03", "2027-01-01"),
        "last_90_days": ("2026-10-04", "2027-01-01"),
        "this_month": ("2027-01-01", "2027-01-01"),
        "last_month": ("2026-12-01", "2026-12-31"),
        "this_quarter": ("2027-01-01", "2027-01-01"),
        "last_quarter": ("2026-10-01", "2026-12-31"),
        "year_to_date": ("2027-01-01", "2027-01-01"),
    },
    "new year's eve in UTC": {
        "last_7_days": ("2026-12-25", "2026-12-31"),
        "last_30_days": ("2026-12-02", "2026-12-31"),
        "last_90_days": ("2026-10-03", "2026-12-31"),
        "this_month": ("2026-12-01", "2026-12-31"),
        "last_month": ("2026-11-01", "2026-11-30"),
        "this_quarter": ("2026-10-01", "2026-12-31"),
        "last_quarter": ("2026-07-01", "2026-09-30"),
        "year_to_date": ("2026-01-01", "2026-12-31"),
    },
    "end of March in New York": {
        "last_7_days": ("2026-03-25", "2026-03-31"),
        "last_30_days": ("2026-03-02", "2026-03-31"),
        "last_90_days": ("2026-01-01", "2026-03-31"),
        "this_month": ("2026-03-01", "2026-03-31"),
        "last_month": ("2026-02-01", "2026-02-28"),
        "this_quarter": ("2026-01-01", "2026-03-31"),
        "last_quarter": ("2025-10-01", "2025-12-31"),
        "year_to_date": ("2026-01-01", "2026-03-31"),
    },
    "end of June in Los Angeles": {
        "last_7_days": ("2026-06-24", "2026-06-30"),
        "last_30_days": ("2026-06-01", "2026-06-30"),
        "last_90_days": ("2026-04-02", "2026-06-30"),
        "this_month": ("2026-06-01", "2026-06-30"),
        "last_month": ("2026-05-01", "2026-05-31"),
        "this_quarter": ("2026-04-01", "2026-06-30"),
        "last_quarter": ("2026-01-01", "2026-03-31"),
        "year_to_date": ("2026-01-01", "2026-06-30"),
    },
    "1 March of a leap year": {
        "last_7_days": ("2028-02-24", "2028-03-01"),
        "last_30_days": ("2028-02-01", "2028-03-01"),
        "last_90_days": ("2027-12-03", "2028-03-01"),
        "this_month": ("2028-03-01", "2028-03-01"),
        "last_month": ("2028-02-01", "2028-02-29"),
        "this_quarter": ("2028-01-01", "2028-03-01"),
        "last_quarter": ("2027-10-01", "2027-12-31"),
        "year_to_date": ("2028-01-01", "2028-03-01"),
    },
}


@pytest.fixture
def at_clock(make_app, db, fake_clock):
    """A manager's client on an app in a zone, with the clock held at an instant."""

    def start(name):
        instant, zone = CLOCKS[name]
        fake_clock.current = instant
        app = make_app(TIMEZONE=zone)
        return signed_in(app.test_client(), db, MANAGER_EMAIL, "manager")

    return start


def test_every_preset_is_in_the_table():
    assert all(list(days) == list(PRESETS) for days in EXPECTED.values())


@pytest.mark.parametrize("clock_name", CLOCKS)
@pytest.mark.parametrize("period", PRESETS)
def test_each_preset_at_month_quarter_and_year_ends(at_clock, clock_name, period):
    client = at_clock(clock_name)
    response = client.get(f"/api/v1/scores?period={period}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["from"], body["to"]) == EXPECTED[clock_name][period]


def close_at(db, config, ref, closed_at):
    """A closure at an instant, its invitation sent and answered (CSAT 5)."""
    result, _ = record_closure(
        db,
        Closure(ticket_ref=ref, closed_at=closed_at, customer_email=f"{ref}@example.com"),
        config,
    )
    invitation_id = result["invitation"]["id"]
    stamp = clock.to_iso(closed_at)
    db.execute(
        "UPDATE invitations SET status = 'sent', sent_at = ? WHERE id = ?", [stamp, invitation_id]
    )
    db["responses"].insert(
        {"invitation_id": invitation_id, "csat": 5, "created_at": stamp, "updated_at": stamp}
    )


def test_a_preset_counts_closures_by_their_day_in_the_zone(at_clock, db):
    client = at_clock("new year in Jakarta")
    config = client.application.config
    # 23:30 on 31 December in Jakarta, and 00:10 on 1 January there.
    close_at(db, config, "december", datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    close_at(db, config, "january", datetime(2026, 12, 31, 17, 10, tzinfo=UTC))
    responses = {
        period: client.get(f"/api/v1/scores?period={period}").get_json()["overall"]["responses"]
        for period in ("this_month", "last_month", "last_7_days")
    }
    assert responses == {"this_month": 1, "last_month": 1, "last_7_days": 2}


def test_a_preset_with_a_comparison(at_clock):
    client = at_clock("new year in Jakarta")
    body = client.get("/api/v1/scores?period=last_month&compare=previous").get_json()
    # December (31 days) against the 31 days before it.
    assert (body["from"], body["to"]) == ("2026-12-01", "2026-12-31")
    assert body["compare"] == {"from": "2026-10-31", "to": "2026-11-30"}
    body = client.get("/api/v1/kpis?period=year_to_date&compare=last_year").get_json()
    assert body["compare"] == {"from": "2026-01-01", "to": "2026-01-01"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=yesterday", f"must be one of {', '.join(PRESETS)}"),
        ("period=LAST_MONTH", f"must be one of {', '.join(PRESETS)}"),
        ("period=last_month&from=2026-11-01", "cannot be combined with from or to"),
        ("period=last_month&to=2026-11-30", "cannot be combined with from or to"),
        ("period=this_month&from=2026-11-01&to=2026-11-30", "cannot be combined with from or to"),
    ],
)
def test_a_bad_period_is_422_naming_it(manager_client, db, query, message):
    response = manager_client.get(f"/api/v1/scores?{query}")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"period": message}
    for path in ("/api/v1/kpis", "/reports/summary.csv", "/reports/kpis.csv"):
        assert manager_client.get(f"{path}?{query}").status_code == 422, path
    page = manager_client.get(f"/reports?{query}")
    assert page.status_code == 422
    assert f'role="alert">period {message}</p>' in page.get_data(as_text=True)


def test_an_empty_period_is_no_period(manager_client, fake_clock):
    body = manager_client.get("/api/v1/scores?period=&from=2026-11-01").get_json()
    assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-20")


def preset_links(html):
    """(label, href, current?) of each link above the filters."""
    nav = html.split('<nav class="presets"')[1].split("</nav>")[0]
    links = []
    for anchor in nav.split("<a ")[1:]:
        href = anchor.split('href="')[1].split('"')[0].replace("&amp;", "&")
        label = anchor.split(">", 1)[1].split("<", 1)[0]
        links.append((label, href, 'aria-current="page"' in anchor.split(">", 1)[0]))
    return links


def test_the_dashboard_offers_each_preset_and_a_reset(at_clock):
    client = at_clock("new year in Jakarta")
    html = client.get("/reports?period=last_month&group_by=team&compare=previous").get_data(
        as_text=True
    )
    # Each preset keeps the grouping, filters and comparison; only the days change.
    assert preset_links(html) == [
        *(
            (label, f"/reports?period={name}&group_by=team&compare=previous", name == "last_month")
            for name, (label, _) in PRESETS.items()
        ),
        ("Reset", "/reports", False),
    ]
    assert "Tickets closed 01 Dec 2026 – 31 Dec 2026" in html
    # The from and to boxes show the preset's days, and the downloads keep the preset.
    assert 'name="from" value="2026-12-01"' in html and 'name="to" value="2026-12-31"' in html
    assert "/reports/summary.csv?period=last_month&amp;group_by=team&amp;compare=previous" in html
    for label, href, _ in preset_links(html):
        assert client.get(href).status_code == 200, label


def test_the_plain_dashboard_marks_no_preset(manager_client, fake_clock):
    html = manager_client.get("/reports").get_data(as_text=True)
    assert [current for _, _, current in preset_links(html)] == [False] * (len(PRESETS) + 1)
    assert preset_links(html)[0][1] == "/reports?period=last_7_days"
