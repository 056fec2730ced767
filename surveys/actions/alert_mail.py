"""Alert mail: the queue of `alert_outbox` rows (one per recipient and crossing), the
message each becomes, and the worker's pass that sends them.

The mail worker (`flask outbox run`, and each `flask outbox send-due`) runs send_due_pass
on every poll, so an alert goes out within one poll interval of the answer. A row is
claimed, leased, retried and given up through the shared leased queue (store/queue.py).
A pass keeps one SMTP connection, and ends at a server it cannot reach, as an invitation
burst does (customers/wire.py).
"""

import hashlib
import hmac
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app, render_template

from surveys import clock
from surveys.actions.follow_ups import find_follow_up, score_line
from surveys.customers.mail import (
    MAIL_RETRY,
    DeliveryError,
    pass_summary,
    send_claimed,
)
from surveys.store.db import connect, immediate
from surveys.store.queue import Queue

# Longer than any SMTP conversation (timeouts are 30 s); after it, another worker may
# take a crashed worker's mail.
QUEUE = Queue("alert_outbox", lease_seconds=600)


# As every mail (customers/mail.py's MAIL_RETRY). A recipient refused for good is not
# suppressed: it is a colleague's address a manager typed, shown failed on nothing but
# the row.
ALERT_RETRY = MAIL_RETRY


def message_id(config, entry, domain):
    """The one Message-ID of an alert row, the same on every attempt (a receiver can drop
    a copy sent again after a worker died between the server's 250 and the record)."""
    key = config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    seed = f"alert-id:{entry['id']}:{entry['created_at']}".encode()
    digest = hmac.new(key, seed, hashlib.sha256).hexdigest()[:12]
    return f"<alert-{entry['id']}.{digest}@{domain}>"


def alert_message(db, entry, config):
    """The alert mail of one row: the scores, comment, ticket (linked when its help desk
    has a ticket URL), customer, agent and team by name, and the follow-up's link."""
    follow_up = find_follow_up(db, entry["follow_up_id"], clock.now())
    link = f"{config['BASE_URL'].rstrip('/')}/follow-ups/{follow_up['id']}"
    context = {
        "company": config["COMPANY_NAME"],
        "follow_up": follow_up,
        "scores": score_line(follow_up) or "no score given",
        "link": link,
        "again": entry["alert"] > 1,
    }
    message = EmailMessage()
    who = follow_up["agent_name"] or follow_up["agent"] or "no agent"
    message["Subject"] = f"Alert: {context['scores']} on ticket {follow_up['ticket_id']} ({who})"
    sender_address = Address(addr_spec=config["MAIL_FROM"])
    message["From"] = Address(
        display_name=f"Puas alerts ({config['COMPANY_NAME']})",
        username=sender_address.username,
        domain=sender_address.domain,
    )
    message["To"] = Address(addr_spec=entry["recipient"])
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id(config, entry, sender_address.domain or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template("actions/alert_mail.txt", **context))
    return message


def _finish(db, entry, outcome, error=None, next_attempt_at=None):
    """Record an attempt's outcome, if this worker still holds the lease."""
    with immediate(db):
        QUEUE.record(db, entry, outcome, clock.now(), error, next_attempt_at)


def _after_failure(db, entry, config, error):
    """Give up on a permanent refusal or at the last attempt; else retry after a gap."""
    outcome, error, next_attempt_at = ALERT_RETRY.configured(config).after_failure(
        entry, error, clock.now()
    )
    _finish(db, entry, outcome, error, next_attempt_at)
    return outcome


def deliver(db, entry, config, sender):
    """Send one claimed alert and record how it went; returns the outcome ('sent', 'retry'
    or 'failed') and the DeliveryError, if there was one."""
    try:
        sender.send(alert_message(db, entry, config))
    except DeliveryError as error:
        return _after_failure(db, entry, config, error), error
    except Exception as error:  # a bug must not wedge the queue: retried, then given up
        current_app.logger.exception("alert %s failed unexpectedly", entry["id"])
        error = DeliveryError(f"internal error: {error}")
        return _after_failure(db, entry, config, error), error
    _finish(db, entry, "sent")
    return "sent", None


def send_due(db, config):
    """Deliver every alert due now, once, over one SMTP connection; counts per outcome
    (with 'unreachable': 1 when the server could not be reached: mail.send_claimed)."""
    return send_claimed(
        config,
        lambda: QUEUE.claim_next(db, clock.now()),
        lambda entry, sender: deliver(db, entry, config, sender),
        {"sent": 0, "retry": 0, "failed": 0},
    )


def send_due_pass(config):
    """One pass on a connection of its own (the workers' loop); counts per outcome."""
    db = connect(config["DATABASE"])
    try:
        return send_due(db, config)
    finally:
        db.close()


def worker_pass(config, echo):
    """The mail worker's pass: send the due alerts and say how many went (a failure is
    logged, and the next pass tries again)."""
    try:
        outcomes = send_due_pass(config)
    except Exception:  # e.g. the database stayed locked: invitations must go on
        current_app.logger.exception("alert pass failed; trying again")
        return {}
    if any(outcomes.values()):
        echo("alerts: " + pass_summary(outcomes))
    return outcomes
