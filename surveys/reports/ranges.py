"""The report range every report and API shares: which closing days (free dates or a
preset), grouped how, narrowed to which agents, teams and channels, compared with which
period; read from a request, turned into SQL conditions."""

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from surveys import clock
from surveys.errors import RangeError

GROUPINGS = ("agent", "team", "channel", "month")
MAX_FILTER_VALUES = 50


def quarter_start(day):
    """The first day of the quarter `day` falls in."""
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def last_days(count):
    """The preset of the `count` days ending today."""
    return lambda today: (today - timedelta(days=count - 1), today)


def last_month(today):
    """The whole month before today's."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def last_quarter(today):
    """The whole quarter before today's."""
    last = quarter_start(today) - timedelta(days=1)
    return quarter_start(last), last


# Each preset: its label, and its (first, last) day from today in TIMEZONE. The last N
# days end today, as do this month, this quarter and the year to date; last month and
# last quarter are whole.
PRESETS = {
    "last_7_days": ("Last 7 days", last_days(7)),
    "last_30_days": ("Last 30 days", last_days(30)),
    "last_90_days": ("Last 90 days", last_days(90)),
    "this_month": ("This month", lambda today: (today.replace(day=1), today)),
    "last_month": ("Last month", last_month),
    "this_quarter": ("This quarter", lambda today: (quarter_start(today), today)),
    "last_quarter": ("Last quarter", last_quarter),
    "year_to_date": ("Year to date", lambda today: (today.replace(month=1, day=1), today)),
}

# What a report can be compared with, and how the page says it.
COMPARISONS = {
    "previous": "the previous period",
    "last_year": "the same dates a year earlier",
}


def year_earlier(day):
    """The same date a year earlier; 29 February becomes 28 February."""
    if (day.month, day.day) == (2, 29):
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)


def months_earlier(day, months):
    """The same day `months` months earlier, or that month's last day when it is shorter."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def comparison_days(from_day, to_day, compare):
    """The (first, last) day of the comparison period: the same number of days just before
    the range (`previous`), or the same dates a year earlier (`last_year`)."""
    if compare == "previous":
        days = (to_day - from_day).days + 1
        return from_day - timedelta(days=days), from_day - timedelta(days=1)
    return year_earlier(from_day), year_earlier(to_day)


# How a filter's values (bound parameters) pick the ids or channels of rows: the SQL
# around the list, and each value's part of the list. An agent is shown by email, else by
# name, and known by the same (`identity`, see surveys.helpdesk.agents.agent_id_for), so
# the agents a shown name stands for are found through that unique index.
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
    period: str | None = None  # the preset the days came from, kept for links
    compare: str | None = None

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
        """The parameters that reproduce this view in a URL (bookmarks, downloads); a
        preset stays a preset, so a bookmark of the last 30 days moves with the calendar."""
        if self.period:
            args = {"period": self.period}
        else:
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
        if self.compare:
            args["compare"] = self.compare
        return args

    def compared(self):
        """The comparison period as a range of its own (same grouping and filters, no
        comparison of its own), or None when the report compares with nothing."""
        if not self.compare:
            return None
        from_day, to_day = comparison_days(self.from_day, self.to_day, self.compare)
        return replace(self, from_day=from_day, to_day=to_day, period=None, compare=None)

    def narrowed_to(self, group):
        """This report narrowed to one of its teams, channels or months, grouped by agent
        (where a group's row leads); the same days, filters and comparison otherwise."""
        if self.group_by == "team":
            return replace(self, teams=(group,), group_by="agent")
        if self.group_by == "channel":
            return replace(self, channels=(group,), group_by="agent")
        first, last = (clock.parse_day(day) for day in clock.period_days(group))
        return replace(
            self,
            from_day=max(first, self.from_day),
            to_day=min(last, self.to_day),
            period=None,
            group_by="agent",
        )

    def paired(self):
        """(range, partner): the range whose groups pair with this report's groups, and a
        function naming the group of this report each of them pairs with.

        Grouped by month, each month is compared with the same days of the month before
        (or of a year before); other groups pair with the same agent, team or channel in
        the comparison period.
        """
        if self.group_by != "month":
            return self.compared(), lambda group: group
        months = 1 if self.compare == "previous" else 12
        shifted = replace(
            self,
            from_day=months_earlier(self.from_day, months),
            to_day=months_earlier(self.to_day, months),
            period=None,
            compare=None,
        )
        return shifted, lambda month: clock.add_months(month, months)


def default_from(to_day):
    """The first day of the month eleven months before `to`: a year of months."""
    month_index = to_day.year * 12 + to_day.month - 1 - 11
    return to_day.replace(year=month_index // 12, month=month_index % 12 + 1, day=1)


def parse_range(args, timezone_name):
    """Read from and to (or a preset period), group_by, the filters and compare;
    RangeError with a message per parameter."""
    errors = {}
    period = read_choice(args, "period", PRESETS, errors)
    if period and (args.get("from") or args.get("to")):
        errors["period"] = "cannot be combined with from or to"
    from_day, to_day = read_days(args, period, timezone_name, errors)
    group_by = read_choice(args, "group_by", GROUPINGS, errors)
    compare = read_choice(args, "compare", COMPARISONS, errors)
    filters = read_filters(args, errors)
    if errors:
        raise RangeError(errors)
    return ReportRange(
        from_day,
        to_day,
        group_by,
        agents=filters["agent"],
        teams=filters["team"],
        channels=filters["channel"],
        period=period,
        compare=compare,
    )


def read_choice(args, name, choices, errors):
    """A parameter that takes one of a few names (empty means none); an error otherwise."""
    value = args.get(name) or None
    if value is not None and value not in choices:
        errors[name] = f"must be one of {', '.join(choices)}"
        return None
    return value


def read_days(args, period, timezone_name, errors):
    """(from, to): a preset's days in the business's zone, or the from and to given (to
    defaults to today, from to a year of months before it)."""
    if period:
        return PRESETS[period][1](clock.today(timezone_name))
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
    if from_day and to_day and from_day > to_day:
        errors["from"] = "must not be after to"
    return from_day, to_day


def read_filters(args, errors):
    """The agent, team and channel filters: each value trimmed, repeats dropped."""
    filters = {}
    for name in ("agent", "team", "channel"):
        values = tuple(
            dict.fromkeys(value.strip() for value in getlist(args, name) if value.strip())
        )
        if len(values) > MAX_FILTER_VALUES or any(len(value) > 254 for value in values):
            errors[name] = f"takes at most {MAX_FILTER_VALUES} values of 254 characters"
        filters[name] = values
    return filters


def getlist(args, name):
    """Every value of a repeated query parameter (?agent=a&agent=b), from any mapping."""
    if hasattr(args, "getlist"):
        return args.getlist(name)
    value = args.get(name)
    return [value] if value else []


def filter_choices(db):
    """Every agent, team and channel a report can be narrowed to."""
    return {
        "agent": [
            row["name"]
            for row in db.query(
                "SELECT DISTINCT coalesce(email, name) AS name FROM agents ORDER BY 1"
            )
        ],
        "team": [row["name"] for row in db.query("SELECT name FROM teams ORDER BY name")],
        "channel": [row["name"] for row in db.query("SELECT name FROM channels ORDER BY name")],
    }


def in_order(groups):
    """Group names as SQL orders them: the group without a name first, then by text."""
    return sorted(groups, key=lambda group: (group is not None, group or ""))


# Grouped by agent, each ROW names the agent after `group`.
AGENT_FIELDS = ("agent_id", "agent_name")

AGENT_NAMES_SQL = """
SELECT id, coalesce(email, name) AS shown, name FROM agents
 WHERE identity IN ({identities}) ORDER BY id
"""


def agent_names(db, groups):
    """{group: {"agent_id", "agent_name"}} for groups named by an agent's email or name.

    A group is named as the agent is shown (email, else name); two agents shown alike (one
    known by email, one by that text as a name) form one group, named after the lower id.
    Found through the unique identity index, like the agent filter.
    """
    shown = [group for group in groups if group is not None]
    params = {f"agent_{index}": name for index, name in enumerate(shown)}
    if not params:
        return {}
    _, each = FILTER_LOOKUPS["agent_id"]
    identities = ", ".join(each.format(value=":" + name) for name in params)
    found = {}
    for agent in db.query(AGENT_NAMES_SQL.format(identities=identities), params):
        found.setdefault(agent["shown"], {"agent_id": agent["id"], "agent_name": agent["name"]})
    return found
