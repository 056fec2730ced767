"""Unknown survey and unsubscribe links, counted per client address.

Link tokens carry 256 bits, so guessing one is hopeless; what a flood of made-up links can
do is keep the server busy and fill its logs. So unknown links (/s/ and /u/ together) are
counted per client address in SQLite, like sign-in attempts, so every worker sees one
count; past LINK_ATTEMPTS_LIMIT within LINK_ATTEMPTS_MINUTES an address is answered 429
until its old attempts age out. Real links are looked up first and always served: a
customer behind a busy address never waits for someone else's mistakes.
"""

from datetime import timedelta

from surveys import clock
from surveys.store.db import immediate

# Rows older than this are deleted a few at a time as new ones come in.
KEPT = timedelta(days=1)
PRUNED_PER_ATTEMPT = 100


def count_unknown_link(db, address, limit, minutes, now=None):
    """Record an unknown link from this address; the seconds it must wait when it is past
    the limit (the attempt is then not recorded), else None."""
    now = now or clock.now()
    address = (address or "unknown")[:100]
    since = clock.to_iso(now - timedelta(minutes=minutes))
    with immediate(db):
        count, oldest = db.execute(
            "SELECT count(*), min(attempted_at) FROM link_attempts "
            "WHERE address = ? AND attempted_at >= ?",
            [address, since],
        ).fetchone()
        if count >= limit:
            # The wait ends when the oldest attempt in the window leaves it.
            frees_at = clock.from_iso(oldest) + timedelta(minutes=minutes)
            return max(1, int((frees_at - now).total_seconds()) + 1)
        db.execute(
            "INSERT INTO link_attempts (address, attempted_at) VALUES (?, ?)",
            [address, clock.to_iso(now)],
        )
        db.execute(
            """DELETE FROM link_attempts WHERE attempted_at < ? AND id IN
                 (SELECT id FROM link_attempts ORDER BY id LIMIT ?)""",
            [clock.to_iso(now - KEPT), PRUNED_PER_ATTEMPT],
        )
    return None
