"""Outbound webhooks: each response, as it arrives or changes, POSTed to URLs managers set.

Triggers on responses (migration m008) queue one delivery per active hook in the
transaction that stores the answer, with the JSON body fixed at that moment. Workers
(`flask outbox run` and `send-due`) claim due deliveries with a single UPDATE, POST them
signed like the generic inbound webhook (X-Puas-Timestamp; X-Puas-Signature: sha256= and
the hex HMAC-SHA256 of "{timestamp}.{body}"), and retry with doubling gaps until
OUTBOX_MAX_ATTEMPTS.
"""

import http.client
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from surveys import clock
from surveys.config import DEFAULTS
from surveys.helpdesk.payloads import make_secret, sign_hex
from surveys.store.db import connect, immediate
from surveys.store.queue import Queue, RetryPolicy, gave_up

TIMEOUT_SECONDS = 10
# Worth another try, besides every 5xx: the receiver or the network may recover.
RETRY_STATUSES = {408, 425, 429}


class HookFailure(Exception):
    """A delivery the receiver did not take; `status` is its HTTP answer, None without one."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class HookUnreachable(HookFailure):
    """No answer came: the network, the host's name, a timeout, or a URL no request reaches."""


def _refused_for_good(failure):
    """Any HTTP answer but a 5xx or RETRY_STATUSES (a redirect too), or a removed hook; a
    delivery that got no answer at all is worth another try."""
    if isinstance(failure, HookUnreachable):
        return False
    passing = failure.status in RETRY_STATUSES or 500 <= (failure.status or 0) <= 599
    return not passing


# Gaps doubling from OUTBOX_RETRY_SECONDS with no cap, each lengthened by up to 10 %,
# until OUTBOX_MAX_ATTEMPTS (the defaults here; configured() applies the deployment's).
HOOK_RETRY = RetryPolicy(
    attempts=DEFAULTS["OUTBOX_MAX_ATTEMPTS"],
    base_seconds=DEFAULTS["OUTBOX_RETRY_SECONDS"],
    cap_seconds=None,
    jitter=0.1,
    permanent=_refused_for_good,
)
# The lease is longer than a request's timeout. One response's deliveries to one hook go
# out in order, so a receiver never gets an older answer after a newer one.
QUEUE = Queue("outbound_deliveries", lease_seconds=120, in_order_of=("hook_id", "response_id"))


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET elsewhere, carrying the signature with it."""

    def redirect_request(self, *args, **kwargs):
        return None  # urllib then raises HTTPError with the 3xx status


OPENER = urllib.request.build_opener(RefuseRedirects)


class HookError(Exception):
    """A URL a hook cannot have."""


def check_url(url):
    """The URL, trimmed, if it is an absolute http(s) URL a request can be sent to;
    HookError otherwise. (Managers choose these URLs: internal hosts are allowed.)"""
    url = (url or "").strip()
    message = "must be an http:// or https:// address of at most 2000 characters"
    if len(url) > 2000 or not url.isascii() or not url.isprintable() or " " in url:
        raise HookError(message + ", without spaces or non-ASCII characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as error:
        raise HookError(message) from error
    if parts.scheme not in ("http", "https") or not parts.hostname or "%" in parts.netloc:
        raise HookError(message)
    if parts.username or parts.password:
        raise HookError("must not hold a user name or password (they would be shown here)")
    return url


def create_hook(db, url, created_by=None):
    """Start POSTing responses to a URL; returns (id, secret). The secret is shown once."""
    url = check_url(url)
    secret = make_secret()
    with immediate(db):
        hook_id = db.execute(
            "INSERT INTO outbound_hooks (url, secret, created_at, created_by) VALUES (?, ?, ?, ?)",
            [url, secret, clock.to_iso(clock.now()), created_by],
        ).lastrowid
    return hook_id, secret


def claim_next(db, now):
    """Take the next due delivery (or one whose worker's lease ran out), or None.

    A delivery waits while an earlier one of the same response to the same hook is still
    unsent, so a receiver never gets an older answer after a newer one.
    """
    return QUEUE.claim_next(db, now)


def post(url, secret, delivery_id, event, payload, now):
    """POST one delivery; HookFailure when the receiver did not take it."""
    body = payload.encode()
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Puas-webhooks",
            "X-Puas-Event": event,
            "X-Puas-Delivery": str(delivery_id),
            "X-Puas-Timestamp": timestamp,
            "X-Puas-Signature": sign_hex(secret, timestamp, body),
        },
    )
    try:
        with OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400:
            message = f"HTTP {error.code}: redirects are not followed; set the final URL"
            raise HookFailure(message, error.code) from error
        raise HookFailure(f"HTTP {error.code}", error.code) from error
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        raise HookUnreachable(str(getattr(error, "reason", error))[:500]) from error


def deliver(db, entry, config):
    """Send a claimed delivery and record the outcome: 'sent', 'retry' or 'failed'."""
    hook = db.execute(
        "SELECT url, secret, revoked_at FROM outbound_hooks WHERE id = ?", [entry["hook_id"]]
    ).fetchone()
    now = clock.now()
    outcome, error, next_attempt_at = "sent", None, None
    try:
        if hook is None or hook[2]:
            raise HookFailure("the hook was removed")
        post(hook[0], hook[1], entry["id"], entry["event"], entry["payload"], now)
    except HookFailure as failure:
        policy = HOOK_RETRY.configured(config)
        if policy.gives_up(failure, entry["attempts"]):
            # Unlike the outbox, a refusal here is also told as giving up.
            outcome, error = "failed", gave_up(entry, failure)
        else:
            outcome, error = "retry", failure
            next_attempt_at = policy.retry_at(entry["attempts"], now)
    with immediate(db):
        QUEUE.record(db, entry, outcome, now, error, next_attempt_at)
    return outcome


def send_due_pass(config):
    """One pass on a connection of its own (the workers' loop); counts per outcome."""
    db = connect(config["DATABASE"])
    try:
        return send_due(db, config)
    finally:
        db.close()


def send_due(db, config):
    """Deliver every due response, once; counts per outcome."""
    outcomes = {"sent": 0, "retry": 0, "failed": 0}
    while (entry := claim_next(db, clock.now())) is not None:
        outcomes[deliver(db, entry, config)] += 1
    return outcomes
