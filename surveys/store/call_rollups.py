"""Call rollups: the counts the phone-queue figures read, kept up to date by a trigger.

- `call_rollups`: per queued day × agent × team × channel (0 and '' for none, as in
  surveys.store.rollups), the calls offered, answered, abandoned and failed, and the
  answered calls' waits summed in whole seconds (so the mean wait, ASA, is exact).
- `call_wait_rollups`: a histogram of the answered calls' waits, per day and per month
  × agent × team × channel, from which the median wait and the service level are read.

Calls are only ever inserted (a call reported again is answered from the stored row), so
one trigger after INSERT keeps both; `surveys.store.rollups.rebuild` recomputes them from
the raw rows with the other rollups.

Why a histogram rather than a count of calls answered within the service level: the
standard (SERVICE_LEVEL_SECONDS) is a setting, and a count kept for one standard would
need a rebuild whenever it changes. A wait bucket is named by its upper bound in seconds
and holds the waits in (previous bound, bound]. Waits up to 30 seconds are kept exactly,
then bounds fall on every 5 seconds to 10 minutes, every minute to an hour and every 10
minutes to 10 hours; longer waits are kept exactly. So the service level is exact for any
standard on a bound (any second to 30, 35, 40 ... 600, whole minutes to an hour, which
surveys.config requires), and a median read at a bucket's middle is within 2 seconds
below 10 minutes. A month × agent × team × channel holds at most about 170 buckets below
10 minutes, however many calls it has.
"""

# (longest wait in seconds, bucket width in seconds) for each stretch of the scale.
WAIT_STEPS = ((30, 1), (600, 5), (3_600, 60), (36_000, 600))
CALL_COUNTS = ("calls", "answered", "abandoned", "failed", "wait_seconds")
OUTCOMES = ("answered", "abandoned", "failed")


def wait_bucket(seconds):
    """The bucket (its upper bound, in seconds) that holds a wait of whole seconds."""
    if seconds <= 0:
        return 0
    width = wait_width(seconds)
    return -(-seconds // width) * width


def wait_width(bucket):
    """How many whole seconds a bucket holds (1: exact); the same for a wait."""
    for longest, width in WAIT_STEPS:
        if bucket <= longest:
            return width
    return 1


def wait_middle(bucket):
    """The wait a bucket stands for in a median: the mean of the whole seconds it holds."""
    return bucket - (wait_width(bucket) - 1) / 2


def wait_bucket_sql(seconds):
    """wait_bucket() as an SQL expression over `seconds` (a fixed SQL fragment)."""
    steps = " ".join(
        f"WHEN {seconds} <= {longest} THEN "
        + (f"({seconds} + {width - 1}) / {width} * {width}" if width > 1 else seconds)
        for longest, width in WAIT_STEPS
    )
    return f"CASE WHEN {seconds} <= 0 THEN 0 {steps} ELSE {seconds} END"


WAIT = "unixepoch(NEW.answered_at) - unixepoch(NEW.queued_at)"

SCHEMA = """
CREATE TABLE call_rollups (
    day TEXT NOT NULL, agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    calls INTEGER NOT NULL DEFAULT 0, answered INTEGER NOT NULL DEFAULT 0,
    abandoned INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
    wait_seconds INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id, team_id, channel)
) STRICT, WITHOUT ROWID;
CREATE TABLE call_wait_rollups (
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
    agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
    bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (grain, period, agent_id, team_id, channel, bucket)
) STRICT, WITHOUT ROWID;
"""

_WAIT_KEYS = "grain, period, agent_id, team_id, channel, bucket"


def _wait_add(grain, period):
    return f"""
    INSERT INTO call_wait_rollups ({_WAIT_KEYS}, n)
    SELECT '{grain}', {period}, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
           NEW.channel, {wait_bucket_sql("wait")}, 1
      FROM (SELECT {WAIT} AS wait)
     WHERE NEW.outcome = 'answered'
    ON CONFLICT ({_WAIT_KEYS}) DO UPDATE SET n = n + 1;"""


TRIGGERS = f"""
CREATE TRIGGER calls_rollup_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_rollups (day, agent_id, team_id, channel, {", ".join(CALL_COUNTS)})
    SELECT NEW.queued_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0), NEW.channel,
           1, NEW.outcome = 'answered', NEW.outcome = 'abandoned', NEW.outcome = 'failed',
           CASE WHEN NEW.outcome = 'answered' THEN {WAIT} ELSE 0 END
     WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        {", ".join(f"{column} = {column} + excluded.{column}" for column in CALL_COUNTS)};
    {_wait_add("day", "NEW.queued_day")}
    {_wait_add("month", "substr(NEW.queued_day, 1, 7)")}
    INSERT INTO channels (name) VALUES (NEW.channel) ON CONFLICT (name) DO NOTHING;
END;
"""

_CALL_WAIT = "unixepoch(answered_at) - unixepoch(queued_at)"


def rebuild_statements():
    """The statements that fill the (emptied) call rollups from the raw calls."""
    statements = [
        "INSERT INTO channels (name) SELECT DISTINCT channel FROM calls WHERE true "
        "ON CONFLICT (name) DO NOTHING",
        f"""INSERT INTO call_rollups (day, agent_id, team_id, channel, {", ".join(CALL_COUNTS)})
            SELECT queued_day, coalesce(agent_id, 0), coalesce(team_id, 0), channel, count(*),
                   count(*) FILTER (WHERE outcome = 'answered'),
                   count(*) FILTER (WHERE outcome = 'abandoned'),
                   count(*) FILTER (WHERE outcome = 'failed'),
                   coalesce(sum({_CALL_WAIT}) FILTER (WHERE outcome = 'answered'), 0)
              FROM calls GROUP BY 1, 2, 3, 4""",
    ]
    for grain, period in (("day", "queued_day"), ("month", "substr(queued_day, 1, 7)")):
        statements.append(f"""
            INSERT INTO call_wait_rollups ({_WAIT_KEYS}, n)
            SELECT '{grain}', {period}, coalesce(agent_id, 0), coalesce(team_id, 0), channel,
                   {wait_bucket_sql(f"({_CALL_WAIT})")}, count(*)
              FROM calls WHERE outcome = 'answered' GROUP BY 1, 2, 3, 4, 5, 6""")
    return statements


TABLES = ("call_rollups", "call_wait_rollups")
