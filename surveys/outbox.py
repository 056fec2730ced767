"""The outbox: invitations wait here until due, then one worker at a time delivers each.

A row is claimed by a single UPDATE, so two workers never take the same message; it is
leased while being sent, retried with growing gaps after a temporary failure, and given up
after a permanent (5xx) refusal or too many attempts.
"""

import random
import signal
import time
from datetime import timedelta

from flask import current_app

from surveys import clock
from surveys.db import connect, immediate
from surveys.mail import DeliveryError, PermanentDeliveryError, invitation_message, sender_for
from surveys.tokens import issue_link

# Longer than any SMTP conversation (timeouts are 30 s); after it, a crashed worker's
# message is taken again by another worker.
LEASE_SECONDS = 600
RETRY_CAP_SECONDS = 3600


def retry_delay(attempts, base_seconds):
    """Growing gaps: base, 2×base, 4×base … up to an hour, with up to 25 % jitter."""
    delay = min(RETRY_CAP_SECONDS, base_seconds * 2 ** max(0, attempts - 1))
    return delay * random.uniform(1.0, 1.25)


def claim_next(db, now):
    """Lease the next due message to this worker, or None when nothing is due."""
    now_iso = clock.to_iso(now)
    rows = list(db.query(
        """UPDATE outbox
              SET status = 'sending', attempts = attempts + 1, lease_until = :lease_until
            WHERE id = (SELECT id FROM outbox
                         WHERE (status = 'pending' AND next_attempt_at <= :now)
                            OR (status = 'sending' AND lease_until <= :now)
                         ORDER BY next_attempt_at, id LIMIT 1)
        RETURNING *""",
        {"now": now_iso, "lease_until": clock.to_iso(now + timedelta(seconds=LEASE_SECONDS))},
    ))
    return rows[0] if rows else None


def _finish(db, entry, outbox_status, invitation_status, error=None, next_attempt_at=None):
    """Record an attempt's outcome, if this worker still holds the lease."""
    now_iso = clock.to_iso(clock.now())
    with immediate(db):
        cursor = db.execute(
            """UPDATE outbox SET status = ?, last_error = ?, lease_until = NULL,
                      next_attempt_at = coalesce(?, next_attempt_at),
                      sent_at = CASE WHEN ? = 'sent' THEN ? END
                WHERE id = ? AND status = 'sending' AND lease_until = ?""",
            [outbox_status, error, next_attempt_at, outbox_status, now_iso,
             entry["id"], entry["lease_until"]],
        )
        if cursor.rowcount and entry["invitation_id"] and invitation_status:
            db.execute(
                "UPDATE invitations SET status = ?, reason = ?, "
                "sent_at = CASE WHEN ? = 'sent' THEN ? END WHERE id = ?",
                [invitation_status, error if invitation_status == "failed" else None,
                 invitation_status, now_iso, entry["invitation_id"]],
            )


def build_message(db, entry, config):
    """The invitation mail for an outbox entry, with a newly issued survey link."""
    invitation = next(db.query(
        """SELECT tickets.ticket_ref, tickets.customer_name FROM invitations
             JOIN tickets ON tickets.id = invitations.ticket_id WHERE invitations.id = ?""",
        [entry["invitation_id"]],
    ))
    # Each attempt issues its own link: the token is never stored, only its hash, and a
    # mail that was delivered despite an error still carries a link that works.
    token = issue_link(db, entry["invitation_id"], config["LINK_TTL_DAYS"])
    return invitation_message(
        config=config, recipient=entry["recipient"],
        customer_name=invitation["customer_name"], ticket_ref=invitation["ticket_ref"],
        token=token, outbox_id=entry["id"],
    )


def _retry_or_give_up(db, entry, config, error):
    """After a temporary failure: schedule the next attempt, or give up at the limit."""
    if entry["attempts"] >= config["OUTBOX_MAX_ATTEMPTS"]:
        message = f"gave up after {entry['attempts']} attempts: {error}"[:1000]
        _finish(db, entry, "failed", "failed", error=message)
        return "failed"
    wait = retry_delay(entry["attempts"], config["OUTBOX_RETRY_SECONDS"])
    _finish(db, entry, "pending", None, error=str(error)[:1000],
            next_attempt_at=clock.to_iso(clock.now() + timedelta(seconds=wait)))
    return "retry"


def deliver(db, entry, config, sender):
    """Send one claimed entry and record the outcome; returns 'sent', 'retry' or 'failed'."""
    try:
        sender.send(build_message(db, entry, config))
    except PermanentDeliveryError as error:
        _finish(db, entry, "failed", "failed", error=str(error)[:1000])
        return "failed"
    except DeliveryError as error:
        return _retry_or_give_up(db, entry, config, error)
    except Exception as error:  # a bug must not wedge the queue: retried, then given up
        current_app.logger.exception("outbox entry %s failed unexpectedly", entry["id"])
        return _retry_or_give_up(db, entry, config, DeliveryError(f"internal error: {error}"))
    _finish(db, entry, "sent", "sent")
    return "sent"


def send_due(config, limit=None):
    """One pass: deliver every message due now; returns counts per outcome."""
    db = connect(config["DATABASE"])
    sender = sender_for(config)
    outcomes = {"sent": 0, "retry": 0, "failed": 0}
    try:
        while limit is None or sum(outcomes.values()) < limit:
            entry = claim_next(db, clock.now())
            if entry is None:
                break
            outcomes[deliver(db, entry, config, sender)] += 1
    finally:
        db.close()
    return outcomes


def run_forever(config, echo=print):
    """Keep delivering until SIGTERM or SIGINT; polls every OUTBOX_POLL_SECONDS."""
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sender = sender_for(config)
    if sender.name == "mailbox":
        echo(f"No SMTP_HOST set: writing mail to {config['MAIL_DIR']} (for demos and trials; "
             "those files hold working survey links).")
    echo(f"Outbox worker delivering through {sender.name}; stop with Ctrl+C.")
    while not stopping:
        try:
            outcomes = send_due(config)
        except Exception:  # e.g. the database stayed locked: log, wait, try again
            current_app.logger.exception("outbox pass failed; trying again")
            outcomes = {}
        if any(outcomes.values()):
            echo(", ".join(f"{count} {outcome}" for outcome, count in outcomes.items()))
        for _ in range(max(1, config["OUTBOX_POLL_SECONDS"]) * 10):
            if stopping:
                break
            time.sleep(0.1)
    current_app.logger.info("outbox worker stopped")
