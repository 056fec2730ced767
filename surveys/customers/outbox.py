"""The outbox: invitations wait here until due, then one worker at a time delivers each.

A row is claimed by a single UPDATE, so two workers never take the same message; it is
leased while being sent, retried with growing gaps after a temporary failure, and given up
after a permanent (5xx) refusal or too many attempts. A permanent refusal of the recipient
puts the address on the suppression list (bounced).

A row is an invitation or its one reminder (REMINDER_DAYS after the invitation was sent).
A message whose address was suppressed while it waited, or a reminder whose invitation was
answered, is skipped when it falls due.
"""

import signal
import time
from datetime import timedelta

from flask import current_app

from surveys import clock
from surveys.actions import alert_mail, digests
from surveys.customers import personal_data
from surveys.customers.brand import current_brand
from surveys.customers.distribution import current_rules
from surveys.customers.mail import (
    MAIL_RETRY,
    DeliveryError,
    RecipientRefused,
    invitation_message,
    sender_for,
)
from surveys.customers.suppression import (
    add_unsubscribe_headers,
    address_hash,
    address_suppression,
    issue_unsubscribe_link,
    suppress,
    unsubscribe_url,
)
from surveys.customers.tokens import issue_link
from surveys.helpdesk import inbox, outbound
from surveys.i18n import in_language, mail_language
from surveys.store import backups
from surveys.store.db import connect, immediate
from surveys.store.queue import Queue, error_text, gave_up

# The lease is longer than any SMTP conversation (timeouts are 30 s); after it, a crashed
# worker's message is taken again by another worker.
QUEUE = Queue("outbox", lease_seconds=600)


def claim_next(db, now):
    """Lease the next due message to this worker, or None when nothing is due."""
    return QUEUE.claim_next(db, now)


def _finish(
    db,
    entry,
    outcome,
    invitation_status,
    error=None,
    next_attempt_at=None,
    reminder_at=None,
    bounced=False,
):
    """Record an attempt's outcome, if this worker still holds the lease.

    Only an invitation's own mail changes the invitation (a reminder's never does);
    `reminder_at` queues its reminder, `bounced` suppresses the recipient's address.
    """
    now = clock.now()
    now_iso = clock.to_iso(now)
    error = error_text(error)
    with immediate(db):
        if not QUEUE.record(db, entry, outcome, now, error, next_attempt_at):
            return
        if entry["invitation_id"] and invitation_status and entry["kind"] == "invitation":
            db.execute(
                "UPDATE invitations SET status = ?, reason = ?, "
                "sent_at = CASE WHEN ? = 'sent' THEN ? END WHERE id = ?",
                [
                    invitation_status,
                    error if invitation_status in ("failed", "suppressed") else None,
                    invitation_status,
                    now_iso,
                    entry["invitation_id"],
                ],
            )
        if reminder_at:
            db.execute(
                """INSERT INTO outbox (invitation_id, recipient, status, attempts,
                       next_attempt_at, created_at, kind)
                   VALUES (?, ?, 'pending', 0, ?, ?, 'reminder')""",
                [entry["invitation_id"], entry["recipient"], reminder_at, now_iso],
            )
        if bounced:
            suppress(db, address_hash(entry["recipient"]), "bounced")


def build_message(db, entry, config, rules):
    """The invitation (or reminder) mail for an outbox entry, with newly issued links."""
    invitation = next(
        db.query(
            """SELECT tickets.ticket_ref, tickets.customer_name, tickets.customer_locale,
                  invitations.nps_asked
             FROM invitations
             JOIN tickets ON tickets.id = invitations.ticket_id WHERE invitations.id = ?""",
            [entry["invitation_id"]],
        )
    )
    # Each attempt issues its own link: the token is never stored, only its hash, and a
    # mail that was delivered despite an error still carries a link that works.
    token = issue_link(db, entry["invitation_id"], rules.link_ttl_days)
    unsubscribe_token = issue_unsubscribe_link(
        db, entry["recipient"], invitation["customer_locale"]
    )
    with in_language(mail_language(invitation["customer_locale"])):
        message = invitation_message(
            config=config,
            recipient=entry["recipient"],
            customer_name=invitation["customer_name"],
            ticket_ref=invitation["ticket_ref"],
            token=token,
            outbox_id=entry["id"],
            outbox_created_at=entry["created_at"],
            ttl_days=rules.link_ttl_days,
            nps_asked=bool(invitation["nps_asked"]),
            reminder=entry["kind"] == "reminder",
            unsubscribe_url=unsubscribe_url(config["BASE_URL"], unsubscribe_token),
            brand=current_brand(db),
        )
    add_unsubscribe_headers(message, config, unsubscribe_token)
    return message


def skip_reason(db, entry):
    """Why a due message must not go out after all, or None: the address was suppressed
    while it waited, or (a reminder) its invitation has been answered."""
    reason = address_suppression(db, entry["recipient"])
    if reason is None and entry["kind"] == "reminder":
        answered = db.execute(
            "SELECT 1 FROM responses WHERE invitation_id = ?", [entry["invitation_id"]]
        ).fetchone()
        reason = "answered" if answered else None
    return reason


def _after_failure(db, entry, config, error):
    """After a failed attempt: give up (the invitation failing with it) on a permanent
    refusal or at the last attempt; else try again after MAIL_RETRY's next gap."""
    policy = MAIL_RETRY.configured(config)
    if policy.permanent(error):
        bounced = isinstance(error, RecipientRefused)
        _finish(db, entry, "failed", "failed", error=error, bounced=bounced)
        return "failed"
    if policy.gives_up(error, entry["attempts"]):
        _finish(db, entry, "failed", "failed", error=gave_up(entry, error))
        return "failed"
    next_attempt_at = policy.retry_at(entry["attempts"], clock.now())
    _finish(db, entry, "retry", None, error=error, next_attempt_at=next_attempt_at)
    return "retry"


def deliver(db, entry, config, sender, rules=None):
    """Send one claimed entry and record the outcome; returns 'sent', 'retry', 'failed' or
    'skipped'."""
    rules = rules or current_rules(db, config)
    reason = skip_reason(db, entry)
    if reason:
        _finish(db, entry, "skipped", "suppressed", error=reason)
        return "skipped"
    try:
        sender.send(build_message(db, entry, config, rules))
    except DeliveryError as error:
        return _after_failure(db, entry, config, error)
    except Exception as error:  # a bug must not wedge the queue: retried, then given up
        current_app.logger.exception("outbox entry %s failed unexpectedly", entry["id"])
        return _after_failure(db, entry, config, DeliveryError(f"internal error: {error}"))
    reminder_at = None
    if entry["kind"] == "invitation" and rules.reminder_days:
        reminder_at = clock.to_iso(clock.now() + timedelta(days=rules.reminder_days))
    _finish(db, entry, "sent", "sent", reminder_at=reminder_at)
    return "sent"


def send_due(config, limit=None):
    """One pass: deliver every message due now; returns counts per outcome ('skipped'
    only when a message was skipped)."""
    db = connect(config["DATABASE"])
    sender = sender_for(config)
    outcomes = {"sent": 0, "retry": 0, "failed": 0}
    try:
        # Closures kept while the write lock was held for long, applied first, in order.
        inbox.apply_waiting(db, config)
        rules = current_rules(db, config)  # once a pass: a change applies from the next
        while limit is None or sum(outcomes.values()) < limit:
            entry = claim_next(db, clock.now())
            if entry is None:
                break
            outcome = deliver(db, entry, config, sender, rules)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        db.close()
    return outcomes


def take_daily_backup(config, echo):
    """With BACKUP_DIR set, today's backup if it is not there yet (a failure is logged)."""
    if not config["BACKUP_DIR"]:
        return
    try:
        report = backups.daily_backup(config)
    except Exception:  # a full disk, say: mail must go on; try again next pass
        current_app.logger.exception("daily backup failed; trying again")
        return
    if report is not None:
        echo("backup: " + "; ".join(report.lines()))


RETENTION_EVERY = timedelta(hours=24)


def apply_retention_when_due(config, echo, due_at):
    """With RETENTION_MONTHS set, erase what is too old when due (at start, then every 24
    hours); when it is due next. A failure is logged and tried again next pass."""
    now = clock.now()
    if not config["RETENTION_MONTHS"] or now < due_at:
        return due_at
    db = connect(config["DATABASE"])
    try:
        said = personal_data.apply_retention(db, config, now)
    except Exception:  # the database stayed locked, say: mail goes on
        current_app.logger.exception("retention failed; trying again")
        return due_at
    finally:
        db.close()
    current_app.logger.info(said)
    echo(said)
    return now + RETENTION_EVERY


def run_forever(config, echo=print):
    """Keep delivering until SIGTERM or SIGINT; polls every OUTBOX_POLL_SECONDS."""
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sender = sender_for(config)
    if sender.name == "mailbox":
        echo(
            f"No SMTP_HOST set: writing mail to {config['MAIL_DIR']} (for demos and trials; "
            "those files hold working survey links)."
        )
    echo(f"Outbox worker delivering through {sender.name}; stop with Ctrl+C.")
    retention_due_at = clock.now()
    while not stopping:
        try:
            outcomes = send_due(config)
            posted = outbound.send_due_pass(config)
        except Exception:  # e.g. the database stayed locked: log, wait, try again
            current_app.logger.exception("outbox pass failed; trying again")
            outcomes, posted = {}, {}
        take_daily_backup(config, echo)
        retention_due_at = apply_retention_when_due(config, echo, retention_due_at)
        alert_mail.worker_pass(config, echo)
        digests.worker_pass(config, echo)
        if any(outcomes.values()):
            echo(", ".join(f"{count} {outcome}" for outcome, count in outcomes.items()))
        if any(posted.values()):
            echo(
                "responses to hooks: "
                + ", ".join(f"{count} {outcome}" for outcome, count in posted.items())
            )
        for _ in range(max(1, config["OUTBOX_POLL_SECONDS"]) * 10):
            if stopping:
                break
            time.sleep(0.1)
    current_app.logger.info("outbox worker stopped")
