"""m012_agent_pages: whether agents may read their own scores, the help desk's address of
a ticket, and the index an agent's latest comments are read through."""

STATEMENTS = (
    # What managers set on /settings/agents: one row, written whole; without it agents
    # see nothing of their own (self_view off).
    """
        CREATE TABLE agent_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            self_view INTEGER NOT NULL CHECK (self_view IN (0, 1)),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id)
        ) STRICT
    """,
    # Where a ticket of this integration is read in the help desk, as an https address
    # holding {ticket_id}; the ticket's id, URL-escaped, takes its place. NULL: no links.
    (
        "ALTER TABLE integrations ADD COLUMN ticket_url_template TEXT "
        "CHECK (ticket_url_template IS NULL OR (substr(ticket_url_template, 1, 8) = 'https://' "
        "AND instr(ticket_url_template, '{ticket_id}') > 0 "
        "AND length(ticket_url_template) <= 2000))"
    ),
    # An agent's page reads their latest comments newest first: by agent, then closing day.
    "CREATE INDEX idx_invitations_agent_id_closed_day ON invitations (agent_id, closed_day)",
)
