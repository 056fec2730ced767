"""m007_rollups: repeat flags on closures, and the counts reports read, kept by triggers.

As shipped in dbc79a4, where surveys/rollups.py generated this SQL from its column lists,
answer scales and bucket steps; later changes to that module reach databases through
later migrations (m009, m010), never through this one. After the tables come the steps
rollups.rebuild() ran then: drop the triggers (none yet), flag repeats, empty the counts
(just made), sum them from the raw rows, create the triggers. A database still at m006
has only closures with an address (the ticket API required one until m009), so these
flags are the ones today's rebuild would set.
"""

STATEMENTS = (
    # Repeat contacts are flagged on the closure when the customer's next ticket arrives;
    # the lookups go by customer and closing time, either side of the new ticket.
    "ALTER TABLE tickets ADD COLUMN repeated INTEGER NOT NULL DEFAULT 0 CHECK (repeated IN (0, 1))",
    """CREATE INDEX "idx_tickets_customer_email_closed_at"
    ON "tickets" ("customer_email", "closed_at");""",
    "DROP INDEX idx_tickets_customer_email_opened_at",
    # Counts per closing day × agent × team × channel, and duration histograms.
    """CREATE TABLE survey_rollups (
    day TEXT NOT NULL, agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    invitations_sent INTEGER NOT NULL DEFAULT 0, responses INTEGER NOT NULL DEFAULT 0,
        csat_1 INTEGER NOT NULL DEFAULT 0, csat_2 INTEGER NOT NULL DEFAULT 0,
        csat_3 INTEGER NOT NULL DEFAULT 0, csat_4 INTEGER NOT NULL DEFAULT 0,
        csat_5 INTEGER NOT NULL DEFAULT 0, ces_1 INTEGER NOT NULL DEFAULT 0,
        ces_2 INTEGER NOT NULL DEFAULT 0, ces_3 INTEGER NOT NULL DEFAULT 0,
        ces_4 INTEGER NOT NULL DEFAULT 0, ces_5 INTEGER NOT NULL DEFAULT 0,
        ces_6 INTEGER NOT NULL DEFAULT 0, ces_7 INTEGER NOT NULL DEFAULT 0,
        nps_0 INTEGER NOT NULL DEFAULT 0, nps_1 INTEGER NOT NULL DEFAULT 0,
        nps_2 INTEGER NOT NULL DEFAULT 0, nps_3 INTEGER NOT NULL DEFAULT 0,
        nps_4 INTEGER NOT NULL DEFAULT 0, nps_5 INTEGER NOT NULL DEFAULT 0,
        nps_6 INTEGER NOT NULL DEFAULT 0, nps_7 INTEGER NOT NULL DEFAULT 0,
        nps_8 INTEGER NOT NULL DEFAULT 0, nps_9 INTEGER NOT NULL DEFAULT 0,
        nps_10 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id, team_id, channel)
) STRICT, WITHOUT ROWID""",
    """CREATE TABLE ticket_rollups (
    day TEXT NOT NULL, agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    tickets INTEGER NOT NULL DEFAULT 0, frt_n INTEGER NOT NULL DEFAULT 0,
        frt_seconds INTEGER NOT NULL DEFAULT 0, resolution_n INTEGER NOT NULL DEFAULT 0,
        resolution_seconds INTEGER NOT NULL DEFAULT 0, contacts_n INTEGER NOT NULL DEFAULT 0,
        first_contact INTEGER NOT NULL DEFAULT 0, escalated_n INTEGER NOT NULL DEFAULT 0,
        escalations INTEGER NOT NULL DEFAULT 0, reopened_n INTEGER NOT NULL DEFAULT 0,
        reopens INTEGER NOT NULL DEFAULT 0, repeats INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id, team_id, channel)
) STRICT, WITHOUT ROWID""",
    """CREATE TABLE duration_rollups (
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
    agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN ('frt', 'resolution')),
    bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (grain, period, agent_id, team_id, channel, measure, bucket)
) STRICT, WITHOUT ROWID""",
    "CREATE TABLE channels (name TEXT PRIMARY KEY) STRICT, WITHOUT ROWID",
    """CREATE TABLE rollup_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    repeat_window_days INTEGER NOT NULL CHECK (repeat_window_days BETWEEN 1 AND 365)
) STRICT""",
    # The window the repeat flags are kept with (`flask init-db` rebuilds them with
    # REPEAT_WINDOW_DAYS when that differs).
    "INSERT INTO rollup_settings (id, repeat_window_days) VALUES (1, 7)",
    # rollups.rebuild(), as it ran then: the triggers go first (none exist yet) ...
    "DROP TRIGGER IF EXISTS tickets_rollup_insert",
    "DROP TRIGGER IF EXISTS tickets_rollup_repeat",
    "DROP TRIGGER IF EXISTS invitations_rollup_insert",
    "DROP TRIGGER IF EXISTS invitations_rollup_status",
    "DROP TRIGGER IF EXISTS responses_rollup_insert",
    "DROP TRIGGER IF EXISTS responses_rollup_update",
    "DROP TRIGGER IF EXISTS responses_rollup_delete",
    # ... the repeat flags are set from the raw rows ...
    """UPDATE tickets SET repeated = NOT repeated
 WHERE repeated IS NOT EXISTS (
       SELECT 1 FROM tickets AS later
        WHERE later.customer_email = tickets.customer_email
          AND later.closed_at > tickets.closed_at
          AND later.opened_at > tickets.closed_at
          AND later.opened_at <= strftime('%Y-%m-%dT%H:%M:%SZ', tickets.closed_at,
              '+' || (SELECT repeat_window_days FROM rollup_settings) || ' days'))""",
    # ... the counts are emptied (they were just made) and summed from the raw rows ...
    "DELETE FROM survey_rollups",
    "DELETE FROM ticket_rollups",
    "DELETE FROM duration_rollups",
    "DELETE FROM channels",
    "INSERT INTO channels (name) SELECT DISTINCT channel FROM tickets WHERE channel IS NOT NULL",
    """INSERT INTO survey_rollups (day, agent_id, team_id, channel, invitations_sent, responses,
    csat_1, csat_2, csat_3, csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0,
    nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
SELECT invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
    coalesce(invitations.channel, ''),
       count(*) FILTER (WHERE invitations.status = 'sent'),
       count(responses.id), count(*) FILTER (WHERE responses.csat = 1),
           count(*) FILTER (WHERE responses.csat = 2), count(*) FILTER (WHERE responses.csat = 3),
           count(*) FILTER (WHERE responses.csat = 4), count(*) FILTER (WHERE responses.csat = 5),
           count(*) FILTER (WHERE responses.ces = 1), count(*) FILTER (WHERE responses.ces = 2),
           count(*) FILTER (WHERE responses.ces = 3), count(*) FILTER (WHERE responses.ces = 4),
           count(*) FILTER (WHERE responses.ces = 5), count(*) FILTER (WHERE responses.ces = 6),
           count(*) FILTER (WHERE responses.ces = 7), count(*) FILTER (WHERE responses.nps = 0),
           count(*) FILTER (WHERE responses.nps = 1), count(*) FILTER (WHERE responses.nps = 2),
           count(*) FILTER (WHERE responses.nps = 3), count(*) FILTER (WHERE responses.nps = 4),
           count(*) FILTER (WHERE responses.nps = 5), count(*) FILTER (WHERE responses.nps = 6),
           count(*) FILTER (WHERE responses.nps = 7), count(*) FILTER (WHERE responses.nps = 8),
           count(*) FILTER (WHERE responses.nps = 9), count(*) FILTER (WHERE responses.nps = 10)
  FROM invitations LEFT JOIN responses ON responses.invitation_id = invitations.id
 GROUP BY 1, 2, 3, 4""",
    """INSERT INTO ticket_rollups (day, agent_id, team_id, channel, tickets, frt_n, frt_seconds,
    resolution_n, resolution_seconds, contacts_n, first_contact, escalated_n, escalations,
    reopened_n, reopens, repeats)
SELECT tickets.closed_day, coalesce(tickets.agent_id, 0), coalesce(tickets.team_id, 0),
    coalesce(tickets.channel, ''), count(*),
       count(*) FILTER (WHERE first_response_at IS NOT NULL
                          AND opened_at IS NOT NULL),
       coalesce(sum(unixepoch(first_response_at) - unixepoch(opened_at)), 0), count(opened_at),
           coalesce(sum(unixepoch(closed_at) - unixepoch(opened_at)), 0),
       count(contacts), count(*) FILTER (WHERE contacts = 1),
       count(escalated), count(*) FILTER (WHERE escalated = 1),
       count(reopened), count(*) FILTER (WHERE reopened = 1),
       count(*) FILTER (WHERE repeated = 1)
  FROM tickets GROUP BY 1, 2, 3, 4""",
    """INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                              bucket, n)
SELECT 'day', closed_day, coalesce(agent_id, 0), coalesce(team_id, 0),
       coalesce(channel, ''), 'frt', CASE
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 0 THEN 0
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 3600
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 59) / 60 * 60
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 36000
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 179) / 180 * 180
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 360000
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 1799) / 1800 * 1800
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 3600000
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 17999) / 18000 * 18000
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 36000000
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 179999) / 180000 * 180000
           ELSE unixepoch(first_response_at) - unixepoch(opened_at) END, count(*)
  FROM tickets WHERE first_response_at IS NOT NULL AND opened_at IS NOT NULL GROUP BY 1, 2, 3, 4,
      5, 6, 7""",
    """INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                              bucket, n)
SELECT 'month', substr(closed_day, 1, 7), coalesce(agent_id, 0), coalesce(team_id, 0),
       coalesce(channel, ''), 'frt', CASE
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 0 THEN 0
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 3600
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 59) / 60 * 60
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 36000
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 179) / 180 * 180
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 360000
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 1799) / 1800 * 1800
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 3600000
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 17999) / 18000 * 18000
           WHEN unixepoch(first_response_at) - unixepoch(opened_at) <= 36000000
           THEN (unixepoch(first_response_at) - unixepoch(opened_at) + 179999) / 180000 * 180000
           ELSE unixepoch(first_response_at) - unixepoch(opened_at) END, count(*)
  FROM tickets WHERE first_response_at IS NOT NULL AND opened_at IS NOT NULL GROUP BY 1, 2, 3, 4,
      5, 6, 7""",
    """INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                              bucket, n)
SELECT 'day', closed_day, coalesce(agent_id, 0), coalesce(team_id, 0),
       coalesce(channel, ''), 'resolution', CASE
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 0 THEN 0
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 3600
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 59) / 60 * 60
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 36000
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 179) / 180 * 180
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 360000
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 1799) / 1800 * 1800
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 3600000
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 17999) / 18000 * 18000
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 36000000
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 179999) / 180000 * 180000
           ELSE unixepoch(closed_at) - unixepoch(opened_at) END, count(*)
  FROM tickets WHERE opened_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    """INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                              bucket, n)
SELECT 'month', substr(closed_day, 1, 7), coalesce(agent_id, 0), coalesce(team_id, 0),
       coalesce(channel, ''), 'resolution', CASE
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 0 THEN 0
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 3600
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 59) / 60 * 60
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 36000
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 179) / 180 * 180
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 360000
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 1799) / 1800 * 1800
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 3600000
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 17999) / 18000 * 18000
           WHEN unixepoch(closed_at) - unixepoch(opened_at) <= 36000000
           THEN (unixepoch(closed_at) - unixepoch(opened_at) + 179999) / 180000 * 180000
           ELSE unixepoch(closed_at) - unixepoch(opened_at) END, count(*)
  FROM tickets WHERE opened_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    # ... and the triggers keep them in step with every write from here on.
    """CREATE TRIGGER tickets_rollup_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_rollups (day, agent_id, team_id, channel, tickets, frt_n, frt_seconds,
        resolution_n, resolution_seconds, contacts_n, first_contact, escalated_n, escalations,
        reopened_n, reopens, repeats)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
        coalesce(NEW.channel, ''), 1,
        NEW.first_response_at IS NOT NULL AND NEW.opened_at IS NOT NULL,
        coalesce(unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at), 0),
        NEW.opened_at IS NOT NULL,
        coalesce(unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at), 0), NEW.contacts IS NOT NULL,
        NEW.contacts IS 1, NEW.escalated IS NOT NULL, NEW.escalated IS 1, NEW.reopened IS NOT NULL,
        NEW.reopened IS 1, 0 WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        tickets = tickets + excluded.tickets, frt_n = frt_n + excluded.frt_n,
            frt_seconds = frt_seconds + excluded.frt_seconds,
            resolution_n = resolution_n + excluded.resolution_n,
            resolution_seconds = resolution_seconds + excluded.resolution_seconds,
            contacts_n = contacts_n + excluded.contacts_n,
            first_contact = first_contact + excluded.first_contact,
            escalated_n = escalated_n + excluded.escalated_n,
            escalations = escalations + excluded.escalations,
            reopened_n = reopened_n + excluded.reopened_n, reopens = reopens + excluded.reopens,
            repeats = repeats + excluded.repeats;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                                  bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
           coalesce(NEW.channel, ''), 'frt', CASE
               WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0
               WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60
               WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179) / 180 *
               180 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 360000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 *
               1800 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 17999) / 18000
               * 18000
               WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179999) /
               180000 * 180000
               ELSE (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket)
    DO UPDATE SET n = n + 1;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                                  bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0),
        coalesce(NEW.team_id, 0),
           coalesce(NEW.channel, ''), 'frt', CASE
               WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0
               WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60
               WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179) / 180 *
               180 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 360000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 *
               1800 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 17999) / 18000
               * 18000
               WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179999) /
               180000 * 180000
               ELSE (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket)
    DO UPDATE SET n = n + 1;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                                  bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
           coalesce(NEW.channel, ''), 'resolution', CASE
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 360000
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600000
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000000
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 *
               180000 ELSE (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket)
    DO UPDATE SET n = n + 1;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure,
                                  bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0),
        coalesce(NEW.team_id, 0),
           coalesce(NEW.channel, ''), 'resolution', CASE
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 360000
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600000
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000000
               THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 *
               180000 ELSE (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket)
    DO UPDATE SET n = n + 1;
    INSERT INTO channels (name) SELECT NEW.channel WHERE NEW.channel IS NOT NULL
    ON CONFLICT (name) DO NOTHING;
    -- A repeat: the customer opened a new ticket within the window after a closure.
    UPDATE tickets SET repeated = 1
     WHERE customer_email = NEW.customer_email AND repeated = 0
       AND closed_at < NEW.opened_at
       AND closed_at >= strftime('%Y-%m-%dT%H:%M:%SZ', NEW.opened_at,
           '-' || (SELECT repeat_window_days FROM rollup_settings) || ' days');
    -- Help desks report out of order: a later ticket may already be stored.
    UPDATE tickets SET repeated = 1
     WHERE id = NEW.id AND EXISTS (
           SELECT 1 FROM tickets AS later
            WHERE later.customer_email = NEW.customer_email
              AND later.closed_at > NEW.closed_at
              AND later.opened_at > NEW.closed_at
              AND later.opened_at <= strftime('%Y-%m-%dT%H:%M:%SZ', NEW.closed_at,
                  '+' || (SELECT repeat_window_days FROM rollup_settings) || ' days'));
END;""",
    """CREATE TRIGGER tickets_rollup_repeat AFTER UPDATE OF repeated ON tickets
WHEN OLD.repeated IS NOT NEW.repeated BEGIN
    INSERT INTO ticket_rollups (day, agent_id, team_id, channel, repeats)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
        coalesce(NEW.channel, ''), NEW.repeated - OLD.repeated WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        repeats = repeats + excluded.repeats;
END;""",
    """CREATE TRIGGER invitations_rollup_insert AFTER INSERT ON invitations
WHEN NEW.status = 'sent' BEGIN
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, invitations_sent)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
        coalesce(NEW.channel, ''), 1 WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        invitations_sent = invitations_sent + excluded.invitations_sent;
END;""",
    """CREATE TRIGGER invitations_rollup_status AFTER UPDATE OF status ON invitations
WHEN (OLD.status = 'sent') IS NOT (NEW.status = 'sent') BEGIN
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, invitations_sent)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
        coalesce(NEW.channel, ''), (NEW.status = 'sent') - (OLD.status = 'sent') WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        invitations_sent = invitations_sent + excluded.invitations_sent;
END;""",
    """CREATE TRIGGER responses_rollup_insert AFTER INSERT ON responses BEGIN
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, responses, csat_1, csat_2, csat_3,
        csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0, nps_1, nps_2,
        nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
    SELECT invitations.closed_day, coalesce(invitations.agent_id, 0),
        coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), 1,
        (NEW.csat IS 1) * 1, (NEW.csat IS 2) * 1, (NEW.csat IS 3) * 1, (NEW.csat IS 4) * 1,
        (NEW.csat IS 5) * 1, (NEW.ces IS 1) * 1, (NEW.ces IS 2) * 1, (NEW.ces IS 3) * 1,
        (NEW.ces IS 4) * 1, (NEW.ces IS 5) * 1, (NEW.ces IS 6) * 1, (NEW.ces IS 7) * 1,
        (NEW.nps IS 0) * 1, (NEW.nps IS 1) * 1, (NEW.nps IS 2) * 1, (NEW.nps IS 3) * 1,
        (NEW.nps IS 4) * 1, (NEW.nps IS 5) * 1, (NEW.nps IS 6) * 1, (NEW.nps IS 7) * 1,
        (NEW.nps IS 8) * 1, (NEW.nps IS 9) * 1, (NEW.nps IS 10) * 1 FROM invitations
        WHERE invitations.id = NEW.invitation_id
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, csat_1 = csat_1 + excluded.csat_1,
            csat_2 = csat_2 + excluded.csat_2, csat_3 = csat_3 + excluded.csat_3,
            csat_4 = csat_4 + excluded.csat_4, csat_5 = csat_5 + excluded.csat_5,
            ces_1 = ces_1 + excluded.ces_1, ces_2 = ces_2 + excluded.ces_2,
            ces_3 = ces_3 + excluded.ces_3, ces_4 = ces_4 + excluded.ces_4,
            ces_5 = ces_5 + excluded.ces_5, ces_6 = ces_6 + excluded.ces_6,
            ces_7 = ces_7 + excluded.ces_7, nps_0 = nps_0 + excluded.nps_0,
            nps_1 = nps_1 + excluded.nps_1, nps_2 = nps_2 + excluded.nps_2,
            nps_3 = nps_3 + excluded.nps_3, nps_4 = nps_4 + excluded.nps_4,
            nps_5 = nps_5 + excluded.nps_5, nps_6 = nps_6 + excluded.nps_6,
            nps_7 = nps_7 + excluded.nps_7, nps_8 = nps_8 + excluded.nps_8,
            nps_9 = nps_9 + excluded.nps_9, nps_10 = nps_10 + excluded.nps_10;
END;""",
    """CREATE TRIGGER responses_rollup_update AFTER UPDATE OF csat, ces, nps ON responses BEGIN
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, responses, csat_1, csat_2, csat_3,
        csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0, nps_1, nps_2,
        nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
    SELECT invitations.closed_day, coalesce(invitations.agent_id, 0),
        coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), -1,
        (OLD.csat IS 1) * -1, (OLD.csat IS 2) * -1, (OLD.csat IS 3) * -1, (OLD.csat IS 4) * -1,
        (OLD.csat IS 5) * -1, (OLD.ces IS 1) * -1, (OLD.ces IS 2) * -1, (OLD.ces IS 3) * -1,
        (OLD.ces IS 4) * -1, (OLD.ces IS 5) * -1, (OLD.ces IS 6) * -1, (OLD.ces IS 7) * -1,
        (OLD.nps IS 0) * -1, (OLD.nps IS 1) * -1, (OLD.nps IS 2) * -1, (OLD.nps IS 3) * -1,
        (OLD.nps IS 4) * -1, (OLD.nps IS 5) * -1, (OLD.nps IS 6) * -1, (OLD.nps IS 7) * -1,
        (OLD.nps IS 8) * -1, (OLD.nps IS 9) * -1, (OLD.nps IS 10) * -1 FROM invitations
        WHERE invitations.id = OLD.invitation_id
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, csat_1 = csat_1 + excluded.csat_1,
            csat_2 = csat_2 + excluded.csat_2, csat_3 = csat_3 + excluded.csat_3,
            csat_4 = csat_4 + excluded.csat_4, csat_5 = csat_5 + excluded.csat_5,
            ces_1 = ces_1 + excluded.ces_1, ces_2 = ces_2 + excluded.ces_2,
            ces_3 = ces_3 + excluded.ces_3, ces_4 = ces_4 + excluded.ces_4,
            ces_5 = ces_5 + excluded.ces_5, ces_6 = ces_6 + excluded.ces_6,
            ces_7 = ces_7 + excluded.ces_7, nps_0 = nps_0 + excluded.nps_0,
            nps_1 = nps_1 + excluded.nps_1, nps_2 = nps_2 + excluded.nps_2,
            nps_3 = nps_3 + excluded.nps_3, nps_4 = nps_4 + excluded.nps_4,
            nps_5 = nps_5 + excluded.nps_5, nps_6 = nps_6 + excluded.nps_6,
            nps_7 = nps_7 + excluded.nps_7, nps_8 = nps_8 + excluded.nps_8,
            nps_9 = nps_9 + excluded.nps_9, nps_10 = nps_10 + excluded.nps_10;
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, responses, csat_1, csat_2, csat_3,
        csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0, nps_1, nps_2,
        nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
    SELECT invitations.closed_day, coalesce(invitations.agent_id, 0),
        coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), 1,
        (NEW.csat IS 1) * 1, (NEW.csat IS 2) * 1, (NEW.csat IS 3) * 1, (NEW.csat IS 4) * 1,
        (NEW.csat IS 5) * 1, (NEW.ces IS 1) * 1, (NEW.ces IS 2) * 1, (NEW.ces IS 3) * 1,
        (NEW.ces IS 4) * 1, (NEW.ces IS 5) * 1, (NEW.ces IS 6) * 1, (NEW.ces IS 7) * 1,
        (NEW.nps IS 0) * 1, (NEW.nps IS 1) * 1, (NEW.nps IS 2) * 1, (NEW.nps IS 3) * 1,
        (NEW.nps IS 4) * 1, (NEW.nps IS 5) * 1, (NEW.nps IS 6) * 1, (NEW.nps IS 7) * 1,
        (NEW.nps IS 8) * 1, (NEW.nps IS 9) * 1, (NEW.nps IS 10) * 1 FROM invitations
        WHERE invitations.id = NEW.invitation_id
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, csat_1 = csat_1 + excluded.csat_1,
            csat_2 = csat_2 + excluded.csat_2, csat_3 = csat_3 + excluded.csat_3,
            csat_4 = csat_4 + excluded.csat_4, csat_5 = csat_5 + excluded.csat_5,
            ces_1 = ces_1 + excluded.ces_1, ces_2 = ces_2 + excluded.ces_2,
            ces_3 = ces_3 + excluded.ces_3, ces_4 = ces_4 + excluded.ces_4,
            ces_5 = ces_5 + excluded.ces_5, ces_6 = ces_6 + excluded.ces_6,
            ces_7 = ces_7 + excluded.ces_7, nps_0 = nps_0 + excluded.nps_0,
            nps_1 = nps_1 + excluded.nps_1, nps_2 = nps_2 + excluded.nps_2,
            nps_3 = nps_3 + excluded.nps_3, nps_4 = nps_4 + excluded.nps_4,
            nps_5 = nps_5 + excluded.nps_5, nps_6 = nps_6 + excluded.nps_6,
            nps_7 = nps_7 + excluded.nps_7, nps_8 = nps_8 + excluded.nps_8,
            nps_9 = nps_9 + excluded.nps_9, nps_10 = nps_10 + excluded.nps_10;
END;""",
    """CREATE TRIGGER responses_rollup_delete AFTER DELETE ON responses BEGIN
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, responses, csat_1, csat_2, csat_3,
        csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0, nps_1, nps_2,
        nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
    SELECT invitations.closed_day, coalesce(invitations.agent_id, 0),
        coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), -1,
        (OLD.csat IS 1) * -1, (OLD.csat IS 2) * -1, (OLD.csat IS 3) * -1, (OLD.csat IS 4) * -1,
        (OLD.csat IS 5) * -1, (OLD.ces IS 1) * -1, (OLD.ces IS 2) * -1, (OLD.ces IS 3) * -1,
        (OLD.ces IS 4) * -1, (OLD.ces IS 5) * -1, (OLD.ces IS 6) * -1, (OLD.ces IS 7) * -1,
        (OLD.nps IS 0) * -1, (OLD.nps IS 1) * -1, (OLD.nps IS 2) * -1, (OLD.nps IS 3) * -1,
        (OLD.nps IS 4) * -1, (OLD.nps IS 5) * -1, (OLD.nps IS 6) * -1, (OLD.nps IS 7) * -1,
        (OLD.nps IS 8) * -1, (OLD.nps IS 9) * -1, (OLD.nps IS 10) * -1 FROM invitations
        WHERE invitations.id = OLD.invitation_id
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, csat_1 = csat_1 + excluded.csat_1,
            csat_2 = csat_2 + excluded.csat_2, csat_3 = csat_3 + excluded.csat_3,
            csat_4 = csat_4 + excluded.csat_4, csat_5 = csat_5 + excluded.csat_5,
            ces_1 = ces_1 + excluded.ces_1, ces_2 = ces_2 + excluded.ces_2,
            ces_3 = ces_3 + excluded.ces_3, ces_4 = ces_4 + excluded.ces_4,
            ces_5 = ces_5 + excluded.ces_5, ces_6 = ces_6 + excluded.ces_6,
            ces_7 = ces_7 + excluded.ces_7, nps_0 = nps_0 + excluded.nps_0,
            nps_1 = nps_1 + excluded.nps_1, nps_2 = nps_2 + excluded.nps_2,
            nps_3 = nps_3 + excluded.nps_3, nps_4 = nps_4 + excluded.nps_4,
            nps_5 = nps_5 + excluded.nps_5, nps_6 = nps_6 + excluded.nps_6,
            nps_7 = nps_7 + excluded.nps_7, nps_8 = nps_8 + excluded.nps_8,
            nps_9 = nps_9 + excluded.nps_9, nps_10 = nps_10 + excluded.nps_10;
END;""",
)
