"""Outbound webhooks: each response, as it arrives or changes, POSTed to URLs managers set.

Triggers on responses (migration m008) queue one delivery per active hook in the
transaction that stores the answer, with the JSON body fixed at that moment. Workers
(`flask outbox run` and `send-due`) claim due deliveries with a single UPDATE, POST them
signed like the generic inbound webhook (X-Puas-Timestamp; X-Puas-Signature: sha256= and
the hex HMAC-SHA256 of "{timestamp}.{body}"), and retry with doubling gaps until
OUTBOX_MAX_ATTEMPTS.
"""

import http.client
import random
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from surveys import clock
from surveys.helpdesk.payloads import make_secret, sign_hex
from surveys.store.db import connect, immediate

LEASE_SECONDS = 120  # longer than a request's timeout
TIMEOUT_SECONDS = 10
# Worth another try: the receiver or the network may recover.
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


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
    rows = list(
        db.query(
            """UPDATE outbound_deliveries
              SET status = 'sending', attempts = attempts + 1, lease_until = :lease_until
            WHERE id = (SELECT id FROM outbound_deliveries AS due
                         WHERE ((due.status = 'pending' AND due.next_attempt_at <= :now)
                                OR (due.status = 'sending' AND due.lease_until <= :now))
                           AND NOT EXISTS (
                               SELECT 1 FROM outbound_deliveries AS earlier
                                WHERE earlier.hook_id = due.hook_id
                                  AND earlier.response_id = due.response_id
                                  AND earlier.id < due.id
                                  AND earlier.status IN ('pending', 'sending'))
                         ORDER BY due.next_attempt_at, due.id LIMIT 1)
        RETURNING *""",
            {
                "now": clock.to_iso(now),
                "lease_until": clock.to_iso(now + timedelta(seconds=LEASE_SECONDS)),
            },
        )
    )
    return rows[0] if rows else None


def post(url, secret, delivery_id, event, payload, now):
    """POST one delivery; None when the receiver took it, else (retry?, error)."""
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
        return None
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400:
            return False, f"HTTP {error.code}: redirects are not followed; set the final URL"
        return error.code in RETRY_STATUSES, f"HTTP {error.code}"
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        return True, str(getattr(error, "reason", error))[:500]


def retry_delay(attempts, base_seconds):
    """Seconds before the next attempt: doubling from the base, with up to 10 % jitter."""
    delay = base_seconds * 2 ** (attempts - 1)
    return delay * (1 + random.random() / 10)  # noqa: S311 (spreading retries, not secrets)


def deliver(db, entry, config):
    """Send a claimed delivery and record the outcome: 'sent', 'retry' or 'failed'."""
    hook = db.execute(
        "SELECT url, secret, revoked_at FROM outbound_hooks WHERE id = ?", [entry["hook_id"]]
    ).fetchone()
    now = clock.now()
    if hook is None or hook[2]:
        failure = (False, "the hook was removed")
    else:
        failure = post(hook[0], hook[1], entry["id"], entry["event"], entry["payload"], now)
    if failure is None:
        outcome, next_attempt, error = "sent", None, None
    else:
        retry, error = failure
        if retry and entry["attempts"] < config["OUTBOX_MAX_ATTEMPTS"]:
            outcome = "retry"
            next_attempt = clock.to_iso(
                now
                + timedelta(seconds=retry_delay(entry["attempts"], config["OUTBOX_RETRY_SECONDS"]))
            )
        else:
            outcome, next_attempt = "failed", None
            error = f"gave up after {entry['attempts']} attempts: {error}"
    with immediate(db):
        db.execute(
            """UPDATE outbound_deliveries
                  SET status = ?, last_error = ?, lease_until = NULL,
                      next_attempt_at = coalesce(?, next_attempt_at),
                      sent_at = CASE WHEN ? = 'sent' THEN ? END
                WHERE id = ? AND status = 'sending' AND lease_until = ?""",
            [
                "pending" if outcome == "retry" else outcome,
                error,
                next_attempt,
                outcome,
                clock.to_iso(now),
                entry["id"],
                entry["lease_until"],
            ],
        )
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
