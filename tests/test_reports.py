"""Scores for managers: /api/v1/scores, /reports/summary.csv and the dashboard."""

import csv
import io
from datetime import UTC, datetime

import pytest

from surveys import clock
from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.ranges import default_from
from surveys.reports.score_queries import RESPONSE_FIELDS, ROW_FIELDS


def add_answer(
    db,
    config,
    ticket_ref,
    closed_at,
    answers=None,
    agent="ayu@example.com",
    team="Billing",
    channel="email",
    sent=True,
):
    """A closure whose invitation was sent and (if answers) answered."""
    result, _ = record_closure(
        db,
        Closure(
            ticket_ref=ticket_ref,
            closed_at=closed_at,
            customer_email=f"{ticket_ref}@example.com",
            agent_email=agent,
            team=team,
            channel=channel,
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


@pytest.fixture
def scored(app, db):
    """Two agents in two teams over two months; some questions skipped."""
    config = app.config
    nov = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    octo = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
    add_answer(db, config, "A1", nov, {"csat": 5, "ces": 7, "nps": 10})
    add_answer(db, config, "A2", nov, {"csat": 4, "ces": 5, "nps": 8})
    add_answer(db, config, "A3", octo, {"csat": 2, "nps": 3})  # CES skipped
    add_answer(db, config, "A4", octo)  # sent, not answered
    add_answer(
        db,
        config,
        "B1",
        nov,
        {"csat": 1, "ces": 2, "nps": 0},
        agent="budi@example.com",
        team="Technical",
        channel="chat",
    )
    add_answer(
        db,
        config,
        "B2",
        nov,
        {"comment": "only words"},
        agent="budi@example.com",
        team="Technical",
        channel="chat",
    )
    add_answer(
        db,
        config,
        "B3",
        nov,
        agent="budi@example.com",
        team="Technical",
        channel="chat",
        sent=False,
    )  # still scheduled
    return db


def scores(client, query, **kwargs):
    response = client.get(f"/api/v1/scores?{query}", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_overall_scores_follow_the_spec_formulas(manager_client, scored):
    body = scores(manager_client, "from=2026-10-01&to=2026-11-30")
    assert (body["from"], body["to"], body["group_by"]) == ("2026-10-01", "2026-11-30", None)
    [overall] = body["groups"]
    assert overall == body["overall"]
    assert list(overall) == list(ROW_FIELDS)
    assert overall["group"] == "all"
    assert (overall["invitations_sent"], overall["responses"]) == (6, 5)
    assert overall["response_rate"] == 83.3
    assert (overall["csat_n"], overall["csat_pct"], overall["csat_mean"]) == (4, 50.0, 3.0)
    assert (overall["ces_n"], overall["ces_mean"], overall["ces_agree_pct"]) == (3, 4.67, 66.7)
    assert (overall["nps_n"], overall["promoters"], overall["passives"], overall["detractors"]) == (
        4,
        1,
        1,
        2,
    )
    assert overall["nps"] == -25.0
    assert overall["csat_low"] < 50.0 < overall["csat_high"]
    assert overall["nps_low"] < -25.0 < overall["nps_high"]


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("agent", {"ayu@example.com": (4, 3, 100.0 * 2 / 3), "budi@example.com": (2, 2, 0.0)}),
        ("team", {"Billing": (4, 3, 100.0 * 2 / 3), "Technical": (2, 2, 0.0)}),
        ("channel", {"email": (4, 3, 100.0 * 2 / 3), "chat": (2, 2, 0.0)}),
        ("month", {"2026-10": (2, 1, 0.0), "2026-11": (4, 4, 100.0 * 2 / 3)}),
    ],
)
def test_grouped_scores(manager_client, scored, group_by, expected):
    body = scores(manager_client, f"from=2026-10-01&to=2026-11-30&group_by={group_by}")
    got = {
        row["group"]: (row["invitations_sent"], row["responses"], row["csat_pct"])
        for row in body["groups"]
    }
    assert got == {
        name: (sent, answered, round(pct, 1)) for name, (sent, answered, pct) in expected.items()
    }
    assert body["overall"]["responses"] == 5


def test_range_selects_closures_with_both_days_inclusive(manager_client, scored):
    assert scores(manager_client, "from=2026-11-10&to=2026-11-10")["overall"]["responses"] == 4
    assert scores(manager_client, "from=2026-10-15&to=2026-10-15")["overall"]["responses"] == 1
    empty = scores(manager_client, "from=2026-11-11&to=2026-11-30")["overall"]
    assert (empty["invitations_sent"], empty["responses"]) == (0, 0)
    assert empty["csat_pct"] is None and empty["response_rate"] is None


def test_days_are_read_in_the_business_time_zone(make_app, db, api_headers):
    app = make_app(TIMEZONE="Asia/Jakarta")
    # 23:30 UTC on 31 October is 06:30 on 1 November in Jakarta.
    add_answer(db, app.config, "J1", datetime(2026, 10, 31, 23, 30, tzinfo=UTC), {"csat": 5})
    body = scores(
        app.test_client(), "from=2026-11-01&to=2026-11-01&group_by=month", headers=api_headers
    )
    assert [row["group"] for row in body["groups"]] == ["2026-11"]


def test_scores_accept_an_api_key(client, scored, api_headers):
    body = scores(client, "from=2026-10-01&to=2026-11-30", headers=api_headers)
    assert body["overall"]["responses"] == 5


@pytest.mark.parametrize("path", ["/api/v1/scores", "/reports/summary.csv"])
def test_reports_refuse_strangers_and_staff(client, staff_client, path):
    anonymous = staff_client.application.test_client()
    stranger = anonymous.get(path)
    wrong_key = anonymous.get(path, headers={"Authorization": "Bearer nope"})
    staff = staff_client.get(path)
    if path.startswith("/api/"):
        assert stranger.status_code == 401
    else:
        assert stranger.status_code == 302
        assert stranger.headers["Location"].startswith("/login")
    assert wrong_key.status_code == 401
    assert staff.status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-11-31", "from"),
        ("from=yesterday", "from"),
        ("to=20261130", "to"),
        ("from=2026-11-30&to=2026-11-01", "from"),
        ("group_by=customer", "group_by"),
        ("group_by=agent;DROP TABLE responses", "group_by"),
        ("to=0001-01-15", "to"),
        ("from=0000-01-01", "from"),
        ("to=9999-12-31", "to"),
        ("from=2026-W47-1", "from"),
        ("from=%D9%A2%D9%A0%D9%A2%D9%A6-11-01", "from"),
    ],
)
def test_bad_report_parameters_are_422(manager_client, db, query, field):
    response = manager_client.get(f"/api/v1/scores?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert manager_client.get(f"/reports/summary.csv?{query}").status_code == 422
    assert manager_client.get(f"/reports?{query}").status_code == 422


def test_default_range_is_a_year_of_months_to_today(manager_client):
    body = scores(manager_client, "")
    today = clock.today("UTC")
    assert body["to"] == today.isoformat()
    assert body["from"] == default_from(today).isoformat()


@pytest.mark.parametrize(
    ("to_day", "from_day"),
    [
        ("2026-11-23", "2025-12-01"),
        ("2026-01-31", "2025-02-01"),
        ("2026-12-01", "2026-01-01"),
    ],
)
def test_default_from(to_day, from_day):
    assert default_from(clock.parse_day(to_day)).isoformat() == from_day


def test_csv_answers_machines_in_json(client, db):
    response = client.get("/reports/summary.csv", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "API key" in response.get_json()["error"]


def test_csv_has_the_spec_columns_and_one_row_per_group(manager_client, scored):
    response = manager_client.get(
        "/reports/summary.csv?from=2026-10-01&to=2026-11-30&group_by=team"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(ROW_FIELDS)
    assert [row[0] for row in rows[1:]] == ["Billing", "Technical"]
    technical = dict(zip(rows[0], rows[2], strict=True))
    assert technical["csat_n"] == "1" and technical["ces_agree_pct"] == "0.0"
    assert technical["nps_low"] != ""


def test_csv_leaves_empty_cells_where_n_is_zero(manager_client, scored):
    response = manager_client.get("/reports/summary.csv?from=2026-11-11&to=2026-11-30")
    header, row = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    values = dict(zip(header, row, strict=True))
    assert values["csat_pct"] == "" and values["nps"] == "" and values["csat_n"] == "0"


@pytest.mark.parametrize("team", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTab"])
def test_csv_neutralises_cells_a_spreadsheet_would_run(manager_client, db, app, team):
    add_answer(db, app.config, "X1", datetime(2026, 11, 10, tzinfo=UTC), {"csat": 5}, team=team)
    response = manager_client.get(
        "/reports/summary.csv?from=2026-11-01&to=2026-11-30&group_by=team"
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1][0] == "'" + team


def test_dashboard_shows_scores_and_marks_too_few(manager_client, scored):
    response = manager_client.get("/reports?from=2026-10-01&to=2026-11-30&group_by=agent")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ayu@example.com" in html and "budi@example.com" in html
    # MIN_N is 5 and no group reaches it: each score with answers is marked, overall too
    # (CSAT 4, CES 3, NPS 4 overall; per agent CSAT 3+1, CES 2+1, NPS 2+1).
    assert html.count('<span class="badge">too few</span>') == 3 + 6
    assert "50.0%" in html  # overall CSAT
    csat_tile = html.split("<h2>CSAT</h2>")[1].split("</div>")[0]
    # CSAT rests on 4 answers, too few to be judged against its target (met or not).
    assert "at least 85.0%" in csat_tile and "not judged: too few answers" in csat_tile
    assert "met" not in csat_tile.replace("not judged", "")
    assert "/reports/summary.csv?from=2026-10-01&amp;to=2026-11-30&amp;group_by=agent" in html


def test_dashboard_sends_signed_out_visitors_to_sign_in(client):
    response = client.get("/reports?from=2026-10-01")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_dashboard_is_403_for_staff(staff_client):
    assert staff_client.get("/reports").status_code == 403


@pytest.mark.parametrize(
    ("query", "responses"),
    [
        ("agent=budi@example.com", 2),
        ("team=Billing", 3),
        ("team=Billing&team=Technical", 5),
        ("channel=chat&agent=budi@example.com", 2),
        ("channel=chat&agent=ayu@example.com", 0),
        ("team=Nobody", 0),
    ],
)
def test_filters_narrow_every_report(manager_client, scored, query, responses):
    base = "from=2026-10-01&to=2026-11-30&" + query
    assert scores(manager_client, base)["overall"]["responses"] == responses
    kpi_tickets = manager_client.get(f"/api/v1/kpis?{base}").get_json()["overall"]["tickets"]
    assert kpi_tickets == {2: 3, 3: 4, 5: 7, 0: 0}[responses]
    html = manager_client.get(f"/reports?{base}").get_data(as_text=True)
    link = "/reports/summary.csv?" + base.replace("&", "&amp;")
    assert link.split("&amp;")[0] in html
    for pair in query.split("&"):
        assert pair.replace("@", "%40") in html or pair in html


def test_too_many_filter_values_are_refused(manager_client):
    query = "&".join(f"agent=a{number}@example.com" for number in range(51))
    response = manager_client.get(f"/api/v1/scores?{query}")
    assert response.status_code == 422
    assert "agent" in response.get_json()["errors"]


def test_summary_as_excel(manager_client, scored):
    from openpyxl import load_workbook

    response = manager_client.get(
        "/reports/summary.xlsx?from=2026-10-01&to=2026-11-30&group_by=team"
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(ROW_FIELDS)
    assert [row[0] for row in rows[1:]] == ["Billing", "Technical"]
    assert rows[1][ROW_FIELDS.index("responses")] == 3


def test_every_response_as_csv_and_excel(manager_client, scored, db, app):
    from openpyxl import load_workbook

    add_answer(
        db,
        app.config,
        "X1",
        datetime(2026, 11, 12, tzinfo=UTC),
        {"csat": 2, "comment": '=HYPERLINK("http://evil")'},
    )
    query = "from=2026-10-01&to=2026-11-30"
    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                manager_client.get(f"/reports/responses.csv?{query}").get_data(as_text=True)
            )
        )
    )
    assert len(csv_rows) == 6
    assert csv_rows[0]["ticket_id"] == "X1"
    assert csv_rows[0]["comment"] == '\'=HYPERLINK("http://evil")'
    assert {row["ticket_id"] for row in csv_rows} == {"A1", "A2", "A3", "B1", "B2", "X1"}
    workbook = load_workbook(
        io.BytesIO(manager_client.get(f"/reports/responses.xlsx?{query}").get_data())
    )
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 7
    assert rows[1][RESPONSE_FIELDS.index("comment")] == '\'=HYPERLINK("http://evil")'
    assert (
        workbook.active.cell(row=2, column=RESPONSE_FIELDS.index("comment") + 1).data_type == "s"
    )  # a string, not a formula


def test_low_ratings_page_lists_only_low_ratings(manager_client, scored):
    html = manager_client.get("/reports/comments?from=2026-10-01&to=2026-11-30").get_data(
        as_text=True
    )
    # A3 (CSAT 2, NPS 3) and B1 (CSAT 1) are low; A1, A2 and the comment-only B2 are not.
    assert "<td>A3</td>" in html and "<td>B1</td>" in html
    assert "<td>A1</td>" not in html and "<td>A2</td>" not in html
    assert "<td>B2</td>" not in html


def test_low_ratings_with_comments_only(manager_client, scored, db, app):
    add_answer(
        db,
        app.config,
        "C1",
        datetime(2026, 11, 12, tzinfo=UTC),
        {"nps": 2, "comment": "Never again <b>ever</b>"},
    )
    html = manager_client.get(
        "/reports/comments?from=2026-10-01&to=2026-11-30&with_comment=1"
    ).get_data(as_text=True)
    assert "<td>C1</td>" in html and "<td>A3</td>" not in html
    assert "Never again &lt;b&gt;ever&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("rows", "ranked", "unranked"),
    [
        # Lucky 3 of 3 (lower bound 43.9) ranks below a steady 45 of 50 (lower bound 78.6).
        ([("lucky", 3, 100.0, 43.9), ("steady", 50, 90.0, 78.6)], ["steady"], ["lucky"]),
        (
            [("a", 20, 80.0, 58.4), ("b", 20, 80.0, 58.4), ("c", 30, 80.0, 62.7)],
            ["c", "a", "b"],
            [],
        ),
        ([], [], []),
    ],
)
def test_leaderboard_ranks_by_the_lower_bound(rows, ranked, unranked):
    from surveys.reports.scoring import rank_groups

    groups = [
        {"group": name, "csat_n": n, "csat_pct": pct, "csat_low": low} for name, n, pct, low in rows
    ]
    got_ranked, got_unranked = rank_groups(groups, min_n=10)
    assert [row["group"] for row in got_ranked] == ranked
    assert [row["group"] for row in got_unranked] == unranked


def test_leaderboard_page(make_app, db, manager_client, scored):
    app = make_app(LEADERBOARD_MIN_N=2)
    client = app.test_client()
    from tests.helpers import MANAGER_EMAIL, sign_in

    sign_in(client, MANAGER_EMAIL)
    html = client.get("/reports/leaderboard?from=2026-10-01&to=2026-11-30").get_data(as_text=True)
    # ayu has 3 CSAT answers (ranked), budi 1 (not ranked yet); each links to their page.
    ranked = html.split('<td>1</td><th scope="row">')[1].split("</th>")[0]
    assert ranked.startswith('<a href="/reports/agents/')
    assert ranked.endswith('<span class="who-name">ayu@example.com</span></a>')
    assert '<span class="who-name">budi@example.com</span></a> (1)' in html
    response = client.get("/reports/leaderboard?group_by=month")
    assert response.status_code == 422
