"""Ticket KPIs for a range of closures, read from the rollups, finished by `kpis`."""

from dataclasses import replace

from surveys import clock
from surveys.reports.kpis import (
    aht_minutes,
    compliance_pct,
    count_at_most,
    histogram_median,
    lateness_pct,
    merge_histograms,
    tickets_per_agent,
    tickets_per_agent_day,
)
from surveys.reports.ranges import AGENT_FIELDS, agent_names, in_order
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

# The working days when a caller names none: the default of WORKING_DAYS.
WORKING_WEEKDAYS = clock.parse_weekdays("mon,tue,wed,thu,fri")

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
    "tickets_per_agent_day",
    "aht_min",
)


def compared_figures(row_fields, standard):
    """The figures of a ROW a comparison adds a previous value and a change to: all but
    `group` and the standard (`standard`, a field) they are judged by."""
    return tuple(field for field in row_fields if field not in ("group", standard))


def compare_fields(figures):
    """The fields a compared ROW gains after its own: each figure's _prev and _change."""
    return tuple(f"{name}{suffix}" for name in figures for suffix in ("_prev", "_change"))


# Compared, every figure (not the standard it is judged by) gains its value in the
# comparison period and its change, after the ROW's own fields.
COMPARED_FIGURES = compared_figures(ROW_FIELDS, "frt_target_h")
COMPARE_FIELDS = compare_fields(COMPARED_FIGURES)

# `agents`: the agents who closed any of a group's tickets. Each key's agents are distinct
# from another key's of the same name (names are unique but for agents shown alike, whose
# keys are their own ids), so the named groups' agents are the sum.
COUNTS_SQL = f"""
WITH keyed AS (
    SELECT {{key}} AS key, {", ".join(f"sum({column}) AS {column}" for column in TICKET_COUNTS)},
           count(DISTINCT nullif(agent_id, 0)) AS agents
      FROM ticket_rollups
     WHERE day BETWEEN :from_day AND :to_day {{filters}}
     GROUP BY key)
SELECT {{name}} AS grp, {", ".join(f"sum({column}) AS {column}" for column in TICKET_COUNTS)},
       sum(agents) AS agents
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


def kpi_figures(counts, histograms, frt_target_h):
    """Every figure of a KPI ROW but its group, unrounded, from summed counts and the
    group's histograms (counts carry `agents` and `working_days` beside TICKET_COUNTS;
    without them, tickets per agent per day is None)."""
    frt = histograms.get("frt", [])
    resolution = histograms.get("resolution", [])
    frt_mean_h = _hours(counts["frt_seconds"], counts["frt_n"])
    return {
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
        "tickets_per_agent_day": tickets_per_agent_day(
            counts["tickets"], counts.get("agents", 0), counts.get("working_days", 0)
        ),
        "aht_min": aht_minutes(counts["handle_seconds"], counts["handle_n"]),
    }


def rounded(row):
    """A ROW with every fraction rounded to one decimal (counts stay whole); + 0.0 turns a
    rounded −0.0 (a tiny negative change) into 0.0."""
    return {
        key: round(value, 1) + 0.0 if isinstance(value, float) else value
        for key, value in row.items()
    }


def kpi_row(group, counts, histograms, frt_target_h):
    """A public ROW from summed counts and the group's histograms, rounded to one decimal."""
    return rounded({"group": group, **kpi_figures(counts, histograms, frt_target_h)})


def _median_hours(buckets):
    middle = histogram_median([(bucket_middle(bucket), n) for bucket, n in buckets])
    return None if middle is None else middle / 3600


def row_fields(report_range, own=ROW_FIELDS, compared=COMPARE_FIELDS):
    """The fields of this report's KPI ROWs (`own`, ticket KPIs unless named), in order:
    the agent's after `group` when grouped by agent, and each figure's previous value and
    change (`compared`) at the end when compared."""
    fields = list(own)
    if report_range.group_by == "agent":
        fields[1:1] = AGENT_FIELDS
    if report_range.compare:
        fields.extend(compared)
    return tuple(fields)


def config_weekdays(config):
    """The working days WORKING_DAYS names, as date.weekday() numbers."""
    return clock.parse_weekdays(config["WORKING_DAYS"])


def working_days(report_range, group, weekdays):
    """The working days (`weekdays`, date.weekday() numbers) a group's closures fall in:
    its month's within the range when grouped by month, else the range's."""
    first, last = report_range.from_day, report_range.to_day
    if report_range.group_by == "month" and group:
        month_first, month_last = (clock.parse_day(day) for day in clock.period_days(group))
        first, last = max(first, month_first), min(last, month_last)
    return clock.count_weekdays(first, last, weekdays)


def range_params(report_range):
    """The days, and the months and days either side the histograms are read from."""
    months, head, tail = histogram_spans(report_range.from_day, report_range.to_day)
    return {
        "from_day": report_range.from_day.isoformat(),
        "to_day": report_range.to_day.isoformat(),
        "first_month": months[0],
        "last_month": months[1],
        "head_from": head[0],
        "head_to": head[1],
        "tail_from": tail[0],
        "tail_to": tail[1],
    }


def kpi_sums(db, report_range, weekdays=WORKING_WEEKDAYS):
    """The rollups summed for a range: (counts per group, histograms per group, agents).

    Histograms are {group: {measure: [(bucket, n), ...]}}; each group's counts carry its
    `agents` and `working_days`; `agents` counts the agents who closed any ticket in the
    range (all groups together).
    """
    grouping = report_range.group_by
    params = range_params(report_range)
    filters, filter_params = report_range.filter_sql("ticket_rollups")
    params.update(filter_params)
    counts = {
        row.pop("grp"): row
        for row in db.query(kpi_sql(COUNTS_SQL, grouping, "day", filters), params)
    }
    for group, row in counts.items():
        row["working_days"] = working_days(report_range, group, weekdays)
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
    return counts, histograms, agents["agents"]


def overall_sums(counts, histograms, agents=0, days=0):
    """The counts and histograms of all groups together, with the range's `agents` (who
    closed any) and working `days`."""
    summed = {column: sum(group[column] for group in counts.values()) for column in TICKET_COUNTS}
    return (
        dict(summed, agents=agents, working_days=days),
        {
            measure: merge_histograms(group.get(measure, []) for group in histograms.values())
            for measure in MEASURES
        },
    )


def range_overall(db, report_range, weekdays):
    """overall_sums of a whole range, read afresh."""
    counts, histograms, agents = kpi_sums(db, replace(report_range, group_by=None), weekdays)
    days = working_days(report_range, None, weekdays)
    return overall_sums(counts, histograms, agents, days)


def comparison_sums(db, report_range, weekdays=WORKING_WEEKDAYS):
    """The comparison period's (counts, histograms) per group of this report they pair
    with, and overall (the whole comparison period's)."""
    paired_range, partner = report_range.paired()
    counts, histograms, agents = kpi_sums(db, paired_range, weekdays)
    compared = report_range.compared()
    overall = overall_sums(counts, histograms, agents, working_days(compared, None, weekdays))
    if (paired_range.from_day, paired_range.to_day) != (compared.from_day, compared.to_day):
        # Months compared with the months before them: the range as a whole is compared
        # with the days just before it, which these months do not cover.
        overall = range_overall(db, compared, weekdays)
    paired = {partner(group): (row, histograms.get(group, {})) for group, row in counts.items()}
    return paired, overall


NO_TICKETS = dict.fromkeys((*TICKET_COUNTS, "agents", "working_days"), 0)


def kpi_groups(db, report_range, frt_target_h, group_frt_targets=None, weekdays=WORKING_WEEKDAYS):
    """Ticket KPIs per group and overall, as (groups, overall, tickets_per_agent).

    FRT compliance and lateness are against `frt_target_h`, or a group's own standard in
    `group_frt_targets` ({group: hours}), in both periods when compared. With a
    comparison period, every ROW carries each figure's previous value and change, and a
    group found only in the comparison period is listed with empty current figures.

    Read from the rollups: counts are exact; medians come from the duration histograms
    (see surveys.store.rollups for their error). Tickets per agent per day count the
    working `weekdays` (date.weekday() numbers; WORKING_DAYS).
    """
    counts, histograms, agents = kpi_sums(db, report_range, weekdays)
    now_overall = overall_sums(
        counts, histograms, agents, working_days(report_range, None, weekdays)
    )
    then, then_overall = {}, None
    if report_range.compare:
        then, then_overall = comparison_sums(db, report_range, weekdays)
        counts = {group: counts.get(group, NO_TICKETS) for group in in_order({*counts, *then})}
    fields = row_fields(report_range)
    names = agent_names(db, counts) if report_range.group_by == "agent" else {}
    group_frt_targets = group_frt_targets or {}

    def row(group, now, previous, target):
        figures = kpi_figures(*now, target)
        values = {"group": group, **figures, **names.get(group, dict.fromkeys(AGENT_FIELDS))}
        if report_range.compare:
            before = kpi_figures(*(previous or (NO_TICKETS, {})), target)
            values.update(changes(figures, before, COMPARED_FIGURES))
        return rounded({field: values[field] for field in fields})

    overall = row("all", now_overall, then_overall, frt_target_h)
    groups = (
        [
            row(
                group,
                (group_counts, histograms.get(group, {})),
                then.get(group),
                group_frt_targets.get(group, frt_target_h),
            )
            for group, group_counts in counts.items()
        ]
        if report_range.group_by
        else [overall]
    )
    return groups, overall, tickets_per_agent(overall["tickets"], agents)


def changes(now, then, figures):
    """Each of `figures` in the comparison period (`then`), and its change since."""
    values = {}
    for name in figures:
        values[f"{name}_prev"] = then[name]
        values[f"{name}_change"] = difference(now[name], then[name])
    return values


def difference(now, then):
    """now − then, or None when either is missing."""
    if now is None or then is None:
        return None
    return now - then
