"""Leased queues: rows wait until due, then one worker at a time takes each, for a while.

Four tables are queues: `outbox` (invitation mail, surveys/customers/outbox.py),
`outbound_deliveries` (responses POSTed to hooks, surveys/helpdesk/outbound.py),
`alert_outbox` and `digest_outbox` (managers' alerts and digests, surveys/actions/). Each
keeps status ('pending', 'sending', then 'sent' or 'failed', some also 'skipped'),
attempts, next_attempt_at, lease_until, last_error and sent_at, and this module is their
one way of claiming, finishing, retrying and giving up.

A worker claims the next due row (or the next few, a batch with one lease) with a single
conditional UPDATE … RETURNING, so two workers never take the same row, and the claim
leases the row until `lease_until`. A worker that dies mid-attempt leaves its row
'sending'; once the lease runs out the row is due again. A row claimed but not tried
before its lease runs short is released: due again, its attempt not counted. An outcome
is recorded only while the worker still holds its lease (the row still 'sending' with
the lease it was given), so a worker whose lease ran out never overwrites the claim of
the worker that took the row after it.

How often and how far apart a queue retries, and which failures end a row at once, is
its RetryPolicy, stated once in the queue's own module.
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from surveys import clock

# last_error (and the outbox's invitation reason) keeps the start of a long error.
ERROR_CHARS = 1000
# Table and column names are put into the SQL text: they come only from this code's
# constants, and are checked against this anyway.
IDENTIFIER = re.compile(r"[a-z_]+")


@dataclass(frozen=True)
class RetryPolicy:
    """How a queue retries: how many attempts, how far apart, and which failures are final."""

    attempts: int  # the last attempt: after its failure the row is given up
    base_seconds: float  # the gap after the first failed attempt; it doubles after each next
    cap_seconds: float | None  # the longest gap before jitter is added; None: no cap
    jitter: float  # each gap grows by up to this fraction, so workers' retries spread out
    permanent: Callable[[Exception], bool]  # True for a failure no retry would mend

    def configured(self, config):
        """This policy with the deployment's OUTBOX_MAX_ATTEMPTS and OUTBOX_RETRY_SECONDS
        (one pair of settings for every queue)."""
        return replace(
            self,
            attempts=config["OUTBOX_MAX_ATTEMPTS"],
            base_seconds=config["OUTBOX_RETRY_SECONDS"],
        )

    def next_gap(self, attempt, draw=random.random):
        """Seconds to wait after failed attempt number `attempt` (counting from 1): base,
        2×base, 4×base …, capped, then lengthened by jitter × draw(), draw() being in [0, 1)."""
        gap = self.base_seconds * 2 ** max(0, attempt - 1)
        if self.cap_seconds is not None:
            gap = min(self.cap_seconds, gap)
        return gap * (1 + self.jitter * draw())

    def retry_at(self, attempt, now, draw=random.random):
        """When the attempt after failed attempt number `attempt` falls due, as stored."""
        return clock.to_iso(now + timedelta(seconds=self.next_gap(attempt, draw)))

    def gives_up(self, failure, attempt):
        """True when a failure ends its row: a permanent one, or the last attempt's."""
        return self.permanent(failure) or attempt >= self.attempts

    def after_failure(self, entry, failure, now):
        """(outcome, error, next_attempt_at) for a failed attempt: 'failed' with the error
        on a permanent refusal, 'failed' saying how many attempts it had after the last
        one, else 'retry' after the next gap."""
        if self.permanent(failure):
            return "failed", failure, None
        if self.gives_up(failure, entry["attempts"]):
            return "failed", gave_up(entry, failure), None
        return "retry", failure, self.retry_at(entry["attempts"], now)


def gave_up(entry, error):
    """The error a row given up keeps: how many attempts it had, and the last failure."""
    return f"gave up after {entry['attempts']} attempts: {error}"


def error_text(error):
    """An error (or None) as last_error stores it: its text, at most ERROR_CHARS long."""
    return None if error is None else str(error)[:ERROR_CHARS]


@dataclass(frozen=True)
class Queue:
    """A queue table, how long a claim on one of its rows lasts, and which rows keep order."""

    table: str
    lease_seconds: int  # longer than one attempt can take; after it, another worker may claim
    # Rows alike in these columns go out one at a time, oldest first: a newer row waits
    # while an older one is pending or being sent.
    in_order_of: tuple[str, ...] = ()

    def __post_init__(self):
        for name in (self.table, *self.in_order_of):
            if not IDENTIFIER.fullmatch(name):
                raise ValueError(f"not a table or column name: {name!r}")

    def claim_next(self, db, now):
        """Lease the next due row (or one whose worker's lease ran out) to this worker, with
        its attempts counted; None when nothing is due."""
        rows = self.claim_batch(db, now, 1)
        return rows[0] if rows else None

    def claim_batch(self, db, now, size):
        """Lease up to `size` due rows to this worker in one statement, all with the same
        lease, their attempts counted; oldest due first. Inside a transaction, the claim
        commits with whatever else the transaction prepares for the rows."""
        rows = db.query(
            self._claim_sql(),
            {
                "now": clock.to_iso(now),
                "lease_until": clock.to_iso(now + timedelta(seconds=self.lease_seconds)),
                "size": size,
            },
        )
        return sorted(rows, key=lambda row: (row["next_attempt_at"], row["id"]))

    def release(self, db, entry):
        """Give a claimed row back untried, if this worker still holds its lease: due again
        at once, the attempt it was claimed for not counted; True if it did."""
        cursor = db.execute(
            f"UPDATE {self.table} "  # noqa: S608 (a checked name; every value is a parameter)
            """SET status = 'pending', attempts = attempts - 1, lease_until = NULL
             WHERE id = ? AND status = 'sending' AND lease_until = ?""",
            [entry["id"], entry["lease_until"]],
        )
        return bool(cursor.rowcount)

    def record(self, db, entry, outcome, now, error=None, next_attempt_at=None):
        """Record a claimed row's outcome, if this worker still holds its lease; True if it did.

        `outcome` is what workers count: 'sent' (stamped sent_at `now`), 'skipped', 'failed',
        or 'retry' (back to 'pending', due at `next_attempt_at`). Call it inside the
        transaction that makes the outcome's other writes.
        """
        status = "pending" if outcome == "retry" else outcome
        cursor = db.execute(
            f"UPDATE {self.table} "  # noqa: S608 (a checked name; every value is a parameter)
            """SET status = ?, last_error = ?, lease_until = NULL,
                   next_attempt_at = coalesce(?, next_attempt_at),
                   sent_at = CASE WHEN ? = 'sent' THEN ? END
             WHERE id = ? AND status = 'sending' AND lease_until = ?""",
            [
                status,
                error_text(error),
                next_attempt_at,
                status,
                clock.to_iso(now),
                entry["id"],
                entry["lease_until"],
            ],
        )
        return bool(cursor.rowcount)

    def _claim_sql(self):
        """The claim: one UPDATE of the first :size due rows, so no other worker can take
        them too."""
        due = [
            "((due.status = 'pending' AND due.next_attempt_at <= :now)"
            " OR (due.status = 'sending' AND due.lease_until <= :now))"
        ]
        if self.in_order_of:
            alike = " AND ".join(f"earlier.{name} = due.{name}" for name in self.in_order_of)
            due.append(
                f"NOT EXISTS (SELECT 1 FROM {self.table} AS earlier "  # noqa: S608 (checked names)
                f"WHERE {alike} AND earlier.id < due.id "
                "AND earlier.status IN ('pending', 'sending'))"
            )
        return (
            f"UPDATE {self.table} "  # noqa: S608 (checked names; every value is a parameter)
            "SET status = 'sending', attempts = attempts + 1, lease_until = :lease_until "
            f"WHERE id IN (SELECT id FROM {self.table} AS due WHERE {' AND '.join(due)} "
            "ORDER BY due.next_attempt_at, due.id LIMIT :size) "
            "RETURNING *"
        )
