"""Survey link tokens: 32 random bytes, URL-safe, stored only as their SHA-256."""

import re
import secrets
from datetime import timedelta

from surveys import clock
from surveys.errors import TokenExpired, TokenUnknown
from surveys.security import sha256_hex
from surveys.store.db import read_rows

TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-]; anything else was never issued.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def make_token():
    """A fresh link token (256 bits from the OS's CSPRNG)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token):
    """The only form of a token the database ever holds."""
    return sha256_hex(token)


def issue_link(db, invitation_id, ttl_days, issued_at=None):
    """Store a new link for an invitation and return its token (shown once, in a mail)."""
    issued_at = issued_at or clock.now()
    token = make_token()
    db["survey_links"].insert(
        {
            "token_hash": hash_token(token),
            "invitation_id": invitation_id,
            "created_at": clock.to_iso(issued_at),
            "expires_at": clock.to_iso(issued_at + timedelta(days=ttl_days)),
        }
    )
    return token


def find_invitation(db, token):
    """The invitation a live link belongs to, with its link's expiry (link_expires_at) and
    the customer's locale on its ticket (ticket_locale, None when not given); TokenUnknown
    or TokenExpired otherwise."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise TokenUnknown()
    rows = read_rows(
        db,
        """SELECT invitations.*, survey_links.expires_at AS link_expires_at,
                  tickets.customer_locale AS ticket_locale
             FROM survey_links JOIN invitations ON invitations.id = survey_links.invitation_id
                  JOIN tickets ON tickets.id = invitations.ticket_id
            WHERE survey_links.token_hash = ?""",
        [hash_token(token)],
    )
    if not rows:
        raise TokenUnknown()
    invitation = rows[0]
    if invitation["link_expires_at"] <= clock.to_iso(clock.now()):
        raise TokenExpired()
    return invitation
