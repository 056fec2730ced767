"""Themes: the words and two-word phrases that set low-rated customers' comments apart
from high-rated ones', and the reverse (docs/definitions.md#themes).

Terms are ranked by the weighted log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi and Quinn, 2008, "Fightin' Words"), the prior being the raw counts of
every comment in range (low, high and neither), unscaled. The counts are read from the
term rollups (surveys/store/term_rollups.py), never from the comments: whole months from
the month rows, the days either side from the day rows, as the ticket histograms are.
"""

import math
from dataclasses import dataclass

from surveys.errors import RangeError
from surveys.reports.kpi_queries import range_params

Z_LISTED = 1.96  # |z| at which a term is listed: 95 % two-sided
LISTED = 25  # terms listed on each side at most
MIN_COUNT = 5  # a term's least count in low and high comments together, by default
MAX_MIN_COUNT = 1_000_000_000


@dataclass(frozen=True)
class TermCount:
    """How often a term was written in range: in low, in high and in all comments."""

    term: str
    low: int
    high: int
    total: int


def log_odds_z(y_low, y_high, prior, n_low, n_high, a0):
    """z of the log-odds ratio of a term in low against high comments, with its prior
    count (`prior`, of a0 in all) added; positive leans low. None when undefined (a
    term that is all the prior holds)."""
    rest_low = n_low + a0 - y_low - prior
    rest_high = n_high + a0 - y_high - prior
    if prior <= 0 or rest_low <= 0 or rest_high <= 0:
        return None
    delta = math.log((y_low + prior) / rest_low) - math.log((y_high + prior) / rest_high)
    variance = 1 / (y_low + prior) + 1 / (y_high + prior)
    return delta / math.sqrt(variance)


def ranked_terms(counts, totals, min_count):
    """(low, high): the terms of `counts` that lean low or high (|z| >= 1.96) and occur at
    least `min_count` times in low and high comments together, strongest first, at most
    25 each, as (TermCount, z). `totals` is the TermCount summed over every term in range.
    """
    low, high = [], []
    for count in counts:
        if count.low + count.high < min_count:
            continue
        z = log_odds_z(count.low, count.high, count.total, totals.low, totals.high, totals.total)
        if z is not None and z >= Z_LISTED:
            low.append((count, z))
        elif z is not None and z <= -Z_LISTED:
            high.append((count, z))
    low.sort(key=lambda pair: (-pair[1], pair[0].term))
    high.sort(key=lambda pair: (pair[1], pair[0].term))
    return low[:LISTED], high[:LISTED]


def read_min_count(args):
    """The `min_count` parameter: a whole number from 0 (default 5); RangeError otherwise."""
    value = (args.get("min_count") or "").strip()
    if not value:
        return MIN_COUNT
    if not value.isascii() or not value.isdigit() or int(value) > MAX_MIN_COUNT:
        raise RangeError({"min_count": f"must be a whole number from 0 to {MAX_MIN_COUNT:,}"})
    return int(value)


# Whole months from the month rows, the days either side from the day rows; each part a
# range of the primary key (grain, period, ...). {table} is term_totals (cells merged)
# unless the report is filtered; {filters} is the range's filter on term_rollups. The
# first row is the sum over every term (the totals); then the terms that may be listed.
THEMES_SQL = """
WITH spans AS (
    SELECT class, term, n FROM {table}
     WHERE grain = 'month' AND period BETWEEN :first_month AND :last_month {filters}
    UNION ALL
    SELECT class, term, n FROM {table}
     WHERE grain = 'day' AND period BETWEEN :head_from AND :head_to {filters}
    UNION ALL
    SELECT class, term, n FROM {table}
     WHERE grain = 'day' AND period BETWEEN :tail_from AND :tail_to {filters}),
counted AS MATERIALIZED (
    SELECT term, coalesce(sum(n) FILTER (WHERE class = 'low'), 0) AS low,
           coalesce(sum(n) FILTER (WHERE class = 'high'), 0) AS high, sum(n) AS total
      FROM spans GROUP BY term)
SELECT NULL AS term, coalesce(sum(low), 0) AS low, coalesce(sum(high), 0) AS high,
       coalesce(sum(total), 0) AS total
  FROM counted
UNION ALL
SELECT term, low, high, total FROM counted WHERE low + high >= :min_count
"""  # noqa: S608 (fixed SQL fragments)

FORMS_SQL = """
SELECT term, form FROM term_forms WHERE term IN ({terms}) ORDER BY term, n DESC, form
"""  # noqa: S608 (one bound parameter per term)


def themes_sql(report_range):
    """THEMES_SQL for a range, and its filter parameters."""
    filters, params = report_range.filter_sql("term_rollups")
    table = "term_rollups" if filters else "term_totals"
    return THEMES_SQL.format(table=table, filters=filters), params


def term_counts(db, report_range, min_count):
    """(totals, counts): every term in range summed, and the TermCount of each term that
    occurs at least `min_count` times in low and high comments together."""
    sql, params = themes_sql(report_range)
    params.update(range_params(report_range), min_count=min_count)
    [totals, *counts] = (TermCount(*row) for row in db.execute(sql, params))
    return totals, counts


def commonest_forms(db, terms):
    """{term: the form it was most often written in} for these terms."""
    if not terms:
        return {}
    params = {f"term_{index}": term for index, term in enumerate(terms)}
    sql = FORMS_SQL.format(terms=", ".join(f":{name}" for name in params))
    forms = {}
    for term, form in db.execute(sql, params):
        forms.setdefault(term, form)
    return forms


def themes(db, report_range, min_count=MIN_COUNT):
    """The themes of a range: {"low": [TERM ...], "high": [TERM ...], "totals": TermCount},
    each TERM {"term", "low_count", "high_count", "z"}, its term shown in its commonest
    form and z rounded to 2 decimals; empty lists when the range has no comments."""
    totals, counts = term_counts(db, report_range, min_count)
    low, high = ranked_terms(counts, totals, min_count)
    forms = commonest_forms(db, [count.term for count, _ in low + high])

    def listed(pairs):
        return [
            {
                "term": forms.get(count.term, count.term),
                "low_count": count.low,
                "high_count": count.high,
                "z": round(z, 2),
            }
            for count, z in pairs
        ]

    return {"low": listed(low), "high": listed(high), "totals": totals}
