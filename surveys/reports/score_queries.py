"""Survey scores for a range of ticket closures, read from the rollups, finished by `scoring`."""

from dataclasses import replace

from surveys.reports.changes import CHANGED_SCORES, score_changes
from surveys.reports.ranges import AGENT_FIELDS, agent_names, in_order
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

# With a comparison period, each compared score gains these fields, after the ROW's own.
CHANGE_SUFFIXES = ("_prev", "_change", "_change_low", "_change_high", "_change_significant")
COMPARE_FIELDS = tuple(f"{name}{suffix}" for name in CHANGED_SCORES for suffix in CHANGE_SUFFIXES)

# A score's previous value, change and the change's interval are rounded like the score.
ROUNDED_LIKE_THE_SCORE = CHANGE_SUFFIXES[:4]
ONE_DECIMAL = {
    "response_rate",
    "csat_pct",
    "csat_low",
    "csat_high",
    "ces_agree_pct",
    "nps",
    "nps_low",
    "nps_high",
    *(
        f"{name}{suffix}"
        for name in ("response_rate", "csat_pct", "nps")
        for suffix in ROUNDED_LIKE_THE_SCORE
    ),
}
TWO_DECIMALS = {
    "csat_mean",
    "ces_mean",
    *(f"ces_mean{suffix}" for suffix in ROUNDED_LIKE_THE_SCORE),
}

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
        # + 0.0 turns a rounded −0.0 (a tiny negative change) into 0.0.
        if value is not None and field in one_decimal:
            value = round(value, 1) + 0.0
        elif value is not None and field in two_decimals:
            value = round(value, 2) + 0.0
        row[field] = value
    return row


def format_row(group, scores, fields=ROW_FIELDS):
    """A public survey-score ROW, rounded."""
    return rounded_row(fields, group, scores, ONE_DECIMAL, TWO_DECIMALS)


def row_fields(report_range):
    """The fields of this report's ROWs, in order: the agent's after `group` when grouped
    by agent, and each compared score's change at the end when compared."""
    fields = list(ROW_FIELDS)
    if report_range.group_by == "agent":
        fields[1:1] = AGENT_FIELDS
    if report_range.compare:
        fields.extend(COMPARE_FIELDS)
    return tuple(fields)


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
    unrounded scores (with the CES interval) for the dashboard. With a comparison period,
    every ROW carries each compared score's previous value and change, and a group found
    only in the comparison period is listed with empty current figures.
    """
    sums, overall_sums = summed_counts(db, report_range)
    counts = {group: answer_counts(row) for group, row in sums.items()}
    then, then_overall = {}, None
    if report_range.compare:
        then, then_overall = comparison_counts(db, report_range)
        counts = {group: counts.get(group, AnswerCounts()) for group in in_order({*counts, *then})}
    details = {group: summarise(group_counts) for group, group_counts in counts.items()}
    details["all"] = summarise(answer_counts(overall_sums))
    fields = row_fields(report_range)
    agents = agent_names(db, counts) if report_range.group_by == "agent" else {}

    def row(group, scores, now, previous):
        values = dict(scores, **agents.get(group, dict.fromkeys(AGENT_FIELDS)))
        if report_range.compare:
            values.update(change_values(now, previous or AnswerCounts()))
        return format_row(group, values, fields)

    overall = row("all", details["all"], answer_counts(overall_sums), then_overall)
    groups = (
        [row(group, details[group], counts[group], then.get(group)) for group in counts]
        if report_range.group_by
        else [overall]
    )
    return groups, overall, details


def comparison_counts(db, report_range):
    """The comparison period's AnswerCounts per group of this report they pair with, and
    overall (the whole comparison period's)."""
    paired_range, partner = report_range.paired()
    groups, overall = summed_counts(db, paired_range)
    compared = report_range.compared()
    if (paired_range.from_day, paired_range.to_day) != (compared.from_day, compared.to_day):
        # Months compared with the months before them: the range as a whole is compared
        # with the days just before it, which these months do not cover.
        _, overall = summed_counts(db, replace(compared, group_by=None))
    paired = {partner(group): answer_counts(row) for group, row in groups.items()}
    return paired, answer_counts(overall)


def change_values(now, then):
    """Each compared score's previous value, change, its 95 % interval and whether the
    change is more than noise (None where either period lacks the answers)."""
    previous = summarise(then)
    values = {}
    for name, change in score_changes(now, then).items():
        values[f"{name}_prev"] = previous[name]
        values[f"{name}_change"] = change.change if change else None
        values[f"{name}_change_low"] = change.low if change else None
        values[f"{name}_change_high"] = change.high if change else None
        values[f"{name}_change_significant"] = change.significant if change else None
    return values


# One row per response, for the drill-down and the raw download.
RESPONSE_FIELDS = (
    "answered_at",
    "closed_day",
    "ticket_id",
    "agent",
    "agent_name",
    "team",
    "channel",
    "csat",
    "ces",
    "nps",
    "comment",
)

# The download's columns (RESPONSE_FIELDS); the comment search's download reads them too.
RESPONSE_COLUMNS = """
       responses.updated_at AS answered_at, invitations.closed_day,
       tickets.ticket_ref AS ticket_id, coalesce(agents.email, agents.name) AS agent,
       agents.name AS agent_name, teams.name AS team, invitations.channel, responses.csat,
       responses.ces, responses.nps, responses.comment"""

RESPONSES_SQL = (
    "SELECT"
    + RESPONSE_COLUMNS
    + """
  FROM responses
  JOIN invitations ON invitations.id = responses.invitation_id
  JOIN tickets ON tickets.id = invitations.ticket_id
  LEFT JOIN agents ON agents.id = invitations.agent_id
  LEFT JOIN teams ON teams.id = invitations.team_id
 WHERE invitations.closed_day BETWEEN :from_day AND :to_day {filters} {low} {comment}
 ORDER BY invitations.closed_day DESC, responses.id DESC {limit}
"""
)

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
