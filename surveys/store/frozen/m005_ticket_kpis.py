"""m005_ticket_kpis: the indexes ticket KPIs read closures through."""

STATEMENTS = (
    # Repeat contacts: does this customer open another ticket soon after a closure?
    """CREATE INDEX "idx_tickets_customer_email_opened_at"
    ON "tickets" ("customer_email", "opened_at");""",
    # Ticket KPIs read closures by closing day, like the survey scores.
    """CREATE INDEX "idx_tickets_closed_day"
    ON "tickets" ("closed_day");""",
)
