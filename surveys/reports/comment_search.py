"""Searching what customers wrote: the comments holding every word of a query, found in the
full-text index (surveys/store/comment_index.py), best match first, matched words marked.

A query is plain words, never FTS5's query language: each word is quoted as an FTS5 string,
so quotes, `*`, `(`, `NEAR`, `AND`, `OR`, `NOT`, `:`, `^` and `-` are only characters, and
a query can never fail to parse. Inside a string FTS5 splits a word as it split the
comments ("can't" is the phrase "can t"); characters that are no part of a word (emoji,
punctuation) find nothing and are left out of the match. Case and accents never matter.

A query of one plain word (ASCII letters and digits: one token, whatever the tokenizer)
skips the index's scoring: bm25 must read every match to rank them, where `comment_words`
(surveys/store/comment_index.py) holds each comment's words keyed in bm25's own order for
one word. The search reads the best rows there, checks the range and filters on each, and
stops once the page is full: the same rows in the same order as FTS5's bm25 (a test holds
them equal), at a cost that does not grow with the number of matches.
"""

import re
import unicodedata

from markupsafe import Markup, escape

from surveys.errors import RangeError
from surveys.helpdesk.ticket_links import with_ticket_urls
from surveys.reports.comments import COMMENT_COLUMNS, COMMENT_JOINS
from surveys.reports.score_queries import LOW_SQL, RESPONSE_COLUMNS
from surveys.store.comment_index import TOKENIZE

MAX_QUERY_LENGTH = 500
# FTS5's highlight() wraps each matched word in these two characters; the page turns them
# into <mark> after escaping the text. Customers cannot send control characters (text.py),
# and a comment that holds one anyway is shown unmarked rather than misread.
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
# Joins a page's plain comments so one pattern pass and one escape mark them all; it is no
# word character, and customers cannot send it either.
JOINER = "\x00"
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


# FTS5's bm25 constants (k1 and b), and its record of the indexed rows and their total
# length in words (the 'averages' row of the index's data table).
BM25_K1, BM25_B = 1.2, 0.75
AVERAGES_SQL = "SELECT block FROM comments_fts_data WHERE id = 1"
NEXT_TF_SQL = "SELECT min(tf) FROM comment_words WHERE word = ? AND tf > ?"
# One word's matches occurring `tf` times in their comment, best first: shortest comment,
# then newest (the key's order, so no sort), each checked against the range and filters
# as it is read. CROSS JOIN keeps comment_words first, so the read stops at the page.
# The first column is bm25's weight for the word in the comment, computed as FTS5 computes
# it; FTS5's score is minus the word's idf times it, and idf is the same for every match
# of a one-word query, so the weight alone orders them.
WORD_SQL = f"""
SELECT (:tf * (:k1 + 1.0)) / (:tf + :k1 * (1 - :b + :b * comment_words.length / :average)),
       comment_words.response_id, {COMMENT_COLUMNS}
  FROM comment_words
 CROSS JOIN responses ON responses.id = comment_words.response_id {COMMENT_JOINS}
 WHERE comment_words.word = :word AND comment_words.tf = :tf
   AND invitations.closed_day BETWEEN :from_day AND :to_day {{filters}} {{low}}
 ORDER BY comment_words.length, comment_words.response_id DESC
 LIMIT :limit
"""  # noqa: S608 (fixed columns and joins)
# A private index for marking the shown comments that are not plain ASCII (the others are
# marked by a pattern): a TEMP table, this connection's own, never written to the file.
MARKER_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.comment_marks "
    f"USING fts5(comment, tokenize = '{TOKENIZE}')",
)
MARKS_SQL = (
    "SELECT rowid, highlight(comment_marks, 0, char(2), char(3)) "
    "FROM temp.comment_marks WHERE comment_marks MATCH ?"
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
    return Markup(html_with_marks(marked))  # noqa: S704 (escaped text and our own tags)


def html_with_marks(marked):
    """Text holding highlight()'s marks, escaped, each mark turned into a <mark> tag."""
    return str(escape(marked)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


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
    q = checked_query(q)
    word = q.lower()
    if limit and word.isascii() and word.isalnum():
        rows = best_of_word(db, report_range, word, low_only, limit)
        return with_ticket_urls(db, with_marked_word(db, rows, word))
    query = search_sql(SEARCH_SQL, report_range, q, low_only, limit)
    if query is None:
        return []
    rows = []
    for row in db.query(*query):
        marked = row.pop("marked")
        rows.append(dict(row, comment_html=marked_comment(marked, row["comment"])))
    return with_ticket_urls(db, rows)


def average_length(db):
    """The indexed comments' average length in words, as bm25 reads it; None when none is
    indexed. The record is FTS5's: the row count, then the words, as SQLite varints."""
    record = db.conn.execute(AVERAGES_SQL).fetchone()
    if record is None or not record[0]:
        return None
    rows, at = read_varint(record[0], 0)
    words, _ = read_varint(record[0], at)
    return words / rows if rows else None


def read_varint(data, at):
    """The SQLite varint at `at` in `data` (big-endian, 7 bits a byte, the ninth byte
    whole), and the offset after it."""
    value = 0
    for place in range(9):
        byte = data[at]
        at += 1
        if place == 8:
            return (value << 8) | byte, at
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at
    raise AssertionError("unreachable")  # pragma: no cover (the loop returns by place 8)


def best_of_word(db, report_range, word, low_only, limit):
    """The best `limit` comments in range holding `word` (a folded token), in bm25 order,
    ties to the newest: each tf's best rows in turn, merged, each list read only while
    it can still beat the page's last row."""
    average = average_length(db)
    if average is None:
        return []
    filters, params = report_range.filter_sql("invitations")
    params.update(
        word=word,
        from_day=report_range.from_day.isoformat(),
        to_day=report_range.to_day.isoformat(),
        limit=int(limit),
        average=average,
        k1=BM25_K1,
        b=BM25_B,
    )
    sql = WORD_SQL.format(filters=filters, low=LOW_SQL if low_only else "")
    best, tf, names = [], 0, None
    while (tf := db.conn.execute(NEXT_TF_SQL, [word, tf]).fetchone()[0]) is not None:
        # The page's last row so far, which this tf's rows must beat (None: room is left).
        last = best[-1][0] if len(best) == limit else None
        cursor = db.conn.execute(sql, {**params, "tf": tf})
        names = [column[0] for column in cursor.description][2:]  # past the weight and id
        for values in cursor:
            # (the weight, then the id, both negated: the best row has the smallest order)
            order = (-values[0], -values[1])
            if last is not None and order >= last:
                break  # this tf's rows only get worse from here
            best.append((order, values))
        best.sort(key=lambda ranked: ranked[0])
        del best[limit:]
    # (names and values come from one cursor: zip's strict check, even a keyword saying
    # strict=False, would only cost time)
    return [dict(zip(names, values[2:])) for _, values in best]  # noqa: B905


def with_marked_word(db, rows, word):
    """The rows, each with `comment_html`, its occurrences of `word` in <mark>: the plain
    ASCII comments by a pattern, any other by FTS5's highlight()."""
    plain = [row for row in rows if row["comment"].isascii()]
    others = [row for row in rows if not row["comment"].isascii()]
    for row, html in zip(plain, marked_plain([row["comment"] for row in plain], word), strict=True):
        row["comment_html"] = html
    if others:
        marked = highlighted(db, [(row["response_id"], row["comment"]) for row in others], word)
        for row in others:
            comment = row["comment"]
            row["comment_html"] = marked_comment(marked.get(row["response_id"], comment), comment)
    return rows


def marked_plain(comments, word):
    """Plain ASCII comments as safe HTML, each occurrence of `word` in <mark>. In such text
    a word is a run of ASCII letters and digits, as FTS5 splits it, so a pattern finds it.
    The comments are joined, so one pattern pass and one escape serve the page."""
    # On the lower-cased text; the word first, so the pattern skips ahead to it.
    alone = re.compile(rf"{word}(?<![a-z0-9]{word})(?![a-z0-9])")
    joined = JOINER.join(comments)
    if joined.count(JOINER) >= len(comments) or MARK_OPEN in joined or MARK_CLOSE in joined:
        # A comment holds the joiner or a mark itself (customers cannot send them): each
        # is marked on its own, as marked_comment decides.
        return [marked_comment(with_marks(comment, alone), comment) for comment in comments]
    html = html_with_marks(with_marks(joined, alone))
    return [Markup(part) for part in html.split(JOINER)]  # noqa: S704 (escaped, our tags)


def with_marks(text, alone):
    """ASCII `text` with each match of `alone` in its lower-cased copy between the marks
    (lower-casing ASCII keeps every character in its place)."""
    pieces, at = [], 0
    for found in alone.finditer(text.lower()):
        start, end = found.span()
        pieces += (text[at:start], MARK_OPEN, text[start:end], MARK_CLOSE)
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def highlighted(db, comments, word):
    """{response id: its comment with `word` between the marks}, by FTS5's highlight() on
    a private TEMP index of these comments alone (the shared index would look each one up
    among all the word's matches)."""
    # In a transaction of its own (or a savepoint of the caller's) that leaves the table
    # empty: nothing is kept, and no transaction stays open on the connection.
    with db.atomic():
        for statement in MARKER_SQL:
            db.execute(statement)
        db.conn.executemany(
            "INSERT INTO temp.comment_marks (rowid, comment) VALUES (?, ?)", comments
        )
        marked = dict(db.conn.execute(MARKS_SQL, [f'"{word}"']).fetchall())
        db.execute("DELETE FROM temp.comment_marks")
    return marked


def search_response_rows(db, report_range, q):
    """The download's rows (score_queries.RESPONSE_FIELDS) of every response in range whose
    comment holds every word of `q`, best match first, read lazily."""
    query = search_sql(DOWNLOAD_SQL, report_range, q, low_only=False, limit=None)
    return iter(()) if query is None else db.query(*query)
