"""Survey scores for a range of ticket closures, read from the rollups, finished by `scoring`."""

from dataclasses import dataclass, replace

from surveys import clock
from surveys.errors import RangeError
from surveys.reports.scoring import AnswerCounts, summarise
from surveys.scales import SCALES
from surveys.store.rollups import SURVEY_COUNTS

GROUPINGS = ("agent", "team", "channel", "month")
MAX_FILTER_VALUES = 50

# Fixed SQL fragments chosen by name; user input never reaches the SQL text.
GROUP_EXPRESSIONS = {
    None: "'all'",
    "agent": "coalesce(agents.email, agents.name)",
    "team": "teams.name",
    "channel": "nullif(survey_rollups.channel, '')",
    "month": "substr(survey_rollups.day, 1, 7)",
}

# The public ROW of SPEC.md, in order; the CSV header and the JSON keys.
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


# How a filter's values (bound parameters) pick the ids or channels of rows: the SQL
# around the list, and each value's part of the list. An agent is shown by email, else by
# name, and known by the same (`identity`, see tickets.agent_id_for), so the agents a
# shown name stands for are found through that unique index.
FILTER_LOOKUPS = {
    "agent_id": (
        "SELECT id FROM agents WHERE identity IN ({})",
        "'email:' || {value}, 'name:' || {value}",
    ),
    "team_id": ("SELECT id FROM teams WHERE name IN ({})", "{value}"),
    "channel": ("{}", "{value}"),
}


@dataclass(frozen=True)
class ReportRange:
    """Which closures a report covers (both days inclusive) and how it groups them."""

    from_day: object
    to_day: object
    group_by: str | None
    agents: tuple = ()
    teams: tuple = ()
    channels: tuple = ()

    def filter_sql(self, table):
        """An SQL condition (and its parameters) for the agent, team and channel filters.

        `table` (a table or alias with agent_id, team_id and channel columns) is a fixed
        name, never user input; the filter values are bound parameters. Agents and teams
        are picked by id, so the rows need no join to be filtered.
        """
        conditions, params = [], {}
        for column, values in (
            ("agent_id", self.agents),
            ("team_id", self.teams),
            ("channel", self.channels),
        ):
            if values:
                names = [f"filter_{len(params) + index}" for index in range(len(values))]
                params.update(zip(names, values, strict=True))
                lookup, each = FILTER_LOOKUPS[column]
                listed = lookup.format(", ".join(each.format(value=":" + name) for name in names))
                conditions.append(f"{table}.{column} IN ({listed})")
        return "".join(f" AND {condition}" for condition in conditions), params

    def query_args(self):
        """The parameters that reproduce this view in a URL (bookmarks, downloads)."""
        args = {"from": self.from_day.isoformat(), "to": self.to_day.isoformat()}
        if self.group_by:
            args["group_by"] = self.group_by
        for name, values in (
            ("agent", self.agents),
            ("team", self.teams),
            ("channel", self.channels),
        ):
            if values:
                args[name] = list(values)
        return args


def default_from(to_day):
    """The first day of the month eleven months before `to`: a year of months."""
    month_index = to_day.year * 12 + to_day.month - 1 - 11
    return to_day.replace(year=month_index // 12, month=month_index % 12 + 1, day=1)


def parse_range(args, timezone_name):
    """Read from, to and group_by (SPEC.md); RangeError with a message per parameter."""
    errors = {}
    to_day = from_day = None
    try:
        to_day = clock.parse_day(args["to"]) if args.get("to") else clock.today(timezone_name)
    except ValueError as error:
        errors["to"] = str(error)
    try:
        if args.get("from"):
            from_day = clock.parse_day(args["from"])
        elif to_day:
            from_day = default_from(to_day)
    except ValueError as error:
        errors["from"] = str(error)
    group_by = args.get("group_by") or None
    if group_by is not None and group_by not in GROUPINGS:
        errors["group_by"] = f"must be one of {', '.join(GROUPINGS)}"
    if from_day and to_day and from_day > to_day:
        errors["from"] = "must not be after to"
    filters = {}
    for name in ("agent", "team", "channel"):
        values = tuple(
            dict.fromkeys(value.strip() for value in getlist(args, name) if value.strip())
        )
        if len(values) > MAX_FILTER_VALUES or any(len(value) > 254 for value in values):
            errors[name] = f"takes at most {MAX_FILTER_VALUES} values of 254 characters"
        filters[name] = values
    if errors:
        raise RangeError(errors)
    return ReportRange(
        from_day,
        to_day,
        group_by,
        agents=filters["agent"],
        teams=filters["team"],
        channels=filters["channel"],
    )


def getlist(args, name):
    """Every value of a repeated query parameter (?agent=a&agent=b), from any mapping."""
    if hasattr(args, "getlist"):
        return args.getlist(name)
    value = args.get(name)
    return [value] if value else []


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
    """A public survey-score ROW (SPEC.md)."""
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
