"""The database schema: one migration per change, applied in order, never edited after
it ships (`flask init-db` applies the pending ones)."""

from sqlite_utils import Migrations

from surveys.store import rollups

migrations = Migrations("puas")


@migrations(transactional=False)
def m001_wal(db):
    # WAL lets readers work while one writer writes; it persists in the file.
    db.enable_wal()


@migrations()
def m002_people(db):
    db["users"].create(
        {
            "id": int,
            "email": str,
            "name": str,
            "password_hash": str,
            "role": str,
            "active": int,
            "created_at": str,
        },
        pk="id",
        not_null={"email", "password_hash", "role", "active", "created_at"},
        defaults={"active": 1},
        strict=True,
    )
    db["users"].create_index(["email"], unique=True)
    db["api_keys"].create(
        {"id": int, "name": str, "key_hash": str, "created_at": str, "revoked_at": str},
        pk="id",
        not_null={"name", "key_hash", "created_at"},
        strict=True,
    )
    db["api_keys"].create_index(["name"], unique=True)
    db["api_keys"].create_index(["key_hash"], unique=True)
    # An agent is known by email when the help desk gives one, else by name: `identity`
    # holds "email:<address>" or "name:<name>" so one unique index covers both.
    db["agents"].create(
        {"id": int, "identity": str, "email": str, "name": str},
        pk="id",
        not_null={"identity"},
        strict=True,
    )
    db["agents"].create_index(["identity"], unique=True)
    db["teams"].create({"id": int, "name": str}, pk="id", not_null={"name"}, strict=True)
    db["teams"].create_index(["name"], unique=True)


@migrations()
def m003_surveys(db):
    # One row per reported closure: a ticket reopened and closed again is a new closure
    # and earns a new invitation; the same closure reported twice is the same row.
    db["tickets"].create(
        {
            "id": int,
            "source": str,
            "ticket_ref": str,
            "closed_at": str,
            "closed_day": str,
            "opened_at": str,
            "first_response_at": str,
            "customer_email": str,
            "customer_name": str,
            "customer_locale": str,
            "agent_id": int,
            "team_id": int,
            "channel": str,
            "contacts": int,
            "escalated": int,
            "reopened": int,
            "created_at": str,
        },
        pk="id",
        not_null={
            "source",
            "ticket_ref",
            "closed_at",
            "closed_day",
            "customer_email",
            "created_at",
        },
        foreign_keys=[("agent_id", "agents", "id"), ("team_id", "teams", "id")],
        strict=True,
    )
    db["tickets"].create_index(["source", "ticket_ref", "closed_at"], unique=True)
    # The agent, team, channel and day are copied from the closure so that reports
    # credit whoever held the ticket when the invitation was made.
    db["invitations"].create(
        {
            "id": int,
            "ticket_id": int,
            "customer_email": str,
            "agent_id": int,
            "team_id": int,
            "channel": str,
            "closed_day": str,
            "status": str,
            "reason": str,
            "send_at": str,
            "sent_at": str,
            "created_at": str,
        },
        pk="id",
        not_null={"ticket_id", "customer_email", "closed_day", "status", "created_at"},
        foreign_keys=[
            ("ticket_id", "tickets", "id"),
            ("agent_id", "agents", "id"),
            ("team_id", "teams", "id"),
        ],
        strict=True,
    )
    db["invitations"].create_index(["ticket_id"], unique=True)
    db["invitations"].create_index(["closed_day", "status"])
    db["invitations"].create_index(["customer_email", "send_at"])
    # Each delivered mail carries its own link; every link of an invitation answers it.
    db["survey_links"].create(
        {"token_hash": str, "invitation_id": int, "created_at": str, "expires_at": str},
        pk="token_hash",
        not_null={"invitation_id", "created_at", "expires_at"},
        foreign_keys=[("invitation_id", "invitations", "id")],
        strict=True,
    )
    db["survey_links"].create_index(["invitation_id"])
    # Raw SQL for the CHECK constraints, which sqlite-utils' create() cannot express:
    # the database itself refuses a score outside its scale.
    db.execute("""
        CREATE TABLE responses (
            id INTEGER PRIMARY KEY,
            invitation_id INTEGER NOT NULL UNIQUE REFERENCES invitations(id),
            csat INTEGER CHECK (csat BETWEEN 1 AND 5),
            ces INTEGER CHECK (ces BETWEEN 1 AND 7),
            nps INTEGER CHECK (nps BETWEEN 0 AND 10),
            comment TEXT CHECK (length(comment) <= 5000),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
    """)
    db["outbox"].create(
        {
            "id": int,
            "invitation_id": int,
            "recipient": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "lease_until": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        not_null={"recipient", "status", "attempts", "next_attempt_at", "created_at"},
        defaults={"attempts": 0},
        foreign_keys=[("invitation_id", "invitations", "id")],
        strict=True,
    )
    # No index on outbox.invitation_id: nothing reads the outbox by invitation, and every
    # index is one more page written under the write lock for each reported ticket.
    db["outbox"].create_index(["status", "next_attempt_at"])


@migrations()
def m004_internal_ratings(db):
    # `rated` marks an administrative employee whom staff rate; permissions stay a role.
    db["users"].add_column("rated", int, not_null_default=0)
    # Part of every session's user id: raising it (new password, deactivation) ends every
    # session the person has open, on every device.
    db["users"].add_column("session_version", int, not_null_default=0)
    db.execute("""
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
    """)
    db["ratings"].create_index(["period", "admin_id"])
    db["ratings"].create_index(["admin_id"])
    db["closed_periods"].create(
        {"period": str, "closed_at": str, "closed_by": int},
        pk="period",
        not_null={"closed_at"},
        foreign_keys=[("closed_by", "users", "id")],
        strict=True,
    )
    db.execute("""
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            admin_id INTEGER NOT NULL REFERENCES users(id),
            occurred_on TEXT NOT NULL,
            description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
            severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
            recorded_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        ) STRICT
    """)
    db["incidents"].create_index(["admin_id", "occurred_on"])
    db["incidents"].create_index(["occurred_on"])
    db.execute("""
        CREATE TABLE deliverables (
            id INTEGER PRIMARY KEY,
            admin_id INTEGER NOT NULL REFERENCES users(id),
            title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
            deadline TEXT NOT NULL,
            submitted_on TEXT,
            recorded_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        ) STRICT
    """)
    db["deliverables"].create_index(["admin_id", "deadline"])
    db["deliverables"].create_index(["deadline"])
    # Sign-in attempts, shared by every worker: the lockout counts them here.
    db["login_attempts"].create(
        {"id": int, "email": str, "address": str, "succeeded": int, "attempted_at": str},
        pk="id",
        not_null={"email", "address", "succeeded", "attempted_at"},
        strict=True,
    )
    db["login_attempts"].create_index(["email", "attempted_at"])
    db["login_attempts"].create_index(["address", "attempted_at"])


@migrations()
def m005_ticket_kpis(db):
    # Repeat contacts: does this customer open another ticket soon after a closure?
    db["tickets"].create_index(["customer_email", "opened_at"])
    # Ticket KPIs read closures by closing day, like the survey scores.
    db["tickets"].create_index(["closed_day"])


@migrations()
def m006_targets(db):
    # Targets managers set in the app; a score without a row here uses its default.
    db["targets"].create(
        {"name": str, "value": float, "updated_at": str, "updated_by": int},
        pk="name",
        not_null={"value", "updated_at"},
        foreign_keys=[("updated_by", "users", "id")],
        strict=True,
    )


@migrations()
def m007_rollups(db):
    # Repeat contacts are flagged on the closure when the customer's next ticket arrives;
    # the lookups go by customer and closing time, either side of the new ticket.
    db.execute(
        "ALTER TABLE tickets ADD COLUMN repeated INTEGER NOT NULL DEFAULT 0 "
        "CHECK (repeated IN (0, 1))"
    )
    db["tickets"].create_index(["customer_email", "closed_at"])
    db.execute("DROP INDEX idx_tickets_customer_email_opened_at")
    # Reports read counts kept by triggers in the same transaction as every write.
    for statement in rollups.SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO rollup_settings (id, repeat_window_days) VALUES (1, 7)")
    rollups.rebuild(db)


def _queue_for_hooks(event):
    """m008's trigger body: queue the response (NEW) as `event` for every active hook, its
    JSON fixed now. Part of m008: do not change it once shipped."""
    return f"""INSERT INTO outbound_deliveries (hook_id, response_id, event, payload, status,
                                             attempts, next_attempt_at, created_at)
            SELECT outbound_hooks.id, NEW.id, '{event}', json_object(
                'event', '{event}',
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
              FROM outbound_hooks WHERE outbound_hooks.revoked_at IS NULL;"""  # noqa: S608 (event is one of two literals)


@migrations()
def m008_integrations(db):
    # Help-desk webhooks. The secret is kept as is: checking an HMAC signature needs it.
    db.execute("""
        CREATE TABLE integrations (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('zendesk', 'chatwoot', 'freshdesk', 'generic')),
            name TEXT NOT NULL UNIQUE,
            secret TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            revoked_at TEXT
        ) STRICT
    """)
    # Every verified delivery, with what became of it; a delivery id seen twice is a retry.
    db.execute("""
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
    """)
    db.execute(
        "CREATE UNIQUE INDEX webhook_events_delivery ON webhook_events "
        "(integration_id, delivery_id) WHERE delivery_id IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX webhook_events_integration ON webhook_events (integration_id, received_at)"
    )
    # Responses POSTed back to the help desk: the URLs, and a queue filled by triggers.
    db.execute("""
        CREATE TABLE outbound_hooks (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            revoked_at TEXT
        ) STRICT
    """)
    db.execute("""
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
    """)
    db.execute(
        "CREATE INDEX outbound_deliveries_due ON outbound_deliveries (status, next_attempt_at)"
    )
    # One response's deliveries go out in order: a retried "created" before its "updated".
    db.execute(
        "CREATE INDEX outbound_deliveries_response ON outbound_deliveries "
        "(hook_id, response_id, id)"
    )
    # Each answer, and each change to one, is queued for every active hook, in the
    # transaction that stores it (JSON fixed at that moment; surveys/helpdesk/outbound.py sends it).
    db.execute(f"""
        CREATE TRIGGER responses_outbound_insert AFTER INSERT ON responses BEGIN
            {_queue_for_hooks("response.created")}
        END
    """)
    db.execute(f"""
        CREATE TRIGGER responses_outbound_update AFTER UPDATE OF csat, ces, nps, comment
        ON responses
        WHEN OLD.csat IS NOT NEW.csat OR OLD.ces IS NOT NEW.ces OR OLD.nps IS NOT NEW.nps
             OR OLD.comment IS NOT NEW.comment BEGIN
            {_queue_for_hooks("response.updated")}
        END
    """)
    # A CSV file of closed tickets, kept from upload through mapping to import.
    db.execute("""
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
    """)


@migrations()
def m009_distribution(db):
    # The distribution rules managers set on /settings/distribution: one row, written
    # whole; without it the settings' defaults apply (surveys.customers.distribution).
    db.execute("""
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
    """)
    # Whether the invitation asks NPS (at most once per NPS_INTERVAL_DAYS per customer);
    # every invitation before this migration asked it.
    db.execute(
        "ALTER TABLE invitations ADD COLUMN nps_asked INTEGER NOT NULL DEFAULT 1 "
        "CHECK (nps_asked IN (0, 1))"
    )
    # The outbox also carries the one reminder an unanswered invitation may get.
    db.execute(
        "ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'invitation' "
        "CHECK (kind IN ('invitation', 'reminder'))"
    )
    # Addresses that must not be surveyed, by SHA-256 of the normalised address: no
    # customer row is needed, so a suppression outlives the erasure of their data.
    db.execute("""
        CREATE TABLE suppressions (
            address_hash TEXT PRIMARY KEY,
            reason TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID
    """)
    # One-click unsubscribe links (RFC 8058): one per mail, stored as the token's SHA-256
    # beside the address's hash and the ticket's locale (the page's language); they do
    # not expire.
    db.execute("""
        CREATE TABLE unsubscribe_links (
            token_hash TEXT PRIMARY KEY,
            address_hash TEXT NOT NULL,
            locale TEXT,
            created_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID
    """)
    # A closure without a customer address (stored as '') repeats no other closure.
    rollups.drop_triggers(db)
    rollups.create_triggers(db)


@migrations()
def m010_agent_histograms(db):
    # Duration histograms with the channels merged, which reports read unless they filter
    # or group by channel. A new database has the table already: m007 creates the
    # rollups' current schema.
    if not db["agent_duration_rollups"].exists():
        db.execute(rollups.AGENT_HISTOGRAMS_TABLE)
        db.execute(rollups.AGENT_HISTOGRAMS_SQL)
    rollups.drop_triggers(db)
    rollups.create_triggers(db)


@migrations()
def m011_team_targets(db):
    # A team's own targets, set by managers; a score without a row here uses the
    # company's target (the `targets` table, else its default).
    db.execute("""
        CREATE TABLE team_targets (
            team_id INTEGER NOT NULL REFERENCES teams(id),
            name TEXT NOT NULL,
            value REAL NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id),
            PRIMARY KEY (team_id, name)
        ) STRICT, WITHOUT ROWID
    """)
