"""Distribution rules: how soon, how often and to which share of customers invitations go.

Managers set the rules on /settings/distribution (`surveys.customers.views.distribution`).
Until a manager first saves that page, the settings apply (SEND_DELAY_MINUTES,
SAMPLE_RATE_PERCENT, THROTTLE_DAYS, NPS_INTERVAL_DAYS, REMINDER_DAYS, LINK_TTL_DAYS);
after, the one stored row does.
`surveys.helpdesk.closures.record_closure` reads them for every closure,
`surveys.customers.outbox` for every delivery pass.
"""

import hashlib
from dataclasses import asdict, dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from surveys import clock
from surveys.store.db import immediate

# Why an invitation was not sent (invitations.reason when status is 'suppressed'), in
# the order they are checked.
REASONS = {
    "no_email": "the closure came without a customer address",
    "unsubscribed": "the customer unsubscribed",
    "bounced": "mail to the address was refused for good (SMTP 5xx)",
    "throttled": "the customer had an invitation within the throttle window",
    "sampled_out": "the closure fell outside the sample",
}
RECENT_DAYS = 30


@dataclass(frozen=True)
class Rule:
    """One distribution rule: its column, its setting (the default) and its limits."""

    name: str
    setting: str
    label: str
    low: int
    high: int
    unit: str
    hint: str


RULES = (
    Rule(
        "send_delay_minutes",
        "SEND_DELAY_MINUTES",
        "Send the invitation",
        0,
        10_080,
        "minutes after the ticket closes",
        "0 sends it at once",
    ),
    Rule(
        "sample_rate_percent",
        "SAMPLE_RATE_PERCENT",
        "Invite",
        0,
        100,
        "% of the closures",
        "The others are recorded as sampled out",
    ),
    Rule(
        "throttle_days",
        "THROTTLE_DAYS",
        "Invite a customer at most once per",
        0,
        365,
        "days",
        "0 = no limit",
    ),
    Rule(
        "nps_interval_days",
        "NPS_INTERVAL_DAYS",
        "Ask NPS at most once per",
        0,
        730,
        "days per customer",
        "0 = in every survey; when not asked, the survey leaves it out",
    ),
    Rule(
        "reminder_days",
        "REMINDER_DAYS",
        "Send one reminder",
        0,
        60,
        "days after the invitation, if unanswered",
        "0 = no reminder",
    ),
    Rule(
        "link_ttl_days",
        "LINK_TTL_DAYS",
        "Survey links work for",
        1,
        365,
        "days from the mail that carries them",
        "",
    ),
)


@dataclass(frozen=True)
class Rules:
    """The distribution rules in force."""

    send_delay_minutes: int
    sample_rate_percent: int
    throttle_days: int
    nps_interval_days: int
    reminder_days: int
    link_ttl_days: int


RULES_SQL = """SELECT send_delay_minutes, sample_rate_percent, throttle_days,
                     nps_interval_days, reminder_days, link_ttl_days
                FROM distribution_rules WHERE id = 1"""
# No timestamp sorts after this one: a comparison with it is false (a window that is off).
NEVER = "9999"


def default_rules(config):
    """The rules the settings give, before a manager saved any."""
    return Rules(**{rule.name: config[rule.setting] for rule in RULES})


def current_rules(db, config):
    """The rules in force: the row a manager saved, else the settings' defaults."""
    # db.execute, not db.query: this runs for every reported closure, and db.query wraps
    # each read in a savepoint of its own.
    row = db.execute(RULES_SQL).fetchone()
    return default_rules(config) if row is None else Rules(*row)


def save_rules(db, rules, manager_id, review_url=None):
    """Store the rules a manager submitted, and the review link (None: none), whole, in
    one statement."""
    with immediate(db):
        db.execute(
            """INSERT INTO distribution_rules (id, send_delay_minutes, sample_rate_percent,
                   throttle_days, nps_interval_days, reminder_days, link_ttl_days,
                   review_url, updated_at, updated_by)
               VALUES (1, :send_delay_minutes, :sample_rate_percent, :throttle_days,
                   :nps_interval_days, :reminder_days, :link_ttl_days, :review_url, :now,
                   :manager_id)
               ON CONFLICT (id) DO UPDATE SET
                   send_delay_minutes = excluded.send_delay_minutes,
                   sample_rate_percent = excluded.sample_rate_percent,
                   throttle_days = excluded.throttle_days,
                   nps_interval_days = excluded.nps_interval_days,
                   reminder_days = excluded.reminder_days,
                   link_ttl_days = excluded.link_ttl_days,
                   review_url = excluded.review_url,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
            {
                **asdict(rules),
                "review_url": review_url,
                "now": clock.to_iso(clock.now()),
                "manager_id": manager_id,
            },
        )


REVIEW_URL_MAX_LENGTH = 2000


def check_review_url(text):
    """The link promoters are asked to review at, trimmed: an https:// address with a host,
    at most 2000 ASCII characters without spaces; ValueError saying why not."""
    url = text.strip()
    if len(url) > REVIEW_URL_MAX_LENGTH or not url.isascii():
        raise ValueError(f"must be at most {REVIEW_URL_MAX_LENGTH} ASCII characters")
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise ValueError("must not contain spaces")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as error:
        raise ValueError("must be an https:// address") from error
    # The stored value must start with exactly "https://" (the schema checks it).
    if not url.startswith("https://") or not parts.hostname:
        raise ValueError("must be an https:// address")
    if parts.username or parts.password:
        raise ValueError("must not hold a user name or password")
    return url


def review_url(db):
    """The link promoters are asked to review at, or None when managers set none."""
    row = db.execute("SELECT review_url FROM distribution_rules WHERE id = 1").fetchone()
    return None if row is None else row[0]


def sampled_in(closure_key, sample_rate_percent):
    """Whether a closure falls in the sample: a stable draw from a hash of the closure.

    The same closure always draws the same number, so a repeated report agrees with the
    first and tests know the outcome; different closures draw independently.
    """
    if sample_rate_percent >= 100:
        return True
    digest = hashlib.sha256(closure_key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100 < sample_rate_percent


def recent_invitations(db, customer_email, send_at, rules):
    """(surveyed within the throttle window, asked NPS within its window) before send_at.

    Only invitations that went out or are waiting to count. Run it under the write lock,
    so two closures for one customer cannot both find the windows free.
    """
    windows = {"throttle_since": rules.throttle_days, "nps_since": rules.nps_interval_days}
    if not any(windows.values()):
        return False, False
    since = {
        name: clock.to_iso(send_at - timedelta(days=days)) if days else NEVER
        for name, days in windows.items()
    }
    surveyed, nps_asked = db.execute(
        """SELECT coalesce(max(send_at > :throttle_since), 0),
                  coalesce(max(nps_asked = 1 AND send_at > :nps_since), 0)
             FROM invitations
            WHERE customer_email = :email AND status IN ('scheduled', 'sent')
              AND send_at > :earliest""",
        {**since, "email": customer_email, "earliest": min(since.values())},
    ).fetchone()
    return bool(surveyed), bool(nps_asked)


# What the settings page shows beside the rules


def last_change(db):
    """When the rules were last saved and by whom, or None while the defaults apply."""
    rows = list(
        db.query(
            """SELECT distribution_rules.updated_at, users.email FROM distribution_rules
             LEFT JOIN users ON users.id = distribution_rules.updated_by""",
        )
    )
    return rows[0] if rows else None


def recent_outcomes(db, timezone_name):
    """Invitations for closures of the last RECENT_DAYS days, per status or reason."""
    since = clock.add_days(clock.today(timezone_name), -RECENT_DAYS).isoformat()
    return list(
        db.query(
            """SELECT CASE WHEN status = 'suppressed' THEN reason ELSE status END AS outcome,
                  count(*) AS invitations
             FROM invitations WHERE closed_day > ?
            GROUP BY outcome ORDER BY invitations DESC, outcome""",
            [since],
        )
    )


def suppressed_addresses(db):
    """How many addresses are suppressed, per reason."""
    return {
        row["reason"]: row["addresses"]
        for row in db.query(
            "SELECT reason, count(*) AS addresses FROM suppressions GROUP BY reason"
        )
    }
