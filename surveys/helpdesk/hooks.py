"""Outbound hooks as managers see them: the URLs responses are POSTed to, and how they fare.

Adding a hook (create_hook, check_url) and delivering to it live in
surveys.helpdesk.outbound; this module lists the hooks and revokes them.
"""

from surveys import clock
from surveys.store.db import immediate


def hook_rows(db):
    """Every outbound hook, newest first, with its deliveries counted by status."""
    return list(
        db.query(
            """SELECT outbound_hooks.id, outbound_hooks.url, outbound_hooks.created_at,
                  outbound_hooks.revoked_at,
                  count(*) FILTER (WHERE outbound_deliveries.status = 'sent') AS sent,
                  count(*) FILTER (WHERE outbound_deliveries.status IN ('pending', 'sending'))
                      AS waiting,
                  count(*) FILTER (WHERE outbound_deliveries.status = 'failed') AS failed,
                  max(outbound_deliveries.last_error) FILTER (
                      WHERE outbound_deliveries.status = 'failed') AS last_error
             FROM outbound_hooks
             LEFT JOIN outbound_deliveries ON outbound_deliveries.hook_id = outbound_hooks.id
            GROUP BY outbound_hooks.id ORDER BY outbound_hooks.id DESC"""
        )
    )


def revoke_hook(db, hook_id):
    """Stop POSTing responses to a hook's URL; False when it is unknown or revoked.

    Its deliveries still waiting fail when a worker claims them (surveys.helpdesk.outbound).
    """
    with immediate(db):
        cursor = db.execute(
            "UPDATE outbound_hooks SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [clock.to_iso(clock.now()), hook_id],
        )
    return bool(cursor.rowcount)
