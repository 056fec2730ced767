"""m014_data_protection: sessions that end on sign-out, a count of unknown-link attempts,
closures dated on arrival, and the erasure log."""

STATEMENTS = (
    # A sign-in's server-side record: the cookie holds a token, this its hash. Signing out
    # ends it here, so a copied cookie stops working; the person's other sessions stay.
    """
        CREATE TABLE user_sessions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            ended_at TEXT
        ) STRICT
    """,
    "CREATE INDEX idx_user_sessions_user_id ON user_sessions (user_id)",
    # Unknown survey and unsubscribe links tried, per client address, so every worker sees
    # one count (like sign-in attempts).
    """
        CREATE TABLE link_attempts (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL,
            attempted_at TEXT NOT NULL
        ) STRICT
    """,
    "CREATE INDEX idx_link_attempts_address_attempted_at ON link_attempts (address, attempted_at)",
    # A closure whose help desk sent no closing time is dated when it arrives: it may be
    # the same ticket as one closed up to a day earlier that arrives another way.
    "ALTER TABLE tickets ADD COLUMN dated_on_arrival INTEGER NOT NULL DEFAULT 0 "
    "CHECK (dated_on_arrival IN (0, 1))",
    # Each erasure of a customer's personal data, without the address: when, why, by whom
    # and how many rows it changed.
    """
        CREATE TABLE erasures (
            id INTEGER PRIMARY KEY,
            erased_at TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN ('request', 'retention')),
            erased_by INTEGER REFERENCES users(id),
            tickets INTEGER NOT NULL DEFAULT 0,
            invitations INTEGER NOT NULL DEFAULT 0,
            responses INTEGER NOT NULL DEFAULT 0,
            other_rows INTEGER NOT NULL DEFAULT 0
        ) STRICT
    """,
)
