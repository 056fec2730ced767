"""The full-text index of the customers' comments (`comments_fts`, SQLite FTS5).

Triggers on `responses` keep it in step with every write (migration m015); these rules
rebuild it from the raw comments and wipe erased words from its pages. Searching it is
surveys/reports/comment_search.py.
"""

INDEX_TABLE = "comments_fts"

REFILL_SQL = (
    "INSERT INTO comments_fts (rowid, comment) "
    "SELECT id, comment FROM responses WHERE comment IS NOT NULL"
)


def rebuild(db):
    """Index every stored comment afresh (after hand-made changes); run it inside a write
    transaction. FTS5's own 'rebuild' would index the responses without a comment too,
    which the triggers never do; emptying and refilling keeps one shape either way."""
    db.execute("INSERT INTO comments_fts (comments_fts) VALUES ('delete-all')")
    db.execute(REFILL_SQL)


def purge_erased(db):
    """Rewrite the index without the words of erased comments.

    Deleting a comment from an FTS5 index only adds a tombstone: its words and their
    places stay in the older pages until a merge, and together they spell the comment.
    'optimize' merges every page into one, and secure_delete zeroes the freed ones.
    """
    db.execute("INSERT INTO comments_fts (comments_fts) VALUES ('optimize')")
