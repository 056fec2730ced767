"""Targets: what each score should reach, set by managers, shown beside every score."""

from dataclasses import dataclass

from surveys import clock
from surveys.reports.scoring import target_met
from surveys.store.db import immediate


@dataclass(frozen=True)
class Target:
    """One score's target: its label, scale and which way is better."""

    name: str
    label: str
    default: float
    low: float
    high: float
    higher_is_better: bool = True
    unit: str = ""


TARGETS = (
    Target("csat_pct", "CSAT", 85, 0, 100, unit="%"),
    Target("ces_mean", "CES (mean, 1–7)", 5.0, 1, 7),
    Target("nps", "NPS", 30, -100, 100),
    Target("response_rate", "Response rate", 25, 0, 100, unit="%"),
    Target("frt_hours", "First response time (mean)", 24, 0.1, 1000, False, " h"),
    Target("frt_compliance_pct", "First responses within the standard", 90, 0, 100, unit="%"),
    Target("resolution_median_h", "Resolution time (median)", 72, 0.1, 10000, False, " h"),
    Target("fcr_pct", "First contact resolution", 70, 0, 100, unit="%"),
    Target("escalation_pct", "Escalation rate", 10, 0, 100, False, "%"),
    Target("reopen_pct", "Reopen rate", 5, 0, 100, False, "%"),
    Target("repeat_pct", "Repeat rate", 10, 0, 100, False, "%"),
    # The phone queue (/api/v1/call-kpis): waits in seconds, shares of the calls offered.
    Target("asa_s", "Average speed of answer (ASA)", 30, 0, 3600, False, " s"),
    Target("abandon_pct", "Abandoned calls", 5, 0, 100, False, "%"),
    Target("service_level_pct", "Service level (calls answered in time)", 80, 0, 100, unit="%"),
    # The monthly business figures (/business): a cost is in the company's currency.
    Target("crr_pct", "Customer retention rate (CRR)", 90, 0, 100, unit="%"),
    Target("churn_pct", "Churn rate", 10, 0, 100, False, "%"),
    Target("cost_per_resolution", "Cost per resolution", 20, 0, 1_000_000_000, False),
)
BY_NAME = {target.name: target for target in TARGETS}
# Judged month by month on /business and the dashboard's business figures, not in the
# report ROWs of a range of days.
BUSINESS_TARGETS = ("crr_pct", "churn_pct", "cost_per_resolution")


def current_targets(db, config):
    """Every target's value: what a manager set, else the default (FRT from settings)."""
    values = {target.name: float(target.default) for target in TARGETS}
    values["frt_hours"] = float(config["FRT_TARGET_HOURS"])
    values.update(
        {row["name"]: row["value"] for row in db.query("SELECT name, value FROM targets")}
    )
    return values


def own_targets(db, team):
    """The targets a manager set for one team (by name): {name: value}."""
    return {
        row["name"]: row["value"]
        for row in db.query(
            """SELECT team_targets.name, team_targets.value
             FROM team_targets JOIN teams ON teams.id = team_targets.team_id
            WHERE teams.name = ?""",
            [team],
        )
    }


def targets_for(db, config, team=None):
    """The targets that judge the company's figures, or one team's (its own where set,
    the company's for the rest)."""
    values = current_targets(db, config)
    return values | own_targets(db, team) if team else values


def report_targets(db, config, report_range):
    """The targets a report is judged by (one team's own when it covers just that team),
    and, grouped by team, each team's targets for its row: (targets, {team: targets}).

    Teams without targets of their own are left out of the second; the first applies."""
    company = current_targets(db, config)
    by_team = {}
    for row in db.query("""SELECT teams.name AS team, team_targets.name, team_targets.value
                             FROM team_targets JOIN teams ON teams.id = team_targets.team_id"""):
        by_team.setdefault(row["team"], dict(company))[row["name"]] = row["value"]
    teams = report_range.teams
    targets = by_team.get(teams[0], company) if len(teams) == 1 else company
    return targets, by_team if report_range.group_by == "team" else {}


def frt_standards(targets, row_targets):
    """kpi_groups' first-response standards (hours) from report_targets: the report's,
    and each row's own ({group: hours}), for compliance and lateness."""
    return targets["frt_hours"], {
        group: values["frt_hours"] for group, values in row_targets.items()
    }


def met(name, value, targets):
    """True when a score meets its target, False when not, None when there is no score."""
    if name not in targets:
        return None
    return target_met(value, targets[name], BY_NAME[name].higher_is_better)


def save_targets(db, values, manager_id):
    """Store every target a manager submitted, in one transaction."""
    now = clock.to_iso(clock.now())
    with immediate(db):
        for name, value in values.items():
            db.execute(
                "INSERT INTO targets (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                [name, float(value), now, manager_id],
            )


def save_team_targets(db, team_id, values, manager_id):
    """Replace a team's own targets with the values given (None: the company's)."""
    now = clock.to_iso(clock.now())
    with immediate(db):
        db.execute("DELETE FROM team_targets WHERE team_id = ?", [team_id])
        for name, value in values.items():
            if value is not None:
                db.execute(
                    "INSERT INTO team_targets (team_id, name, value, updated_at, "
                    "updated_by) VALUES (?, ?, ?, ?, ?)",
                    [team_id, name, float(value), now, manager_id],
                )


def team_names(db):
    """Every team's name, in order: whose own targets a manager can set."""
    return [row["name"] for row in db.query("SELECT name FROM teams ORDER BY name")]


def find_team_id(db, name):
    """The id of the team called `name`, or None when there is none."""
    row = db.execute("SELECT id FROM teams WHERE name = ?", [name]).fetchone()
    return None if row is None else row[0]
