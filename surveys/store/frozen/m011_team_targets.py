"""m011_team_targets: each team's own targets."""

STATEMENTS = (
    # A score without a row here uses the company's target (the `targets` table, else its
    # default).
    """
        CREATE TABLE team_targets (
            team_id INTEGER NOT NULL REFERENCES teams(id),
            name TEXT NOT NULL,
            value REAL NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id),
            PRIMARY KEY (team_id, name)
        ) STRICT, WITHOUT ROWID
    """,
)
