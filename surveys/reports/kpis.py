"""Ticket KPIs (docs/definitions.md): plain numbers in, plain numbers out; no Flask, no SQLite.

Durations are in hours. A function returns None where its n is 0: a KPI of nothing is
not zero.
"""

from statistics import median as _median

from surveys.reports.scoring import percentage

DEFAULT_FRT_TARGET_HOURS = 24.0


def median(values):
    """The median of the values, or None for none."""
    values = [value for value in values if value is not None]
    return _median(values) if values else None


def histogram_median(histogram):
    """The median of a histogram given as (value, count) pairs in ascending value, or None.

    Like `median`: the middle value, or the mean of the middle two.
    """
    total = sum(count for _, count in histogram)
    if not total:
        return None
    wanted = {(total + 1) // 2, (total + 2) // 2}  # 1-based positions of the middle
    found, seen = [], 0
    for value, count in histogram:
        found.extend(value for position in sorted(wanted) if seen < position <= seen + count)
        seen += count
        if seen >= max(wanted):
            break
    return sum(found) / len(found)


def merge_histograms(histograms):
    """Several (value, count) histograms added into one, in ascending value."""
    merged = {}
    for histogram in histograms:
        for value, count in histogram:
            merged[value] = merged.get(value, 0) + count
    return sorted(merged.items())


def count_at_most(histogram, limit):
    """How many counted values are at most `limit`, from (value, count) pairs."""
    return sum(count for value, count in histogram if value <= limit)


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


def tickets_per_agent_day(tickets, agents, working_days):
    """Closed tickets ÷ agents who closed any ÷ working days; None when either is 0."""
    if not agents or not working_days:
        return None
    return tickets / agents / working_days


def aht_minutes(handle_seconds, handle_n):
    """Mean handle time in minutes over the closures that carried one; None for none."""
    if not handle_n:
        return None
    return handle_seconds / handle_n / 60
