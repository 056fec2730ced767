"""m015_comment_search: a full-text index of the customers' comments (SQLite FTS5), kept in
step with `responses` by triggers and filled from the comments already stored."""

STATEMENTS = (
    # External content: the index holds the words and their places, `responses` the text
    # (read back for highlighting), so a comment is stored once. Accents are folded away
    # ("cafe" finds "café"); rowid is responses.id.
    """
        CREATE VIRTUAL TABLE comments_fts USING fts5(
            comment,
            content = 'responses',
            content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2'
        )
    """,
    # Only responses with a comment are indexed; the triggers run inside the statement that
    # writes the answer, so a search never sees an answer without its words or the reverse.
    """
        CREATE TRIGGER comments_fts_insert AFTER INSERT ON responses
        WHEN new.comment IS NOT NULL
        BEGIN
            INSERT INTO comments_fts (rowid, comment) VALUES (new.id, new.comment);
        END
    """,
    # A survey submitted again rewrites the row (an upsert): unchanged comments are left be.
    """
        CREATE TRIGGER comments_fts_update AFTER UPDATE OF comment ON responses
        WHEN old.comment IS NOT new.comment
        BEGIN
            INSERT INTO comments_fts (comments_fts, rowid, comment)
                SELECT 'delete', old.id, old.comment WHERE old.comment IS NOT NULL;
            INSERT INTO comments_fts (rowid, comment)
                SELECT new.id, new.comment WHERE new.comment IS NOT NULL;
        END
    """,
    """
        CREATE TRIGGER comments_fts_delete AFTER DELETE ON responses
        WHEN old.comment IS NOT NULL
        BEGIN
            INSERT INTO comments_fts (comments_fts, rowid, comment)
                VALUES ('delete', old.id, old.comment);
        END
    """,
    "INSERT INTO comments_fts (rowid, comment) "
    "SELECT id, comment FROM responses WHERE comment IS NOT NULL",
)
