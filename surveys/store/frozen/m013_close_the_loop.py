"""m013_close_the_loop: alerts on unhappy answers, follow-ups, digests, corrective actions,
the customer's consent to be contacted, the review link, and the brand."""

STATEMENTS = (
    # When an answer alerts, per team (team_id 0: the company's rules). A missing row means
    # the default (the company's, for a team); a row whose value is '' means "never".
    # name: csat_at_most, ces_at_most, nps_at_most, on_comment, recipients.
    """
        CREATE TABLE alert_rules (
            team_id INTEGER NOT NULL,
            name TEXT NOT NULL CHECK (name IN
                ('csat_at_most', 'ces_at_most', 'nps_at_most', 'on_comment', 'recipients')),
            value TEXT NOT NULL CHECK (length(value) <= 2000),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id),
            PRIMARY KEY (team_id, name)
        ) STRICT, WITHOUT ROWID
    """,
    # "You may contact me about my answer", ticked on the survey.
    "ALTER TABLE responses ADD COLUMN contact_ok INTEGER NOT NULL DEFAULT 0 "
    "CHECK (contact_ok IN (0, 1))",
    # One follow-up per alerting answer. `version` grows with every change: a save made on
    # an older version is refused. first_contact_at: the first move out of 'open'.
    """
        CREATE TABLE follow_ups (
            id INTEGER PRIMARY KEY,
            response_id INTEGER NOT NULL UNIQUE REFERENCES responses(id),
            opened_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            owner_id INTEGER REFERENCES users(id),
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'contacted', 'closed')),
            outcome TEXT CHECK (outcome IN ('resolved', 'not_resolved', 'no_reply')),
            notes TEXT CHECK (length(notes) <= 5000),
            first_contact_at TEXT,
            closed_at TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL
        ) STRICT
    """,
    "CREATE INDEX idx_follow_ups_status_due_at ON follow_ups (status, due_at)",
    "CREATE INDEX idx_follow_ups_owner_id_status ON follow_ups (owner_id, status)",
    # What happened to a follow-up, oldest first: opened, an answer changed, a save.
    """
        CREATE TABLE follow_up_events (
            id INTEGER PRIMARY KEY,
            follow_up_id INTEGER NOT NULL REFERENCES follow_ups(id),
            at TEXT NOT NULL,
            by_user_id INTEGER REFERENCES users(id),
            what TEXT NOT NULL CHECK (length(what) <= 10000)
        ) STRICT
    """,
    "CREATE INDEX idx_follow_up_events_follow_up_id ON follow_up_events (follow_up_id, id)",
    # Alert mail waits here, one row per recipient and crossing (`alert` counts the times
    # the answer newly crossed a rule), delivered by the leased queue (store/queue.py).
    """
        CREATE TABLE alert_outbox (
            id INTEGER PRIMARY KEY,
            follow_up_id INTEGER NOT NULL REFERENCES follow_ups(id),
            alert INTEGER NOT NULL DEFAULT 1,
            recipient TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_until TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (follow_up_id, alert, recipient)
        ) STRICT
    """,
    "CREATE INDEX idx_alert_outbox_status_next_attempt_at "
    "ON alert_outbox (status, next_attempt_at)",
    # Each person's digest: none, weekly or monthly; digest_since is when they chose it
    # (a period that ended before then is never sent).
    "ALTER TABLE users ADD COLUMN digest TEXT NOT NULL DEFAULT 'none' "
    "CHECK (digest IN ('none', 'weekly', 'monthly'))",
    "ALTER TABLE users ADD COLUMN digest_since TEXT",
    # One digest per person, kind and period, whatever restarts or workers do: the unique
    # key is the promise; the rest is the leased queue's.
    """
        CREATE TABLE digest_outbox (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            kind TEXT NOT NULL CHECK (kind IN ('weekly', 'monthly')),
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_until TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (user_id, kind, period_start)
        ) STRICT
    """,
    "CREATE INDEX idx_digest_outbox_status_next_attempt_at "
    "ON digest_outbox (status, next_attempt_at)",
    # Corrective actions: what will be done about a missed target, and the figure when the
    # action was opened (the figure now is computed when it is read).
    """
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            metric TEXT NOT NULL CHECK (length(metric) <= 100),
            scope TEXT NOT NULL CHECK (scope IN ('company', 'team', 'agent', 'admin')),
            scope_id INTEGER,
            scope_name TEXT CHECK (length(scope_name) <= 300),
            what TEXT NOT NULL CHECK (length(what) BETWEEN 1 AND 2000),
            owner_id INTEGER REFERENCES users(id),
            due_on TEXT,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
            target REAL,
            value_at_open REAL,
            opened_from TEXT,
            opened_to TEXT,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            updated_at TEXT NOT NULL
        ) STRICT
    """,
    "CREATE INDEX idx_actions_status_due_on ON actions (status, due_on)",
    # Where promoters are asked for a review (https only), set on /settings/distribution.
    "ALTER TABLE distribution_rules ADD COLUMN review_url TEXT "
    "CHECK (review_url IS NULL OR (substr(review_url, 1, 8) = 'https://' "
    "AND length(review_url) <= 2000))",
    # The company's logo (re-encoded pixels only) and colour, one row.
    """
        CREATE TABLE brand (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            logo BLOB CHECK (logo IS NULL OR length(logo) <= 204800),
            logo_type TEXT CHECK (logo_type IN ('image/png', 'image/jpeg')),
            logo_width INTEGER,
            logo_height INTEGER,
            colour TEXT CHECK (colour IS NULL OR (length(colour) = 7
                AND colour GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id)
        ) STRICT
    """,
)
