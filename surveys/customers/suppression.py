"""The list of addresses Puas must not survey, and the unsubscribe links that fill it.

Every invitation mail carries `List-Unsubscribe` (a mailto: and a link to /u/<token>) and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058); the page behind the link is
`surveys.customers.views.unsubscribe`. The token (256 random bits, stored only as its
SHA-256) is the proof of the address.

An address is suppressed by the SHA-256 of its normalised form, never in clear, and no
customer row is needed to keep it, so the suppression outlives erasure of the customer's
data. A permanent SMTP refusal of the recipient suppresses the address as bounced.
"""

from urllib.parse import quote

from surveys import clock
from surveys.customers.tokens import TOKEN_PATTERN, hash_token, make_token
from surveys.errors import UnsubscribeLinkUnknown
from surveys.security import sha256_hex
from surveys.store.db import immediate
from surveys.text import clean_email

ONE_CLICK = "List-Unsubscribe=One-Click"


def normalised_address(address):
    """An address as Puas compares it: lower-case with an ASCII domain (as stored)."""
    try:
        return clean_email(address)
    except ValueError:  # refused at the door, but compare what we were given anyway
        return address.strip().lower()


def address_hash(address):
    """The only form in which the suppression list holds an address."""
    return sha256_hex(normalised_address(address))


def address_suppression(db, address):
    """'unsubscribed' or 'bounced' when the address must get no more mail, else None."""
    row = db.execute(
        "SELECT reason FROM suppressions WHERE address_hash = ?", [address_hash(address)]
    ).fetchone()
    return row[0] if row else None


def suppress(db, hashed_address, reason):
    """Put an address on the suppression list; an unsubscribe replaces a bounce, not back.

    A single statement: run it inside the caller's transaction, or on its own.
    """
    now = clock.to_iso(clock.now())
    db.execute(
        """INSERT INTO suppressions (address_hash, reason, created_at, updated_at)
           VALUES (?, ?, ?, ?)
           ON CONFLICT (address_hash) DO UPDATE SET
               reason = excluded.reason, updated_at = excluded.updated_at
           WHERE excluded.reason = 'unsubscribed' AND suppressions.reason != 'unsubscribed'""",
        [hashed_address, reason, now, now],
    )


def issue_unsubscribe_link(db, recipient, locale=None):
    """Store a new unsubscribe link for an address and return its token (shown in one mail)."""
    token = make_token()
    with immediate(db):
        db.execute(
            "INSERT INTO unsubscribe_links (token_hash, address_hash, locale, created_at) "
            "VALUES (?, ?, ?, ?)",
            [hash_token(token), address_hash(recipient), locale, clock.to_iso(clock.now())],
        )
    return token


def unsubscribe_url(base_url, token):
    """The one-click link of a mail."""
    return f"{base_url.rstrip('/')}/u/{token}"


def unsubscribe_headers(config, token):
    """List-Unsubscribe with a mailto: and the https link (RFC 2369), and one-click (RFC 8058).

    The mailto: goes to UNSUBSCRIBE_MAILTO (else MAIL_FROM) with the link's token in the
    subject; Puas does not read that mailbox. Percent-quoting keeps the value ASCII, and
    the mail writes it on one line as it is (never folded inside a URI nor RFC 2047-encoded,
    which mail clients do not decode here).
    """
    mailbox = config["UNSUBSCRIBE_MAILTO"] or config["MAIL_FROM"]
    mailto = f"mailto:{quote(mailbox, safe='@')}?subject={quote(f'unsubscribe {token}')}"
    https = unsubscribe_url(config["BASE_URL"], token)
    return {"List-Unsubscribe": f"<{mailto}>, <{https}>", "List-Unsubscribe-Post": ONE_CLICK}


def find_link(db, token):
    """The unsubscribe link a token belongs to; UnsubscribeLinkUnknown otherwise."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise UnsubscribeLinkUnknown()
    rows = list(
        db.query(
            """SELECT unsubscribe_links.address_hash, unsubscribe_links.locale,
                  suppressions.reason AS suppressed
             FROM unsubscribe_links LEFT JOIN suppressions
                  ON suppressions.address_hash = unsubscribe_links.address_hash
            WHERE unsubscribe_links.token_hash = ?""",
            [hash_token(token)],
        )
    )
    if not rows:
        raise UnsubscribeLinkUnknown()
    return rows[0]
