"""The report range every report and API shares: which closing days, grouped how, narrowed
to which agents, teams and channels; read from a request, turned into SQL conditions."""

from dataclasses import dataclass

from surveys import clock
from surveys.errors import RangeError

GROUPINGS = ("agent", "team", "channel", "month")
MAX_FILTER_VALUES = 50

# How a filter's values (bound parameters) pick the ids or channels of rows: the SQL
# around the list, and each value's part of the list. An agent is shown by email, else by
# name, and known by the same (`identity`, see surveys.helpdesk.closures.agent_id_for), so
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
    """Read from, to, group_by and the filters; RangeError with a message per parameter."""
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
