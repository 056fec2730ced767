"""Every report query reads its tables through an index, never by scanning a whole table."""

import re
from dataclasses import replace
from datetime import date

import pytest

from surveys.actions.follow_ups import API_SQL as FOLLOW_UPS_SQL
from surveys.actions.follow_ups import FIGURES_SQL as FOLLOW_UP_FIGURES_SQL
from surveys.actions.follow_ups import LIST_FILTERS as FOLLOW_UP_FILTERS
from surveys.reports.business_queries import COMPANY, STORED_SQL, tickets_sql
from surveys.reports.kpi_queries import AGENTS_SQL, GROUP_KEYS, HISTOGRAM_SQL, kpi_sql
from surveys.reports.kpi_queries import COUNTS_SQL as KPI_SQL
from surveys.reports.ranges import AGENT_NAMES_SQL, ReportRange
from surveys.reports.score_queries import COUNTS_SQL as SCORES_SQL
from surveys.reports.score_queries import GROUP_EXPRESSIONS, RESPONSE_FIELDS, RESPONSES_SQL
from surveys.reports.themes import FORMS_SQL, themes_sql
from surveys.reports.trends import WEEKLY_SQL
from surveys.staff.scorecards import COUNTS_SQL as SCORECARD_SQL
from surveys.staff.scorecards import LATEST_RECORDED_SQL, LATEST_VISIBLE_SQL

TABLES = (
    "invitations",
    "tickets",
    "responses",
    "ratings",
    "incidents",
    "deliverables",
    "agents",
    "teams",
    "survey_links",
    "outbox",
    "users",
    "survey_rollups",
    "ticket_rollups",
    "duration_rollups",
    "agent_duration_rollups",
    "follow_ups",
    "business_months",
    "term_rollups",
    "term_totals",
    "term_forms",
)
PARAMS = {
    "from_day": "2026-01-01",
    "to_day": "2026-11-30",
    "first_month": "2026-01",
    "last_month": "2026-10",
    "head_from": "9",
    "head_to": "0",
    "tail_from": "2026-11-01",
    "tail_to": "2026-11-30",
    "first_period": "2026-01",
    "last_period": "2026-11",
    "first_day": "2026-01-01",
    "last_day": "2026-11-30",
    "today": "2026-11-23",
    "this_period": "2026-11",
    "admin_id": 7,
    "minimum": 3,
    "filter_0": "ayu@example.com",
    "filter_1": "Billing",
    "agent_0": "ayu@example.com",
    "agent_1": "Citra",
    "now": "2026-11-23T00:00:00Z",
    "status": "open",
    "team_id": 3,
    "min_count": 5,
}
FILTERED = ReportRange(
    date(2026, 1, 1), date(2026, 11, 30), None, agents=("ayu@example.com",), teams=("Billing",)
)


def filtered(table):
    return FILTERED.filter_sql(table)[0]


QUERIES = {
    **{
        f"scores by {grouping}": SCORES_SQL.format(
            group=expression, filters=filtered("survey_rollups")
        )
        for grouping, expression in GROUP_EXPRESSIONS.items()
    },
    **{
        f"kpis by {grouping}": kpi_sql(KPI_SQL, grouping, "day", filtered("ticket_rollups"))
        for grouping in GROUP_KEYS
    },
    **{
        f"{table} by {grouping}": kpi_sql(
            HISTOGRAM_SQL, grouping, "period", filtered("histograms"), table
        )
        for grouping in GROUP_KEYS
        for table in ("duration_rollups", "agent_duration_rollups")
        if (grouping, table) != ("channel", "agent_duration_rollups")
    },  # never asked
    "scores by week": WEEKLY_SQL.format(filters=filtered("survey_rollups")),
    "agents": kpi_sql(AGENTS_SQL, None, "day", filtered("ticket_rollups")),
    "agents' names": AGENT_NAMES_SQL.format(
        identities="'email:' || :agent_0, 'name:' || :agent_0, 'email:' || :agent_1, "
        "'name:' || :agent_1"
    ),
    "responses": RESPONSES_SQL.format(
        filters=filtered("invitations"), low="", comment="", limit="LIMIT 200"
    ),
    "follow-ups": FOLLOW_UPS_SQL.format(
        filters=filtered("invitations"),
        conditions=FOLLOW_UP_FILTERS["status"] + " " + FOLLOW_UP_FILTERS["overdue"],
    ),
    "dashboard's follow-up figures": FOLLOW_UP_FIGURES_SQL.format(filters=filtered("invitations")),
    "business months": STORED_SQL,
    "tickets per month": tickets_sql(COMPANY),
    "a team's tickets per month": tickets_sql(3),
    "scorecards": SCORECARD_SQL,
    "latest month with a scorecard": LATEST_RECORDED_SQL,
    "latest month an admin may see": LATEST_VISIBLE_SQL,
    "themes": themes_sql(replace(FILTERED, agents=(), teams=()))[0],
    "themes, filtered": themes_sql(FILTERED)[0],
    "themes' forms": FORMS_SQL.format(terms=":filter_0, :filter_1"),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_report_queries_use_indexes(db, name):
    plan = [row["detail"] for row in db.query("EXPLAIN QUERY PLAN " + QUERIES[name], PARAMS)]
    scans = [step for step in plan if re.match(rf"SCAN ({'|'.join(TABLES)})\b", step)]
    assert scans == [], plan
    assert any(re.search(r"USING (COVERING )?INDEX|USING PRIMARY KEY", step) for step in plan), plan


def test_filters_bind_their_values_as_parameters():
    filters, params = FILTERED.filter_sql("ticket_rollups")
    assert params == {"filter_0": "ayu@example.com", "filter_1": "Billing"}
    assert "ayu@example.com" not in filters and "Billing" not in filters


def test_the_responses_query_names_every_download_column(db):
    row_keys = [column[0] for column in db.execute(QUERIES["responses"], PARAMS).description]
    assert tuple(row_keys) == RESPONSE_FIELDS
