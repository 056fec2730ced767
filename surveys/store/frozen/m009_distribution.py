"""m009_distribution: distribution rules, NPS asked at most so often, one reminder,
suppressed addresses and unsubscribe links; rollup triggers that leave closures without an
address out of repeats.

The triggers are the text surveys/rollups.py generated at c06975c. m009 first shipped in
fe3ee20, and that commit's review fixes (c06975c, minutes later) changed the triggers it
installs, without a new migration, so that an answer updated to the same values costs no
rollup work; a database migrated in between kept fe3ee20's triggers until m010 replaced
them.
"""

STATEMENTS = (
    # The distribution rules managers set on /settings/distribution: one row, written
    # whole; without it the settings' defaults apply (surveys.customers.distribution).
    """
        CREATE TABLE distribution_rules (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            send_delay_minutes INTEGER NOT NULL CHECK (send_delay_minutes BETWEEN 0 AND 10080),
            sample_rate_percent INTEGER NOT NULL CHECK (sample_rate_percent BETWEEN 0 AND 100),
            throttle_days INTEGER NOT NULL CHECK (throttle_days BETWEEN 0 AND 365),
            nps_interval_days INTEGER NOT NULL CHECK (nps_interval_days BETWEEN 0 AND 730),
            reminder_days INTEGER NOT NULL CHECK (reminder_days BETWEEN 0 AND 60),
            link_ttl_days INTEGER NOT NULL CHECK (link_ttl_days BETWEEN 1 AND 365),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id)
        ) STRICT
    """,
    # Whether the invitation asks NPS (at most once per NPS_INTERVAL_DAYS per customer);
    # every invitation before this migration asked it.
    (
        "ALTER TABLE invitations ADD COLUMN nps_asked INTEGER NOT NULL DEFAULT 1 "
        "CHECK (nps_asked IN (0, 1))"
    ),
    # The outbox also carries the one reminder an unanswered invitation may get.
    (
        "ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'invitation' "
        "CHECK (kind IN ('invitation', 'reminder'))"
    ),
    # Addresses that must not be surveyed, by SHA-256 of the normalised address: no
    # customer row is needed, so a suppression outlives the erasure of their data.
    """
        CREATE TABLE suppressions (
            address_hash TEXT PRIMARY KEY,
            reason TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID
    """,
    # One-click unsubscribe links (RFC 8058): one per mail, stored as the token's SHA-256
    # beside the address's hash and the ticket's locale (the page's language); they do
    # not expire.
    """
        CREATE TABLE unsubscribe_links (
            token_hash TEXT PRIMARY KEY,
            address_hash TEXT NOT NULL,
            locale TEXT,
            created_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID
    """,
    # The rollup triggers again: a closure without a customer address (stored as '')
    # repeats no other closure, and an answer updated to the same values changes no count.
    "DROP TRIGGER IF EXISTS tickets_rollup_insert",
    "DROP TRIGGER IF EXISTS tickets_rollup_repeat",
    "DROP TRIGGER IF EXISTS invitations_rollup_insert",
    "DROP TRIGGER IF EXISTS invitations_rollup_status",
    "DROP TRIGGER IF EXISTS responses_rollup_insert",
    "DROP TRIGGER IF EXISTS responses_rollup_update",
    "DROP TRIGGER IF EXISTS responses_rollup_delete",
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
    -- '' is a closure without a customer address: it repeats nothing.
    UPDATE tickets SET repeated = 1
     WHERE customer_email = NEW.customer_email AND repeated = 0 AND NEW.customer_email != ''
       AND closed_at < NEW.opened_at
       AND closed_at >= strftime('%Y-%m-%dT%H:%M:%SZ', NEW.opened_at,
           '-' || (SELECT repeat_window_days FROM rollup_settings) || ' days');
    -- Help desks report out of order: a later ticket may already be stored.
    UPDATE tickets SET repeated = 1
     WHERE id = NEW.id AND NEW.customer_email != '' AND EXISTS (
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
    """CREATE TRIGGER responses_rollup_update AFTER UPDATE OF csat, ces, nps ON responses
WHEN OLD.csat IS NOT NEW.csat OR OLD.ces IS NOT NEW.ces OR OLD.nps IS NOT NEW.nps BEGIN
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
