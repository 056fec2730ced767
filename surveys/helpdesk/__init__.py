"""Help desks: closures in (API, webhooks, CSV import) and responses out (outbound hooks)."""
