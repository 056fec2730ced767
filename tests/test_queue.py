"""The leased queue both workers share: invitation mail (the outbox) and responses POSTed to
hooks. Each queue's retry policy is pinned value by value; the lease, the retry and the
give-up are checked on each queue's own table, through the shared code."""

from dataclasses import replace
from datetime import timedelta

import pytest

from surveys import clock
from surveys.customers.mail import DeliveryError, PermanentDeliveryError, RecipientRefused
from surveys.customers.outbox import MAIL_RETRY
from surveys.customers.outbox import QUEUE as OUTBOX
from surveys.helpdesk.outbound import HOOK_RETRY, HookFailure, HookUnreachable, create_hook
from surveys.helpdesk.outbound import QUEUE as HOOKS
from surveys.store.db import connect
from surveys.store.queue import Queue, gave_up
from tests.helpers import post_ticket

LOWEST, HIGHEST = (lambda: 0.0), (lambda: 1.0)  # the random draw's bounds: [0, 1)


# The policies


def test_mail_retries_eight_times_a_minute_apart_at_first_capped_at_an_hour_plus_a_quarter():
    assert (
        MAIL_RETRY.attempts,
        MAIL_RETRY.base_seconds,
        MAIL_RETRY.cap_seconds,
        MAIL_RETRY.jitter,
    ) == (8, 60, 3600, 0.25)


def test_hooks_retry_eight_times_a_minute_apart_at_first_uncapped_plus_a_tenth():
    assert (
        HOOK_RETRY.attempts,
        HOOK_RETRY.base_seconds,
        HOOK_RETRY.cap_seconds,
        HOOK_RETRY.jitter,
    ) == (8, 60, None, 0.1)


@pytest.mark.parametrize(
    ("attempt", "shortest", "longest"),
    [
        (1, 60, 75),
        (2, 120, 150),
        (3, 240, 300),
        (4, 480, 600),
        (5, 960, 1200),
        (6, 1920, 2400),
        (7, 3600, 4500),  # 3840 s, capped at an hour before the jitter
        (8, 3600, 4500),
    ],
)
def test_mail_gaps_double_up_to_an_hour_then_grow_by_up_to_a_quarter(attempt, shortest, longest):
    assert MAIL_RETRY.next_gap(attempt, draw=LOWEST) == pytest.approx(shortest)
    assert MAIL_RETRY.next_gap(attempt, draw=HIGHEST) == pytest.approx(longest)


@pytest.mark.parametrize(
    ("attempt", "shortest", "longest"),
    [
        (1, 60, 66),
        (2, 120, 132),
        (3, 240, 264),
        (4, 480, 528),
        (5, 960, 1056),
        (6, 1920, 2112),
        (7, 3840, 4224),
        (8, 7680, 8448),
    ],
)
def test_hook_gaps_double_without_a_cap_and_grow_by_up_to_a_tenth(attempt, shortest, longest):
    assert HOOK_RETRY.next_gap(attempt, draw=LOWEST) == pytest.approx(shortest)
    assert HOOK_RETRY.next_gap(attempt, draw=HIGHEST) == pytest.approx(longest)


@pytest.mark.parametrize("policy", [MAIL_RETRY, HOOK_RETRY], ids=["mail", "hooks"])
def test_every_gap_lies_within_the_jitter(policy):
    for attempt in range(1, 9):
        gap = policy.next_gap(attempt)
        shortest = policy.next_gap(attempt, draw=LOWEST)
        assert shortest <= gap < shortest * (1 + policy.jitter)


@pytest.mark.parametrize("policy", [MAIL_RETRY, HOOK_RETRY], ids=["mail", "hooks"])
def test_the_settings_choose_the_attempts_and_the_first_gap(policy):
    settings = {"OUTBOX_MAX_ATTEMPTS": 3, "OUTBOX_RETRY_SECONDS": 10}
    assert policy.configured(settings) == replace(policy, attempts=3, base_seconds=10)


@pytest.mark.parametrize(
    ("failure", "permanent"),
    [
        (DeliveryError("message deferred: 451 4.3.0 Try again later"), False),
        (DeliveryError("SMTP server unreachable: [Errno 111] Connection refused"), False),
        (DeliveryError("SMTP login refused: 535 bad credentials"), False),
        (DeliveryError("internal error: a bug"), False),
        (PermanentDeliveryError("message refused: 554 5.7.1 Spam"), True),
        (RecipientRefused("recipient refused: 550 5.1.1 No such user"), True),
    ],
)
def test_mail_gives_up_at_once_only_on_a_5xx_refusal(failure, permanent):
    assert MAIL_RETRY.permanent(failure) is permanent


@pytest.mark.parametrize(
    ("failure", "permanent"),
    [
        *((HookFailure(f"HTTP {status}", status), False) for status in (408, 425, 429)),
        *((HookFailure(f"HTTP {status}", status), False) for status in (500, 502, 503, 504)),
        # Every 5xx, as docs/api.md says: a receiver's storage or gateway may recover too.
        *((HookFailure(f"HTTP {status}", status), False) for status in (501, 505, 507, 511, 599)),
        *((HookFailure(f"HTTP {status}", status), True) for status in (400, 401, 404, 410, 422)),
        (HookFailure("HTTP 302: redirects are not followed; set the final URL", 302), True),
        (HookFailure("the hook was removed"), True),
        (HookUnreachable("timed out"), False),
        (HookUnreachable("[Errno 111] Connection refused"), False),
    ],
    ids=str,
)
def test_hooks_give_up_at_once_on_any_answer_but_a_passing_trouble(failure, permanent):
    assert HOOK_RETRY.permanent(failure) is permanent


@pytest.mark.parametrize(
    ("policy", "failure"),
    [(MAIL_RETRY, DeliveryError("451 later")), (HOOK_RETRY, HookFailure("HTTP 503", 503))],
    ids=["mail", "hooks"],
)
def test_a_passing_trouble_ends_a_row_only_at_the_last_attempt(policy, failure):
    ends = [policy.gives_up(failure, attempt) for attempt in range(1, 10)]
    assert ends == [False] * 7 + [True, True]


def test_a_queue_takes_only_plain_table_and_column_names():
    with pytest.raises(ValueError, match="not a table or column name"):
        Queue("outbox; DROP TABLE outbox", lease_seconds=60)
    with pytest.raises(ValueError, match="not a table or column name"):
        Queue("outbound_deliveries", lease_seconds=60, in_order_of=("hook_id = 1 OR 1",))


# The queues, on their own tables

QUEUES = {
    "mail": (OUTBOX, MAIL_RETRY, DeliveryError("message deferred: 451 4.3.0 Try again later")),
    "hooks": (HOOKS, HOOK_RETRY, HookFailure("HTTP 503", 503)),
}


@pytest.fixture(params=sorted(QUEUES))
def kind(request):
    return request.param


def queue_rows(kind, client, headers, db, count):
    """`count` rows due now in the queue's table, queued the way Puas queues them: a
    closed ticket's invitation; an answer, for every hook."""
    if kind == "hooks":
        create_hook(db, "http://127.0.0.1:9/never-called")  # these tests only claim and record
    for number in range(count):
        post_ticket(client, headers, f"T-{number}", email=f"c{number}@example.com")
    if kind == "hooks":
        answered_at = clock.to_iso(clock.now())
        for invitation in list(db.query("SELECT id FROM invitations ORDER BY id")):
            db.execute(
                "INSERT INTO responses (invitation_id, csat, created_at, updated_at) "
                "VALUES (?, 5, ?, ?)",
                [invitation["id"], answered_at, answered_at],
            )
    queue = QUEUES[kind][0]
    ids = [row["id"] for row in db.query(f"SELECT id FROM {queue.table} ORDER BY id")]  # noqa: S608
    assert len(ids) == count
    return ids


def lease_state(db, queue, row_id):
    """A row's place in the queue: status, attempts, lease, next attempt and last error."""
    return next(
        db.query(
            "SELECT status, attempts, lease_until, next_attempt_at, last_error "  # noqa: S608
            f"FROM {queue.table} WHERE id = ?",
            [row_id],
        )
    )


def test_two_workers_never_claim_the_same_row(kind, app, client, api_headers, db):
    queue = QUEUES[kind][0]
    ids = queue_rows(kind, client, api_headers, db, 3)
    now = clock.now() + timedelta(seconds=1)
    second_worker = connect(app.config["DATABASE"])  # a connection of its own, like a process
    try:
        claimed = [
            queue.claim_next(worker, now) for worker in (db, second_worker, db, second_worker)
        ]
    finally:
        second_worker.close()
    assert claimed[3] is None  # all three leased
    assert sorted(row["id"] for row in claimed[:3]) == ids
    lease_until = clock.to_iso(now + timedelta(seconds=queue.lease_seconds))
    for row in claimed[:3]:
        assert (row["status"], row["attempts"], row["lease_until"]) == ("sending", 1, lease_until)


def test_a_crashed_workers_lease_runs_out_and_the_row_is_claimed_again(
    kind, app, client, api_headers, db
):
    queue = QUEUES[kind][0]
    [row_id] = queue_rows(kind, client, api_headers, db, 1)
    now = clock.now() + timedelta(seconds=1)
    crashed = queue.claim_next(db, now)
    lease = timedelta(seconds=queue.lease_seconds)

    assert queue.claim_next(db, now + lease - timedelta(seconds=1)) is None
    taken_again = queue.claim_next(db, now + lease)
    assert (taken_again["id"], taken_again["attempts"]) == (row_id, 2)

    # The crashed worker, come back late, can no longer record anything.
    assert not queue.record(db, crashed, "sent", now + lease)
    assert queue.record(db, taken_again, "sent", now + lease)
    assert lease_state(db, queue, row_id)["status"] == "sent"


def test_a_failed_attempt_waits_the_policys_gap(kind, app, client, api_headers, db):
    queue, policy, failure = QUEUES[kind]
    [row_id] = queue_rows(kind, client, api_headers, db, 1)
    now = clock.now() + timedelta(seconds=1)
    entry = queue.claim_next(db, now)

    retry_at = policy.retry_at(entry["attempts"], now, draw=LOWEST)
    assert queue.record(db, entry, "retry", now, failure, retry_at)
    assert lease_state(db, queue, row_id) == {
        "status": "pending",
        "attempts": 1,
        "lease_until": None,
        "next_attempt_at": clock.to_iso(now + timedelta(seconds=60)),
        "last_error": str(failure),
    }
    assert queue.claim_next(db, now + timedelta(seconds=59)) is None
    assert queue.claim_next(db, now + timedelta(seconds=60))["attempts"] == 2


def test_a_row_is_given_up_after_the_last_attempt(kind, app, client, api_headers, db):
    queue, policy, failure = QUEUES[kind]
    policy = policy.configured({"OUTBOX_MAX_ATTEMPTS": 3, "OUTBOX_RETRY_SECONDS": 60})
    [row_id] = queue_rows(kind, client, api_headers, db, 1)
    now = clock.now() + timedelta(seconds=1)

    outcomes = []
    while (entry := queue.claim_next(db, now)) is not None:
        if policy.gives_up(failure, entry["attempts"]):
            outcomes.append("failed")
            queue.record(db, entry, "failed", now, gave_up(entry, failure))
        else:
            outcomes.append("retry")
            queue.record(db, entry, "retry", now, failure, policy.retry_at(entry["attempts"], now))
        now += timedelta(hours=3)  # past the longest gap

    assert outcomes == ["retry", "retry", "failed"]
    state = lease_state(db, queue, row_id)
    assert (state["status"], state["attempts"], state["lease_until"]) == ("failed", 3, None)
    assert state["last_error"] == f"gave up after 3 attempts: {failure}"
    assert queue.claim_next(db, now + timedelta(days=365)) is None
