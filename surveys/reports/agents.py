"""One agent's figures: scores, trend, distribution, ticket KPIs beside targets, rank on the
leaderboard and latest comments; and whether agents may read their own (/my-scores).

An agent's figures are read by id, never by the name a report shows (email, else name):
a help desk may report an agent without an email whose name is another agent's email,
and an agent reading their own scores must never see anyone else's. Only the rank follows
the leaderboard, which names agents as reports show them.
"""

from dataclasses import dataclass

from surveys import clock
from surveys.reports.comments import comment_rows
from surveys.reports.kpi_queries import config_weekdays, kpi_groups
from surveys.reports.ranges import ReportRange
from surveys.reports.score_queries import score_groups
from surveys.reports.scoring import rank_groups
from surveys.reports.targets import frt_standards, report_targets
from surveys.reports.trends import chart_figures
from surveys.scales import SCALES
from surveys.staff.people import name_and_email
from surveys.store.db import immediate

LATEST_COMMENTS = 20

AGENT_SQL = "SELECT id, email, name, coalesce(email, name) AS shown FROM agents WHERE {where}"


@dataclass(frozen=True)
class AgentRange(ReportRange):
    """A report range narrowed to one agent by id: every rollup row is the agent's own."""

    agent_id: int = 0

    def filter_sql(self, table):
        """The agent's rows only (`table` is a fixed name; the id a bound parameter)."""
        return f" AND {table}.agent_id = :agent_id", {"agent_id": self.agent_id}


@dataclass(frozen=True)
class Rank:
    """An agent's place on the leaderboard: `position` of `ranked`, None when not ranked."""

    position: int | None
    ranked: int
    csat_n: int


def find_agent(db, agent_id):
    """The agent (id, email, name, shown: how reports name them), or None."""
    return next(db.query(AGENT_SQL.format(where="id = ?"), [agent_id]), None)


def agent_of_person(db, email):
    """The agent a signed-in person is, by their email, or None: agents known by email
    only (an agent known by name alone is nobody's to read)."""
    # Through the unique identity index: an agent known by email is 'email:<email>'.
    return next(db.query(AGENT_SQL.format(where="identity = 'email:' || ?"), [email]), None)


def agent_range(agent, report_range):
    """The range of a report narrowed to one agent, ungrouped, its other filters dropped."""
    return AgentRange(report_range.from_day, report_range.to_day, None, agent_id=agent["id"])


def range_args(report_range):
    """The URL parameters of a report's days alone (a preset stays a preset): links to an
    agent's page keep the days of the page they come from, and no filter."""
    return {
        name: value
        for name, value in report_range.query_args().items()
        if name in ("from", "to", "period")
    }


def leaderboard_rank(db, report_range, agent, min_n):
    """Where the agent stands on /reports/leaderboard for the same days: the same rows and
    the same rule (scoring.rank_groups), so the two pages never disagree. The board names
    an agent as reports show them (email, else name), and so does this: two agents shown
    alike share one row there, and a rank here."""
    everyone = ReportRange(report_range.from_day, report_range.to_day, "agent")
    groups, _, _ = score_groups(db, everyone)
    ranked, unranked = rank_groups(groups, min_n)
    for position, row in enumerate(ranked, start=1):
        if is_agents_row(row, agent):
            return Rank(position, len(ranked), row["csat_n"])
    own = [row["csat_n"] for row in unranked if is_agents_row(row, agent)]
    return Rank(None, len(ranked), own[0] if own else 0)


def is_agents_row(row, agent):
    """True when a leaderboard row is the one the agent's name stands in."""
    return row["group"] == agent["shown"]


def agent_choices(db):
    """Every agent a report can be narrowed to, by name: (the filter's value, a label)."""
    return [
        (row["shown"], name_and_email(row["name"], row["shown"]))
        for row in db.query(
            """SELECT coalesce(email, name) AS shown, min(name) AS name FROM agents
                GROUP BY shown ORDER BY coalesce(min(name), shown), shown"""
        )
    ]


def distribution_rows(answers):
    """Per scale, every score with its answers and their share of the scale's answers:
    {"csat": [(1, n, pct or None), ...]} from {"csat": {1: n, ...}}."""
    rows = {}
    for kind, scale in SCALES.items():
        total = sum(answers[kind].values())
        rows[kind] = [
            (score, answers[kind][score], 100 * answers[kind][score] / total if total else None)
            for score in scale
        ]
    return rows


def agent_report(db, config, agent, report_range):
    """Everything an agent's page shows for a range of closing days, as a dict."""
    own = agent_range(agent, report_range)
    _, overall, details = score_groups(db, own)
    charts = chart_figures(db, own)
    targets, _ = report_targets(db, config, own)
    weekdays = config_weekdays(config)
    _, kpis, _ = kpi_groups(db, own, *frt_standards(targets, {}), weekdays=weekdays)
    return {
        "overall": overall,
        "details": details["all"],
        "charts": charts,
        "distribution": distribution_rows(charts.answers),
        "targets": targets,
        "kpis": kpis,
        "rank": leaderboard_rank(db, report_range, agent, config["LEADERBOARD_MIN_N"]),
        "comments": comment_rows(db, own, LATEST_COMMENTS, with_comment=True),
    }


# Whether agents may read their own scores (/settings/agents)


def self_view_on(db):
    """True once a manager let agents read their own scores; off until then."""
    row = next(db.query("SELECT self_view FROM agent_settings WHERE id = 1"), None)
    return bool(row and row["self_view"])


def agent_settings(db):
    """The stored setting with who saved it last and when, or None before anyone did."""
    return next(
        db.query(
            """SELECT agent_settings.self_view, agent_settings.updated_at,
                  users.name AS updated_by_name, users.email AS updated_by_email
             FROM agent_settings LEFT JOIN users ON users.id = agent_settings.updated_by
            WHERE agent_settings.id = 1"""
        ),
        None,
    )


def save_agent_settings(db, self_view, manager_id):
    """Store whether agents may read their own scores (the one row, written whole)."""
    with immediate(db):
        db.execute(
            """INSERT INTO agent_settings (id, self_view, updated_at, updated_by)
               VALUES (1, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET self_view = excluded.self_view,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
            [int(bool(self_view)), clock.to_iso(clock.now()), manager_id],
        )
