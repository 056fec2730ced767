"""m017_business_months: the monthly business figures managers enter (customers and the
support cost, per month and team), and the handle time a closure may carry, counted in the
ticket rollups.

The trigger is the text surveys/store/rollups.py generates with handle_n and
handle_seconds, wrapped to fit the page (only whitespace outside quotes changed).
"""

STATEMENTS = (
    # One row per month and team (0: the company as a whole, as in the rollups); a field
    # never entered is NULL. The cost is kept in whole cents, so sums and quotients are
    # exact (no binary fractions).
    """CREATE TABLE business_months (
    team_id INTEGER NOT NULL,
    period TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
    customers_start INTEGER CHECK (customers_start BETWEEN 0 AND 1000000000),
    customers_new INTEGER CHECK (customers_new BETWEEN 0 AND 1000000000),
    customers_end INTEGER CHECK (customers_end BETWEEN 0 AND 1000000000),
    support_cost_cents INTEGER CHECK (support_cost_cents BETWEEN 0 AND 100000000000000),
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    PRIMARY KEY (team_id, period)
) STRICT, WITHOUT ROWID""",
    # The time agents spent on a closure, when the help desk reports it (whole seconds).
    (
        "ALTER TABLE tickets ADD COLUMN handle_seconds INTEGER "
        "CHECK (handle_seconds BETWEEN 0 AND 2592000)"
    ),
    # Closures that carried a handle time, and their seconds summed. Every closure stored
    # before this migration carried none, so the zeros the columns start with are the fill.
    "ALTER TABLE ticket_rollups ADD COLUMN handle_n INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE ticket_rollups ADD COLUMN handle_seconds INTEGER NOT NULL DEFAULT 0",
    # The insert trigger again, now counting handle times; the other triggers are unchanged.
    "DROP TRIGGER IF EXISTS tickets_rollup_insert",
    """CREATE TRIGGER tickets_rollup_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_rollups (day, agent_id, team_id, channel, tickets, frt_n, frt_seconds,
        resolution_n, resolution_seconds, contacts_n, first_contact, escalated_n, escalations,
        reopened_n, reopens, repeats, handle_n, handle_seconds)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
        coalesce(NEW.channel, ''), 1, NEW.first_response_at IS NOT NULL AND NEW.opened_at IS NOT
        NULL, coalesce(unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at), 0),
        NEW.opened_at IS NOT NULL, coalesce(unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at),
        0), NEW.contacts IS NOT NULL, NEW.contacts IS 1, NEW.escalated IS NOT NULL,
        NEW.escalated IS 1, NEW.reopened IS NOT NULL, NEW.reopened IS 1, 0, NEW.handle_seconds
        IS NOT NULL, coalesce(NEW.handle_seconds, 0) WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        tickets = tickets + excluded.tickets, frt_n = frt_n + excluded.frt_n, frt_seconds =
            frt_seconds + excluded.frt_seconds, resolution_n = resolution_n +
            excluded.resolution_n, resolution_seconds = resolution_seconds +
            excluded.resolution_seconds, contacts_n = contacts_n + excluded.contacts_n,
            first_contact = first_contact + excluded.first_contact, escalated_n = escalated_n +
            excluded.escalated_n, escalations = escalations + excluded.escalations, reopened_n =
            reopened_n + excluded.reopened_n, reopens = reopens + excluded.reopens, repeats =
            repeats + excluded.repeats, handle_n = handle_n + excluded.handle_n, handle_seconds
            = handle_seconds + excluded.handle_seconds;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure, bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , coalesce(NEW.channel, ''), 'frt', CASE WHEN (unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.first_response_at)
               - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN
               (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 360000 THEN
               ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 *
               1800 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <=
               3600000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) +
               17999) / 18000 * 18000 WHEN (unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE
               (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket) DO UPDATE SET n = n
        + 1;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure, bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0),
        coalesce(NEW.team_id, 0)
           , coalesce(NEW.channel, ''), 'frt', CASE WHEN (unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.first_response_at)
               - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN
               (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 360000 THEN
               ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 *
               1800 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <=
               3600000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) +
               17999) / 18000 * 18000 WHEN (unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE
               (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket) DO UPDATE SET n = n
        + 1;
    INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , 'frt', CASE WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 0
               THEN 0 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 59) / 60 *
               60 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179) / 180
               * 180 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <=
               360000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) +
               1799) / 1800 * 1800 WHEN (unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN
               (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN
               ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179999) / 180000
               * 180000 ELSE (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END,
               1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0),
        coalesce(NEW.team_id, 0)
           , 'frt', CASE WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 0
               THEN 0 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 59) / 60 *
               60 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000
               THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179) / 180
               * 180 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <=
               360000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) +
               1799) / 1800 * 1800 WHEN (unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.first_response_at) -
               unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN
               (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN
               ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179999) / 180000
               * 180000 ELSE (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END,
               1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure, bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , coalesce(NEW.channel, ''), 'resolution', CASE WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.closed_at)
               - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE
               (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket) DO UPDATE SET n = n
        + 1;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure, bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0),
        coalesce(NEW.team_id, 0)
           , coalesce(NEW.channel, ''), 'resolution', CASE WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.closed_at)
               - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.closed_at) -
               unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE
               (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket) DO UPDATE SET n = n
        + 1;
    INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , 'resolution', CASE WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 0
               THEN 0 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN
               (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN
               (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 360000 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN
               (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 *
               180000 ELSE (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0),
        coalesce(NEW.team_id, 0)
           , 'resolution', CASE WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 0
               THEN 0 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN
               (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN
               (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 360000 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN
               (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000
               WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN
               ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 *
               180000 ELSE (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO channels (name) SELECT NEW.channel WHERE NEW.channel IS NOT NULL
    ON CONFLICT (name) DO NOTHING;
    -- A repeat: the customer opened a new ticket within the window after a closure.
    -- '' is a closure without a customer address: it repeats nothing.
    UPDATE tickets SET repeated = 1
     WHERE customer_email = NEW.customer_email AND repeated = 0 AND NEW.customer_email != ''
       AND closed_at < NEW.opened_at
       AND closed_at >= strftime('%Y-%m-%dT%H:%M:%SZ', NEW.opened_at, '-' || (SELECT
           repeat_window_days FROM rollup_settings) || ' days');
    -- Help desks report out of order: a later ticket may already be stored.
    UPDATE tickets SET repeated = 1
     WHERE id = NEW.id AND NEW.customer_email != '' AND EXISTS (
           SELECT 1 FROM tickets AS later
            WHERE later.customer_email = NEW.customer_email
              AND later.closed_at > NEW.closed_at
              AND later.opened_at > NEW.closed_at
              AND later.opened_at <= strftime('%Y-%m-%dT%H:%M:%SZ', NEW.closed_at, '+' ||
                  (SELECT repeat_window_days FROM rollup_settings) || ' days'));
END;""",
)
