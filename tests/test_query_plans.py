"""Every report query reads its tables through an index, never by scanning a whole table."""

import re

import pytest

from surveys.kpi_report import COUNTS_SQL as KPI_SQL
from surveys.kpi_report import GROUP_EXPRESSIONS as KPI_GROUPS
from surveys.kpi_report import MEDIAN_SQL
from surveys.scorecards import COUNTS_SQL as SCORECARD_SQL
from surveys.scores import COUNTS_SQL as SCORES_SQL
from surveys.scores import DISTRIBUTION_SQL, GROUP_EXPRESSIONS, RESPONSE_FIELDS, RESPONSES_SQL

TABLES = ("invitations", "tickets", "responses", "ratings", "incidents", "deliverables",
          "agents", "teams", "survey_links", "outbox", "users")
PARAMS = {"from_day": "2026-01-01", "to_day": "2026-11-30", "frt_target_h": 24,
          "repeat_window": "+7 days", "first_period": "2026-01", "last_period": "2026-11",
          "first_day": "2026-01-01", "last_day": "2026-11-30", "today": "2026-11-23",
          "filter_0": "Billing"}
FILTER = " AND teams.name IN (:filter_0)"

QUERIES = {
    **{f"scores by {grouping}": SCORES_SQL.format(group=expression, filters=FILTER,
                                                  group_by="GROUP BY grp")
       for grouping, expression in GROUP_EXPRESSIONS.items()},
    **{f"kpis by {grouping}": KPI_SQL.format(group=expression, filters=FILTER,
                                             group_by="GROUP BY grp")
       for grouping, expression in KPI_GROUPS.items()},
    "frt median": MEDIAN_SQL.format(group=KPI_GROUPS["agent"], filters="", column="frt_h"),
    "responses": RESPONSES_SQL.format(filters=FILTER, low="", comment="", limit="LIMIT 200"),
    "distribution": DISTRIBUTION_SQL.format(kind="csat", filters=FILTER),
    "scorecards": SCORECARD_SQL,
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_report_queries_use_indexes(db, name):
    plan = [row["detail"] for row in db.query("EXPLAIN QUERY PLAN " + QUERIES[name], PARAMS)]
    scans = [step for step in plan if re.match(rf"SCAN ({'|'.join(TABLES)})\b", step)]
    assert scans == [], plan
    assert any("USING INDEX" in step or "USING COVERING INDEX" in step for step in plan), plan


def test_the_responses_query_names_every_download_column(db):
    row_keys = [column[0] for column in db.execute(
        QUERIES["responses"], PARAMS).description]
    assert tuple(row_keys) == RESPONSE_FIELDS
