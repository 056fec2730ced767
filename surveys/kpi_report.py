"""Ticket KPIs for a range of closures, aggregated in SQL, finished by `kpis`."""

from surveys.kpis import compliance_pct, lateness_pct, tickets_per_agent
from surveys.scoring import percentage

# Fixed SQL fragments chosen by name; user input never reaches the SQL text.
GROUP_EXPRESSIONS = {
    None: "'all'",
    "agent": "coalesce(agents.email, agents.name)",
    "team": "teams.name",
    "channel": "tickets.channel",
    "month": "substr(tickets.closed_day, 1, 7)",
}

# The public ROW of /api/v1/kpis and /reports/kpis.csv, in order.
ROW_FIELDS = ("group", "tickets", "frt_n", "frt_median_h", "frt_mean_h", "frt_target_h",
              "frt_compliance_pct", "frt_lateness_pct", "resolution_median_h",
              "resolution_mean_h", "fcr_pct", "escalation_pct", "reopen_pct", "repeat_pct")

# One row per closure in range, with its durations in hours (julianday differences).
CLOSURES_SQL = """
WITH closures AS (
    SELECT {group} AS grp, tickets.agent_id,
           (julianday(tickets.first_response_at) - julianday(tickets.opened_at)) * 24
               AS frt_h,
           (julianday(tickets.closed_at) - julianday(tickets.opened_at)) * 24
               AS resolution_h,
           tickets.contacts, tickets.escalated, tickets.reopened,
           EXISTS (SELECT 1 FROM tickets AS later
                    WHERE later.customer_email = tickets.customer_email
                      AND later.opened_at > tickets.closed_at
                      AND later.opened_at <= strftime('%Y-%m-%dT%H:%M:%SZ',
                                                      tickets.closed_at, :repeat_window)
                  ) AS repeated
      FROM tickets
      LEFT JOIN agents ON agents.id = tickets.agent_id
      LEFT JOIN teams ON teams.id = tickets.team_id
     WHERE tickets.closed_day BETWEEN :from_day AND :to_day {filters})
"""

COUNTS_SQL = CLOSURES_SQL + """
SELECT grp, count(*) AS tickets, count(DISTINCT agent_id) AS agents,
       count(frt_h) AS frt_n, avg(frt_h) AS frt_mean_h,
       count(*) FILTER (WHERE frt_h <= :frt_target_h) AS frt_within,
       count(resolution_h) AS resolution_n, avg(resolution_h) AS resolution_mean_h,
       count(contacts) AS contacts_n, count(*) FILTER (WHERE contacts = 1) AS first_contact,
       count(escalated) AS escalated_n, count(*) FILTER (WHERE escalated = 1) AS escalations,
       count(reopened) AS reopened_n, count(*) FILTER (WHERE reopened = 1) AS reopens,
       count(*) FILTER (WHERE repeated) AS repeats
  FROM closures {group_by}
"""

# The median: the middle value, or the mean of the middle two, found by ranking in SQL.
# {column} is "frt_h" or "resolution_h", never user input.
MEDIAN_SQL = CLOSURES_SQL + """,
ranked AS (
    SELECT grp, {column} AS value,
           row_number() OVER (PARTITION BY grp ORDER BY {column}) AS position,
           count(*) OVER (PARTITION BY grp) AS n
      FROM closures WHERE {column} IS NOT NULL)
SELECT grp, avg(value) AS median FROM ranked
 WHERE position IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp
"""  # noqa: S608

def _medians(db, group_sql, filters, column, params):
    sql = MEDIAN_SQL.format(group=group_sql, filters=filters, column=column)
    return {row["grp"]: row["median"] for row in db.query(sql, params)}


def kpi_row(group, counts, frt_median, resolution_median, frt_target_h):
    """A public ROW from SQL counts and medians, rounded to one decimal."""
    row = {
        "group": group,
        "tickets": counts["tickets"],
        "frt_n": counts["frt_n"],
        "frt_median_h": frt_median,
        "frt_mean_h": counts["frt_mean_h"],
        "frt_target_h": frt_target_h,
        "frt_compliance_pct": compliance_pct(counts["frt_within"], counts["frt_n"]),
        "frt_lateness_pct": lateness_pct(counts["frt_mean_h"], frt_target_h),
        "resolution_median_h": resolution_median,
        "resolution_mean_h": counts["resolution_mean_h"],
        "fcr_pct": percentage(counts["first_contact"], counts["contacts_n"]),
        "escalation_pct": percentage(counts["escalations"], counts["escalated_n"]),
        "reopen_pct": percentage(counts["reopens"], counts["reopened_n"]),
        "repeat_pct": percentage(counts["repeats"], counts["tickets"]),
    }
    return {key: round(value, 1) if isinstance(value, float) else value
            for key, value in row.items()}


def kpi_groups(db, report_range, frt_target_h, repeat_window_days):
    """Ticket KPIs per group and overall, as (groups, overall, tickets_per_agent)."""
    filters, filter_params = report_range.filter_sql("tickets")
    params = {"from_day": report_range.from_day.isoformat(),
              "to_day": report_range.to_day.isoformat(), "frt_target_h": frt_target_h,
              "repeat_window": f"+{int(repeat_window_days)} days", **filter_params}
    results = {}
    for grouping in {report_range.group_by, None}:
        group_sql = GROUP_EXPRESSIONS[grouping]
        group_by = "GROUP BY grp ORDER BY grp" if grouping else ""
        frt = _medians(db, group_sql, filters, "frt_h", params)
        resolution = _medians(db, group_sql, filters, "resolution_h", params)
        results[grouping] = [
            (kpi_row(counts["grp"], counts, frt.get(counts["grp"]),
                     resolution.get(counts["grp"]), frt_target_h), counts["agents"])
            for counts in db.query(COUNTS_SQL.format(group=group_sql, filters=filters,
                                                     group_by=group_by), params)
        ]
    [(overall, agents)] = results[None]
    groups = [row for row, _ in results[report_range.group_by]]
    return groups, overall, tickets_per_agent(overall["tickets"], agents)
