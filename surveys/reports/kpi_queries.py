"""Ticket KPIs for a range of closures, read from the rollups, finished by `kpis`."""

from surveys.reports.kpis import (
    compliance_pct,
    count_at_most,
    histogram_median,
    lateness_pct,
    merge_histograms,
    tickets_per_agent,
)
from surveys.reports.scoring import percentage
from surveys.store.rollups import MEASURES, TICKET_COUNTS, bucket_middle, histogram_spans

# Fixed SQL fragments chosen by name; user input never reaches the SQL text. Rows are
# summed per key (ids, a channel, a month) first, then the few sums are named.
GROUP_KEYS = {
    None: "''",
    "agent": "agent_id",
    "team": "team_id",
    "channel": "channel",
    "month": "substr({day}, 1, 7)",
}
GROUP_NAMES = {
    None: ("'all'", ""),
    "agent": ("coalesce(agents.email, agents.name)", "LEFT JOIN agents ON agents.id = keyed.key"),
    "team": ("teams.name", "LEFT JOIN teams ON teams.id = keyed.key"),
    "channel": ("nullif(keyed.key, '')", ""),
    "month": ("keyed.key", ""),
}

# The public ROW of /api/v1/kpis and /reports/kpis.csv, in order.
ROW_FIELDS = (
    "group",
    "tickets",
    "frt_n",
    "frt_median_h",
    "frt_mean_h",
    "frt_target_h",
    "frt_compliance_pct",
    "frt_lateness_pct",
    "resolution_median_h",
    "resolution_mean_h",
    "fcr_pct",
    "escalation_pct",
    "reopen_pct",
    "repeat_pct",
)

COUNTS_SQL = f"""
WITH keyed AS (
    SELECT {{key}} AS key, {", ".join(f"sum({column}) AS {column}" for column in TICKET_COUNTS)}
      FROM ticket_rollups
     WHERE day BETWEEN :from_day AND :to_day {{filters}}
     GROUP BY key)
SELECT {{name}} AS grp, {", ".join(f"sum({column}) AS {column}" for column in TICKET_COUNTS)}
  FROM keyed {{join}}
 GROUP BY grp ORDER BY grp
"""  # noqa: S608 (fixed column names)

AGENTS_SQL = """
SELECT count(DISTINCT agent_id) AS agents
  FROM ticket_rollups
 WHERE day BETWEEN :from_day AND :to_day AND agent_id != 0 {filters}
"""

# Whole months from the month rows, the days either side from the day rows; each part
# a range of the primary key (grain, period, ...). {histograms} is duration_rollups, or
# agent_duration_rollups (channels merged) when no channel is asked about.
HISTOGRAM_SQL = """
WITH histograms AS (
    SELECT * FROM {histograms}
     WHERE grain = 'month' AND period BETWEEN :first_month AND :last_month
    UNION ALL
    SELECT * FROM {histograms}
     WHERE grain = 'day' AND period BETWEEN :head_from AND :head_to
    UNION ALL
    SELECT * FROM {histograms}
     WHERE grain = 'day' AND period BETWEEN :tail_from AND :tail_to),
keyed AS (
    SELECT {key} AS key, measure, bucket, sum(n) AS n
      FROM histograms
     WHERE true {filters}
     GROUP BY key, measure, bucket)
SELECT {name} AS grp, measure, bucket, sum(n) AS n
  FROM keyed {join}
 GROUP BY grp, measure, bucket ORDER BY grp, measure, bucket
"""  # noqa: S608 (fixed SQL fragments)


def kpi_sql(template, grouping, day, filters, histograms="duration_rollups"):
    """One of the SQL templates above, for a grouping; `day` names the rows' day column."""
    name, join = GROUP_NAMES[grouping]
    return template.format(
        key=GROUP_KEYS[grouping].format(day=day),
        name=name,
        join=join,
        filters=filters,
        histograms=histograms,
    )


def _hours(seconds, n):
    return seconds / n / 3600 if n else None


def kpi_row(group, counts, histograms, frt_target_h):
    """A public ROW from summed counts and the group's histograms, rounded to one decimal."""
    frt = histograms.get("frt", [])
    resolution = histograms.get("resolution", [])
    frt_mean_h = _hours(counts["frt_seconds"], counts["frt_n"])
    row = {
        "group": group,
        "tickets": counts["tickets"],
        "frt_n": counts["frt_n"],
        "frt_median_h": _median_hours(frt),
        "frt_mean_h": frt_mean_h,
        "frt_target_h": frt_target_h,
        "frt_compliance_pct": compliance_pct(
            count_at_most(frt, round(frt_target_h * 3600)), counts["frt_n"]
        ),
        "frt_lateness_pct": lateness_pct(frt_mean_h, frt_target_h),
        "resolution_median_h": _median_hours(resolution),
        "resolution_mean_h": _hours(counts["resolution_seconds"], counts["resolution_n"]),
        "fcr_pct": percentage(counts["first_contact"], counts["contacts_n"]),
        "escalation_pct": percentage(counts["escalations"], counts["escalated_n"]),
        "reopen_pct": percentage(counts["reopens"], counts["reopened_n"]),
        "repeat_pct": percentage(counts["repeats"], counts["tickets"]),
    }
    return {
        key: round(value, 1) if isinstance(value, float) else value for key, value in row.items()
    }


def _median_hours(buckets):
    middle = histogram_median([(bucket_middle(bucket), n) for bucket, n in buckets])
    return None if middle is None else middle / 3600


def kpi_groups(db, report_range, frt_target_h, group_frt_targets=None):
    """Ticket KPIs per group and overall, as (groups, overall, tickets_per_agent).

    FRT compliance and lateness are against `frt_target_h`, or a group's own standard in
    `group_frt_targets` ({group: hours}).

    Read from the rollups: counts are exact; medians come from the duration histograms
    (see surveys.store.rollups for their error).
    """
    grouping = report_range.group_by
    params = {
        "from_day": report_range.from_day.isoformat(),
        "to_day": report_range.to_day.isoformat(),
    }
    months, head, tail = histogram_spans(report_range.from_day, report_range.to_day)
    params.update(
        first_month=months[0],
        last_month=months[1],
        head_from=head[0],
        head_to=head[1],
        tail_from=tail[0],
        tail_to=tail[1],
    )

    filters, filter_params = report_range.filter_sql("ticket_rollups")
    params.update(filter_params)
    counts = {
        row["grp"]: row for row in db.query(kpi_sql(COUNTS_SQL, grouping, "day", filters), params)
    }
    [agents] = db.query(kpi_sql(AGENTS_SQL, None, "day", filters), params)

    filters, _ = report_range.filter_sql("histograms")  # the same parameters, named alike
    by_channel = grouping == "channel" or bool(report_range.channels)
    histogram_sql = kpi_sql(
        HISTOGRAM_SQL,
        grouping,
        "period",
        filters,
        "duration_rollups" if by_channel else "agent_duration_rollups",
    )
    histograms = {}
    for row in db.query(histogram_sql, params):
        measures = histograms.setdefault(row["grp"], {})
        measures.setdefault(row["measure"], []).append((row["bucket"], row["n"]))

    overall_counts = {
        column: sum(group[column] for group in counts.values()) for column in TICKET_COUNTS
    }
    overall_histograms = {
        measure: merge_histograms(group.get(measure, []) for group in histograms.values())
        for measure in MEASURES
    }
    overall = kpi_row("all", overall_counts, overall_histograms, frt_target_h)
    group_frt_targets = group_frt_targets or {}
    groups = (
        [
            kpi_row(
                group, row, histograms.get(group, {}), group_frt_targets.get(group, frt_target_h)
            )
            for group, row in counts.items()
        ]
        if grouping
        else [overall]
    )
    return groups, overall, tickets_per_agent(overall["tickets"], agents["agents"])
