"""m019_comment_words: each comment's words as the full-text index reads them, with how
often each occurs and how long the comment is, in bm25's order, so that a one-word search
reads its best matches first instead of scoring every match (surveys/store/comment_index.py).
Filled from the index itself, kept by the app's write path, emptied by triggers."""

STATEMENTS = (
    # A word as comments_fts indexes it (lower-cased, accents removed), the times it
    # occurs in the comment (tf) and the comment's length in words: for one word, bm25
    # depends on these two alone. Within one tf, a shorter comment scores higher, and ties
    # go to the newest response: the key's own order.
    """
        CREATE TABLE comment_words (
            word TEXT NOT NULL,
            tf INTEGER NOT NULL CHECK (tf > 0),
            length INTEGER NOT NULL CHECK (length >= tf),
            response_id INTEGER NOT NULL REFERENCES responses(id),
            PRIMARY KEY (word, tf, length, response_id DESC)
        ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX comment_words_response ON comment_words (response_id)",
    # A changed or removed comment takes its words with it; the app stores the new ones.
    """
        CREATE TRIGGER responses_words_comment AFTER UPDATE OF comment ON responses
        WHEN OLD.comment IS NOT NEW.comment BEGIN
            DELETE FROM comment_words WHERE response_id = NEW.id;
        END
    """,
    """
        CREATE TRIGGER responses_words_delete BEFORE DELETE ON responses BEGIN
            DELETE FROM comment_words WHERE response_id = OLD.id;
        END
    """,
    # The comments already indexed, read from the index's own list of word occurrences.
    "CREATE VIRTUAL TABLE temp.comment_word_places USING fts5vocab(main, comments_fts, instance)",
    """
        INSERT INTO comment_words (word, tf, length, response_id)
        WITH counted AS (
            SELECT term, doc, count(*) AS tf FROM temp.comment_word_places GROUP BY term, doc
        ),
        lengths AS MATERIALIZED (SELECT doc, sum(tf) AS length FROM counted GROUP BY doc)
        SELECT term, tf, length, doc FROM counted JOIN lengths USING (doc)
    """,
    "DROP TABLE temp.comment_word_places",
)
