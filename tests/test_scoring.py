"""Scoring is pure: tables of inputs and the values docs/definitions.md says they give."""

import pytest

from surveys.reports.scoring import (
    AnswerCounts,
    RatingCounts,
    admin_scorecard,
    csat_pct,
    mean,
    mean_interval,
    nps,
    nps_category,
    nps_interval,
    percentage,
    rating_pct,
    summarise,
    t_critical_95,
    target_met,
    too_few,
    weighted_mean,
    wilson_interval,
)
from surveys.scales import CES_SCALE


@pytest.mark.parametrize(
    ("satisfied", "n", "expected"),
    [
        (0, 0, None),  # no answers: no score, not zero
        (8, 10, 80.0),  # 4s and 5s over all CSAT answers
        (0, 3, 0.0),
        (1, 1, 100.0),  # n = 1
        (17, 20, 85.0),
    ],
)
def test_csat_pct(satisfied, n, expected):
    assert csat_pct(satisfied, n) == expected


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (8, 10, 49.02, 94.33),  # textbook Wilson values
        (0, 10, 0.0, 27.75),
        (10, 10, 72.25, 100.0),
        (1, 1, 20.65, 100.0),  # n = 1 is wide, not a point
        (85, 100, 76.72, 90.69),
    ],
)
def test_wilson_interval(successes, n, low, high):
    interval = wilson_interval(successes, n)
    assert interval.low == pytest.approx(low, abs=0.01)
    assert interval.high == pytest.approx(high, abs=0.01)


def test_wilson_interval_without_answers_is_none():
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "expected"),
    [
        (0, 0, 0, None),  # no answers
        (0, 10, 0, 0.0),  # all passives: they count in the total, NPS 0
        (5, 3, 2, 30.0),  # 50 % − 20 %
        (0, 0, 4, -100.0),
        (1, 0, 0, 100.0),  # n = 1
        (6, 2, 2, 40.0),
    ],
)
def test_nps(promoters, passives, detractors, expected):
    assert nps(promoters, passives, detractors) == expected


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "low", "high"),
    [
        # variance = (0.5 + 0.2 − 0.3²) / 10 = 0.061; half-width 1.96 × √0.061 = 0.4841
        (5, 3, 2, -18.41, 78.41),
        (0, 10, 0, 0.0, 0.0),  # all passives: no spread at all
        (1, 0, 0, 100.0, 100.0),  # n = 1 promoter: variance 0, clamped range
        (50, 0, 50, -19.6, 19.6),  # widest spread: variance 1, half-width 1.96 × √(1/100)
    ],
)
def test_nps_interval(promoters, passives, detractors, low, high):
    interval = nps_interval(promoters, passives, detractors)
    assert interval.low == pytest.approx(low, abs=0.01)
    assert interval.high == pytest.approx(high, abs=0.01)


def test_nps_interval_is_clamped_to_the_scale():
    interval = nps_interval(9, 0, 1)  # NPS 80, half-width 1.96 × √((1 − 0.64)/10) = 37.2
    assert interval.high == 100.0
    assert interval.low == pytest.approx(42.81, abs=0.01)


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_category(score, category):
    assert nps_category(score) == category


@pytest.mark.parametrize(
    ("total", "n", "expected"),
    [
        (0, 0, None),
        (7, 1, 7.0),
        (20, 5, 4.0),
        (11, 2, 5.5),
    ],
)
def test_mean(total, n, expected):
    assert mean(total, n) == expected


@pytest.mark.parametrize(
    ("answers", "low", "high"),
    [
        # mean 4, s = 1.5811, t(4) = 2.776: 4 ± 1.963
        ([2, 3, 4, 5, 6], 2.037, 5.963),
        ([5, 5, 5], 5.0, 5.0),  # no spread
        ([1, 7], -34.12, 42.12),  # t(1) = 12.706 makes n = 2 very wide
    ],
)
def test_mean_interval(answers, low, high):
    interval = mean_interval(sum(answers), sum(a * a for a in answers), len(answers))
    assert interval.low == pytest.approx(low, abs=0.01)
    assert interval.high == pytest.approx(high, abs=0.01)


@pytest.mark.parametrize(
    ("answers", "low", "high"),
    [
        ([1, 7], 1.0, 7.0),  # 4 ± 38.1 before clipping
        ([4, 6], 1.0, 7.0),  # 5 ± 12.71: the "-7.71–17.71" a CES tile once showed
        ([2, 3, 4, 5, 6], 2.037, 5.963),  # inside the scale: unchanged
    ],
)
def test_mean_interval_stays_on_its_scale(answers, low, high):
    interval = mean_interval(
        sum(answers), sum(a * a for a in answers), len(answers), scale=CES_SCALE
    )
    assert (interval.low, interval.high) == (
        pytest.approx(low, abs=0.001),
        pytest.approx(high, abs=0.001),
    )


@pytest.mark.parametrize("n", [0, 1])
def test_mean_interval_needs_two_answers(n):
    assert mean_interval(5 * n, 25 * n, n) is None


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        (1, 12.706),
        (4, 2.776),
        (30, 2.042),
        (31, 2.0395),
        (60, 2.0003),
        (120, 1.9799),
        (10_000, 1.9602),
    ],
)
def test_t_critical_95(df, expected):
    assert t_critical_95(df) == pytest.approx(expected, abs=0.0005)


def test_t_critical_95_refuses_zero_degrees_of_freedom():
    with pytest.raises(ValueError):
        t_critical_95(0)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (0, 0, None),
        (3, 4, 75.0),
        (0, 5, 0.0),
        (5, 5, 100.0),
    ],
)
def test_percentage(part, whole, expected):
    assert percentage(part, whole) == expected


@pytest.mark.parametrize(
    ("n", "min_n", "expected"),
    [
        (4, 5, True),
        (1, 5, True),
        (5, 5, False),
        (6, 5, False),
        (0, 5, False),  # no answers: there is no score to mark
    ],
)
def test_too_few(n, min_n, expected):
    assert too_few(n, min_n) is expected


def test_summarise_with_no_answers_gives_empty_scores_not_zero():
    scores = summarise(AnswerCounts(invitations_sent=4))
    assert scores["invitations_sent"] == 4
    assert scores["responses"] == 0
    assert scores["response_rate"] == 0.0
    for field in (
        "csat_pct",
        "csat_low",
        "csat_high",
        "csat_mean",
        "ces_mean",
        "ces_agree_pct",
        "nps",
        "nps_low",
        "nps_high",
    ):
        assert scores[field] is None, field


def test_summarise_with_nothing_sent_has_no_response_rate():
    assert summarise(AnswerCounts())["response_rate"] is None


def test_summarise_counts_skipped_questions_in_no_denominator():
    # Four responses: all answered CSAT, only two CES, one NPS.
    counts = AnswerCounts(
        invitations_sent=8,
        responses=4,
        csat_n=4,
        csat_satisfied=3,
        csat_sum=17,
        ces_n=2,
        ces_sum=11,
        ces_sum_of_squares=61,
        ces_agree=1,
        promoters=1,
        passives=0,
        detractors=0,
    )
    scores = summarise(counts)
    assert scores["response_rate"] == 50.0
    assert scores["csat_pct"] == 75.0
    assert scores["csat_mean"] == 4.25
    assert scores["ces_n"] == 2
    assert scores["ces_mean"] == 5.5
    assert scores["ces_agree_pct"] == 50.0
    assert scores["nps_n"] == 1
    assert scores["nps"] == 100.0


# Admin scorecards

EQUAL = {"speed": 1, "initiative": 1, "accuracy": 1}


@pytest.mark.parametrize(
    ("mean_rating", "pct"),
    [
        (None, None),
        (1.0, 0.0),
        (5.0, 100.0),
        (3.0, 50.0),
        (4.0, 75.0),
        (2.5, 37.5),
    ],
)
def test_rating_pct(mean_rating, pct):
    assert rating_pct(mean_rating) == pct


@pytest.mark.parametrize(
    ("values", "weights", "expected"),
    [
        ({"speed": 50.0, "initiative": 75.0, "accuracy": 100.0}, EQUAL, 75.0),
        (
            {"speed": 50.0, "initiative": 75.0, "accuracy": 100.0},
            {"speed": 2, "initiative": 1, "accuracy": 1},
            68.75,
        ),
        ({"speed": None, "initiative": None, "accuracy": None}, EQUAL, None),
        ({"speed": 40.0, "initiative": None, "accuracy": 60.0}, EQUAL, 50.0),
        (
            {"speed": 40.0, "initiative": 60.0, "accuracy": 80.0},
            {"speed": 0, "initiative": 0, "accuracy": 0},
            None,
        ),
    ],
)
def test_weighted_mean(values, weights, expected):
    assert weighted_mean(values, weights) == expected


def test_scorecard_of_three_raters():
    # Ratings (speed, initiative, accuracy): (5, 4, 3), (4, 4, 3), (3, 4, 3).
    card = admin_scorecard(
        RatingCounts(
            raters=3,
            speed_sum=12,
            initiative_sum=12,
            accuracy_sum=9,
            incidents=1,
            deliverables_due=4,
            on_time=3,
        ),
        EQUAL,
    )
    assert card["raters"] == 3
    assert (card["speed_mean"], card["initiative_mean"], card["accuracy_mean"]) == (4, 4, 3)
    assert (card["speed_pct"], card["initiative_pct"], card["accuracy_pct"]) == (75, 75, 50)
    assert card["overall_pct"] == pytest.approx(66.667, abs=0.001)
    assert card["incidents"] == 1
    # The seeds' example: 3 of 4 deliverables on time = 75 %.
    assert (card["deliverables_due"], card["on_time"], card["on_time_pct"]) == (4, 3, 75.0)


def test_scorecard_with_nothing_to_count_is_empty_not_zero():
    card = admin_scorecard(RatingCounts(), EQUAL)
    assert card["raters"] == 0 and card["incidents"] == 0
    for field in ("speed_mean", "speed_pct", "overall_pct", "on_time_pct"):
        assert card[field] is None, field


def test_scorecard_with_one_rater():
    card = admin_scorecard(
        RatingCounts(raters=1, speed_sum=1, initiative_sum=5, accuracy_sum=3), EQUAL
    )
    assert (card["speed_pct"], card["initiative_pct"], card["accuracy_pct"]) == (0, 100, 50)
    assert card["overall_pct"] == 50.0


@pytest.mark.parametrize(
    ("value", "target", "higher_is_better", "met"),
    [
        (85.0, 85.0, True, True),
        (84.9, 85.0, True, False),
        (None, 85.0, True, None),
        (80.0, None, True, None),
        (0, 0, False, True),
        (2, 0, False, False),
    ],
)
def test_target_met(value, target, higher_is_better, met):
    assert target_met(value, target, higher_is_better) is met
