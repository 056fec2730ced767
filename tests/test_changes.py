"""Change since a comparison period: each interval against arithmetic done by hand.

Newcombe's figures are his own published examples (Statistics in Medicine 17, 1998, Table
II, method 10), given there as fractions to 4 decimals; the others are worked in the comments.
"""

from pathlib import Path

import pytest

from surveys.reports.changes import (
    Change,
    mean_change,
    nps_change,
    proportion_change,
    t_quantile_975,
)
from surveys.reports.scoring import T_95


@pytest.mark.parametrize(
    ("now", "then", "low", "high"),
    [
        ((56, 70), (48, 80), 5.24, 33.39),  # Newcombe's example (a)
        ((9, 10), (3, 10), 17.05, 80.90),  # (b)
        ((5, 56), (0, 29), -3.81, 19.26),  # (e): 0 % on one side
        ((0, 10), (0, 20), -16.11, 27.75),  # (h): 0 % on both sides
    ],
)
def test_proportion_change_is_newcombes_method_10(now, then, low, high):
    change = proportion_change(*now, *then)
    assert change.change == pytest.approx(100 * (now[0] / now[1] - then[0] / then[1]))
    assert (change.low, change.high) == (
        pytest.approx(low, abs=0.01),
        pytest.approx(high, abs=0.01),
    )


def test_from_0_to_100_percent_the_interval_ends_at_100():
    # Wilson for 0/10: centre = (z²/20) / (1 + z²/10) = 0.19207 / 1.38415 = 0.13877, and the
    # half-width is the same, so (0, 0.27753); for 10/10 it mirrors to (0.72247, 1).
    # low = 1 − √(0.27753² + 0.27753²) = 1 − 0.39249 = 0.60751; high = 1 − √(0 + 0) = 1.
    change = proportion_change(10, 10, 0, 10)
    assert change == Change(100.0, pytest.approx(60.751, abs=1e-3), pytest.approx(100.0))
    assert change.significant


def test_identical_periods_change_by_nothing_within_noise():
    change = proportion_change(30, 40, 30, 40)
    assert change.change == 0
    assert change.low == pytest.approx(-change.high)
    assert not change.significant


@pytest.mark.parametrize(("now", "then"), [((0, 0), (3, 4)), ((3, 4), (0, 0)), ((0, 0), (0, 0))])
def test_no_answers_on_either_side_is_no_change(now, then):
    assert proportion_change(*now, *then) is None


def test_nps_change_adds_the_two_trinomial_variances():
    # Now 5 promoters, 3 passives, 2 detractors: NPS +30, variance 0.5 + 0.2 − 0.3² = 0.61.
    # Then 2, 3, 5: NPS −30, variance 0.61. Change +60; standard error √(0.061 + 0.061) =
    # 0.34928; half-width 1.95996 × 0.34928 = 0.68458, so −8.46 to +128.46 points.
    change = nps_change((5, 3, 2), (2, 3, 5))
    assert change.change == pytest.approx(60.0)
    assert change.low == pytest.approx(-8.458, abs=1e-3)
    assert change.high == pytest.approx(128.458, abs=1e-3)
    assert not change.significant


def test_nps_change_stays_within_the_largest_possible_change():
    # All promoters now, all detractors then: +200 points, and no interval beyond it.
    assert nps_change((4, 0, 0), (0, 0, 4)) == Change(200.0, 200.0, 200.0)


@pytest.mark.parametrize(("now", "then"), [((0, 0, 0), (1, 1, 1)), ((2, 0, 1), (0, 0, 0))])
def test_nps_change_needs_answers_on_both_sides(now, then):
    assert nps_change(now, then) is None


def test_mean_change_is_welchs_interval_with_fractional_degrees_of_freedom():
    # Now CES 1, 2, 3, 4: mean 2.5, variance (30 − 10²/4) / 3 = 1.6667, of the mean 0.41667.
    # Then 4, 5, 5, 6: mean 5, variance (102 − 20²/4) / 3 = 0.66667, of the mean 0.16667.
    # Change −2.5; standard error √0.58333 = 0.76376; Satterthwaite's degrees of freedom
    # 0.58333² / (0.41667²/3 + 0.16667²/3) = 0.34028 / 0.067130 = 5.0690; t(0.975, 5.069) =
    # 2.5588; half-width 1.9543, so −4.454 to −0.546.
    change = mean_change((10, 30, 4), (20, 102, 4), span=6)
    assert change.change == pytest.approx(-2.5)
    assert change.low == pytest.approx(-4.454, abs=2e-3)
    assert change.high == pytest.approx(-0.546, abs=2e-3)
    assert change.significant


def test_mean_change_with_no_spread_is_exact():
    assert mean_change((6, 18, 2), (8, 32, 2), span=6) == Change(-1.0, -1.0, -1.0)


def test_mean_change_stays_on_the_scale():
    # Two answers a side, far apart: Welch's interval is wider than the 1–7 scale allows.
    change = mean_change((8, 50, 2), (2, 2, 2), span=6)
    assert (change.low, change.high) == (pytest.approx(-6), 6)


@pytest.mark.parametrize(("now", "then"), [((5, 25, 1), (8, 32, 2)), ((8, 32, 2), (0, 0, 0))])
def test_mean_change_needs_two_answers_on_each_side(now, then):
    assert mean_change(now, then, span=6) is None


@pytest.mark.parametrize("degrees_of_freedom", range(1, 31))
def test_t_quantile_agrees_with_the_printed_table(degrees_of_freedom):
    assert t_quantile_975(degrees_of_freedom) == pytest.approx(
        T_95[degrees_of_freedom - 1], abs=6e-4
    )


def test_t_quantile_approaches_the_normal_one():
    assert t_quantile_975(1e7) == pytest.approx(1.959964, abs=1e-5)


DEFINITIONS = Path(__file__).resolve().parent.parent / "docs" / "definitions.md"


def test_the_worked_example_in_the_docs():
    # docs/definitions.md, "A worked example": its answers, and the figures it prints.
    text = DEFINITIONS.read_text()
    ces_now = {3: 2, 4: 5, 5: 12, 6: 9, 7: 12}
    ces_then = {3: 8, 4: 8, 5: 4, 6: 8, 7: 8}

    def sums(counts):
        return (
            sum(value * n for value, n in counts.items()),
            sum(value * value * n for value, n in counts.items()),
            sum(counts.values()),
        )

    assert sums(ces_now) == (224, 1310, 40) and sums(ces_then) == (180, 980, 36)
    for change, printed in (
        (proportion_change(45, 50, 36, 48), "**−0.19 to +29.90**"),
        (nps_change((30, 12, 8), (20, 14, 14)), "**+0.04 to +62.96**"),
        (mean_change(sums(ces_now), sums(ces_then), span=6), "**−0.03 to +1.23**"),
    ):
        assert printed in text
        low, high = printed.strip("*").replace("−", "-").split(" to ")
        assert (round(change.low, 2), round(change.high, 2)) == (float(low), float(high))
        assert change.significant == (printed == "**+0.04 to +62.96**")
    assert "**+15.0 points**" in text and "**+31.5**" in text and "**+0.60**" in text
    assert proportion_change(45, 50, 36, 48).change == pytest.approx(15.0)
    assert nps_change((30, 12, 8), (20, 14, 14)).change == pytest.approx(31.5)
    assert mean_change(sums(ces_now), sums(ces_then), span=6).change == pytest.approx(0.6)
