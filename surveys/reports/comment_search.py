"""Searching what customers wrote: the comments holding every word of a query, found in the
full-text index (surveys/store/comment_index.py), best match first, matched words marked.

A query is plain words, never FTS5's query language: each word is quoted as an FTS5 string,
so quotes, `*`, `(`, `NEAR`, `AND`, `OR`, `NOT`, `:`, `^` and `-` are only characters, and
a query can never fail to parse. Inside a string FTS5 splits a word as it split the
comments ("can't" is the phrase "can t"); characters that are no part of a word (emoji,
punctuation) find nothing and are left out of the match. Case and accents never matter.
"""

import unicodedata

from markupsafe import Markup, escape

from surveys.errors import RangeError
from surveys.helpdesk.ticket_links import with_ticket_urls
from surveys.reports.comments import COMMENT_COLUMNS, COMMENT_JOINS
from surveys.reports.score_queries import LOW_SQL, RESPONSE_COLUMNS

MAX_QUERY_LENGTH = 500
# FTS5's highlight() wraps each matched word in these two characters; the page turns them
# into <mark> after escaping the text. Customers cannot send control characters (text.py),
# and a comment that holds one anyway is shown unmarked rather than misread.
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
# Control characters and lone surrogates in a query are gaps between words: FTS5 stops
# reading a string at NUL, and a lone surrogate cannot be sent to SQLite.
GAP_CATEGORIES = {"Cc", "Cs"}

# The best matches in range (ids and bm25 scores; ties go to the newest response), found
# before anything else is read: highlight() tokenizes a comment again, so it runs only for
# the rows shown, not for every match. CROSS JOIN keeps the index first: left to itself,
# SQLite walked a filtered agent's or team's invitations and ran the MATCH once for each.
BEST_SQL = """
WITH best AS (
    SELECT responses.id, bm25(comments_fts) AS score
      FROM comments_fts
     CROSS JOIN responses ON responses.id = comments_fts.rowid
     CROSS JOIN invitations ON invitations.id = responses.invitation_id
     WHERE comments_fts MATCH :words
       AND invitations.closed_day BETWEEN :from_day AND :to_day {filters} {low}
     ORDER BY score, responses.id DESC {limit}
)"""

# highlight() needs the index's own row for the match. CROSS JOIN keeps SQLite's order: one
# more pass over the matches, each looked up in `best`, rather than the MATCH run again for
# each of the best rows (measured several times slower for a common word).
SEARCH_SQL = (
    BEST_SQL
    + f"""
SELECT {COMMENT_COLUMNS},
       highlight(comments_fts, 0, char(2), char(3)) AS marked
  FROM comments_fts
 CROSS JOIN best ON best.id = comments_fts.rowid
 CROSS JOIN responses ON responses.id = best.id {COMMENT_JOINS}
 WHERE comments_fts MATCH :words
 ORDER BY best.score, best.id DESC
"""  # noqa: S608 (fixed columns and joins)
)
DOWNLOAD_SQL = (
    BEST_SQL
    + f"""
SELECT {RESPONSE_COLUMNS}
  FROM best
  JOIN responses ON responses.id = best.id {COMMENT_JOINS}
 ORDER BY best.score, best.id DESC
"""  # noqa: S608 (fixed columns and joins)
)


def checked_query(q):
    """The query trimmed ('' for none); RangeError naming `q` when it is too long."""
    q = (q or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise RangeError({"q": f"must be at most {MAX_QUERY_LENGTH} characters"})
    return q


def match_expression(q):
    """An FTS5 query asking for every word of `q`, each quoted as a string (so nothing in it
    is FTS5 syntax); None when `q` holds no word at all."""
    spaced = "".join(
        " " if unicodedata.category(character) in GAP_CATEGORIES else character for character in q
    )
    words = dict.fromkeys(spaced.split())
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def marked_comment(marked, comment):
    """The comment as safe HTML: its text escaped, each matched word in <mark>."""
    if MARK_OPEN in comment or MARK_CLOSE in comment:
        return escape(comment)
    # escape() leaves the two marks alone, and they can only be highlight()'s own.
    html = str(escape(marked)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    return Markup(html)  # noqa: S704 (built from escaped text and our own tags)


def search_sql(sql, report_range, q, low_only, limit):
    """The SQL and parameters for the comments in range matching `q`; None when `q` holds no
    word to search for."""
    words = match_expression(checked_query(q))
    if words is None:
        return None
    filters, params = report_range.filter_sql("invitations")
    params.update(
        words=words,
        from_day=report_range.from_day.isoformat(),
        to_day=report_range.to_day.isoformat(),
    )
    text = sql.format(
        filters=filters,
        low=LOW_SQL if low_only else "",
        limit=f"LIMIT {int(limit)}" if limit else "",
    )
    return text, params


def search_comments(db, report_range, q, low_only=False, limit=200):
    """The responses in range whose comment holds every word of `q`, best match (bm25)
    first, at most `limit`: the rows of comments.comment_rows, each with its `ticket_url`
    and `comment_html` (the comment escaped, matched words in <mark>). Low ratings only
    when asked; an empty list when `q` holds no word; RangeError when `q` is too long."""
    query = search_sql(SEARCH_SQL, report_range, q, low_only, limit)
    if query is None:
        return []
    rows = []
    for row in db.query(*query):
        marked = row.pop("marked")
        rows.append(dict(row, comment_html=marked_comment(marked, row["comment"])))
    return with_ticket_urls(db, rows)


def search_response_rows(db, report_range, q):
    """The download's rows (score_queries.RESPONSE_FIELDS) of every response in range whose
    comment holds every word of `q`, best match first, read lazily."""
    query = search_sql(DOWNLOAD_SQL, report_range, q, low_only=False, limit=None)
    return iter(()) if query is None else db.query(*query)
