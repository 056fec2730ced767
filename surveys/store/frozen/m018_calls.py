"""m018_calls: phone calls, their CSV imports, and the call rollups kept by a trigger."""

STATEMENTS = (
    # One call in a queue, known by the phone system's call id whichever way it came (the
    # API or an import), so a call reported twice is stored once. queued_day is the
    # queued time's day in TIMEZONE, as closed_day is a closure's.
    """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            call_ref TEXT NOT NULL UNIQUE,
            queued_at TEXT NOT NULL,
            queued_day TEXT NOT NULL,
            answered_at TEXT,
            ended_at TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'abandoned', 'failed')),
            agent_id INTEGER REFERENCES agents(id),
            team_id INTEGER REFERENCES teams(id),
            channel TEXT NOT NULL,
            created_at TEXT NOT NULL,
            CHECK ((outcome = 'answered') = (answered_at IS NOT NULL) OR outcome = 'failed'),
            CHECK (answered_at IS NULL OR answered_at >= queued_at),
            CHECK (ended_at >= coalesce(answered_at, queued_at))
        ) STRICT
    """,
    "CREATE INDEX idx_calls_agent_id ON calls (agent_id)",
    "CREATE INDEX idx_calls_team_id ON calls (team_id)",
    # An uploaded call log, kept until it is imported once, with its outcome.
    """
        CREATE TABLE call_imports (
            id INTEGER PRIMARY KEY,
            filename TEXT NOT NULL,
            content BLOB NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            imported_at TEXT,
            created INTEGER,
            duplicates INTEGER,
            errors TEXT
        ) STRICT
    """,
    """
        CREATE TABLE call_rollups (
            day TEXT NOT NULL, agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
            channel TEXT NOT NULL,
            calls INTEGER NOT NULL DEFAULT 0, answered INTEGER NOT NULL DEFAULT 0,
            abandoned INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
            wait_seconds INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, agent_id, team_id, channel)
        ) STRICT, WITHOUT ROWID
    """,
    """
        CREATE TABLE call_wait_rollups (
            grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
            agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
            bucket INTEGER NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (grain, period, agent_id, team_id, channel, bucket)
        ) STRICT, WITHOUT ROWID
    """,
    """
CREATE TRIGGER calls_rollup_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_rollups (day, agent_id, team_id, channel, calls, answered, abandoned,
                              failed, wait_seconds)
    SELECT NEW.queued_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0), NEW.channel,
           1, NEW.outcome = 'answered', NEW.outcome = 'abandoned', NEW.outcome = 'failed',
           CASE WHEN NEW.outcome = 'answered'
                THEN unixepoch(NEW.answered_at) - unixepoch(NEW.queued_at) ELSE 0 END
     WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        calls = calls + excluded.calls, answered = answered + excluded.answered,
        abandoned = abandoned + excluded.abandoned, failed = failed + excluded.failed,
        wait_seconds = wait_seconds + excluded.wait_seconds;

    INSERT INTO call_wait_rollups (grain, period, agent_id, team_id, channel, bucket, n)
    SELECT 'day', NEW.queued_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
           NEW.channel, CASE WHEN wait <= 0 THEN 0 WHEN wait <= 30 THEN wait
                WHEN wait <= 600 THEN (wait + 4) / 5 * 5
                WHEN wait <= 3600 THEN (wait + 59) / 60 * 60
                WHEN wait <= 36000 THEN (wait + 599) / 600 * 600 ELSE wait END, 1
      FROM (SELECT unixepoch(NEW.answered_at) - unixepoch(NEW.queued_at) AS wait)
     WHERE NEW.outcome = 'answered'
    ON CONFLICT (grain, period, agent_id, team_id, channel, bucket) DO UPDATE SET n = n + 1;

    INSERT INTO call_wait_rollups (grain, period, agent_id, team_id, channel, bucket, n)
    SELECT 'month', substr(NEW.queued_day, 1, 7), coalesce(NEW.agent_id, 0),
           coalesce(NEW.team_id, 0),
           NEW.channel, CASE WHEN wait <= 0 THEN 0 WHEN wait <= 30 THEN wait
                WHEN wait <= 600 THEN (wait + 4) / 5 * 5
                WHEN wait <= 3600 THEN (wait + 59) / 60 * 60
                WHEN wait <= 36000 THEN (wait + 599) / 600 * 600 ELSE wait END, 1
      FROM (SELECT unixepoch(NEW.answered_at) - unixepoch(NEW.queued_at) AS wait)
     WHERE NEW.outcome = 'answered'
    ON CONFLICT (grain, period, agent_id, team_id, channel, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO channels (name) VALUES (NEW.channel) ON CONFLICT (name) DO NOTHING;
END
    """,
)
