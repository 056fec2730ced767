"""Change since a comparison period, and whether it is more than noise: plain numbers only.

Each function takes the counts of two periods (now, then) and answers a `Change`: the
difference now − then with its 95 % interval, or None when either period lacks the answers
the score needs. A change is *significant* when its interval leaves out 0. The formulas
(docs/definitions.md, "Change since a comparison period"):

- proportions (CSAT %, response rate): Newcombe's hybrid score interval, his method 10,
  built from the two periods' Wilson intervals;
- NPS: the difference of the two estimates, its variance the sum of their trinomial
  variances, with a normal approximation;
- means (CES): Welch's t interval, with Satterthwaite's fractional degrees of freedom.
"""

import math
from dataclasses import dataclass

from surveys.reports.scoring import Z_95
from surveys.scales import CES_SCALE

# Bisection on Student's t distribution stops when the quantile is known this closely.
T_QUANTILE_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Change:
    """now − then, with its 95 % interval."""

    change: float
    low: float
    high: float

    @property
    def significant(self):
        """True when the interval leaves out 0: the change is more than noise."""
        return self.low > 0 or self.high < 0

    def clipped(self, span):
        """The interval kept within ±span, the largest change the scale allows."""
        return Change(self.change, max(-span, self.low), min(span, self.high))


def wilson_bounds(successes, n):
    """The Wilson score interval of a proportion, as fractions (not percent)."""
    p = successes / n
    z2 = Z_95 * Z_95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def proportion_change(successes_now, n_now, successes_then, n_then):
    """Change of a percentage in points, Newcombe's method 10; None when an n is 0."""
    if not n_now or not n_then:
        return None
    p_now, p_then = successes_now / n_now, successes_then / n_then
    low_now, high_now = wilson_bounds(successes_now, n_now)
    low_then, high_then = wilson_bounds(successes_then, n_then)
    difference = p_now - p_then
    below = math.sqrt((p_now - low_now) ** 2 + (high_then - p_then) ** 2)
    above = math.sqrt((high_now - p_now) ** 2 + (p_then - low_then) ** 2)
    return Change(100 * difference, 100 * (difference - below), 100 * (difference + above))


def nps_change(now, then):
    """Change of NPS in points; each side is (promoters, passives, detractors)."""
    n_now, n_then = sum(now), sum(then)
    if not n_now or not n_then:
        return None
    score_now, variance_now = trinomial(now)
    score_then, variance_then = trinomial(then)
    difference = score_now - score_then
    half = Z_95 * math.sqrt(variance_now / n_now + variance_then / n_then)
    change = Change(100 * difference, 100 * (difference - half), 100 * (difference + half))
    return change.clipped(200)  # NPS runs from −100 to +100


def trinomial(counts):
    """(p_promoters − p_detractors, its per-answer variance) from the three counts."""
    promoters, _, detractors = counts
    n = sum(counts)
    p_promoter, p_detractor = promoters / n, detractors / n
    score = p_promoter - p_detractor
    return score, max(0.0, p_promoter + p_detractor - score * score)


def mean_change(now, then, span):
    """Change of a mean, Welch's t interval; each side is (total, sum of squares, n).

    `span` is the scale's width (6 for CES 1–7): no change can be larger. None when either
    side has fewer than 2 answers (no variance to estimate).
    """
    if now[2] < 2 or then[2] < 2:
        return None
    mean_now, spread_now = mean_and_spread(*now)
    mean_then, spread_then = mean_and_spread(*then)
    difference = mean_now - mean_then
    standard_error = math.sqrt(spread_now + spread_then)
    if standard_error == 0:
        # Every answer the same on both sides: the change is exact.
        return Change(difference, difference, difference)
    degrees_of_freedom = (spread_now + spread_then) ** 2 / (
        spread_now**2 / (now[2] - 1) + spread_then**2 / (then[2] - 1)
    )
    half = t_quantile_975(degrees_of_freedom) * standard_error
    return Change(difference, difference - half, difference + half).clipped(span)


def mean_and_spread(total, sum_of_squares, n):
    """(mean, variance of the mean) from a count, sum and sum of squares."""
    centre = total / n
    variance = max(0.0, (sum_of_squares - total * total / n) / (n - 1))
    return centre, variance / n


def t_quantile_975(degrees_of_freedom):
    """The 97.5 % quantile of Student's t for any positive (fractional) degrees of freedom."""
    low, high = 0.0, 1.0
    while student_t_cdf(high, degrees_of_freedom) < 0.975:
        high *= 2
    while high - low > T_QUANTILE_TOLERANCE:
        middle = (low + high) / 2
        if student_t_cdf(middle, degrees_of_freedom) < 0.975:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def student_t_cdf(t, degrees_of_freedom):
    """P(T ≤ t) for t ≥ 0, through the regularised incomplete beta function."""
    x = degrees_of_freedom / (degrees_of_freedom + t * t)
    return 1 - 0.5 * regularised_beta(x, degrees_of_freedom / 2, 0.5)


def regularised_beta(x, a, b):
    """I_x(a, b) by its continued fraction (Lentz's method), accurate to about 1e-14."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    # The fraction converges fast only on one side of the mean; use the symmetry otherwise.
    if x > (a + 1) / (a + b + 2):
        return 1 - regularised_beta(1 - x, b, a)
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    return front * beta_fraction(x, a, b) / a


def beta_fraction(x, a, b, steps=300, tiny=1e-300):
    """The continued fraction of the incomplete beta function, evaluated by Lentz's method."""
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, steps + 1):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return result


# The scores a report compares, in the order of the public ROW.
CHANGED_SCORES = ("response_rate", "csat_pct", "ces_mean", "nps")


def score_changes(now, then):
    """Each compared score's Change (or None) between two periods' AnswerCounts."""
    return {
        "response_rate": proportion_change(
            now.responses, now.invitations_sent, then.responses, then.invitations_sent
        ),
        "csat_pct": proportion_change(
            now.csat_satisfied, now.csat_n, then.csat_satisfied, then.csat_n
        ),
        "ces_mean": mean_change(
            (now.ces_sum, now.ces_sum_of_squares, now.ces_n),
            (then.ces_sum, then.ces_sum_of_squares, then.ces_n),
            span=CES_SCALE[-1] - CES_SCALE[0],
        ),
        "nps": nps_change(
            (now.promoters, now.passives, now.detractors),
            (then.promoters, then.passives, then.detractors),
        ),
    }
