"""Rollups: the counts every report reads, kept up to date by SQLite triggers.

Tables keyed by the cell a closure belongs to (closing day, agent, team, channel; 0
and '' stand for "none", because NULLs never collide in a unique key):

- `survey_rollups`: invitations sent, responses, and how many answers each score got.
- `ticket_rollups`: closures and the counts behind each ticket KPI (durations summed in
  whole seconds, so means are exact), handle times (`handle_n` closures carried one)
  among them.
- `duration_rollups`: histograms of first response and resolution times, per day and per
  month, from which medians and target compliance are read.
- `agent_duration_rollups`: the same histograms with the channels merged (per day or
  month × agent × team). Reports that neither filter nor group by channel read these:
  one row where `duration_rollups` holds one per channel.
- `call_rollups` and `call_wait_rollups`: the phone queue's counts and wait histograms,
  declared and kept in surveys.store.call_rollups, rebuilt here with the others.
- `channels`: every channel seen, for the report filters.
- the term rollups of the comments' words and phrases (surveys/store/term_rollups.py).

Triggers update them inside the statement that changes the raw rows, so a report can
never see one without the other, whichever code (or hand-typed SQL) made the write: new
tickets, invitations and responses, invitation status changes and answer changes. Puas
never updates or deletes tickets otherwise; after such a hand edit, `rebuild` recomputes
everything from the raw rows. A change to these tables or triggers needs a new migration
that makes it, its SQL frozen (surveys/store/frozen/): m009, m010 and m017 drop the
triggers, create the new ones and fill any new table or column. tests/test_migrations.py
fails until one does.

A histogram bucket is named by its upper bound in seconds and holds the durations in
(previous bound, bound]. Bounds fall on every whole minute below an hour, every 3
minutes to 10 hours, every half hour to 100 hours, every 5 hours to 1,000 hours and
every 50 hours to 10,000 hours; longer durations are kept exactly. Each bucket is at
most 5 % as wide as its lower bound (a minute below an hour), so a median read at the
middle of its bucket is within 2.5 % + 30 seconds of the exact one, and a target on a
bound (any whole hour up to 100 h, say) is compared exactly.
"""

import re

from surveys import clock
from surveys.scales import SCALES
from surveys.store import call_rollups, comment_index, term_rollups

DISTRIBUTION_COLUMNS = tuple(
    f"{kind}_{value}" for kind, values in SCALES.items() for value in values
)
SURVEY_COUNTS = ("invitations_sent", "responses", *DISTRIBUTION_COLUMNS)
TICKET_COUNTS = (
    "tickets",
    "frt_n",
    "frt_seconds",
    "resolution_n",
    "resolution_seconds",
    "contacts_n",
    "first_contact",
    "escalated_n",
    "escalations",
    "reopened_n",
    "reopens",
    "repeats",
    "handle_n",
    "handle_seconds",
)
MEASURES = ("frt", "resolution")

# (longest duration in seconds, bucket width in seconds) for each stretch of the scale.
BUCKET_STEPS = (
    (3_600, 60),
    (36_000, 180),
    (360_000, 1_800),
    (3_600_000, 18_000),
    (36_000_000, 180_000),
)


def duration_bucket(seconds):
    """The bucket (its upper bound, in seconds) that holds a duration of whole seconds."""
    if seconds <= 0:
        return 0
    width = bucket_width(seconds)
    return -(-seconds // width) * width if width else seconds


def bucket_width(bucket):
    """How many seconds the bucket spans below its upper bound (0: exact). The same for a
    duration: the width of the step of the scale it falls in."""
    if bucket <= 0:
        return 0
    for longest, width in BUCKET_STEPS:
        if bucket <= longest:
            return width
    return 0


def bucket_middle(bucket):
    """The value a bucket stands for in a median: its middle (exact buckets: themselves)."""
    return bucket - bucket_width(bucket) / 2


def bucket_sql(seconds):
    """duration_bucket() as an SQL expression over `seconds` (a fixed SQL fragment)."""
    steps = " ".join(
        f"WHEN {seconds} <= {longest} THEN ({seconds} + {width - 1}) / {width} * {width}"
        for longest, width in BUCKET_STEPS
    )
    return f"CASE WHEN {seconds} <= 0 THEN 0 {steps} ELSE {seconds} END"


def _counts_table(table, counts):
    """A table of counts per closing day × agent × team × channel."""
    return f"""CREATE TABLE {table} (
    day TEXT NOT NULL, agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    {", ".join(f"{column} INTEGER NOT NULL DEFAULT 0" for column in counts)},
    PRIMARY KEY (day, agent_id, team_id, channel)
) STRICT, WITHOUT ROWID;"""


# The rollup tables as the migrations leave them. No migration reads this (each runs its
# own frozen SQL); tests/test_migrations.py holds the two together.
SCHEMA = f"""
{_counts_table("survey_rollups", SURVEY_COUNTS)}
{_counts_table("ticket_rollups", TICKET_COUNTS)}
CREATE TABLE duration_rollups (
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
    agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN ('frt', 'resolution')),
    bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (grain, period, agent_id, team_id, channel, measure, bucket)
) STRICT, WITHOUT ROWID;
CREATE TABLE agent_duration_rollups (
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
    agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN ('frt', 'resolution')),
    bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (grain, period, agent_id, team_id, measure, bucket)
) STRICT, WITHOUT ROWID;
CREATE TABLE channels (name TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
CREATE TABLE rollup_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    repeat_window_days INTEGER NOT NULL CHECK (repeat_window_days BETWEEN 1 AND 365)
) STRICT;
{call_rollups.SCHEMA}{term_rollups.SCHEMA}"""


def _cell(row):
    """The cell columns' values for a row of tickets or invitations (NEW.x, OLD.x ...)."""
    return (
        f"{row}.closed_day, coalesce({row}.agent_id, 0), coalesce({row}.team_id, 0), "
        f"coalesce({row}.channel, '')"
    )


def _add(table, columns, values, cell, source=""):
    """An upsert that adds `values` (SQL expressions) to `columns` of a cell's row.

    `source` is a FROM ... WHERE clause the cell is read from; "WHERE true" ends the
    SELECT so that SQLite does not read ON CONFLICT as a join constraint.
    """
    return f"""
    INSERT INTO {table} (day, agent_id, team_id, channel, {", ".join(columns)})
    SELECT {cell}, {", ".join(values)} {source or "WHERE true"}
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        {", ".join(f"{column} = {column} + excluded.{column}" for column in columns)};"""


def _answers(row, sign):
    """SQL adding (or, with sign -1, removing) one response's answers to the counts."""
    return ["1" if sign > 0 else "-1"] + [
        f"({row}.{kind} IS {value}) * {sign}" for kind, values in SCALES.items() for value in values
    ]


def _survey_add(row, sign):
    """Add or remove a response's answers in its invitation's cell."""
    return _add(
        "survey_rollups",
        ("responses", *DISTRIBUTION_COLUMNS),
        _answers(row, sign),
        _cell("invitations"),
        f"FROM invitations WHERE invitations.id = {row}.invitation_id",
    )


def _durations(measure, start, end):
    """Histogram upserts (per day and month, both tables) for one duration of NEW."""
    seconds = f"(unixepoch({end}) - unixepoch({start}))"
    statements = []
    for table, channel_columns in (
        ("duration_rollups", ("channel",)),
        ("agent_duration_rollups", ()),
    ):
        keys = ", ".join(
            ("grain", "period", "agent_id", "team_id", *channel_columns, "measure", "bucket")
        )
        channel_value = ", coalesce(NEW.channel, '')" if channel_columns else ""
        for grain, period in (("day", "NEW.closed_day"), ("month", "substr(NEW.closed_day, 1, 7)")):
            statements.append(f"""
    INSERT INTO {table} ({keys}, n)
    SELECT '{grain}', {period}, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           {channel_value}, '{measure}', {bucket_sql(seconds)}, 1
     WHERE {start} IS NOT NULL AND {end} IS NOT NULL
    ON CONFLICT ({keys}) DO UPDATE SET n = n + 1;""")
    return "".join(statements)


WINDOW = "'+' || (SELECT repeat_window_days FROM rollup_settings) || ' days'"
EARLIER_WINDOW = "'-' || (SELECT repeat_window_days FROM rollup_settings) || ' days'"
ISO = "'%Y-%m-%dT%H:%M:%SZ'"


def _frt_and_resolution_values(row):
    """The ticket_rollups values a closure adds (repeats come from the repeat trigger)."""
    frt = f"unixepoch({row}.first_response_at) - unixepoch({row}.opened_at)"
    resolution = f"unixepoch({row}.closed_at) - unixepoch({row}.opened_at)"
    return [
        "1",
        f"{row}.first_response_at IS NOT NULL AND {row}.opened_at IS NOT NULL",
        f"coalesce({frt}, 0)",
        f"{row}.opened_at IS NOT NULL",
        f"coalesce({resolution}, 0)",
        f"{row}.contacts IS NOT NULL",
        f"{row}.contacts IS 1",
        f"{row}.escalated IS NOT NULL",
        f"{row}.escalated IS 1",
        f"{row}.reopened IS NOT NULL",
        f"{row}.reopened IS 1",
        "0",
        f"{row}.handle_seconds IS NOT NULL",
        f"coalesce({row}.handle_seconds, 0)",
    ]


TRIGGERS = f"""
CREATE TRIGGER tickets_rollup_insert AFTER INSERT ON tickets BEGIN
    {_add("ticket_rollups", TICKET_COUNTS, _frt_and_resolution_values("NEW"), _cell("NEW"))}
    {_durations("frt", "NEW.opened_at", "NEW.first_response_at")}
    {_durations("resolution", "NEW.opened_at", "NEW.closed_at")}
    INSERT INTO channels (name) SELECT NEW.channel WHERE NEW.channel IS NOT NULL
    ON CONFLICT (name) DO NOTHING;
    -- A repeat: the customer opened a new ticket within the window after a closure.
    -- '' is a closure without a customer address: it repeats nothing.
    UPDATE tickets SET repeated = 1
     WHERE customer_email = NEW.customer_email AND repeated = 0 AND NEW.customer_email != ''
       AND closed_at < NEW.opened_at
       AND closed_at >= strftime({ISO}, NEW.opened_at, {EARLIER_WINDOW});
    -- Help desks report out of order: a later ticket may already be stored.
    UPDATE tickets SET repeated = 1
     WHERE id = NEW.id AND NEW.customer_email != '' AND EXISTS (
           SELECT 1 FROM tickets AS later
            WHERE later.customer_email = NEW.customer_email
              AND later.closed_at > NEW.closed_at
              AND later.opened_at > NEW.closed_at
              AND later.opened_at <= strftime({ISO}, NEW.closed_at, {WINDOW}));
END;
CREATE TRIGGER tickets_rollup_repeat AFTER UPDATE OF repeated ON tickets
WHEN OLD.repeated IS NOT NEW.repeated BEGIN
    {_add("ticket_rollups", ("repeats",), ["NEW.repeated - OLD.repeated"], _cell("NEW"))}
END;
CREATE TRIGGER invitations_rollup_insert AFTER INSERT ON invitations
WHEN NEW.status = 'sent' BEGIN
    {_add("survey_rollups", ("invitations_sent",), ["1"], _cell("NEW"))}
END;
CREATE TRIGGER invitations_rollup_status AFTER UPDATE OF status ON invitations
WHEN (OLD.status = 'sent') IS NOT (NEW.status = 'sent') BEGIN
    {
    _add(
        "survey_rollups",
        ("invitations_sent",),
        ["(NEW.status = 'sent') - (OLD.status = 'sent')"],
        _cell("NEW"),
    )
}
END;
CREATE TRIGGER responses_rollup_insert AFTER INSERT ON responses BEGIN
    {_survey_add("NEW", 1)}
END;
CREATE TRIGGER responses_rollup_update AFTER UPDATE OF csat, ces, nps ON responses
WHEN OLD.csat IS NOT NEW.csat OR OLD.ces IS NOT NEW.ces OR OLD.nps IS NOT NEW.nps BEGIN
    {_survey_add("OLD", -1)}
    {_survey_add("NEW", 1)}
END;
CREATE TRIGGER responses_rollup_delete AFTER DELETE ON responses BEGIN
    {_survey_add("OLD", -1)}
END;
{call_rollups.TRIGGERS}{term_rollups.TRIGGERS}"""


TRIGGER_NAMES = tuple(re.findall(r"^CREATE TRIGGER (\w+)", TRIGGERS, re.MULTILINE))


def create_triggers(db):
    """Install the triggers that keep the rollups in step with every write."""
    statement = ""
    for line in TRIGGERS.splitlines(keepends=True):
        statement += line
        if line == "END;\n":
            db.execute(statement)
            statement = ""


def drop_triggers(db):
    """Remove the triggers (for a bulk load that is followed by `rebuild`)."""
    for name in TRIGGER_NAMES:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")


# Rebuilding: the same counts as the triggers keep, aggregated from the raw rows.

# Flip the flags that differ from what the raw rows say (unchanged pages stay unwritten).
REPEATS_SQL = f"""
UPDATE tickets SET repeated = NOT repeated
 WHERE repeated IS NOT (tickets.customer_email != '' AND EXISTS (
       SELECT 1 FROM tickets AS later
        WHERE later.customer_email = tickets.customer_email
          AND later.closed_at > tickets.closed_at
          AND later.opened_at > tickets.closed_at
          AND later.opened_at <= strftime({ISO}, tickets.closed_at, {WINDOW})))
"""

CELL_COLUMNS = "day, agent_id, team_id, channel"

# The channel-merged histograms, summed from the per-cell ones (run after those).
AGENT_HISTOGRAMS_SQL = """
INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
SELECT grain, period, agent_id, team_id, measure, bucket, sum(n)
  FROM duration_rollups GROUP BY grain, period, agent_id, team_id, measure, bucket
"""


def _rebuild_statements():
    survey_sums = ", ".join(
        f"count(*) FILTER (WHERE responses.{kind} = {value})"
        for kind, values in SCALES.items()
        for value in values
    )
    frt = "unixepoch(first_response_at) - unixepoch(opened_at)"
    resolution = "unixepoch(closed_at) - unixepoch(opened_at)"
    statements = [
        "INSERT INTO channels (name) SELECT DISTINCT channel FROM tickets "
        "WHERE channel IS NOT NULL",
        f"""INSERT INTO survey_rollups ({CELL_COLUMNS}, {", ".join(SURVEY_COUNTS)})
            SELECT {_cell("invitations")},
                   count(*) FILTER (WHERE invitations.status = 'sent'),
                   count(responses.id), {survey_sums}
              FROM invitations LEFT JOIN responses ON responses.invitation_id = invitations.id
             GROUP BY 1, 2, 3, 4""",
        f"""INSERT INTO ticket_rollups ({CELL_COLUMNS}, {", ".join(TICKET_COUNTS)})
            SELECT {_cell("tickets")}, count(*),
                   count(*) FILTER (WHERE first_response_at IS NOT NULL
                                      AND opened_at IS NOT NULL),
                   coalesce(sum({frt}), 0), count(opened_at), coalesce(sum({resolution}), 0),
                   count(contacts), count(*) FILTER (WHERE contacts = 1),
                   count(escalated), count(*) FILTER (WHERE escalated = 1),
                   count(reopened), count(*) FILTER (WHERE reopened = 1),
                   count(*) FILTER (WHERE repeated = 1),
                   count(handle_seconds), coalesce(sum(handle_seconds), 0)
              FROM tickets GROUP BY 1, 2, 3, 4""",
    ]
    for measure, seconds, present in (
        ("frt", frt, "first_response_at IS NOT NULL AND opened_at IS NOT NULL"),
        ("resolution", resolution, "opened_at IS NOT NULL"),
    ):
        for grain, period in (("day", "closed_day"), ("month", "substr(closed_day, 1, 7)")):
            statements.append(f"""
            INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                                          bucket, n)
            SELECT '{grain}', {period}, coalesce(agent_id, 0), coalesce(team_id, 0),
                   coalesce(channel, ''), '{measure}', {bucket_sql(seconds)}, count(*)
              FROM tickets WHERE {present} GROUP BY 1, 2, 3, 4, 5, 6, 7""")
    statements.append(AGENT_HISTOGRAMS_SQL)
    return statements + call_rollups.rebuild_statements() + term_rollups.rebuild_statements()


def rebuild(db, repeat_window_days=None):
    """Recompute the repeat flags and every rollup from the raw rows.

    Run it inside a write transaction (`db.immediate`), so that no report sees it half
    done. `repeat_window_days`, when given, becomes the window the flags are kept with.
    """
    drop_triggers(db)
    if repeat_window_days is not None:
        db.execute(
            "INSERT INTO rollup_settings (id, repeat_window_days) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET "
            "repeat_window_days = excluded.repeat_window_days",
            [repeat_window_days],
        )
    db.execute(REPEATS_SQL)
    for table in (
        "survey_rollups",
        "ticket_rollups",
        "duration_rollups",
        "agent_duration_rollups",
        *call_rollups.TABLES,
        *term_rollups.TABLES,
        "channels",
    ):
        db.execute(f"DELETE FROM {table}")
    for statement in _rebuild_statements():
        db.execute(statement)
    create_triggers(db)
    comment_index.rebuild(db)  # the comments' words, from the raw rows too


def repeat_window_days(db):
    """The repeat window the stored flags were computed with."""
    row = db.execute("SELECT repeat_window_days FROM rollup_settings").fetchone()
    return row[0] if row else None


EMPTY_SPAN = ("9", "0")


def histogram_spans(from_day, to_day):
    """Where a range's histograms are read: (first, last) whole months, then two
    (first, last) spans of days, as text.

    Whole months come from the month rows; the days before the first whole month and
    after the last come from the day rows. An empty span has first > last.
    """
    first_month = from_day.strftime("%Y-%m")
    if from_day.day != 1:
        first_month = clock.add_months(first_month, 1)
    last_month = to_day.strftime("%Y-%m")
    if clock.add_days(to_day, 1).month == to_day.month:  # not the month's last day
        last_month = clock.add_months(last_month, -1)
    if first_month > last_month:
        return EMPTY_SPAN, (from_day.isoformat(), to_day.isoformat()), EMPTY_SPAN
    first_whole_day = clock.period_days(first_month)[0]
    last_whole_day = clock.period_days(last_month)[1]
    head = (from_day.isoformat(), clock.add_days(clock.parse_day(first_whole_day), -1).isoformat())
    tail = (clock.add_days(clock.parse_day(last_whole_day), 1).isoformat(), to_day.isoformat())
    return (first_month, last_month), head, tail
