"""m003_surveys: closures, invitations, survey links, responses and the outbox."""

STATEMENTS = (
    # One row per reported closure: a ticket reopened and closed again is a new closure
    # and earns a new invitation; the same closure reported twice is the same row.
    """CREATE TABLE "tickets" (
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
) STRICT;""",
    """CREATE UNIQUE INDEX "idx_tickets_source_ticket_ref_closed_at"
    ON "tickets" ("source", "ticket_ref", "closed_at");""",
    # The agent, team, channel and day are copied from the closure so that reports
    # credit whoever held the ticket when the invitation was made.
    """CREATE TABLE "invitations" (
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
) STRICT;""",
    """CREATE UNIQUE INDEX "idx_invitations_ticket_id"
    ON "invitations" ("ticket_id");""",
    """CREATE INDEX "idx_invitations_closed_day_status"
    ON "invitations" ("closed_day", "status");""",
    """CREATE INDEX "idx_invitations_customer_email_send_at"
    ON "invitations" ("customer_email", "send_at");""",
    # Each delivered mail carries its own link; every link of an invitation answers it.
    """CREATE TABLE "survey_links" (
   "token_hash" TEXT PRIMARY KEY,
   "invitation_id" INTEGER NOT NULL REFERENCES "invitations"("id"),
   "created_at" TEXT NOT NULL,
   "expires_at" TEXT NOT NULL
) STRICT;""",
    """CREATE INDEX "idx_survey_links_invitation_id"
    ON "survey_links" ("invitation_id");""",
    # Hand-written for the CHECK constraints, which sqlite-utils' create() cannot
    # express: the database itself refuses a score outside its scale.
    """
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
    """,
    """CREATE TABLE "outbox" (
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
) STRICT;""",
    # No index on outbox.invitation_id: nothing reads the outbox by invitation, and every
    # index is one more page written under the write lock for each reported ticket.
    """CREATE INDEX "idx_outbox_status_next_attempt_at"
    ON "outbox" ("status", "next_attempt_at");""",
)
