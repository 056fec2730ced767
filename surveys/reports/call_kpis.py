"""Phone-queue KPIs (docs/definitions.md): plain numbers in, plain numbers out; no Flask,
no SQLite. Waits are in seconds; a figure of no calls is None, not zero."""

from surveys.reports.kpis import count_at_most, histogram_median
from surveys.reports.scoring import percentage


def average_speed_of_answer(wait_seconds, answered):
    """ASA: the answered calls' waits summed ÷ answered calls, in seconds; None for none."""
    return wait_seconds / answered if answered else None


def service_level_pct(waits, calls, service_level_s):
    """Calls answered within the standard (inclusive) ÷ calls offered × 100, from a
    histogram of the answered calls' waits as (seconds, count) pairs."""
    return percentage(count_at_most(waits, service_level_s), calls)


def call_figures(counts, waits, service_level_s):
    """Every figure of a call ROW but its group, unrounded, from summed counts (calls,
    answered, abandoned, failed, wait_seconds) and the answered calls' waits as
    (bucket, count) and (seconds a bucket stands for, count) pairs."""
    buckets, middles = waits
    calls = counts["calls"]
    return {
        "calls": calls,
        "answered": counts["answered"],
        "abandoned": counts["abandoned"],
        "failed": counts["failed"],
        "asa_s": average_speed_of_answer(counts["wait_seconds"], counts["answered"]),
        "wait_median_s": histogram_median(middles),
        "abandon_pct": percentage(counts["abandoned"], calls),
        "failure_pct": percentage(counts["failed"], calls),
        "service_level_s": service_level_s,
        "service_level_pct": service_level_pct(buckets, calls, service_level_s),
    }
