"""Digests: each manager's weekly or monthly summary by mail, chosen on /profile.

The mail worker schedules them: once DIGEST_HOUR has come (in TIMEZONE) on the day after a
week (Monday to Sunday) or calendar month ends, one pass inserts a digest_outbox row per
manager who chose that kind before the period ended. The row's unique key (person, kind,
first day) makes that exactly one per person and period, whatever restarts or several
workers do; a worker that was down schedules the latest period when it starts again, never
older ones. The leased queue (store/queue.py) then delivers each row once, a pass's rows
over one SMTP connection; a server that cannot be reached ends the pass, as it ends an
invitation burst (customers/wire.py).
"""

from flask import current_app

from surveys import clock
from surveys.actions.digest_content import digest_content, digest_message
from surveys.actions.digest_periods import (
    KINDS,
    NAMED_PERIODS,
    last_ended,
    latest_due,
    period_containing,
)
from surveys.customers.mail import (
    MAIL_RETRY,
    DeliveryError,
    pass_summary,
    send_claimed,
    sender_for,
)
from surveys.store.db import connect, immediate
from surveys.store.queue import Queue, error_text

CHOICES = ("none", *KINDS)

# The lease is longer than building a digest and any SMTP conversation (timeouts are 30 s).
QUEUE = Queue("digest_outbox", lease_seconds=600)


# As every mail (customers/mail.py's MAIL_RETRY): a digest tells a manager about a period
# that is over. A refused address is not suppressed (that list is the customers').
DIGEST_RETRY = MAIL_RETRY

# Who gets a period's digest: active managers who chose this kind before the period ended.
SCHEDULE_SQL = """
INSERT OR IGNORE INTO digest_outbox
       (user_id, kind, period_start, period_end, status, attempts, next_attempt_at, created_at)
SELECT id, :kind, :period_start, :period_end, 'pending', 0, :now, :now
  FROM users
 WHERE role = 'manager' AND active = 1 AND digest = :kind AND digest_since < :ends_at
"""

# A manager who chose digests of this kind; their row may be sent.
RECIPIENT_SQL = """
SELECT email, name FROM users
 WHERE id = ? AND role = 'manager' AND active = 1 AND digest = ?
"""


class DigestChoiceError(Exception):
    """A digest choice that is not none, weekly or monthly."""


def digest_choice(db, user_id):
    """(digest, digest_since) of a person."""
    row = db.execute("SELECT digest, digest_since FROM users WHERE id = ?", [user_id]).fetchone()
    return row[0], row[1]


def choose_digest(db, user_id, choice):
    """Store a person's digest choice. Choosing weekly or monthly anew starts it now
    (digest_since), so no period that ended before is sent; keeping the same choice keeps
    its start; none clears it. One conditional statement: no read-check-write."""
    if choice not in CHOICES:
        raise DigestChoiceError(f"digest must be one of {', '.join(CHOICES)}")
    with immediate(db):
        db.execute(
            """UPDATE users
                  SET digest_since = CASE WHEN :choice = 'none' THEN NULL
                                          WHEN digest = :choice THEN digest_since
                                          ELSE :now END,
                      digest = :choice
                WHERE id = :user_id""",
            {"choice": choice, "now": clock.to_iso(clock.now()), "user_id": user_id},
        )


def schedule_due(db, config, now):
    """Queue the latest due period's digest, of each kind, for everyone who gets it;
    returns how many rows were new (0 when this or another worker queued them before)."""
    scheduled = 0
    for kind in KINDS:
        period = latest_due(kind, now, config["TIMEZONE"], config["DIGEST_HOUR"])
        with immediate(db):
            cursor = db.execute(
                SCHEDULE_SQL,
                {
                    "kind": kind,
                    "period_start": period.first_day.isoformat(),
                    "period_end": period.last_day.isoformat(),
                    "now": clock.to_iso(now),
                    "ends_at": clock.to_iso(period.ends_at(config["TIMEZONE"])),
                },
            )
        scheduled += cursor.rowcount
    return scheduled


def period_of(entry):
    """The Period a digest_outbox row covers."""
    return period_containing(entry["kind"], clock.parse_day(entry["period_start"]))


def _finish(db, entry, outcome, error=None, next_attempt_at=None):
    """Record an attempt's outcome, if this worker still holds the lease."""
    with immediate(db):
        QUEUE.record(db, entry, outcome, clock.now(), error_text(error), next_attempt_at)


def _after_failure(db, entry, config, error):
    """Give up on a permanent refusal or at the last attempt; else retry after a gap."""
    outcome, error, next_attempt_at = DIGEST_RETRY.configured(config).after_failure(
        entry, error, clock.now()
    )
    _finish(db, entry, outcome, error, next_attempt_at)
    return outcome


def deliver(db, entry, config, sender):
    """Send one claimed digest and record how it went; returns the outcome ('sent', 'retry',
    'failed', or 'skipped' when its manager no longer gets this kind, or is no longer a
    manager) and the DeliveryError, if there was one."""
    recipient = db.execute(RECIPIENT_SQL, [entry["user_id"], entry["kind"]]).fetchone()
    if recipient is None:
        _finish(db, entry, "skipped", error="no longer chose this digest")
        return "skipped", None
    try:
        content = digest_content(db, config, period_of(entry), clock.now())
        message = digest_message(
            config, content, recipient[0], recipient[1], (entry["id"], entry["created_at"])
        )
        sender.send(message)
    except DeliveryError as error:
        return _after_failure(db, entry, config, error), error
    except Exception as error:  # a bug must not wedge the queue: retried, then given up
        current_app.logger.exception("digest %s failed unexpectedly", entry["id"])
        error = DeliveryError(f"internal error: {error}")
        return _after_failure(db, entry, config, error), error
    _finish(db, entry, "sent")
    return "sent", None


def send_due_pass(config, limit=None):
    """One pass of the mail worker: schedule what has fallen due, then deliver every due
    digest (at most `limit`) over one SMTP connection; returns counts ('scheduled', then
    one per outcome, with 'unreachable': 1 when the server could not be reached:
    mail.send_claimed)."""
    outcomes = {"scheduled": 0, "sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    db = connect(config["DATABASE"])
    try:
        outcomes["scheduled"] = schedule_due(db, config, clock.now())
        return send_claimed(
            config,
            lambda: QUEUE.claim_next(db, clock.now()),
            lambda entry, sender: deliver(db, entry, config, sender),
            outcomes,
            limit,
        )
    finally:
        db.close()


def on_demand_recipients(db, kind):
    """(email, name) of every active manager who chose this kind of digest."""
    return [
        (row["email"], row["name"])
        for row in db.query(
            "SELECT email, name FROM users WHERE role = 'manager' AND active = 1 "
            "AND digest = ? ORDER BY email",
            [kind],
        )
    ]


class SendingStopped(Exception):
    """Sending a digest on demand stopped at a failure (its DeliveryError is the cause):
    it had gone to `sent_to`, failed for `failed_for`, and `not_tried` were left."""

    def __init__(self, sent_to, failed_for, not_tried):
        super().__init__(sent_to, failed_for, not_tried)
        self.sent_to = sent_to
        self.failed_for = failed_for
        self.not_tried = not_tried


def send_now(config, named_period, to=None):
    """Send the digest of the last whole week or month now (`flask digest send`), to `to`
    or to every manager who chose that kind; returns the period and the addresses it went
    to. The first failure ends the sending: SendingStopped says where it had gone.

    Not recorded in digest_outbox: that table holds the one scheduled digest per person
    and period, and a copy on demand (perhaps to an address that is nobody's account)
    must neither take that place nor be refused because it is taken.
    """
    kind = NAMED_PERIODS[named_period]
    period = last_ended(kind, clock.now(), config["TIMEZONE"])
    db = connect(config["DATABASE"])
    try:
        recipients = [(to, None)] if to else on_demand_recipients(db, kind)
        content = digest_content(db, config, period, clock.now())
    finally:
        db.close()
    sent_to = []
    with sender_for(config) as sender:  # one connection for them all
        for number, (email, name) in enumerate(recipients):
            try:
                sender.send(digest_message(config, content, email, name))
            except DeliveryError as error:
                left = [address for address, _ in recipients[number + 1 :]]
                raise SendingStopped(sent_to, email, left) from error
            sent_to.append(email)
    return period, sent_to


def worker_pass(config, echo):
    """The mail worker's digest pass (`flask outbox run` and `send-due`), saying what it
    did; a failure is logged and tried again next pass, so invitations go on regardless."""
    try:
        outcomes = send_due_pass(config)
    except Exception:  # e.g. the database stayed locked: log, and try again next pass
        current_app.logger.exception("digest pass failed; trying again")
        return {}
    if any(outcomes.values()):
        echo("digests: " + pass_summary(outcomes))
    return outcomes
