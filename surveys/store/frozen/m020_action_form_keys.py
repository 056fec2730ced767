"""m020_action_form_keys: the key of the page that recorded each corrective action, so a
form posted twice (a double click, a retry, a replay) records one action."""

STATEMENTS = (
    "ALTER TABLE actions ADD COLUMN form_key TEXT CHECK (length(form_key) <= 64)",
    # Actions recorded before have none; SQLite's unique index lets NULLs repeat.
    "CREATE UNIQUE INDEX idx_actions_form_key ON actions (form_key)",
)
