"""Ticket KPIs (SPEC.md): plain numbers in, plain numbers out; no Flask, no SQLite.

Durations are in hours. A function returns None where its n is 0: a KPI of nothing is
not zero.
"""

from statistics import median as _median

from surveys.scoring import percentage

DEFAULT_FRT_TARGET_HOURS = 24.0


def median(values):
    """The median of the values, or None for none."""
    values = [value for value in values if value is not None]
    return _median(values) if values else None


def compliance_pct(within_target, n):
    """Tickets with FRT ≤ target ÷ tickets with an FRT × 100."""
    return percentage(within_target, n)


def lateness_pct(mean_hours, target_hours):
    """How far the mean FRT overshoots the target, in % of the target; 0 when on target."""
    if mean_hours is None or not target_hours:
        return None
    if mean_hours <= target_hours:
        return 0.0
    return (mean_hours - target_hours) / target_hours * 100


def tickets_per_agent(tickets, agents):
    """Closed tickets ÷ agents who closed them; None without agents."""
    if not agents:
        return None
    return tickets / agents
