"""Survey scores for a range of ticket closures, read from the rollups, finished by `scoring`."""

from dataclasses import replace

from surveys.reports.scoring import AnswerCounts, summarise
from surveys.scales import SCALES
from surveys.store.rollups import SURVEY_COUNTS

# Fixed SQL fragments chosen by name; user input never reaches the SQL text.
GROUP_EXPRESSIONS = {
    None: "'all'",
    "agent": "coalesce(agents.email, agents.name)",
    "team": "teams.name",
    "channel": "nullif(survey_rollups.channel, '')",
    "month": "substr(survey_rollups.day, 1, 7)",
}

# The public ROW (docs/api.md), in order; the CSV header and the JSON keys.
ROW_FIELDS = (
    "group",
    "invitations_sent",
    "responses",
    "response_rate",
    "csat_n",
    "csat_pct",
    "csat_low",
    "csat_high",
    "csat_mean",
    "ces_n",
    "ces_mean",
    "ces_agree_pct",
    "nps_n",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "nps_low",
    "nps_high",
)

ONE_DECIMAL = {
    "response_rate",
    "csat_pct",
    "csat_low",
    "csat_high",
    "ces_agree_pct",
    "nps",
    "nps_low",
    "nps_high",
}
TWO_DECIMALS = {"csat_mean", "ces_mean"}

COUNTS_SQL = f"""
SELECT {{group}} AS grp, {", ".join(f"sum({column}) AS {column}" for column in SURVEY_COUNTS)}
  FROM survey_rollups
  LEFT JOIN agents ON agents.id = survey_rollups.agent_id
  LEFT JOIN teams ON teams.id = survey_rollups.team_id
 WHERE survey_rollups.day BETWEEN :from_day AND :to_day {{filters}}
 GROUP BY grp ORDER BY grp
"""  # noqa: S608 (fixed column names)


def rounded_row(fields, name, scores, one_decimal, two_decimals):
    """A public ROW: `fields` in order, the first one holding `name`, the scores rounded
    (one or two decimals), None where there is nothing to count."""
    row = {fields[0]: name}
    for field in fields[1:]:
        value = scores[field]
        if value is not None and field in one_decimal:
            value = round(value, 1)
        elif value is not None and field in two_decimals:
            value = round(value, 2)
        row[field] = value
    return row


def format_row(group, scores):
    """A public survey-score ROW, rounded."""
    return rounded_row(ROW_FIELDS, group, scores, ONE_DECIMAL, TWO_DECIMALS)


def answer_counts(sums):
    """What `summarise` needs, from the summed rollup columns of a group."""
    csat, ces, nps = (
        {value: sums[f"{kind}_{value}"] for value in values} for kind, values in SCALES.items()
    )
    return AnswerCounts(
        invitations_sent=sums["invitations_sent"],
        responses=sums["responses"],
        csat_n=sum(csat.values()),
        csat_satisfied=csat[4] + csat[5],
        csat_sum=sum(value * n for value, n in csat.items()),
        ces_n=sum(ces.values()),
        ces_sum=sum(value * n for value, n in ces.items()),
        ces_sum_of_squares=sum(value * value * n for value, n in ces.items()),
        ces_agree=sum(n for value, n in ces.items() if value >= 5),
        promoters=nps[9] + nps[10],
        passives=nps[7] + nps[8],
        detractors=sum(n for value, n in nps.items() if value <= 6),
    )


def summed_counts(db, report_range):
    """The rollup columns summed per group ({group: {column: n}}) and overall."""
    filters, filter_params = report_range.filter_sql("survey_rollups")
    sql = COUNTS_SQL.format(group=GROUP_EXPRESSIONS[report_range.group_by], filters=filters)
    groups = {
        row.pop("grp"): row
        for row in db.query(
            sql,
            {
                "from_day": report_range.from_day.isoformat(),
                "to_day": report_range.to_day.isoformat(),
                **filter_params,
            },
        )
    }
    overall = {column: sum(group[column] for group in groups.values()) for column in SURVEY_COUNTS}
    return groups, overall


def score_groups(db, report_range):
    """Scores per group and overall, as (groups, overall, details).

    `groups` and `overall` are public ROWs; `details` maps each group name to the
    unrounded scores (with the CES interval) for the dashboard.
    """
    sums, overall_sums = summed_counts(db, report_range)
    details = {group: summarise(answer_counts(row)) for group, row in sums.items()}
    details["all"] = summarise(answer_counts(overall_sums))
    overall = format_row("all", details["all"])
    groups = (
        [format_row(group, details[group]) for group in sums]
        if report_range.group_by
        else [overall]
    )
    return groups, overall, details


# One row per response, for the drill-down and the raw download.
RESPONSE_FIELDS = (
    "answered_at",
    "closed_day",
    "ticket_id",
    "agent",
    "team",
    "channel",
    "csat",
    "ces",
    "nps",
    "comment",
)

RESPONSES_SQL = """
SELECT responses.updated_at AS answered_at, invitations.closed_day,
       tickets.ticket_ref AS ticket_id, coalesce(agents.email, agents.name) AS agent,
       teams.name AS team, invitations.channel, responses.csat, responses.ces,
       responses.nps, responses.comment
  FROM responses
  JOIN invitations ON invitations.id = responses.invitation_id
  JOIN tickets ON tickets.id = invitations.ticket_id
  LEFT JOIN agents ON agents.id = invitations.agent_id
  LEFT JOIN teams ON teams.id = invitations.team_id
 WHERE invitations.closed_day BETWEEN :from_day AND :to_day {filters} {low} {comment}
 ORDER BY invitations.closed_day DESC, responses.id DESC {limit}
"""

# A low rating: dissatisfied (CSAT 1–2), hard going (CES 1–3) or a detractor (NPS 0–6).
LOW_SQL = "AND (responses.csat <= 2 OR responses.ces <= 3 OR responses.nps <= 6)"


def response_rows(db, report_range, low_only=False, with_comment=False, limit=None):
    """The responses to the closures in range, newest first, read lazily from SQLite."""
    filters, params = report_range.filter_sql("invitations")
    params.update(
        from_day=report_range.from_day.isoformat(), to_day=report_range.to_day.isoformat()
    )
    sql = RESPONSES_SQL.format(
        filters=filters,
        low=LOW_SQL if low_only else "",
        comment="AND responses.comment IS NOT NULL" if with_comment else "",
        limit=f"LIMIT {int(limit)}" if limit else "",
    )
    return db.query(sql, params)


def answer_distribution(db, report_range):
    """How many answers each score got, per question: {"csat": {5: 12, ...}, ...}."""
    _, sums = summed_counts(db, replace(report_range, group_by=None))
    return {
        kind: {value: sums[f"{kind}_{value}"] for value in values if sums[f"{kind}_{value}"]}
        for kind, values in SCALES.items()
    }
