"""m008_integrations: help-desk webhooks, responses POSTed back to help desks, and CSV
imports of closed tickets.
"""

STATEMENTS = (
    # Help-desk webhooks. The secret is kept as is: checking an HMAC signature needs it.
    """
        CREATE TABLE integrations (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('zendesk', 'chatwoot', 'freshdesk', 'generic')),
            name TEXT NOT NULL UNIQUE,
            secret TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            revoked_at TEXT
        ) STRICT
    """,
    # Every verified delivery, with what became of it; a delivery id seen twice is a retry.
    """
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
    """,
    (
        "CREATE UNIQUE INDEX webhook_events_delivery ON webhook_events (integration_id, "
        "delivery_id) WHERE delivery_id IS NOT NULL"
    ),
    "CREATE INDEX webhook_events_integration ON webhook_events (integration_id, received_at)",
    # Responses POSTed back to the help desk: the URLs, and a queue filled by triggers.
    """
        CREATE TABLE outbound_hooks (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            revoked_at TEXT
        ) STRICT
    """,
    """
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
    """,
    "CREATE INDEX outbound_deliveries_due ON outbound_deliveries (status, next_attempt_at)",
    # One response's deliveries go out in order: a retried "created" before its "updated".
    "CREATE INDEX outbound_deliveries_response ON outbound_deliveries (hook_id, response_id, id)",
    # Each answer, and each change to one, is queued for every active hook, in the
    # transaction that stores it (JSON fixed at that moment; surveys/helpdesk/outbound.py
    # sends it).
    """
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
        END
    """,
    """
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
        END
    """,
    # A CSV file of closed tickets, kept from upload through mapping to import.
    """
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
    """,
)
