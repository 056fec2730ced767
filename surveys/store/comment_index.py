"""The full-text index of the customers' comments (`comments_fts`, SQLite FTS5).

Triggers on `responses` keep it in step with every write (migration m015); these rules
rebuild it from the raw comments and wipe erased words from its pages. Searching it is
surveys/reports/comment_search.py.

Beside it, `comment_words` (migration m019) lists each comment's words with how often each
occurs (tf) and the comment's length, keyed in bm25's order for one word, so that a one-word
search reads its best matches first. Its words are the index's own. In a plain ASCII
comment the tokenizer's words are the runs of ASCII letters and digits, lower-cased, so
they are split here; any other comment goes through a private, empty FTS5 index of the same
tokenizer (a TEMP table, one per connection, never written to the file) and is read back,
so a word is never split or folded one way here and another way there. The app's write
path stores them (after a submit, and in the demo); `flask rollups rebuild` refills them
from the index.
"""

import re
from collections import Counter

INDEX_TABLE = "comments_fts"
# The index's tokenizer (migration m015); the words table must read comments the same way.
TOKENIZE = "unicode61 remove_diacritics 2"

# Each comment's words, counted, from an FTS5 index's list of word places (`{places}`, a
# fts5vocab 'instance' table): its terms, their counts per comment, and each comment's
# length (every place counted once).
WORDS_FROM_PLACES_SQL = """
INSERT INTO comment_words (word, tf, length, response_id)
WITH counted AS (SELECT term, doc, count(*) AS tf FROM {places} GROUP BY term, doc),
     lengths AS MATERIALIZED (SELECT doc, sum(tf) AS length FROM counted GROUP BY doc)
SELECT term, tf, length, doc FROM counted JOIN lengths USING (doc)
"""
TOKENIZER_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.comment_tokens "
    f"USING fts5(comment, content = '', tokenize = '{TOKENIZE}')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.comment_token_places "
    "USING fts5vocab(temp, comment_tokens, instance)",
)
INSERT_WORD_SQL = "INSERT INTO comment_words (word, tf, length, response_id) VALUES (?, ?, ?, ?)"
# The tokenizer's words in lower-cased ASCII text (its ASCII token characters).
ASCII_WORD = re.compile("[a-z0-9]+")
# Comments not yet in comment_words (new, or changed: a trigger removed the old words),
# narrowed by {condition}.
UNCOUNTED_SQL = """
SELECT id, comment FROM responses
 WHERE comment IS NOT NULL {condition}
   AND NOT EXISTS (SELECT 1 FROM comment_words WHERE response_id = responses.id)
"""

REFILL_SQL = (
    "INSERT INTO comments_fts (rowid, comment) "
    "SELECT id, comment FROM responses WHERE comment IS NOT NULL"
)


def rebuild(db):
    """Index every stored comment afresh and count its words again (after hand-made
    changes); run it inside a write transaction. FTS5's own 'rebuild' would index the
    responses without a comment too, which the triggers never do; emptying and refilling
    keeps one shape either way."""
    db.execute("INSERT INTO comments_fts (comments_fts) VALUES ('delete-all')")
    db.execute(REFILL_SQL)
    db.execute("DELETE FROM comment_words")
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.comment_word_places "
        "USING fts5vocab(main, comments_fts, instance)"
    )
    db.execute(WORDS_FROM_PLACES_SQL.format(places="temp.comment_word_places"))
    db.execute("DROP TABLE temp.comment_word_places")


def store_words(db, condition="", params=()):
    """Count the words of the comments not yet in comment_words (narrowed by `condition`,
    a fixed SQL fragment over `responses`): in the write transaction that stored them."""
    rows = db.execute(UNCOUNTED_SQL.format(condition=condition), params).fetchall()
    db.conn.executemany(
        INSERT_WORD_SQL,
        (
            (word, tf, length, response_id)
            for response_id, comment in rows
            if comment.isascii()
            for word, tf, length in ascii_words(comment)
        ),
    )
    others = [(response_id, comment) for response_id, comment in rows if not comment.isascii()]
    if others:
        for statement in TOKENIZER_SQL:
            db.execute(statement)
        db.conn.executemany(
            "INSERT INTO temp.comment_tokens (rowid, comment) VALUES (?, ?)", others
        )
        db.execute(WORDS_FROM_PLACES_SQL.format(places="temp.comment_token_places"))
        db.execute("INSERT INTO temp.comment_tokens (comment_tokens) VALUES ('delete-all')")


def ascii_words(comment):
    """(word, tf, length) for each word of a plain ASCII comment, as the index reads it."""
    words = ASCII_WORD.findall(comment.lower())
    return [(word, tf, len(words)) for word, tf in Counter(words).items()]


def purge_erased(db):
    """Rewrite the index without the words of erased comments.

    Deleting a comment from an FTS5 index only adds a tombstone: its words and their
    places stay in the older pages until a merge, and together they spell the comment.
    'optimize' merges every page into one, and secure_delete zeroes the freed ones.
    """
    db.execute("INSERT INTO comments_fts (comments_fts) VALUES ('optimize')")
