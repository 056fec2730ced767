"""Targets: managers set them in the app; every report shows each score beside its target."""

from datetime import UTC, datetime, timedelta

import pytest

from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.ranges import ReportRange
from surveys.reports.targets import TARGETS, current_targets, report_targets
from tests.helpers import csrf_token


def form_values(**changes):
    values = {target.name: str(target.default) for target in TARGETS}
    values.update({name: str(value) for name, value in changes.items()})
    return values


def save(client, **changes):
    page = client.get("/targets").get_data(as_text=True)
    return client.post("/targets", data={"csrf_token": csrf_token(page), **form_values(**changes)})


def test_defaults_until_a_manager_sets_them(app, db):
    targets = current_targets(db, app.config)
    assert targets["csat_pct"] == 85 and targets["frt_hours"] == 24
    assert targets["nps"] == 30 and targets["escalation_pct"] == 10


def test_the_frt_default_comes_from_the_setting(make_app, db):
    app = make_app(FRT_TARGET_HOURS=8)
    assert current_targets(db, app.config)["frt_hours"] == 8


def test_a_manager_sets_targets(manager_client, app, db):
    response = save(manager_client, csat_pct=90, nps=-10, frt_hours=12.5)
    assert response.status_code == 302
    targets = current_targets(db, app.config)
    assert (targets["csat_pct"], targets["nps"], targets["frt_hours"]) == (90, -10, 12.5)
    assert db["targets"].count == len(TARGETS)
    body = manager_client.get("/api/v1/kpis").get_json()
    assert body["overall"]["frt_target_h"] == 12.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("csat_pct", 101),
        ("csat_pct", -1),
        ("nps", 101),
        ("ces_mean", 0.5),
        ("frt_hours", 0),
        ("fcr_pct", "lots"),
        ("reopen_pct", ""),
        ("nps", "sNaN"),
        ("csat_pct", "Infinity"),
    ],
)
def test_out_of_range_targets_are_refused_and_nothing_is_saved(manager_client, db, name, value):
    response = save(manager_client, **{name: value})
    assert response.status_code == 422
    assert "Enter a number from" in response.get_data(as_text=True)
    assert db["targets"].count == 0


def test_dashboard_shows_scores_beside_targets(manager_client):
    save(manager_client, csat_pct=77)
    html = manager_client.get("/reports").get_data(as_text=True)
    assert "at least 77.0%" in html
    assert "at most 24.0 h" in html


def test_targets_are_for_managers_only(staff_client):
    assert staff_client.get("/targets").status_code == 403


# A team's own targets

CLOSED = datetime(2026, 10, 15, 12, tzinfo=UTC)


@pytest.fixture
def teams(app, db):
    """Two teams' closures: Billing answers first in 10 h, Technical in 20 h."""
    for ref, team, frt_h in (("B-1", "Billing", 10), ("T-1", "Technical", 20)):
        opened_at = CLOSED - timedelta(hours=48)
        record_closure(
            db,
            Closure(
                ticket_ref=ref,
                closed_at=CLOSED,
                customer_email=f"{ref}@example.com",
                team=team,
                opened_at=opened_at,
                first_response_at=opened_at + timedelta(hours=frt_h),
            ),
            app.config,
        )


def team_targets(db, config, team):
    """The targets a report on that team alone is judged by."""
    one_team = ReportRange(CLOSED.date(), CLOSED.date(), None, teams=(team,))
    return report_targets(db, config, one_team)[0]


def save_team(client, team, **values):
    page = client.get("/targets", query_string={"team": team}).get_data(as_text=True)
    boxes = {target.name: "" for target in TARGETS}
    boxes.update({name: str(value) for name, value in values.items()})
    return client.post(
        "/targets", query_string={"team": team}, data={"csrf_token": csrf_token(page), **boxes}
    )


def test_a_team_gets_its_own_targets_and_keeps_the_company_rest(manager_client, app, db, teams):
    save(manager_client, csat_pct=80)
    response = save_team(manager_client, "Billing", csat_pct=95, frt_hours=8)
    assert response.status_code == 302 and "team=Billing" in response.headers["Location"]
    billing = team_targets(db, app.config, "Billing")
    assert (billing["csat_pct"], billing["frt_hours"], billing["nps"]) == (95, 8, 30)
    assert team_targets(db, app.config, "Technical")["csat_pct"] == 80
    assert current_targets(db, app.config)["frt_hours"] == 24
    page = manager_client.get("/targets?team=Billing").get_data(as_text=True)
    assert 'placeholder="80.0" step="any" type="number" value="95.0"' in page

    # Emptied boxes give the company's targets back.
    assert save_team(manager_client, "Billing", frt_hours=8).status_code == 302
    assert team_targets(db, app.config, "Billing")["csat_pct"] == 80
    assert db["team_targets"].count == 1


def test_reports_judge_one_team_by_its_own_targets(manager_client, app, db, teams):
    save_team(manager_client, "Billing", frt_hours=8, csat_pct=95)
    query = "from=2026-10-01&to=2026-10-31"
    billing = manager_client.get(f"/api/v1/kpis?{query}&team=Billing").get_json()["overall"]
    # 10 h against Billing's 8 h standard: late, none within it
    assert (billing["frt_target_h"], billing["frt_compliance_pct"]) == (8, 0)
    assert billing["frt_lateness_pct"] == 25
    both = manager_client.get(f"/api/v1/kpis?{query}").get_json()["overall"]
    assert (both["frt_target_h"], both["frt_compliance_pct"]) == (24, 100)

    by_team = manager_client.get(f"/api/v1/kpis?{query}&group_by=team").get_json()["groups"]
    assert {row["group"]: (row["frt_target_h"], row["frt_compliance_pct"]) for row in by_team} == {
        "Billing": (8, 0),
        "Technical": (24, 100),
    }
    csv_text = manager_client.get(f"/reports/kpis.csv?{query}&group_by=team").get_data(as_text=True)
    assert "Billing,1,1,10.0,10.0,8.0,0.0,25.0" in csv_text

    html = manager_client.get(f"/reports?{query}&team=Billing").get_data(as_text=True)
    assert "at least 95.0%" in html and "at most 8.0 h" in html
    assert "Billing's own where set" in html
    html = manager_client.get(f"/reports?{query}&group_by=team").get_data(as_text=True)
    kpi_table = html[html.index("Ticket KPIs by team") :]
    billing_row = kpi_table[kpi_table.index(">Billing<") : kpi_table.index(">Technical<")]
    assert billing_row.count('class="missed"') == 2  # mean and compliance against 8 h


@pytest.mark.parametrize("value", [101, -1, "lots", "NaN", "sNaN", "-Infinity", "1e309"])
def test_a_bad_team_target_is_refused_and_nothing_changes(manager_client, db, teams, value):
    save_team(manager_client, "Billing", frt_hours=8)
    response = save_team(manager_client, "Billing", csat_pct=value)
    assert response.status_code == 422
    assert "Enter a number from" in response.get_data(as_text=True)
    assert [row["name"] for row in db.query("SELECT name FROM team_targets")] == ["frt_hours"]


def test_an_unknown_team_has_no_targets_page(manager_client, db, teams):
    assert manager_client.get("/targets?team=Nobody").status_code == 404
    page = manager_client.get("/targets").get_data(as_text=True)
    assert (
        manager_client.post(
            "/targets?team=Nobody", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 404
    )
    assert db["team_targets"].count == 0
    assert manager_client.get("/targets?team=").status_code == 200  # the company's
    assert "Targets for Billing" in manager_client.get("/targets?team=%20Billing%20").get_data(
        as_text=True
    )  # spaces trimmed, as the report filters trim them
