"""Phone-queue KPIs for a range of queued days, read from the call rollups, finished by
`call_kpis`. The same range, grouping, filters and comparison as the ticket KPIs
(surveys.reports.kpi_queries), whose SQL fragments these queries share."""

from dataclasses import replace

from surveys.reports import kpi_queries
from surveys.reports.call_kpis import call_figures
from surveys.reports.kpi_queries import (
    changes,
    compare_fields,
    compared_figures,
    kpi_sql,
    range_params,
    rounded,
)
from surveys.reports.kpis import merge_histograms
from surveys.reports.ranges import AGENT_FIELDS, agent_names, in_order
from surveys.store.call_rollups import CALL_COUNTS, wait_middle

# The public ROW of /api/v1/call-kpis and /reports/call-kpis.csv, in order.
ROW_FIELDS = (
    "group",
    "calls",
    "answered",
    "abandoned",
    "failed",
    "asa_s",
    "wait_median_s",
    "abandon_pct",
    "failure_pct",
    "service_level_s",
    "service_level_pct",
)
# Compared, every figure but the standard gains its previous value and its change.
COMPARED_FIGURES = compared_figures(ROW_FIELDS, "service_level_s")
COMPARE_FIELDS = compare_fields(COMPARED_FIGURES)
NO_CALLS = dict.fromkeys(CALL_COUNTS, 0)

COUNTS_SQL = f"""
WITH keyed AS (
    SELECT {{key}} AS key, {", ".join(f"sum({column}) AS {column}" for column in CALL_COUNTS)}
      FROM call_rollups
     WHERE day BETWEEN :from_day AND :to_day {{filters}}
     GROUP BY key)
SELECT {{name}} AS grp, {", ".join(f"sum({column}) AS {column}" for column in CALL_COUNTS)}
  FROM keyed {{join}}
 GROUP BY grp ORDER BY grp
"""  # noqa: S608 (fixed column names)

# Whole months from the month rows, the days either side from the day rows, as the
# ticket histograms are read.
WAITS_SQL = """
WITH histograms AS (
    SELECT * FROM call_wait_rollups
     WHERE grain = 'month' AND period BETWEEN :first_month AND :last_month
    UNION ALL
    SELECT * FROM call_wait_rollups
     WHERE grain = 'day' AND period BETWEEN :head_from AND :head_to
    UNION ALL
    SELECT * FROM call_wait_rollups
     WHERE grain = 'day' AND period BETWEEN :tail_from AND :tail_to),
keyed AS (
    SELECT {key} AS key, bucket, sum(n) AS n
      FROM histograms
     WHERE true {filters}
     GROUP BY key, bucket)
SELECT {name} AS grp, bucket, sum(n) AS n
  FROM keyed {join}
 GROUP BY grp, bucket ORDER BY grp, bucket
"""


def call_sums(db, report_range):
    """The call rollups summed for a range: ({group: counts}, {group: [(bucket, n)]})."""
    grouping = report_range.group_by
    params = range_params(report_range)
    filters, filter_params = report_range.filter_sql("call_rollups")
    params.update(filter_params)
    counts = {
        row.pop("grp"): row
        for row in db.query(kpi_sql(COUNTS_SQL, grouping, "day", filters), params)
    }
    filters, _ = report_range.filter_sql("histograms")  # the same parameters, named alike
    waits = {}
    for row in db.query(kpi_sql(WAITS_SQL, grouping, "period", filters), params):
        waits.setdefault(row["grp"], []).append((row["bucket"], row["n"]))
    return counts, waits


def overall_sums(counts, waits):
    """The counts and waits of all groups together."""
    return (
        {column: sum(group[column] for group in counts.values()) for column in CALL_COUNTS},
        merge_histograms(waits.values()),
    )


def figures(counts, buckets, service_level_s):
    """call_figures for a group's counts and wait buckets."""
    middles = [(wait_middle(bucket), n) for bucket, n in buckets]
    return call_figures(counts, (buckets, middles), service_level_s)


def row_fields(report_range):
    """The fields of this report's call ROWs, in order (as the ticket KPIs' are)."""
    return kpi_queries.row_fields(report_range, ROW_FIELDS, COMPARE_FIELDS)


def comparison_sums(db, report_range):
    """The comparison period's (counts, waits) per group they pair with, and overall."""
    paired_range, partner = report_range.paired()
    counts, waits = call_sums(db, paired_range)
    compared = report_range.compared()
    overall = overall_sums(counts, waits)
    if (paired_range.from_day, paired_range.to_day) != (compared.from_day, compared.to_day):
        overall = overall_sums(*call_sums(db, replace(compared, group_by=None)))
    paired = {partner(group): (row, waits.get(group, [])) for group, row in counts.items()}
    return paired, overall


def call_groups(db, report_range, service_level_s):
    """Phone-queue KPIs per group and overall, as (groups, overall).

    Counts and ASA are exact; the median wait is read from the wait histogram, and the
    service level is exact for any standard on a bucket bound (surveys.store.call_rollups).
    Compared, every ROW carries each figure's previous value and change.
    """
    counts, waits = call_sums(db, report_range)
    now_overall = overall_sums(counts, waits)
    then, then_overall = {}, None
    if report_range.compare:
        then, then_overall = comparison_sums(db, report_range)
        counts = {group: counts.get(group, NO_CALLS) for group in in_order({*counts, *then})}
    fields = row_fields(report_range)
    names = agent_names(db, counts) if report_range.group_by == "agent" else {}

    def row(group, now, previous):
        current = figures(*now, service_level_s)
        values = {"group": group, **current, **names.get(group, dict.fromkeys(AGENT_FIELDS))}
        if report_range.compare:
            before = figures(*(previous or (NO_CALLS, [])), service_level_s)
            values.update(changes(current, before, COMPARED_FIGURES))
        return rounded({field: values[field] for field in fields})

    overall = row("all", now_overall, then_overall)
    if not report_range.group_by:
        return [overall], overall
    groups = [
        row(group, (group_counts, waits.get(group, [])), then.get(group))
        for group, group_counts in counts.items()
    ]
    return groups, overall
