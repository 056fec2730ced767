-- The schema surveys/store/migrations.py builds, as SQLite stores it (the migrations'
-- own bookkeeping table left out). Not run by the app: tests/test_migrations.py compares
-- a freshly migrated database with it. Regenerate it when adding a migration:
--     .venv/bin/python -m tests.test_migrations

CREATE TABLE "users" (
   "id" INTEGER PRIMARY KEY,
   "email" TEXT NOT NULL,
   "name" TEXT,
   "password_hash" TEXT NOT NULL,
   "role" TEXT NOT NULL,
   "active" INTEGER NOT NULL DEFAULT 1,
   "created_at" TEXT NOT NULL
, "rated" INTEGER NOT NULL DEFAULT 0, "session_version" INTEGER NOT NULL DEFAULT 0, digest TEXT NOT NULL DEFAULT 'none' CHECK (digest IN ('none', 'weekly', 'monthly')), digest_since TEXT) STRICT;

CREATE UNIQUE INDEX "idx_users_email"
    ON "users" ("email");

CREATE TABLE "api_keys" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "key_hash" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "revoked_at" TEXT
) STRICT;

CREATE UNIQUE INDEX "idx_api_keys_name"
    ON "api_keys" ("name");

CREATE UNIQUE INDEX "idx_api_keys_key_hash"
    ON "api_keys" ("key_hash");

CREATE TABLE "agents" (
   "id" INTEGER PRIMARY KEY,
   "identity" TEXT NOT NULL,
   "email" TEXT,
   "name" TEXT
) STRICT;

CREATE UNIQUE INDEX "idx_agents_identity"
    ON "agents" ("identity");

CREATE TABLE "teams" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX "idx_teams_name"
    ON "teams" ("name");

CREATE TABLE "tickets" (
   "id" INTEGER PRIMARY KEY,
   "source" TEXT NOT NULL,
   "ticket_ref" TEXT NOT NULL,
   "closed_at" TEXT NOT NULL,
   "closed_day" TEXT NOT NULL,
   "opened_at" TEXT,
   "first_response_at" TEXT,
   "customer_email" TEXT NOT NULL,
   "customer_name" TEXT,
   "customer_locale" TEXT,
   "agent_id" INTEGER REFERENCES "agents"("id"),
   "team_id" INTEGER REFERENCES "teams"("id"),
   "channel" TEXT,
   "contacts" INTEGER,
   "escalated" INTEGER,
   "reopened" INTEGER,
   "created_at" TEXT NOT NULL
, repeated INTEGER NOT NULL DEFAULT 0 CHECK (repeated IN (0, 1)), dated_on_arrival INTEGER NOT NULL DEFAULT 0 CHECK (dated_on_arrival IN (0, 1)), handle_seconds INTEGER CHECK (handle_seconds BETWEEN 0 AND 2592000)) STRICT;

CREATE UNIQUE INDEX "idx_tickets_source_ticket_ref_closed_at"
    ON "tickets" ("source", "ticket_ref", "closed_at");

CREATE TABLE "invitations" (
   "id" INTEGER PRIMARY KEY,
   "ticket_id" INTEGER NOT NULL REFERENCES "tickets"("id"),
   "customer_email" TEXT NOT NULL,
   "agent_id" INTEGER REFERENCES "agents"("id"),
   "team_id" INTEGER REFERENCES "teams"("id"),
   "channel" TEXT,
   "closed_day" TEXT NOT NULL,
   "status" TEXT NOT NULL,
   "reason" TEXT,
   "send_at" TEXT,
   "sent_at" TEXT,
   "created_at" TEXT NOT NULL
, nps_asked INTEGER NOT NULL DEFAULT 1 CHECK (nps_asked IN (0, 1))) STRICT;

CREATE UNIQUE INDEX "idx_invitations_ticket_id"
    ON "invitations" ("ticket_id");

CREATE INDEX "idx_invitations_closed_day_status"
    ON "invitations" ("closed_day", "status");

CREATE INDEX "idx_invitations_customer_email_send_at"
    ON "invitations" ("customer_email", "send_at");

CREATE TABLE "survey_links" (
   "token_hash" TEXT PRIMARY KEY,
   "invitation_id" INTEGER NOT NULL REFERENCES "invitations"("id"),
   "created_at" TEXT NOT NULL,
   "expires_at" TEXT NOT NULL
) STRICT;

CREATE INDEX "idx_survey_links_invitation_id"
    ON "survey_links" ("invitation_id");

CREATE TABLE responses (
            id INTEGER PRIMARY KEY,
            invitation_id INTEGER NOT NULL UNIQUE REFERENCES invitations(id),
            csat INTEGER CHECK (csat BETWEEN 1 AND 5),
            ces INTEGER CHECK (ces BETWEEN 1 AND 7),
            nps INTEGER CHECK (nps BETWEEN 0 AND 10),
            comment TEXT CHECK (length(comment) <= 5000),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        , contact_ok INTEGER NOT NULL DEFAULT 0 CHECK (contact_ok IN (0, 1))) STRICT
    ;

CREATE TABLE "outbox" (
   "id" INTEGER PRIMARY KEY,
   "invitation_id" INTEGER REFERENCES "invitations"("id"),
   "recipient" TEXT NOT NULL,
   "status" TEXT NOT NULL,
   "attempts" INTEGER NOT NULL DEFAULT 0,
   "next_attempt_at" TEXT NOT NULL,
   "lease_until" TEXT,
   "last_error" TEXT,
   "created_at" TEXT NOT NULL,
   "sent_at" TEXT
, kind TEXT NOT NULL DEFAULT 'invitation' CHECK (kind IN ('invitation', 'reminder'))) STRICT;

CREATE INDEX "idx_outbox_status_next_attempt_at"
    ON "outbox" ("status", "next_attempt_at");

CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            rater_id INTEGER NOT NULL REFERENCES users(id),
            admin_id INTEGER NOT NULL REFERENCES users(id),
            period TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
            speed INTEGER NOT NULL CHECK (speed BETWEEN 1 AND 5),
            initiative INTEGER NOT NULL CHECK (initiative BETWEEN 1 AND 5),
            accuracy INTEGER NOT NULL CHECK (accuracy BETWEEN 1 AND 5),
            comment_speed TEXT CHECK (length(comment_speed) <= 2000),
            comment_initiative TEXT CHECK (length(comment_initiative) <= 2000),
            comment_accuracy TEXT CHECK (length(comment_accuracy) <= 2000),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (rater_id, admin_id, period),
            CHECK (rater_id != admin_id)
        ) STRICT
    ;

CREATE INDEX "idx_ratings_period_admin_id"
    ON "ratings" ("period", "admin_id");

CREATE INDEX "idx_ratings_admin_id"
    ON "ratings" ("admin_id");

CREATE TABLE "closed_periods" (
   "period" TEXT PRIMARY KEY,
   "closed_at" TEXT NOT NULL,
   "closed_by" INTEGER REFERENCES "users"("id")
) STRICT;

CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            admin_id INTEGER NOT NULL REFERENCES users(id),
            occurred_on TEXT NOT NULL,
            description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
            severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
            recorded_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        ) STRICT
    ;

CREATE INDEX "idx_incidents_admin_id_occurred_on"
    ON "incidents" ("admin_id", "occurred_on");

CREATE INDEX "idx_incidents_occurred_on"
    ON "incidents" ("occurred_on");

CREATE TABLE deliverables (
            id INTEGER PRIMARY KEY,
            admin_id INTEGER NOT NULL REFERENCES users(id),
            title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
            deadline TEXT NOT NULL,
            submitted_on TEXT,
            recorded_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        ) STRICT
    ;

CREATE INDEX "idx_deliverables_admin_id_deadline"
    ON "deliverables" ("admin_id", "deadline");

CREATE INDEX "idx_deliverables_deadline"
    ON "deliverables" ("deadline");

CREATE TABLE "login_attempts" (
   "id" INTEGER PRIMARY KEY,
   "email" TEXT NOT NULL,
   "address" TEXT NOT NULL,
   "succeeded" INTEGER NOT NULL,
   "attempted_at" TEXT NOT NULL
) STRICT;

CREATE INDEX "idx_login_attempts_email_attempted_at"
    ON "login_attempts" ("email", "attempted_at");

CREATE INDEX "idx_login_attempts_address_attempted_at"
    ON "login_attempts" ("address", "attempted_at");

CREATE INDEX "idx_tickets_closed_day"
    ON "tickets" ("closed_day");

CREATE TABLE "targets" (
   "name" TEXT PRIMARY KEY,
   "value" REAL NOT NULL,
   "updated_at" TEXT NOT NULL,
   "updated_by" INTEGER REFERENCES "users"("id")
) STRICT;

CREATE INDEX "idx_tickets_customer_email_closed_at"
    ON "tickets" ("customer_email", "closed_at");

CREATE TABLE survey_rollups (
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
) STRICT, WITHOUT ROWID;

CREATE TABLE ticket_rollups (
    day TEXT NOT NULL, agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    tickets INTEGER NOT NULL DEFAULT 0, frt_n INTEGER NOT NULL DEFAULT 0,
        frt_seconds INTEGER NOT NULL DEFAULT 0, resolution_n INTEGER NOT NULL DEFAULT 0,
        resolution_seconds INTEGER NOT NULL DEFAULT 0, contacts_n INTEGER NOT NULL DEFAULT 0,
        first_contact INTEGER NOT NULL DEFAULT 0, escalated_n INTEGER NOT NULL DEFAULT 0,
        escalations INTEGER NOT NULL DEFAULT 0, reopened_n INTEGER NOT NULL DEFAULT 0,
        reopens INTEGER NOT NULL DEFAULT 0, repeats INTEGER NOT NULL DEFAULT 0, handle_n INTEGER NOT NULL DEFAULT 0, handle_seconds INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id, team_id, channel)
) STRICT, WITHOUT ROWID;

CREATE TABLE duration_rollups (
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
    agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN ('frt', 'resolution')),
    bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (grain, period, agent_id, team_id, channel, measure, bucket)
) STRICT, WITHOUT ROWID;

CREATE TABLE channels (name TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;

CREATE TABLE rollup_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    repeat_window_days INTEGER NOT NULL CHECK (repeat_window_days BETWEEN 1 AND 365)
) STRICT;

CREATE TABLE integrations (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('zendesk', 'chatwoot', 'freshdesk', 'generic')),
            name TEXT NOT NULL UNIQUE,
            secret TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            revoked_at TEXT
        , ticket_url_template TEXT CHECK (ticket_url_template IS NULL OR (substr(ticket_url_template, 1, 8) = 'https://' AND instr(ticket_url_template, '{ticket_id}') > 0 AND length(ticket_url_template) <= 2000))) STRICT
    ;

CREATE TABLE webhook_events (
            id INTEGER PRIMARY KEY,
            integration_id INTEGER NOT NULL REFERENCES integrations(id),
            delivery_id TEXT,
            received_at TEXT NOT NULL,
            event TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN ('created', 'skipped', 'ignored')),
            reason TEXT,
            ticket_ref TEXT,
            ticket_id INTEGER REFERENCES tickets(id)
        ) STRICT
    ;

CREATE UNIQUE INDEX webhook_events_delivery ON webhook_events (integration_id, delivery_id) WHERE delivery_id IS NOT NULL;

CREATE INDEX webhook_events_integration ON webhook_events (integration_id, received_at);

CREATE TABLE outbound_hooks (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            revoked_at TEXT
        ) STRICT
    ;

CREATE TABLE outbound_deliveries (
            id INTEGER PRIMARY KEY,
            hook_id INTEGER NOT NULL REFERENCES outbound_hooks(id),
            response_id INTEGER NOT NULL REFERENCES responses(id),
            event TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_until TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        ) STRICT
    ;

CREATE INDEX outbound_deliveries_due ON outbound_deliveries (status, next_attempt_at);

CREATE INDEX outbound_deliveries_response ON outbound_deliveries (hook_id, response_id, id);

CREATE TRIGGER responses_outbound_insert AFTER INSERT ON responses BEGIN
            INSERT INTO outbound_deliveries (hook_id, response_id, event, payload, status,
                                             attempts, next_attempt_at, created_at)
            SELECT outbound_hooks.id, NEW.id, 'response.created', json_object(
                'event', 'response.created',
                'response', (SELECT json_object(
                    'id', NEW.id, 'ticket_id', tickets.ticket_ref, 'source', tickets.source,
                    'closed_at', tickets.closed_at, 'agent', coalesce(agents.email, agents.name),
                    'team', teams.name, 'channel', invitations.channel, 'csat', NEW.csat,
                    'ces', NEW.ces, 'nps', NEW.nps, 'comment', NEW.comment,
                    'answered_at', NEW.updated_at)
                  FROM invitations JOIN tickets ON tickets.id = invitations.ticket_id
                  LEFT JOIN agents ON agents.id = invitations.agent_id
                  LEFT JOIN teams ON teams.id = invitations.team_id
                 WHERE invitations.id = NEW.invitation_id)),
                   'pending', 0, NEW.updated_at, NEW.updated_at
              FROM outbound_hooks WHERE outbound_hooks.revoked_at IS NULL;
        END;

CREATE TRIGGER responses_outbound_update AFTER UPDATE OF csat, ces, nps, comment
        ON responses
        WHEN OLD.csat IS NOT NEW.csat OR OLD.ces IS NOT NEW.ces OR OLD.nps IS NOT NEW.nps
             OR OLD.comment IS NOT NEW.comment BEGIN
            INSERT INTO outbound_deliveries (hook_id, response_id, event, payload, status,
                                             attempts, next_attempt_at, created_at)
            SELECT outbound_hooks.id, NEW.id, 'response.updated', json_object(
                'event', 'response.updated',
                'response', (SELECT json_object(
                    'id', NEW.id, 'ticket_id', tickets.ticket_ref, 'source', tickets.source,
                    'closed_at', tickets.closed_at, 'agent', coalesce(agents.email, agents.name),
                    'team', teams.name, 'channel', invitations.channel, 'csat', NEW.csat,
                    'ces', NEW.ces, 'nps', NEW.nps, 'comment', NEW.comment,
                    'answered_at', NEW.updated_at)
                  FROM invitations JOIN tickets ON tickets.id = invitations.ticket_id
                  LEFT JOIN agents ON agents.id = invitations.agent_id
                  LEFT JOIN teams ON teams.id = invitations.team_id
                 WHERE invitations.id = NEW.invitation_id)),
                   'pending', 0, NEW.updated_at, NEW.updated_at
              FROM outbound_hooks WHERE outbound_hooks.revoked_at IS NULL;
        END;

CREATE TABLE ticket_imports (
            id INTEGER PRIMARY KEY,
            filename TEXT NOT NULL,
            content BLOB NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            imported_at TEXT,
            surveyed INTEGER CHECK (surveyed IN (0, 1)),
            created INTEGER,
            duplicates INTEGER,
            errors TEXT
        ) STRICT
    ;

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
        , review_url TEXT CHECK (review_url IS NULL OR (substr(review_url, 1, 8) = 'https://' AND length(review_url) <= 2000))) STRICT
    ;

CREATE TABLE suppressions (
            address_hash TEXT PRIMARY KEY,
            reason TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE unsubscribe_links (
            token_hash TEXT PRIMARY KEY,
            address_hash TEXT NOT NULL,
            locale TEXT,
            created_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE agent_duration_rollups (
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
    agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    measure TEXT NOT NULL CHECK (measure IN ('frt', 'resolution')),
    bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (grain, period, agent_id, team_id, measure, bucket)
) STRICT, WITHOUT ROWID;

CREATE TABLE team_targets (
            team_id INTEGER NOT NULL REFERENCES teams(id),
            name TEXT NOT NULL,
            value REAL NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id),
            PRIMARY KEY (team_id, name)
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE agent_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            self_view INTEGER NOT NULL CHECK (self_view IN (0, 1)),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id)
        ) STRICT
    ;

CREATE INDEX idx_invitations_agent_id_closed_day ON invitations (agent_id, closed_day);

CREATE TABLE alert_rules (
            team_id INTEGER NOT NULL,
            name TEXT NOT NULL CHECK (name IN
                ('csat_at_most', 'ces_at_most', 'nps_at_most', 'on_comment', 'recipients')),
            value TEXT NOT NULL CHECK (length(value) <= 2000),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id),
            PRIMARY KEY (team_id, name)
        ) STRICT, WITHOUT ROWID
    ;

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
    ;

CREATE INDEX idx_follow_ups_status_due_at ON follow_ups (status, due_at);

CREATE INDEX idx_follow_ups_owner_id_status ON follow_ups (owner_id, status);

CREATE TABLE follow_up_events (
            id INTEGER PRIMARY KEY,
            follow_up_id INTEGER NOT NULL REFERENCES follow_ups(id),
            at TEXT NOT NULL,
            by_user_id INTEGER REFERENCES users(id),
            what TEXT NOT NULL CHECK (length(what) <= 10000)
        ) STRICT
    ;

CREATE INDEX idx_follow_up_events_follow_up_id ON follow_up_events (follow_up_id, id);

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
    ;

CREATE INDEX idx_alert_outbox_status_next_attempt_at ON alert_outbox (status, next_attempt_at);

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
    ;

CREATE INDEX idx_digest_outbox_status_next_attempt_at ON digest_outbox (status, next_attempt_at);

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
        , form_key TEXT CHECK (length(form_key) <= 64)) STRICT
    ;

CREATE INDEX idx_actions_status_due_on ON actions (status, due_on);

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
    ;

CREATE TABLE user_sessions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            ended_at TEXT
        ) STRICT
    ;

CREATE INDEX idx_user_sessions_user_id ON user_sessions (user_id);

CREATE TABLE link_attempts (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL,
            attempted_at TEXT NOT NULL
        ) STRICT
    ;

CREATE INDEX idx_link_attempts_address_attempted_at ON link_attempts (address, attempted_at);

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
    ;

CREATE VIRTUAL TABLE comments_fts USING fts5(
            comment,
            content = 'responses',
            content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2'
        );

CREATE TRIGGER comments_fts_insert AFTER INSERT ON responses
        WHEN new.comment IS NOT NULL
        BEGIN
            INSERT INTO comments_fts (rowid, comment) VALUES (new.id, new.comment);
        END;

CREATE TRIGGER comments_fts_update AFTER UPDATE OF comment ON responses
        WHEN old.comment IS NOT new.comment
        BEGIN
            INSERT INTO comments_fts (comments_fts, rowid, comment)
                SELECT 'delete', old.id, old.comment WHERE old.comment IS NOT NULL;
            INSERT INTO comments_fts (rowid, comment)
                SELECT new.id, new.comment WHERE new.comment IS NOT NULL;
        END;

CREATE TRIGGER comments_fts_delete AFTER DELETE ON responses
        WHEN old.comment IS NOT NULL
        BEGIN
            INSERT INTO comments_fts (comments_fts, rowid, comment)
                VALUES ('delete', old.id, old.comment);
        END;

CREATE TABLE response_terms (
            response_id INTEGER NOT NULL REFERENCES responses(id),
            term TEXT NOT NULL,
            form TEXT NOT NULL,
            n INTEGER NOT NULL CHECK (n > 0),
            class TEXT NOT NULL CHECK (class IN ('low', 'high', 'other')),
            PRIMARY KEY (response_id, term, form)
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE term_rollups (
            grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
            agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
            class TEXT NOT NULL CHECK (class IN ('low', 'high', 'other')),
            term TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (grain, period, agent_id, team_id, channel, class, term)
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE term_totals (
            grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
            class TEXT NOT NULL CHECK (class IN ('low', 'high', 'other')),
            term TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (grain, period, class, term)
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE term_forms (
            term TEXT NOT NULL, form TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (term, form)
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE business_months (
    team_id INTEGER NOT NULL,
    period TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
    customers_start INTEGER CHECK (customers_start BETWEEN 0 AND 1000000000),
    customers_new INTEGER CHECK (customers_new BETWEEN 0 AND 1000000000),
    customers_end INTEGER CHECK (customers_end BETWEEN 0 AND 1000000000),
    support_cost_cents INTEGER CHECK (support_cost_cents BETWEEN 0 AND 100000000000000),
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    PRIMARY KEY (team_id, period)
) STRICT, WITHOUT ROWID;

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
    ;

CREATE INDEX idx_calls_agent_id ON calls (agent_id);

CREATE INDEX idx_calls_team_id ON calls (team_id);

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
    ;

CREATE TABLE call_rollups (
            day TEXT NOT NULL, agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
            channel TEXT NOT NULL,
            calls INTEGER NOT NULL DEFAULT 0, answered INTEGER NOT NULL DEFAULT 0,
            abandoned INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
            wait_seconds INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, agent_id, team_id, channel)
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE call_wait_rollups (
            grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
            agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
            bucket INTEGER NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (grain, period, agent_id, team_id, channel, bucket)
        ) STRICT, WITHOUT ROWID
    ;

CREATE TABLE comment_words (
            word TEXT NOT NULL,
            tf INTEGER NOT NULL CHECK (tf > 0),
            length INTEGER NOT NULL CHECK (length >= tf),
            response_id INTEGER NOT NULL REFERENCES responses(id),
            PRIMARY KEY (word, tf, length, response_id DESC)
        ) STRICT, WITHOUT ROWID
    ;

CREATE INDEX comment_words_response ON comment_words (response_id);

CREATE TRIGGER responses_words_comment AFTER UPDATE OF comment ON responses
        WHEN OLD.comment IS NOT NEW.comment BEGIN
            DELETE FROM comment_words WHERE response_id = NEW.id;
        END;

CREATE TRIGGER responses_words_delete BEFORE DELETE ON responses BEGIN
            DELETE FROM comment_words WHERE response_id = OLD.id;
        END;

CREATE UNIQUE INDEX idx_actions_form_key ON actions (form_key);

CREATE TRIGGER tickets_rollup_insert AFTER INSERT ON tickets BEGIN
    
    INSERT INTO ticket_rollups (day, agent_id, team_id, channel, tickets, frt_n, frt_seconds, resolution_n, resolution_seconds, contacts_n, first_contact, escalated_n, escalations, reopened_n, reopens, repeats, handle_n, handle_seconds)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0), coalesce(NEW.channel, ''), 1, NEW.first_response_at IS NOT NULL AND NEW.opened_at IS NOT NULL, coalesce(unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at), 0), NEW.opened_at IS NOT NULL, coalesce(unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at), 0), NEW.contacts IS NOT NULL, NEW.contacts IS 1, NEW.escalated IS NOT NULL, NEW.escalated IS 1, NEW.reopened IS NOT NULL, NEW.reopened IS 1, 0, NEW.handle_seconds IS NOT NULL, coalesce(NEW.handle_seconds, 0) WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        tickets = tickets + excluded.tickets, frt_n = frt_n + excluded.frt_n, frt_seconds = frt_seconds + excluded.frt_seconds, resolution_n = resolution_n + excluded.resolution_n, resolution_seconds = resolution_seconds + excluded.resolution_seconds, contacts_n = contacts_n + excluded.contacts_n, first_contact = first_contact + excluded.first_contact, escalated_n = escalated_n + excluded.escalated_n, escalations = escalations + excluded.escalations, reopened_n = reopened_n + excluded.reopened_n, reopens = reopens + excluded.reopens, repeats = repeats + excluded.repeats, handle_n = handle_n + excluded.handle_n, handle_seconds = handle_seconds + excluded.handle_seconds;
    
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure, bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , coalesce(NEW.channel, ''), 'frt', CASE WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure, bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , coalesce(NEW.channel, ''), 'frt', CASE WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , 'frt', CASE WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , 'frt', CASE WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE (unixepoch(NEW.first_response_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.first_response_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, measure, bucket) DO UPDATE SET n = n + 1;
    
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure, bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , coalesce(NEW.channel, ''), 'resolution', CASE WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO duration_rollups (grain, period, agent_id, team_id, channel, measure, bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , coalesce(NEW.channel, ''), 'resolution', CASE WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, channel, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
    SELECT 'day', NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , 'resolution', CASE WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO agent_duration_rollups (grain, period, agent_id, team_id, measure, bucket, n)
    SELECT 'month', substr(NEW.closed_day, 1, 7), coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0)
           , 'resolution', CASE WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 0 THEN 0 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 59) / 60 * 60 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179) / 180 * 180 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 360000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 1799) / 1800 * 1800 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 3600000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 17999) / 18000 * 18000 WHEN (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) <= 36000000 THEN ((unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) + 179999) / 180000 * 180000 ELSE (unixepoch(NEW.closed_at) - unixepoch(NEW.opened_at)) END, 1
     WHERE NEW.opened_at IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (grain, period, agent_id, team_id, measure, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO channels (name) SELECT NEW.channel WHERE NEW.channel IS NOT NULL
    ON CONFLICT (name) DO NOTHING;
    -- A repeat: the customer opened a new ticket within the window after a closure.
    -- '' is a closure without a customer address: it repeats nothing.
    UPDATE tickets SET repeated = 1
     WHERE customer_email = NEW.customer_email AND repeated = 0 AND NEW.customer_email != ''
       AND closed_at < NEW.opened_at
       AND closed_at >= strftime('%Y-%m-%dT%H:%M:%SZ', NEW.opened_at, '-' || (SELECT repeat_window_days FROM rollup_settings) || ' days');
    -- Help desks report out of order: a later ticket may already be stored.
    UPDATE tickets SET repeated = 1
     WHERE id = NEW.id AND NEW.customer_email != '' AND EXISTS (
           SELECT 1 FROM tickets AS later
            WHERE later.customer_email = NEW.customer_email
              AND later.closed_at > NEW.closed_at
              AND later.opened_at > NEW.closed_at
              AND later.opened_at <= strftime('%Y-%m-%dT%H:%M:%SZ', NEW.closed_at, '+' || (SELECT repeat_window_days FROM rollup_settings) || ' days'));
END;

CREATE TRIGGER tickets_rollup_repeat AFTER UPDATE OF repeated ON tickets
WHEN OLD.repeated IS NOT NEW.repeated BEGIN
    
    INSERT INTO ticket_rollups (day, agent_id, team_id, channel, repeats)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0), coalesce(NEW.channel, ''), NEW.repeated - OLD.repeated WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        repeats = repeats + excluded.repeats;
END;

CREATE TRIGGER invitations_rollup_insert AFTER INSERT ON invitations
WHEN NEW.status = 'sent' BEGIN
    
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, invitations_sent)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0), coalesce(NEW.channel, ''), 1 WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        invitations_sent = invitations_sent + excluded.invitations_sent;
END;

CREATE TRIGGER invitations_rollup_status AFTER UPDATE OF status ON invitations
WHEN (OLD.status = 'sent') IS NOT (NEW.status = 'sent') BEGIN
    
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, invitations_sent)
    SELECT NEW.closed_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0), coalesce(NEW.channel, ''), (NEW.status = 'sent') - (OLD.status = 'sent') WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        invitations_sent = invitations_sent + excluded.invitations_sent;
END;

CREATE TRIGGER responses_rollup_insert AFTER INSERT ON responses BEGIN
    
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, responses, csat_1, csat_2, csat_3, csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
    SELECT invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), 1, (NEW.csat IS 1) * 1, (NEW.csat IS 2) * 1, (NEW.csat IS 3) * 1, (NEW.csat IS 4) * 1, (NEW.csat IS 5) * 1, (NEW.ces IS 1) * 1, (NEW.ces IS 2) * 1, (NEW.ces IS 3) * 1, (NEW.ces IS 4) * 1, (NEW.ces IS 5) * 1, (NEW.ces IS 6) * 1, (NEW.ces IS 7) * 1, (NEW.nps IS 0) * 1, (NEW.nps IS 1) * 1, (NEW.nps IS 2) * 1, (NEW.nps IS 3) * 1, (NEW.nps IS 4) * 1, (NEW.nps IS 5) * 1, (NEW.nps IS 6) * 1, (NEW.nps IS 7) * 1, (NEW.nps IS 8) * 1, (NEW.nps IS 9) * 1, (NEW.nps IS 10) * 1 FROM invitations WHERE invitations.id = NEW.invitation_id
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, csat_1 = csat_1 + excluded.csat_1, csat_2 = csat_2 + excluded.csat_2, csat_3 = csat_3 + excluded.csat_3, csat_4 = csat_4 + excluded.csat_4, csat_5 = csat_5 + excluded.csat_5, ces_1 = ces_1 + excluded.ces_1, ces_2 = ces_2 + excluded.ces_2, ces_3 = ces_3 + excluded.ces_3, ces_4 = ces_4 + excluded.ces_4, ces_5 = ces_5 + excluded.ces_5, ces_6 = ces_6 + excluded.ces_6, ces_7 = ces_7 + excluded.ces_7, nps_0 = nps_0 + excluded.nps_0, nps_1 = nps_1 + excluded.nps_1, nps_2 = nps_2 + excluded.nps_2, nps_3 = nps_3 + excluded.nps_3, nps_4 = nps_4 + excluded.nps_4, nps_5 = nps_5 + excluded.nps_5, nps_6 = nps_6 + excluded.nps_6, nps_7 = nps_7 + excluded.nps_7, nps_8 = nps_8 + excluded.nps_8, nps_9 = nps_9 + excluded.nps_9, nps_10 = nps_10 + excluded.nps_10;
END;

CREATE TRIGGER responses_rollup_update AFTER UPDATE OF csat, ces, nps ON responses
WHEN OLD.csat IS NOT NEW.csat OR OLD.ces IS NOT NEW.ces OR OLD.nps IS NOT NEW.nps BEGIN
    
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, responses, csat_1, csat_2, csat_3, csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
    SELECT invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), -1, (OLD.csat IS 1) * -1, (OLD.csat IS 2) * -1, (OLD.csat IS 3) * -1, (OLD.csat IS 4) * -1, (OLD.csat IS 5) * -1, (OLD.ces IS 1) * -1, (OLD.ces IS 2) * -1, (OLD.ces IS 3) * -1, (OLD.ces IS 4) * -1, (OLD.ces IS 5) * -1, (OLD.ces IS 6) * -1, (OLD.ces IS 7) * -1, (OLD.nps IS 0) * -1, (OLD.nps IS 1) * -1, (OLD.nps IS 2) * -1, (OLD.nps IS 3) * -1, (OLD.nps IS 4) * -1, (OLD.nps IS 5) * -1, (OLD.nps IS 6) * -1, (OLD.nps IS 7) * -1, (OLD.nps IS 8) * -1, (OLD.nps IS 9) * -1, (OLD.nps IS 10) * -1 FROM invitations WHERE invitations.id = OLD.invitation_id
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, csat_1 = csat_1 + excluded.csat_1, csat_2 = csat_2 + excluded.csat_2, csat_3 = csat_3 + excluded.csat_3, csat_4 = csat_4 + excluded.csat_4, csat_5 = csat_5 + excluded.csat_5, ces_1 = ces_1 + excluded.ces_1, ces_2 = ces_2 + excluded.ces_2, ces_3 = ces_3 + excluded.ces_3, ces_4 = ces_4 + excluded.ces_4, ces_5 = ces_5 + excluded.ces_5, ces_6 = ces_6 + excluded.ces_6, ces_7 = ces_7 + excluded.ces_7, nps_0 = nps_0 + excluded.nps_0, nps_1 = nps_1 + excluded.nps_1, nps_2 = nps_2 + excluded.nps_2, nps_3 = nps_3 + excluded.nps_3, nps_4 = nps_4 + excluded.nps_4, nps_5 = nps_5 + excluded.nps_5, nps_6 = nps_6 + excluded.nps_6, nps_7 = nps_7 + excluded.nps_7, nps_8 = nps_8 + excluded.nps_8, nps_9 = nps_9 + excluded.nps_9, nps_10 = nps_10 + excluded.nps_10;
    
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, responses, csat_1, csat_2, csat_3, csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
    SELECT invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), 1, (NEW.csat IS 1) * 1, (NEW.csat IS 2) * 1, (NEW.csat IS 3) * 1, (NEW.csat IS 4) * 1, (NEW.csat IS 5) * 1, (NEW.ces IS 1) * 1, (NEW.ces IS 2) * 1, (NEW.ces IS 3) * 1, (NEW.ces IS 4) * 1, (NEW.ces IS 5) * 1, (NEW.ces IS 6) * 1, (NEW.ces IS 7) * 1, (NEW.nps IS 0) * 1, (NEW.nps IS 1) * 1, (NEW.nps IS 2) * 1, (NEW.nps IS 3) * 1, (NEW.nps IS 4) * 1, (NEW.nps IS 5) * 1, (NEW.nps IS 6) * 1, (NEW.nps IS 7) * 1, (NEW.nps IS 8) * 1, (NEW.nps IS 9) * 1, (NEW.nps IS 10) * 1 FROM invitations WHERE invitations.id = NEW.invitation_id
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, csat_1 = csat_1 + excluded.csat_1, csat_2 = csat_2 + excluded.csat_2, csat_3 = csat_3 + excluded.csat_3, csat_4 = csat_4 + excluded.csat_4, csat_5 = csat_5 + excluded.csat_5, ces_1 = ces_1 + excluded.ces_1, ces_2 = ces_2 + excluded.ces_2, ces_3 = ces_3 + excluded.ces_3, ces_4 = ces_4 + excluded.ces_4, ces_5 = ces_5 + excluded.ces_5, ces_6 = ces_6 + excluded.ces_6, ces_7 = ces_7 + excluded.ces_7, nps_0 = nps_0 + excluded.nps_0, nps_1 = nps_1 + excluded.nps_1, nps_2 = nps_2 + excluded.nps_2, nps_3 = nps_3 + excluded.nps_3, nps_4 = nps_4 + excluded.nps_4, nps_5 = nps_5 + excluded.nps_5, nps_6 = nps_6 + excluded.nps_6, nps_7 = nps_7 + excluded.nps_7, nps_8 = nps_8 + excluded.nps_8, nps_9 = nps_9 + excluded.nps_9, nps_10 = nps_10 + excluded.nps_10;
END;

CREATE TRIGGER responses_rollup_delete AFTER DELETE ON responses BEGIN
    
    INSERT INTO survey_rollups (day, agent_id, team_id, channel, responses, csat_1, csat_2, csat_3, csat_4, csat_5, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10)
    SELECT invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), -1, (OLD.csat IS 1) * -1, (OLD.csat IS 2) * -1, (OLD.csat IS 3) * -1, (OLD.csat IS 4) * -1, (OLD.csat IS 5) * -1, (OLD.ces IS 1) * -1, (OLD.ces IS 2) * -1, (OLD.ces IS 3) * -1, (OLD.ces IS 4) * -1, (OLD.ces IS 5) * -1, (OLD.ces IS 6) * -1, (OLD.ces IS 7) * -1, (OLD.nps IS 0) * -1, (OLD.nps IS 1) * -1, (OLD.nps IS 2) * -1, (OLD.nps IS 3) * -1, (OLD.nps IS 4) * -1, (OLD.nps IS 5) * -1, (OLD.nps IS 6) * -1, (OLD.nps IS 7) * -1, (OLD.nps IS 8) * -1, (OLD.nps IS 9) * -1, (OLD.nps IS 10) * -1 FROM invitations WHERE invitations.id = OLD.invitation_id
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, csat_1 = csat_1 + excluded.csat_1, csat_2 = csat_2 + excluded.csat_2, csat_3 = csat_3 + excluded.csat_3, csat_4 = csat_4 + excluded.csat_4, csat_5 = csat_5 + excluded.csat_5, ces_1 = ces_1 + excluded.ces_1, ces_2 = ces_2 + excluded.ces_2, ces_3 = ces_3 + excluded.ces_3, ces_4 = ces_4 + excluded.ces_4, ces_5 = ces_5 + excluded.ces_5, ces_6 = ces_6 + excluded.ces_6, ces_7 = ces_7 + excluded.ces_7, nps_0 = nps_0 + excluded.nps_0, nps_1 = nps_1 + excluded.nps_1, nps_2 = nps_2 + excluded.nps_2, nps_3 = nps_3 + excluded.nps_3, nps_4 = nps_4 + excluded.nps_4, nps_5 = nps_5 + excluded.nps_5, nps_6 = nps_6 + excluded.nps_6, nps_7 = nps_7 + excluded.nps_7, nps_8 = nps_8 + excluded.nps_8, nps_9 = nps_9 + excluded.nps_9, nps_10 = nps_10 + excluded.nps_10;
END;

CREATE TRIGGER calls_rollup_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_rollups (day, agent_id, team_id, channel, calls, answered, abandoned, failed, wait_seconds)
    SELECT NEW.queued_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0), NEW.channel,
           1, NEW.outcome = 'answered', NEW.outcome = 'abandoned', NEW.outcome = 'failed',
           CASE WHEN NEW.outcome = 'answered' THEN unixepoch(NEW.answered_at) - unixepoch(NEW.queued_at) ELSE 0 END
     WHERE true
    ON CONFLICT (day, agent_id, team_id, channel) DO UPDATE SET
        calls = calls + excluded.calls, answered = answered + excluded.answered, abandoned = abandoned + excluded.abandoned, failed = failed + excluded.failed, wait_seconds = wait_seconds + excluded.wait_seconds;
    
    INSERT INTO call_wait_rollups (grain, period, agent_id, team_id, channel, bucket, n)
    SELECT 'day', NEW.queued_day, coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
           NEW.channel, CASE WHEN wait <= 0 THEN 0 WHEN wait <= 30 THEN wait WHEN wait <= 600 THEN (wait + 4) / 5 * 5 WHEN wait <= 3600 THEN (wait + 59) / 60 * 60 WHEN wait <= 36000 THEN (wait + 599) / 600 * 600 ELSE wait END, 1
      FROM (SELECT unixepoch(NEW.answered_at) - unixepoch(NEW.queued_at) AS wait)
     WHERE NEW.outcome = 'answered'
    ON CONFLICT (grain, period, agent_id, team_id, channel, bucket) DO UPDATE SET n = n + 1;
    
    INSERT INTO call_wait_rollups (grain, period, agent_id, team_id, channel, bucket, n)
    SELECT 'month', substr(NEW.queued_day, 1, 7), coalesce(NEW.agent_id, 0), coalesce(NEW.team_id, 0),
           NEW.channel, CASE WHEN wait <= 0 THEN 0 WHEN wait <= 30 THEN wait WHEN wait <= 600 THEN (wait + 4) / 5 * 5 WHEN wait <= 3600 THEN (wait + 59) / 60 * 60 WHEN wait <= 36000 THEN (wait + 599) / 600 * 600 ELSE wait END, 1
      FROM (SELECT unixepoch(NEW.answered_at) - unixepoch(NEW.queued_at) AS wait)
     WHERE NEW.outcome = 'answered'
    ON CONFLICT (grain, period, agent_id, team_id, channel, bucket) DO UPDATE SET n = n + 1;
    INSERT INTO channels (name) VALUES (NEW.channel) ON CONFLICT (name) DO NOTHING;
END;

CREATE TRIGGER response_terms_insert AFTER INSERT ON response_terms BEGIN
    
    INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class, term, n) SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = NEW.response_id
    ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE SET n = n + excluded.n;
    INSERT INTO term_totals (grain, period, class, term, n) SELECT 'day', invitations.closed_day, NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = NEW.response_id
    ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
    INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class, term, n) SELECT 'month', substr(invitations.closed_day, 1, 7), coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = NEW.response_id
    ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE SET n = n + excluded.n;
    INSERT INTO term_totals (grain, period, class, term, n) SELECT 'month', substr(invitations.closed_day, 1, 7), NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = NEW.response_id
    ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
    
    INSERT INTO term_forms (term, form, n) VALUES (NEW.term, NEW.form, 1 * NEW.n)
    ON CONFLICT (term, form) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER response_terms_delete AFTER DELETE ON response_terms BEGIN
    
    INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class, term, n) SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
    ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_rollups WHERE n = 0 AND (grain, period, agent_id, team_id, channel, class, term) = (SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), OLD.class, OLD.term FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id);
    INSERT INTO term_totals (grain, period, class, term, n) SELECT 'day', invitations.closed_day, OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
    ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_totals WHERE n = 0 AND (grain, period, class, term) = (SELECT 'day', invitations.closed_day, OLD.class, OLD.term FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id);
    INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class, term, n) SELECT 'month', substr(invitations.closed_day, 1, 7), coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
    ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_rollups WHERE n = 0 AND (grain, period, agent_id, team_id, channel, class, term) = (SELECT 'month', substr(invitations.closed_day, 1, 7), coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), OLD.class, OLD.term FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id);
    INSERT INTO term_totals (grain, period, class, term, n) SELECT 'month', substr(invitations.closed_day, 1, 7), OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
    ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_totals WHERE n = 0 AND (grain, period, class, term) = (SELECT 'month', substr(invitations.closed_day, 1, 7), OLD.class, OLD.term FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id);
    
    INSERT INTO term_forms (term, form, n) VALUES (OLD.term, OLD.form, -1 * OLD.n)
    ON CONFLICT (term, form) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_forms WHERE term = OLD.term AND form = OLD.form AND n = 0;
END;

CREATE TRIGGER response_terms_class AFTER UPDATE OF class ON response_terms
WHEN OLD.class IS NOT NEW.class BEGIN
    
    INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class, term, n) SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
    ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_rollups WHERE n = 0 AND (grain, period, agent_id, team_id, channel, class, term) = (SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), OLD.class, OLD.term FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id);
    INSERT INTO term_totals (grain, period, class, term, n) SELECT 'day', invitations.closed_day, OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
    ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_totals WHERE n = 0 AND (grain, period, class, term) = (SELECT 'day', invitations.closed_day, OLD.class, OLD.term FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id);
    INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class, term, n) SELECT 'month', substr(invitations.closed_day, 1, 7), coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
    ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_rollups WHERE n = 0 AND (grain, period, agent_id, team_id, channel, class, term) = (SELECT 'month', substr(invitations.closed_day, 1, 7), coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), OLD.class, OLD.term FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id);
    INSERT INTO term_totals (grain, period, class, term, n) SELECT 'month', substr(invitations.closed_day, 1, 7), OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
    ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
    DELETE FROM term_totals WHERE n = 0 AND (grain, period, class, term) = (SELECT 'month', substr(invitations.closed_day, 1, 7), OLD.class, OLD.term FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id);
    
    INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class, term, n) SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = NEW.response_id
    ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE SET n = n + excluded.n;
    INSERT INTO term_totals (grain, period, class, term, n) SELECT 'day', invitations.closed_day, NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = NEW.response_id
    ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
    INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class, term, n) SELECT 'month', substr(invitations.closed_day, 1, 7), coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''), NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = NEW.response_id
    ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE SET n = n + excluded.n;
    INSERT INTO term_totals (grain, period, class, term, n) SELECT 'month', substr(invitations.closed_day, 1, 7), NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id = NEW.response_id
    ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER responses_terms_class AFTER UPDATE OF csat, ces, nps ON responses BEGIN
    UPDATE response_terms SET class = CASE WHEN NEW.csat <= 2 OR NEW.ces <= 3 OR NEW.nps <= 6 THEN 'low' WHEN NEW.csat >= 4 OR NEW.ces >= 5 OR NEW.nps >= 9 THEN 'high' ELSE 'other' END
     WHERE response_id = NEW.id AND class IS NOT CASE WHEN NEW.csat <= 2 OR NEW.ces <= 3 OR NEW.nps <= 6 THEN 'low' WHEN NEW.csat >= 4 OR NEW.ces >= 5 OR NEW.nps >= 9 THEN 'high' ELSE 'other' END;
END;

CREATE TRIGGER responses_terms_comment AFTER UPDATE OF comment ON responses
WHEN OLD.comment IS NOT NEW.comment BEGIN
    DELETE FROM response_terms WHERE response_id = NEW.id;
END;

CREATE TRIGGER responses_terms_delete BEFORE DELETE ON responses BEGIN
    DELETE FROM response_terms WHERE response_id = OLD.id;
END;
