"""Configuration: defaults in code, then instance/config.py, then FLASK_* variables."""

import os
import secrets
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from surveys import clock
from surveys.store.call_rollups import wait_bucket

# Every key a deployment may set. docs/configuration.md documents each one; a test checks.
DEFAULTS = {
    "DATABASE": None,  # instance/puas.db, resolved against the instance folder
    "SECRET_KEY": None,  # generated once into instance/secret_key
    "COMPANY_NAME": "Puas Demo",
    "BASE_URL": "http://127.0.0.1:5000",
    "SEND_DELAY_MINUTES": 60,
    "LINK_TTL_DAYS": 14,
    "THROTTLE_DAYS": 14,
    # Distribution rules: managers change these (and the three above) on
    # /settings/distribution; until they save that page, these values apply.
    "SAMPLE_RATE_PERCENT": 100,
    "NPS_INTERVAL_DAYS": 90,
    "REMINDER_DAYS": 0,
    # Where the List-Unsubscribe mailto: points; unset = MAIL_FROM.
    "UNSUBSCRIBE_MAILTO": None,
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_SECURITY": "none",
    "SMTP_TIMEOUT_SECONDS": 30,
    # The mail worker keeps its SMTP connection for up to this many messages, then opens a
    # new one (servers cap messages per connection; 1 = a connection for every message).
    "SMTP_MAX_MESSAGES_PER_CONNECTION": 100,
    "MAIL_FROM": "surveys@localhost",
    "MAIL_DIR": None,  # instance/mail, where the mailbox sender writes .eml files
    "OUTBOX_MAX_ATTEMPTS": 8,
    "OUTBOX_RETRY_SECONDS": 60,
    "OUTBOX_POLL_SECONDS": 5,
    "MIN_N": 5,
    "TIMEZONE": "UTC",
    # Weekly and monthly digests go out at this hour (0-23, in TIMEZONE) on the day after
    # the week or month ends.
    "DIGEST_HOUR": 8,
    "API_MAX_BODY_BYTES": 64 * 1024,
    "TRUST_PROXY_HEADERS": False,
    # Unknown survey and unsubscribe links one client address may try (together) within
    # this many minutes before it is answered 429 (real links are always served).
    "LINK_ATTEMPTS_LIMIT": 100,
    "LINK_ATTEMPTS_MINUTES": 10,
    # Customers' personal data on tickets closed longer ago than this many months is erased
    # by the mail worker (at start, then daily) and by `flask retention run`; unset = kept.
    "RETENTION_MONTHS": None,
    # With BACKUP_DIR set, the mail worker writes one checked backup a day there
    # (puas-YYYY-MM-DD.db) and keeps the newest BACKUP_KEEP.
    "BACKUP_DIR": None,
    "BACKUP_KEEP": 7,
    # Ticket KPIs: the first-response standard ("1×24 jam") and how soon a customer's next
    # ticket counts as a repeat of the one closed before.
    "FRT_TARGET_HOURS": 24,
    # The leaderboard ranks only agents and teams with at least this many CSAT answers.
    "LEADERBOARD_MIN_N": 10,
    # A follow-up of an alerting answer is due this many hours after it opened.
    "FOLLOW_UP_HOURS": 48,
    "REPEAT_WINDOW_DAYS": 7,
    # The phone queue's service level: calls answered within this many seconds (inclusive).
    "SERVICE_LEVEL_SECONDS": 20,
    # The days agents work, for tickets per agent per working day (weekday names).
    "WORKING_DAYS": "mon,tue,wed,thu,fri",
    # Admin scorecards: how the three dimensions weigh in the overall score, how many
    # different raters an admin needs before seeing their own scorecard, and the targets.
    "RATING_WEIGHTS": {"speed": 1, "initiative": 1, "accuracy": 1},
    "ANONYMITY_MIN_RATERS": 3,
    "ADMIN_TARGETS": {
        "speed_pct": 75,
        "initiative_pct": 75,
        "accuracy_pct": 75,
        "overall_pct": 75,
        "incidents": 0,
        "on_time_pct": 90,
    },
}

SMTP_SECURITY_CHOICES = ("none", "starttls", "ssl")

# Flask's own settings, chosen for Puas; not meant to be changed per deployment.
FLASK_SETTINGS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Forms posted by staff and customers; anything bigger is refused with 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    # A CSRF token lives as long as the session that holds it: a survey page left open
    # for a day must still submit. Sessions end when the browser closes.
    "WTF_CSRF_TIME_LIMIT": None,
}


class ConfigError(click.ClickException):
    """A configuration value that Puas cannot work with. A click exception, as Flask's own
    NoAppException is: every `flask` command then says `Error:` and the setting's problem
    in one line, not a traceback."""


def apply_config(app, test_config=None):
    """Fill app.config in the documented order and check the values."""
    app.config.update(FLASK_SETTINGS)
    app.config.update(DEFAULTS)
    # Tests describe their whole configuration: a developer's instance/config.py (say,
    # with a real SMTP server) must not leak into them.
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.update(test_config)
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = os.path.join(app.instance_path, "puas.db")
    if not app.config["MAIL_DIR"]:
        app.config["MAIL_DIR"] = os.path.join(app.instance_path, "mail")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    check_config(app.config)
    # Keep JSON fields in the documented order (docs/api.md's ROW) rather than sorted.
    app.json.sort_keys = False


def load_or_create_secret_key(instance_path):
    """Read instance/secret_key, creating it once; safe when workers start together."""
    path = os.path.join(instance_path, "secret_key")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_hex(32))
    # Another worker may have created the file a moment ago and still be writing it.
    for _ in range(50):
        with open(path) as key_file:
            key = key_file.read().strip()
        if key:
            return key
        time.sleep(0.01)
    raise ConfigError(f"{path} is empty; delete it and start again")


def check_number_map(config, key, names):
    """A mapping of exactly these names to numbers of at least 0."""
    value = config[key]
    if (
        not isinstance(value, dict)
        or set(value) != names
        or any(
            isinstance(number, bool) or not isinstance(number, int | float) or number < 0
            for number in value.values()
        )
    ):
        raise ConfigError(
            f"{key} must map {', '.join(sorted(names))} to numbers of at least 0, not {value!r}"
        )


def check_backups(config):
    """BACKUP_DIR unset or a folder's path; BACKUP_KEEP a whole number of at least 1."""
    folder, keep = config["BACKUP_DIR"], config["BACKUP_KEEP"]
    if folder is not None and (not isinstance(folder, str) or not folder.strip()):
        raise ConfigError(f"BACKUP_DIR must be a folder's path, not {folder!r}")
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ConfigError(f"BACKUP_KEEP must be a whole number of at least 1, not {keep!r}")


def check_retention(config):
    """RETENTION_MONTHS unset, or a whole number of months from 1 to 1200."""
    months = config["RETENTION_MONTHS"]
    if months is not None and (
        isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200
    ):
        raise ConfigError(f"RETENTION_MONTHS must be unset or 1 to 1200 months, not {months!r}")


def check_link_attempts(config):
    """At least one unknown link allowed, counted over at least a minute."""
    for key in ("LINK_ATTEMPTS_LIMIT", "LINK_ATTEMPTS_MINUTES"):
        if config[key] < 1:
            raise ConfigError(f"{key} must be at least 1, not {config[key]!r}")


def check_working_days(config):
    """WORKING_DAYS must name at least one weekday, each once."""
    try:
        clock.parse_weekdays(config["WORKING_DAYS"])
    except ValueError as error:
        raise ConfigError(f"WORKING_DAYS {error}") from error


def check_service_level(config):
    """SERVICE_LEVEL_SECONDS a wait the call rollups count exactly (a bucket bound)."""
    seconds = config["SERVICE_LEVEL_SECONDS"]
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not 1 <= seconds <= 3600
        or wait_bucket(seconds) != seconds
    ):
        raise ConfigError(
            "SERVICE_LEVEL_SECONDS must be whole seconds from 1 to 30, a multiple of 5 up "
            f"to 600, or a multiple of 60 up to 3600, not {seconds!r}"
        )


def check_digest_hour(config):
    """DIGEST_HOUR a whole hour of the day, 0 to 23."""
    hour = config["DIGEST_HOUR"]
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise ConfigError(f"DIGEST_HOUR must be a whole hour from 0 to 23, not {hour!r}")


def check_config(config):  # noqa: C901 (one flat check per setting, read top to bottom)
    """Refuse to start with values that would fail later, far from their cause."""
    for key in (
        "SEND_DELAY_MINUTES",
        "LINK_TTL_DAYS",
        "THROTTLE_DAYS",
        "MIN_N",
        "SAMPLE_RATE_PERCENT",
        "NPS_INTERVAL_DAYS",
        "REMINDER_DAYS",
        "SMTP_PORT",
        "OUTBOX_MAX_ATTEMPTS",
        "OUTBOX_RETRY_SECONDS",
        "OUTBOX_POLL_SECONDS",
        "SMTP_TIMEOUT_SECONDS",
        "SMTP_MAX_MESSAGES_PER_CONNECTION",
        "API_MAX_BODY_BYTES",
        "ANONYMITY_MIN_RATERS",
        "REPEAT_WINDOW_DAYS",
        "LEADERBOARD_MIN_N",
        "LINK_ATTEMPTS_LIMIT",
        "LINK_ATTEMPTS_MINUTES",
    ):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{key} must be a whole number of at least 0, not {value!r}")
    if not 1 <= config["SMTP_PORT"] <= 65535:
        raise ConfigError(
            f"SMTP_PORT must be a TCP port from 1 to 65535, not {config['SMTP_PORT']!r}"
        )
    window = config["REPEAT_WINDOW_DAYS"]
    if not 1 <= window <= 365:  # the stored repeat flags are kept for such a window
        raise ConfigError(f"REPEAT_WINDOW_DAYS must be from 1 to 365 days, not {window!r}")
    hours = config["FOLLOW_UP_HOURS"]
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 8760:
        raise ConfigError(f"FOLLOW_UP_HOURS must be a whole number from 1 to 8760, not {hours!r}")
    target = config["FRT_TARGET_HOURS"]
    if isinstance(target, bool) or not isinstance(target, int | float) or target <= 0:
        raise ConfigError(f"FRT_TARGET_HOURS must be a number of hours above 0, not {target!r}")
    if not isinstance(config["TRUST_PROXY_HEADERS"], bool):
        raise ConfigError(
            "TRUST_PROXY_HEADERS must be true or false (JSON), "
            f"not {config['TRUST_PROXY_HEADERS']!r}"
        )
    check_backups(config)
    check_working_days(config)
    check_digest_hour(config)
    check_service_level(config)
    check_link_attempts(config)
    check_retention(config)
    check_number_map(config, "RATING_WEIGHTS", {"speed", "initiative", "accuracy"})
    check_number_map(
        config,
        "ADMIN_TARGETS",
        {"speed_pct", "initiative_pct", "accuracy_pct", "overall_pct", "incidents", "on_time_pct"},
    )
    if not sum(config["RATING_WEIGHTS"].values()):
        raise ConfigError("RATING_WEIGHTS needs at least one weight above 0")
    if config["LINK_TTL_DAYS"] < 1:
        raise ConfigError("LINK_TTL_DAYS must be at least 1")
    if config["SAMPLE_RATE_PERCENT"] > 100:
        raise ConfigError(
            "SAMPLE_RATE_PERCENT must be a whole number from 0 to 100, "
            f"not {config['SAMPLE_RATE_PERCENT']!r}"
        )
    mailto = config["UNSUBSCRIBE_MAILTO"]
    if mailto is not None and (
        not isinstance(mailto, str)
        or mailto.count("@") != 1
        or any(character.isspace() for character in mailto)
    ):
        raise ConfigError(f"UNSUBSCRIBE_MAILTO must be an email address, not {mailto!r}")
    if config["SMTP_MAX_MESSAGES_PER_CONNECTION"] < 1:
        raise ConfigError(
            "SMTP_MAX_MESSAGES_PER_CONNECTION must be at least 1, "
            f"not {config['SMTP_MAX_MESSAGES_PER_CONNECTION']!r}"
        )
    if config["SMTP_SECURITY"] not in SMTP_SECURITY_CHOICES:
        raise ConfigError(
            f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}, "
            f"not {config['SMTP_SECURITY']!r}"
        )
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ConfigError(f"TIMEZONE {config['TIMEZONE']!r} is not a known time zone") from error
