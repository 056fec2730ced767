"""What the charts draw: a report range cut into weeks or months, each with its scores and
95 % intervals, and how many answers each score got; all summed from the daily rollups."""

from dataclasses import dataclass, replace
from datetime import timedelta

from surveys.reports.score_queries import (
    COUNTS_SQL,
    answer_counts,
    answer_distribution,
    format_row,
    summed_counts,
)
from surveys.reports.scoring import summarise
from surveys.scales import SCALES
from surveys.store.rollups import SURVEY_COUNTS

# A range of this many days or fewer is drawn week by week: a month or two of months would
# be two or three points, too few to show a trend. A longer range is drawn month by month.
WEEKLY_MAX_DAYS = 90

# The Monday that starts a day's week (weeks run Monday to Sunday, as ISO 8601 has them):
# 'weekday 0' moves to the Sunday on or after the day, and that week began six days earlier.
WEEK_START = "date(survey_rollups.day, 'weekday 0', '-6 days')"
WEEKLY_SQL = COUNTS_SQL.format(group=WEEK_START, filters="{filters}")

# The CES interval is not part of the public ROW; the charts' table shows it, rounded like
# the mean.
CES_INTERVAL = ("ces_low", "ces_high")


@dataclass(frozen=True)
class Trend:
    """A range's scores period by period: `period` is "week" or "month"; `rows` are public
    ROWs (`group` is the week's Monday or the month, YYYY-MM) with the CES interval, the
    first and last day of each period inside the range, and whether that is all of it."""

    period: str
    rows: list


@dataclass(frozen=True)
class ChartFigures:
    """Everything the charts of a page draw, for the tables beside them."""

    trend: Trend
    answers: dict


def is_weekly(report_range):
    """True when the range is short enough to be drawn week by week."""
    return (report_range.to_day - report_range.from_day).days + 1 <= WEEKLY_MAX_DAYS


def weeks(from_day, to_day):
    """Every week touching the range, as (Monday as YYYY-MM-DD, Monday, Sunday)."""
    monday = from_day - timedelta(days=from_day.weekday())
    while monday <= to_day:
        yield monday.isoformat(), monday, monday + timedelta(days=6)
        monday += timedelta(days=7)


def months(from_day, to_day):
    """Every month touching the range, as (YYYY-MM, its first day, its last day)."""
    first = from_day.replace(day=1)
    while first <= to_day:
        following = (first + timedelta(days=31)).replace(day=1)
        yield first.strftime("%Y-%m"), first, following - timedelta(days=1)
        first = following


def weekly_sums(db, report_range):
    """The survey rollup columns summed per week ({Monday as YYYY-MM-DD: {column: n}})."""
    filters, params = report_range.filter_sql("survey_rollups")
    params.update(
        from_day=report_range.from_day.isoformat(), to_day=report_range.to_day.isoformat()
    )
    return {row.pop("grp"): row for row in db.query(WEEKLY_SQL.format(filters=filters), params)}


def period_sums(db, report_range, weekly):
    """The survey rollup columns summed per week or per month of the range."""
    if weekly:
        return weekly_sums(db, report_range)
    sums, _ = summed_counts(db, replace(report_range, group_by="month"))
    return sums


def trend_rows(report_range, weekly, sums):
    """Every week or month of the range, as a ROW of its sums; one without closures with
    empty scores, so the points keep their place in time."""
    nothing = dict.fromkeys(SURVEY_COUNTS, 0)
    cut = weeks if weekly else months
    rows = []
    for group, first, last in cut(report_range.from_day, report_range.to_day):
        scores = summarise(answer_counts(sums.get(group, nothing)))
        row = format_row(group, scores)
        for field in CES_INTERVAL:
            row[field] = None if scores[field] is None else round(scores[field], 2)
        # The range may start or end inside a week or month: that period counts fewer days.
        first_day = max(first, report_range.from_day)
        last_day = min(last, report_range.to_day)
        whole = (first_day, last_day) == (first, last)
        rows.append(dict(row, first_day=first_day, last_day=last_day, whole=whole))
    return Trend("week" if weekly else "month", rows)


def trend(db, report_range):
    """The range's scores week by week (90 days or fewer) or month by month."""
    weekly = is_weekly(report_range)
    return trend_rows(report_range, weekly, period_sums(db, report_range, weekly))


def answers_per_score(db, report_range):
    """How many answers each score of each scale got, zeros included: {"csat": {1: n, …}}."""
    counts = answer_distribution(db, report_range)
    return {
        kind: {value: counts[kind].get(value, 0) for value in values}
        for kind, values in SCALES.items()
    }


def chart_figures(db, report_range):
    """The figures behind a page's charts: the trend and the answers per score, both from
    one query (the answers are the periods' sums added up)."""
    weekly = is_weekly(report_range)
    sums = period_sums(db, report_range, weekly)
    answers = {
        kind: {
            value: sum(period[f"{kind}_{value}"] for period in sums.values()) for value in values
        }
        for kind, values in SCALES.items()
    }
    return ChartFigures(trend_rows(report_range, weekly, sums), answers)
