"""The figure a corrective action is about, and its target: a dashboard figure of the
company, a team or an agent over a range of closing days, or an admin's scorecard figure
for a month. Read through the reports' and the scorecards' own queries (the rollups),
never from raw rows, so an action shows the number the dashboard showed."""

import re
from dataclasses import dataclass
from datetime import date

from surveys import clock
from surveys.errors import RangeError
from surveys.reports.agents import AgentRange, find_agent
from surveys.reports.call_queries import call_groups
from surveys.reports.kpi_queries import config_weekdays, kpi_groups
from surveys.reports.ranges import ReportRange, agent_names
from surveys.reports.score_queries import score_groups
from surveys.reports.scoring import target_met
from surveys.reports.targets import (
    BUSINESS_TARGETS,
    TARGETS,
    frt_standards,
    report_targets,
)
from surveys.staff.scorecards import latest_recorded_period, period_scorecards

SCOPES = ("company", "team", "agent", "admin")
ROW_ID = re.compile(r"[1-9][0-9]{0,17}")
FIRST_DAY = date(clock.EARLIEST_YEAR, 1, 1)  # the first day a report can read


@dataclass(frozen=True)
class Metric:
    """A figure an action can be about: its target's name, label, and where it is read."""

    name: str  # the target's name, stored as actions.metric
    label: str
    figure: str  # the ROW field holding the figure
    source: str  # "scores", "kpis" or "calls" (the report ROWs), or "admin" (a scorecard ROW)
    higher_is_better: bool = True
    unit: str = ""
    count: str | None = None  # the ROW field counting the answers behind a score
    digits: int = 1  # as the dashboard and scorecards write it


# The dashboard's figures, named as their targets are. The first-response target judges
# the mean first response time.
SCORE_COUNTS = {"csat_pct": "csat_n", "ces_mean": "ces_n", "nps": "nps_n"}
CALL_FIGURES = ("asa_s", "abandon_pct", "service_level_pct")  # read from the call ROWs
REPORT_METRICS = {
    target.name: Metric(
        target.name,
        target.label,
        "frt_mean_h" if target.name == "frt_hours" else target.name,
        "scores"
        if target.name in (*SCORE_COUNTS, "response_rate")
        else "calls"
        if target.name in CALL_FIGURES
        else "kpis",
        target.higher_is_better,
        target.unit,
        SCORE_COUNTS.get(target.name),
        2 if target.name == "ces_mean" else 1,
    )
    for target in TARGETS
    if target.name not in BUSINESS_TARGETS  # monthly figures, not a report ROW's
}
# The scorecard's figures with a target (ADMIN_TARGETS).
ADMIN_METRICS = {
    metric.name: metric
    for metric in (
        Metric("speed_pct", "Speed", "speed_pct", "admin", unit="%"),
        Metric("initiative_pct", "Initiative", "initiative_pct", "admin", unit="%"),
        Metric("accuracy_pct", "Accuracy", "accuracy_pct", "admin", unit="%"),
        Metric("overall_pct", "Overall", "overall_pct", "admin", unit="%"),
        Metric("incidents", "Incidents", "incidents", "admin", False, digits=0),
        Metric("on_time_pct", "Deliverables on time", "on_time_pct", "admin", unit="%"),
    )
}


def metric_of(scope_kind, name):
    """The Metric called `name` for a kind of scope, or None."""
    return (ADMIN_METRICS if scope_kind == "admin" else REPORT_METRICS).get(name)


@dataclass(frozen=True)
class Scope:
    """Whose figure: the company, a team (by id and name), an agent (by id, named as
    reports show them, with their name) or an admin (by id and email, with their name)."""

    kind: str
    id: int | None = None
    name: str | None = None  # stored as actions.scope_name
    person_name: str | None = None


@dataclass(frozen=True)
class Figure:
    """A figure over some days, beside its target; `n` counts a score's answers."""

    value: float | None
    target: float | None
    higher_is_better: bool
    n: int | None = None

    @property
    def met(self):
        """True or False against the target; None without a figure."""
        return target_met(self.value, self.target, self.higher_is_better)


@dataclass(frozen=True)
class Subject:
    """What an action is about: a metric of a scope, read over these days (an admin's:
    one month, `period`)."""

    scope: Scope
    metric: Metric
    from_day: object
    to_day: object
    period: str | None = None


def find_scope(db, kind, scope_id=None, scope_name=None):
    """The Scope of that kind (a team by name or id, an agent or admin by id), or None."""
    if kind == "company":
        return Scope("company")
    if kind == "team":
        if scope_id is not None:
            team = next(db.query("SELECT id, name FROM teams WHERE id = ?", [scope_id]), None)
        else:
            team = next(db.query("SELECT id, name FROM teams WHERE name = ?", [scope_name]), None)
        return team and Scope("team", team["id"], team["name"], team["name"])
    if kind == "agent":
        agent = find_agent(db, scope_id)
        return agent and Scope("agent", agent["id"], agent["shown"], agent["name"])
    person = next(db.query("SELECT id, email, name FROM users WHERE id = ?", [scope_id]), None)
    return person and Scope("admin", person["id"], person["email"], person["name"])


def scope_range(scope, from_day, to_day):
    """The report range of a scope's own figures: the company's, one team's, one agent's."""
    if scope.kind == "agent":
        return AgentRange(from_day, to_day, None, agent_id=scope.id)
    return ReportRange(from_day, to_day, None, teams=(scope.name,) if scope.kind == "team" else ())


def report_figures(db, config, scope, from_day, to_day):
    """{metric: Figure} of every dashboard figure of a scope over those days, judged by
    the targets the dashboard uses for it (a team's own where set, else the company's)."""
    report_range = scope_range(scope, from_day, to_day)
    targets, _ = report_targets(db, config, report_range)
    _, scores, _ = score_groups(db, report_range)
    weekdays = config_weekdays(config)
    _, kpis, _ = kpi_groups(db, report_range, *frt_standards(targets, {}), weekdays=weekdays)
    _, calls = call_groups(db, report_range, config["SERVICE_LEVEL_SECONDS"])
    rows = {"scores": scores, "kpis": kpis, "calls": calls}
    return {
        metric.name: Figure(
            rows[metric.source][metric.figure],
            targets[metric.name],
            metric.higher_is_better,
            rows[metric.source][metric.count] if metric.count else None,
        )
        for metric in REPORT_METRICS.values()
    }


def admin_figures(db, config, admin_id, period):
    """{metric: Figure} of an admin's scorecard for a month; None when they have none."""
    row = next(
        (row for person, row in period_scorecards(db, period, config) if person == admin_id), None
    )
    if row is None:
        return None
    targets = config["ADMIN_TARGETS"]
    return {
        metric.name: Figure(row[metric.figure], targets[metric.name], metric.higher_is_better)
        for metric in ADMIN_METRICS.values()
    }


def subject_figure(db, config, subject):
    """The subject's figure over its own days (None for an admin without a scorecard)."""
    if subject.scope.kind == "admin":
        figures = admin_figures(db, config, subject.scope.id, subject.period)
    else:
        figures = report_figures(db, config, subject.scope, subject.from_day, subject.to_day)
    return figures and figures[subject.metric.name]


def now_days(from_day, to_day, today):
    """As many days as from–to, ending today: where "the figure now" is read. It never
    starts before the first day Puas reads: an action opened over decades (the dashboard
    offers 2000 to 2999) would otherwise reach back to a year no report can read, and
    every list showing the action would fail."""
    return max(today - (to_day - from_day), FIRST_DAY), today


def now_period(db, config, admin_id):
    """An admin's month for "the figure now": the latest with anything recorded for them
    (scorecards are monthly, and this month is often still unrated)."""
    return latest_recorded_period(db, config, admin_id)


def read_subject(db, config, args):
    """The Subject named by a request's metric, scope, scope_id or scope_name (a team),
    and from and to (an admin: period); RangeError naming each parameter that is wrong."""
    errors = {}
    kind = args.get("scope") or ""
    if kind not in SCOPES:
        raise RangeError({"scope": f"must be one of {', '.join(SCOPES)}"})
    metric = metric_of(kind, args.get("metric") or "")
    if metric is None:
        names = ADMIN_METRICS if kind == "admin" else REPORT_METRICS
        errors["metric"] = f"must be one of {', '.join(names)} for scope {kind}"
    from_day, to_day, period = read_days(args, kind == "admin", errors)
    today = clock.today(config["TIMEZONE"])
    if from_day and from_day > today and not period:
        errors["from"] = f"must not be after today ({today.isoformat()}): nothing to act on yet"
    scope = read_scope(db, kind, args, errors)
    if scope and kind == "admin" and period and admin_figures(db, config, scope.id, period) is None:
        errors["scope_id"] = f"names nobody with a scorecard for {period}"
    if errors:
        raise RangeError(errors)
    return Subject(scope, metric, from_day, to_day, period)


def read_days(args, monthly, errors):
    """(from, to, period): an admin's month (`period`), or the days from–to."""
    if monthly:
        try:
            period = clock.parse_period(args.get("period"))
        except ValueError as error:
            errors["period"] = str(error)
            return None, None, None
        first, last = (clock.parse_day(day) for day in clock.period_days(period))
        return first, last, period
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = clock.parse_day(args.get(name))
        except ValueError as error:
            errors[name] = str(error)
    if len(days) == 2 and days["from"] > days["to"]:
        errors["from"] = "must not be after to"
    return days.get("from"), days.get("to"), None


def read_scope(db, kind, args, errors):
    """The Scope a request names; None (and a message) when it names none."""
    if kind == "company":
        return Scope("company")
    if kind == "team":
        scope = find_scope(db, "team", scope_name=(args.get("scope_name") or "").strip())
        if scope is None:
            errors["scope_name"] = "must name a team"
        return scope
    scope_id = args.get("scope_id") or ""
    scope = find_scope(db, kind, int(scope_id)) if ROW_ID.fullmatch(scope_id) else None
    if scope is None:
        errors["scope_id"] = f"must be the id of an {kind}"
    return scope


# Where the dashboard offers to record an action: beside a missed figure that is a whole
# company's, team's or agent's, so the figure the action keeps is the one on screen.


def tiles_scope(db, report_range):
    """The scope the dashboard's tiles are the figures of, as the new-action link's
    parameters: the company's (no filter), one team's or one agent's (that filter alone);
    None when the filters mix (a channel, several teams), which no scope is."""
    agents, teams, channels = report_range.agents, report_range.teams, report_range.channels
    if not (agents or teams or channels):
        return {"scope": "company"}
    if len(teams) == 1 and not (agents or channels):
        return {"scope": "team", "scope_name": teams[0]}
    if len(agents) == 1 and not (teams or channels):
        named = agent_names(db, agents).get(agents[0])
        return named and {"scope": "agent", "scope_id": named["agent_id"]}
    return None


def row_scope(report_range, row):
    """The scope of a dashboard row, as the new-action link's parameters: a team's row
    (grouped by team, no agent or channel filter) or an agent's (grouped by agent, no team
    or channel filter); None for any other row."""
    if row["group"] is None or report_range.channels:
        return None
    if report_range.group_by == "team" and not report_range.agents:
        return {"scope": "team", "scope_name": row["group"]}
    if report_range.group_by == "agent" and not report_range.teams and row.get("agent_id"):
        return {"scope": "agent", "scope_id": row["agent_id"]}
    return None
