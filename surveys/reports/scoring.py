"""Scores and their 95 % intervals (docs/definitions.md): plain numbers in, plain numbers out.

Nothing here knows about Flask or SQLite. Counts arrive already aggregated (by SQL);
a function returns None where its n is 0, because a score of nothing is not zero.
"""

import math
from dataclasses import dataclass

from surveys.scales import CES_SCALE

Z_95 = 1.959963984540054

# Two-sided 95 % critical values of Student's t for 1..30 degrees of freedom.
T_95 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


@dataclass(frozen=True)
class Interval:
    """A 95 % interval around an estimate."""

    low: float
    high: float


def t_critical_95(degrees_of_freedom):
    """Two-sided 95 % t critical value; a Cornish-Fisher expansion past 30 df (error < 1e-4)."""
    if degrees_of_freedom < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if degrees_of_freedom <= len(T_95):
        return T_95[degrees_of_freedom - 1]
    z, df = Z_95, degrees_of_freedom
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def percentage(part, whole):
    """100 × part ÷ whole, or None when whole is 0."""
    if not whole:
        return None
    return 100.0 * part / whole


def wilson_interval(successes, n):
    """Wilson score interval for a proportion, in percent; None when n is 0."""
    if not n:
        return None
    p = successes / n
    z2 = Z_95 * Z_95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Interval(max(0.0, 100 * (centre - half)), min(100.0, 100 * (centre + half)))


def csat_pct(satisfied, n):
    """CSAT % = answers of 4 or 5 ÷ all CSAT answers × 100."""
    return percentage(satisfied, n)


def mean(total, n):
    """Arithmetic mean from a sum and a count; None when n is 0."""
    if not n:
        return None
    return total / n


def mean_interval(total, sum_of_squares, n, scale=None):
    """mean ± t·s/√n from a count, sum and sum of squares; None when n < 2.

    With a `scale` (a range of answers, such as CES_SCALE), the interval is kept within
    it: at small n, t·s/√n can reach past the ends, where no mean can be.
    """
    if not n or n < 2:
        return None
    centre = total / n
    # Sample variance from running sums; clamp the tiny negatives rounding can leave.
    variance = max(0.0, (sum_of_squares - total * total / n) / (n - 1))
    half = t_critical_95(n - 1) * math.sqrt(variance / n)
    if scale is None:
        return Interval(centre - half, centre + half)
    return Interval(max(float(scale[0]), centre - half), min(float(scale[-1]), centre + half))


def nps(promoters, passives, detractors):
    """NPS = % promoters − % detractors, passives in the total; None with no answers."""
    n = promoters + passives + detractors
    if not n:
        return None
    return 100.0 * (promoters - detractors) / n


def nps_interval(promoters, passives, detractors):
    """Normal approximation on the trinomial variance, clamped to −100…+100."""
    n = promoters + passives + detractors
    if not n:
        return None
    p_promoter, p_detractor = promoters / n, detractors / n
    score = p_promoter - p_detractor
    variance = max(0.0, p_promoter + p_detractor - score * score)
    half = Z_95 * math.sqrt(variance / n)
    return Interval(max(-100.0, 100 * (score - half)), min(100.0, 100 * (score + half)))


def nps_category(score):
    """promoter (9–10), passive (7–8) or detractor (0–6)."""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def too_few(n, min_n):
    """True when there is a score (n > 0) but it rests on fewer answers than the minimum."""
    return 0 < n < min_n


@dataclass(frozen=True)
class AnswerCounts:
    """What SQL aggregates for one group of invitations; the input of `summarise`."""

    invitations_sent: int = 0
    responses: int = 0
    csat_n: int = 0
    csat_satisfied: int = 0
    csat_sum: int = 0
    ces_n: int = 0
    ces_sum: int = 0
    ces_sum_of_squares: int = 0
    ces_agree: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0


def summarise(counts):
    """Every score of a group, unrounded, keyed as the public ROW."""
    csat_ci = wilson_interval(counts.csat_satisfied, counts.csat_n)
    nps_ci = nps_interval(counts.promoters, counts.passives, counts.detractors)
    ces_ci = mean_interval(counts.ces_sum, counts.ces_sum_of_squares, counts.ces_n, scale=CES_SCALE)
    return {
        "invitations_sent": counts.invitations_sent,
        "responses": counts.responses,
        "response_rate": percentage(counts.responses, counts.invitations_sent),
        "csat_n": counts.csat_n,
        "csat_pct": csat_pct(counts.csat_satisfied, counts.csat_n),
        "csat_low": csat_ci.low if csat_ci else None,
        "csat_high": csat_ci.high if csat_ci else None,
        "csat_mean": mean(counts.csat_sum, counts.csat_n),
        "ces_n": counts.ces_n,
        "ces_mean": mean(counts.ces_sum, counts.ces_n),
        "ces_low": ces_ci.low if ces_ci else None,
        "ces_high": ces_ci.high if ces_ci else None,
        "ces_agree_pct": percentage(counts.ces_agree, counts.ces_n),
        "nps_n": counts.promoters + counts.passives + counts.detractors,
        "promoters": counts.promoters,
        "passives": counts.passives,
        "detractors": counts.detractors,
        "nps": nps(counts.promoters, counts.passives, counts.detractors),
        "nps_low": nps_ci.low if nps_ci else None,
        "nps_high": nps_ci.high if nps_ci else None,
    }


def rank_groups(groups, min_n):
    """(ranked, unranked): groups with at least min_n CSAT answers, best lower bound first
    (then the larger n), and the rest, which have too few answers to rank fairly."""
    ranked = sorted(
        (row for row in groups if row["csat_n"] >= min_n),
        key=lambda row: (-row["csat_low"], -row["csat_n"], str(row["group"])),
    )
    unranked = [row for row in groups if row["csat_n"] < min_n]
    return ranked, unranked


# Admin scorecards (docs/definitions.md, scorecards)

RATING_DIMENSION_NAMES = ("speed", "initiative", "accuracy")


def rating_pct(mean_rating):
    """A 1–5 mean as a percentage of the scale: (mean − 1) ÷ 4 × 100; None without ratings."""
    if mean_rating is None:
        return None
    return (mean_rating - 1) / 4 * 100


def weighted_mean(values, weights):
    """The weighted mean of the values that exist; None when none do."""
    present = [(value, weights[name]) for name, value in values.items() if value is not None]
    total_weight = sum(weight for _, weight in present)
    if not present or not total_weight:
        return None
    return sum(value * weight for value, weight in present) / total_weight


@dataclass(frozen=True)
class RatingCounts:
    """What SQL aggregates for one admin and period; the input of `admin_scorecard`."""

    raters: int = 0
    speed_sum: int = 0
    initiative_sum: int = 0
    accuracy_sum: int = 0
    incidents: int = 0
    deliverables_due: int = 0
    on_time: int = 0


def admin_scorecard(counts, weights):
    """Every figure of an admin's scorecard, unrounded, keyed as the public ROW."""
    scores = {"raters": counts.raters}
    for name in RATING_DIMENSION_NAMES:
        dimension_mean = mean(getattr(counts, f"{name}_sum"), counts.raters)
        scores[f"{name}_mean"] = dimension_mean
        scores[f"{name}_pct"] = rating_pct(dimension_mean)
    scores["overall_pct"] = weighted_mean(
        {name: scores[f"{name}_pct"] for name in RATING_DIMENSION_NAMES}, weights
    )
    scores["incidents"] = counts.incidents
    scores["deliverables_due"] = counts.deliverables_due
    scores["on_time"] = counts.on_time
    scores["on_time_pct"] = percentage(counts.on_time, counts.deliverables_due)
    return scores


def target_met(value, target, higher_is_better=True):
    """True or False against a target; None when there is no value or no target."""
    if value is None or target is None:
        return None
    return value >= target if higher_is_better else value <= target
