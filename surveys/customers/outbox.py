"""The outbox: invitations wait here until due, then one worker at a time delivers each.

Rows are claimed by a single UPDATE, so two workers never take the same message; a row is
leased while being sent, retried with growing gaps after a temporary failure, and given up
after a permanent (5xx) refusal or too many attempts. A permanent refusal of the recipient
puts the address on the suppression list (bounced).

A row is an invitation or its one reminder (REMINDER_DAYS after the invitation was sent).
A message whose address was suppressed while it waited, or a reminder whose invitation was
answered, is skipped when it falls due.

A pass sends in bursts. It leases a batch of due rows in one short write, which also
issues each message's links; builds each message from what the pass prepared once (the
rules, the brand, the templates); hands it to the SMTP conversation, which runs in a
thread of its own on one kept connection, so the next message is built while the server
reads this one; and records each outcome in a short write of its own. No write
transaction is open while SMTP talks.
"""

import signal
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from surveys import clock
from surveys.actions import alert_mail, digests
from surveys.customers import personal_data
from surveys.customers.brand import current_brand
from surveys.customers.distribution import current_rules
from surveys.customers.invitation_mail import InvitationMail
from surveys.customers.mail import (
    MAIL_RETRY,
    DeliveryError,
    RecipientRefused,
    pass_summary,
    sender_for,
)
from surveys.customers.suppression import (
    address_hash,
    address_suppression,
    issue_unsubscribe_link,
    suppress,
)
from surveys.customers.tokens import issue_link
from surveys.customers.wire import TooLate, Wire
from surveys.helpdesk import inbox, outbound
from surveys.i18n import mail_language
from surveys.store import backups
from surveys.store.db import connect, immediate
from surveys.store.queue import Queue, error_text, gave_up

# The lease is longer than any SMTP conversation (timeouts are 30 s); after it, a crashed
# worker's message is taken again by another worker.
QUEUE = Queue("outbox", lease_seconds=600)
# Rows leased (and their links issued) in one write: enough that the writes per message
# are its outcome's alone, few enough that a worker that dies leaves little waiting for
# its lease to run out.
BATCH_SIZE = 50
# A message goes out only in the first half of its lease, which leaves the other half to
# its SMTP conversation: another worker can never take it while this one still sends.
SEND_WITHIN = timedelta(seconds=QUEUE.lease_seconds / 2)


@dataclass(frozen=True)
class Leased:
    """A claimed outbox row, its ticket's details and the links issued for this attempt,
    or the problem that kept them from being prepared (recorded as a failed attempt)."""

    entry: dict
    send_by: datetime  # the end of the first half of its lease
    ticket: dict | None = None
    token: str | None = None
    unsubscribe_token: str | None = None
    problem: Exception | None = None


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


TICKETS_SQL = """SELECT invitations.id AS invitation_id, tickets.ticket_ref,
       tickets.customer_name, tickets.customer_locale, invitations.nps_asked
  FROM invitations JOIN tickets ON tickets.id = invitations.ticket_id
 WHERE invitations.id IN (SELECT value FROM json_each(?))"""


def lease_batch(db, rules, size):
    """Lease up to `size` due messages in one short write, which also skips those that
    must not go out and issues the others' links; returns (leased, skipped count)."""
    now = clock.now()
    leased, skipped = [], 0
    with immediate(db):
        entries = QUEUE.claim_batch(db, now, size)
        ids = json_list(entry["invitation_id"] or 0 for entry in entries)
        tickets = {row["invitation_id"]: row for row in db.query(TICKETS_SQL, [ids])}
        for entry in entries:
            try:
                with immediate(db):  # a savepoint: a row that fails holds up no other
                    prepared = prepare(db, entry, tickets.get(entry["invitation_id"]), rules)
            except Exception as error:  # a bug must not wedge the queue: recorded as failed
                prepared = {"problem": error}
            if prepared is None:
                skipped += 1
            else:
                leased.append(Leased(entry=entry, send_by=now + SEND_WITHIN, **prepared))
    return leased, skipped


def prepare(db, entry, ticket, rules):
    """Within the lease's write: None for a message skipped (and recorded so), else what
    its mail needs, its links issued."""
    reason = skip_reason(db, entry)
    if reason:
        _finish(db, entry, "skipped", "suppressed", error=reason)
        return None
    if ticket is None:
        raise LookupError(f"outbox entry {entry['id']} has no invitation to send")
    # Each attempt issues its own links: a token is never stored, only its hash, and a
    # mail delivered despite an error still carries links that work.
    return {
        "ticket": ticket,
        "token": issue_link(db, entry["invitation_id"], rules.link_ttl_days),
        "unsubscribe_token": issue_unsubscribe_link(
            db, entry["recipient"], ticket["customer_locale"]
        ),
    }


def json_list(values):
    """Integers as a JSON array, for `IN (SELECT value FROM json_each(?))`."""
    return "[" + ",".join(str(int(value)) for value in values) + "]"


def build_message(mail, leased, rules):
    """The invitation (or reminder) mail of a leased row, in its ticket's language."""
    entry, ticket = leased.entry, leased.ticket
    return mail.compose(
        recipient=entry["recipient"],
        customer_name=ticket["customer_name"],
        ticket_ref=ticket["ticket_ref"],
        token=leased.token,
        unsubscribe_token=leased.unsubscribe_token,
        outbox_id=entry["id"],
        outbox_created_at=entry["created_at"],
        language=mail_language(ticket["customer_locale"]),
        ttl_days=rules.link_ttl_days,
        nps_asked=bool(ticket["nps_asked"]),
        reminder=entry["kind"] == "reminder",
    )


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


def record_attempt(db, entry, config, rules, error=None):
    """Record how a message's attempt ended: sent (no error), failed for now or for good,
    or given back untried when its sending had not begun in the first half of its lease
    (a very slow server; it goes out next pass). Returns 'sent', 'retry', 'failed' or
    None."""
    if isinstance(error, TooLate):
        with immediate(db):
            QUEUE.release(db, entry)
        return None
    if isinstance(error, DeliveryError):
        return _after_failure(db, entry, config, error)
    if error is not None:  # a bug must not wedge the queue: retried, then given up
        current_app.logger.error("outbox entry %s failed unexpectedly", entry["id"], exc_info=error)
        return _after_failure(db, entry, config, DeliveryError(f"internal error: {error}"))
    reminder_at = None
    if entry["kind"] == "invitation" and rules.reminder_days:
        reminder_at = clock.to_iso(clock.now() + timedelta(days=rules.reminder_days))
    _finish(db, entry, "sent", "sent", reminder_at=reminder_at)
    return "sent"


class Burst:
    """One pass's sending: lease a batch; for each message, build it while the one before
    is with the server, queue it (its MAIL and RCPT go as soon as that one is answered),
    record that one, then let its DATA go; until nothing is due, the server is found
    unreachable, or `stopping` (a list a signal handler appends to) fills. Messages leased
    and not sent then are given back, due again at once ('untried'); an unreachable server
    also sets the counts' 'unreachable' to 1.

    The pass's first message goes alone, and is recorded before more are leased: when the
    server is down, a pass costs one attempt and one message's links, not a batch's."""

    def __init__(self, db, config, sender, stopping=()):
        self.db = db
        self.config = config
        self.sender = sender
        self.stopping = stopping
        self.rules = current_rules(db, config)  # once a pass: a change applies from the next
        self.mail = InvitationMail(config, current_brand(db))
        self.outcomes = {"sent": 0, "retry": 0, "failed": 0}
        self.on_wire = None  # (leased, future) of the message handed over last
        self.wire = None

    def run(self, limit=None):
        """Deliver every message due (at most `limit`); counts per outcome."""
        taken, tried_the_server = 0, False
        with Wire(self.sender) as self.wire:
            try:
                while (limit is None or taken < limit) and not self.ending():
                    size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - taken)
                    if not tried_the_server:
                        size = 1  # the first message alone (see the class's note)
                    batch, skipped = lease_batch(self.db, self.rules, size)
                    if not batch and not skipped:
                        break
                    taken += len(batch) + skipped
                    self.count("skipped", skipped)
                    for leased in batch:
                        if self.ending():
                            self.give_back(leased.entry)
                        else:
                            self.send(leased)
                    if batch and not tried_the_server:
                        tried_the_server = True
                        self.record_on_wire()
            finally:
                self.record_on_wire()
        if self.wire.unreachable:
            self.outcomes["unreachable"] = 1
        return self.outcomes

    def send(self, leased):
        """Send a leased row's message (a message that cannot be built is recorded as a
        failed attempt at once)."""
        problem = leased.problem
        if problem is None:
            try:
                message = build_message(self.mail, leased, self.rules)
            except Exception as error:  # a bug must not wedge the queue: retried, given up
                problem = error
        if problem is not None:
            self.count(record_attempt(self.db, leased.entry, self.config, self.rules, problem))
            return
        # Queued behind the one on the wire: its MAIL and RCPT go while that one is recorded.
        future, handover = self.wire.send(message, leased.send_by)
        try:
            self.record_on_wire()
        except BaseException:
            handover.call_off()  # not recorded, the message before stays the one in doubt
            raise
        if self.ending():
            handover.call_off()  # its DATA never begins: given back untried
        else:
            handover.allow()
        self.on_wire = (leased, future)

    def ending(self):
        """True once the pass must send no more messages."""
        return self.wire.unreachable or bool(self.stopping)

    def give_back(self, entry):
        """Give a leased message back untried: due again at once, no attempt counted."""
        with immediate(self.db):
            QUEUE.release(self.db, entry)
        self.count("untried")

    def record_on_wire(self):
        """Wait for the message handed over last to end, and record its outcome (one given
        back because the pass was ending counts as untried)."""
        if self.on_wire is None:
            return
        (leased, future), self.on_wire = self.on_wire, None
        error = future.exception()
        outcome = record_attempt(self.db, leased.entry, self.config, self.rules, error)
        if isinstance(error, TooLate) and self.ending():
            outcome = "untried"
        self.count(outcome)

    def count(self, outcome, number=1):
        """Count an outcome ('skipped' appears once one happens; None is not counted)."""
        if outcome is not None and number:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + number


def send_due(config, limit=None, sender=None, stopping=()):
    """One pass: deliver every message due now; returns counts per outcome ('skipped' and
    'untried' only when a message was skipped, or given back untried because the server
    was unreachable or `stopping` filled; 'unreachable': 1 when the server could not be
    reached). A given sender is left open for the next pass."""
    db = connect(config["DATABASE"])
    try:
        # Closures kept while the write lock was held for long, applied first, in order.
        inbox.apply_waiting(db, config)
        if sender is not None:
            return Burst(db, config, sender, stopping).run(limit)
        with sender_for(config) as own_sender:
            return Burst(db, config, own_sender, stopping).run(limit)
    finally:
        db.close()


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


def staff_mail_passes(config, echo, unreachable=False):
    """After the invitations' pass, the alerts' and the digests' ({name: counts}), each
    saying what it did. Once a pass has found no connection to the mail server
    (`unreachable`, or its counts' 'unreachable'), the rest wait for the next round: each
    would wait out its own SMTP_TIMEOUT_SECONDS for the same server."""
    passes = {}
    for name, worker_pass in (("alerts", alert_mail.worker_pass), ("digests", digests.worker_pass)):
        if unreachable:
            break
        passes[name] = worker_pass(config, echo)
        unreachable = passes[name].get("unreachable")
    return passes


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
    with sender:
        keep_delivering(config, echo, sender, stopping)
    current_app.logger.info("outbox worker stopped")


def keep_delivering(config, echo, sender, stopping):
    """The worker's passes until `stopping` fills. The SMTP connection is kept from pass
    to pass while mail keeps coming, and closed after a pass that sent nothing."""
    retention_due_at = clock.now()
    while not stopping:
        try:
            outcomes = send_due(config, sender=sender, stopping=stopping)
            posted = outbound.send_due_pass(config)
        except Exception:  # e.g. the database stayed locked: log, wait, try again
            current_app.logger.exception("outbox pass failed; trying again")
            outcomes, posted = {}, {}
        if not any(outcomes.values()):
            sender.close()  # idle: hold no connection open on the server
        take_daily_backup(config, echo)
        retention_due_at = apply_retention_when_due(config, echo, retention_due_at)
        staff_mail_passes(config, echo, unreachable=outcomes.get("unreachable"))
        if any(outcomes.values()):
            echo(pass_summary(outcomes))
        if any(posted.values()):
            echo(
                "responses to hooks: "
                + ", ".join(f"{count} {outcome}" for outcome, count in posted.items())
            )
        for _ in range(max(1, config["OUTBOX_POLL_SECONDS"]) * 10):
            if stopping:
                break
            time.sleep(0.1)
