"""Alert rules: when a customer's answer alerts (per team, else the company's), and what an
alerting answer does as it is saved: open its one follow-up and queue one alert mail per
recipient.

Managers set the rules on /settings/alerts (`surveys.actions.views.alerts`). A rule's row
in `alert_rules` holds text: a score bound ('' means never), on_comment '1' or '0', and
recipients as comma-separated addresses. Team 0 is the company; a missing row means the
default (for a team: the company's value).
"""

from dataclasses import dataclass
from datetime import timedelta

from surveys import clock
from surveys.scales import CES_SCALE, CSAT_SCALE, NPS_SCALE
from surveys.store.db import immediate
from surveys.text import blank, clean_email, quoted

COMPANY = 0
MAX_RECIPIENTS = 20
RECIPIENTS_MAX_CHARS = 2000
# A team's form may leave a rule to the company: this value, never stored.
INHERIT = "company"


@dataclass(frozen=True)
class ScoreRule:
    """An answer alerts when this score is at most the bound (None: never)."""

    name: str
    score: str
    label: str
    scale: range
    default: int


SCORE_RULES = (
    ScoreRule("csat_at_most", "csat", "CSAT", CSAT_SCALE, 2),
    ScoreRule("ces_at_most", "ces", "CES", CES_SCALE, 3),
    ScoreRule("nps_at_most", "nps", "NPS", NPS_SCALE, 6),
)
NAMES = (*(rule.name for rule in SCORE_RULES), "on_comment", "recipients")
# Stored rules under which no answer alerts (for save_rules).
NEVER_ALERT = {name: "0" if name == "on_comment" else "" for name in NAMES}


@dataclass(frozen=True)
class AlertRules:
    """The rules in force for one team (or the company)."""

    csat_at_most: int | None = 2
    ces_at_most: int | None = 3
    nps_at_most: int | None = 6
    on_comment: bool = False
    recipients: tuple = ()

    def alerting(self, answers):
        """True when an answer ({csat, ces, nps, comment}) crosses any rule."""
        if answers is None:
            return False
        for rule in SCORE_RULES:
            bound, value = getattr(self, rule.name), answers[rule.score]
            if bound is not None and value is not None and value <= bound:
                return True
        return self.on_comment and bool(answers["comment"])


class AlertRulesError(ValueError):
    """A submitted set of rules Puas refuses: `errors` holds a message per field."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{name} {message}" for name, message in errors.items()))
        self.errors = errors


# Stored text to values, and back


def from_stored(name, text):
    """A rule's value from its stored text."""
    if name == "on_comment":
        return text == "1"
    if name == "recipients":
        return tuple(address for address in text.split(",") if address)
    return int(text) if text != "" else None


def stored_rows(db, team_id):
    """{name: stored text} of the rows kept for one team (or COMPANY)."""
    # db.execute, not db.query: every survey answer reads this, inside its write turn.
    return dict(
        db.execute("SELECT name, value FROM alert_rules WHERE team_id = ?", [team_id]).fetchall()
    )


def rules_for(db, team_id):
    """The rules in force for a team (None: the company): each rule the team's own row,
    else the company's, else the default."""
    company = stored_rows(db, COMPANY)
    own = stored_rows(db, team_id) if team_id else {}
    values = {}
    for name in NAMES:
        text = own.get(name, company.get(name))
        if text is not None:
            values[name] = from_stored(name, text)
    return AlertRules(**values)


# Reading the settings form


def parse_score(rule, text):
    """A bound from the form ('' never), or ValueError with the message to show."""
    if text == "":
        return ""
    low, high = rule.scale[0], rule.scale[-1]
    message = f"must be a whole number from {low} to {high}, or empty for never"
    if not text.isascii() or not text.isdigit() or len(text) > 2:
        raise ValueError(message)
    if not low <= int(text) <= high:
        raise ValueError(message)
    return str(int(text))


def parse_recipients(text):
    """The addresses as stored (cleaned, lower-cased, each once, comma-joined), or
    ValueError naming the address that is not one, quoted in plain words."""
    if len(text) > RECIPIENTS_MAX_CHARS:
        raise ValueError(f"must be at most {RECIPIENTS_MAX_CHARS} characters")
    addresses = []
    for part in text.split(","):
        if blank(part):
            continue
        try:
            address = clean_email(part)
        except ValueError as error:
            raise ValueError(f"{quoted(part.strip())} {error}") from error
        if address not in addresses:
            addresses.append(address)
    if len(addresses) > MAX_RECIPIENTS:
        raise ValueError(f"may name at most {MAX_RECIPIENTS} addresses")
    return ",".join(addresses)


def parse_value(name, text):
    """One field's stored text, or ValueError with the message to show."""
    if name == "on_comment":
        if text not in ("", "y"):
            raise ValueError("must be y (any comment alerts) or empty (off)")
        return "1" if text == "y" else "0"
    if name == "recipients":
        return parse_recipients(text)
    [rule] = [rule for rule in SCORE_RULES if rule.name == name]
    return parse_score(rule, text.strip())


def read_form(formdata, for_team):
    """{name: stored text, or None for a team's rule left to the company} from a posted
    form (a MultiDict); AlertRulesError with a message per field when any is refused.

    Every field must be sent exactly once, so a form that lost or doubled a field is
    refused rather than read as "never".
    """
    values, errors = {}, {}
    for name in NAMES:
        sent = formdata.getlist(name)
        if not sent:
            errors[name] = "is required (leave it empty for never or none)"
        elif len(sent) > 1:
            errors[name] = "was sent more than once"
        elif for_team and sent[0] == INHERIT:
            values[name] = None
        else:
            try:
                values[name] = parse_value(name, sent[0])
            except ValueError as error:
                errors[name] = str(error)
    if errors:
        raise AlertRulesError(errors)
    return values


def form_values(db, team_id):
    """What the settings form shows: {name: text as the form sends it}; for a team, a rule
    left to the company shows INHERIT."""
    stored = stored_rows(db, team_id or COMPANY)
    shown = {}
    for name in NAMES:
        text = stored.get(name)
        if text is None:
            shown[name] = INHERIT if team_id else default_text(name)
        elif name == "on_comment":
            shown[name] = "y" if text == "1" else ""
        else:
            shown[name] = text.replace(",", ", ") if name == "recipients" else text
    return shown


def default_text(name):
    """A rule's default as the form sends it."""
    for rule in SCORE_RULES:
        if rule.name == name:
            return str(rule.default)
    return ""


def save_rules(db, team_id, values, manager_id):
    """Store a validated form (read_form) for a team (or COMPANY), in one transaction: a
    team's rule left to the company loses its row."""
    now = clock.to_iso(clock.now())
    with immediate(db):
        for name, text in values.items():
            if text is None:
                db.execute(
                    "DELETE FROM alert_rules WHERE team_id = ? AND name = ?", [team_id, name]
                )
                continue
            db.execute(
                """INSERT INTO alert_rules (team_id, name, value, updated_at, updated_by)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (team_id, name) DO UPDATE SET value = excluded.value,
                       updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
                [team_id, name, text, now, manager_id],
            )


# What an answer does as it is saved


def describe(answers):
    """An answer in a line: 'CSAT 1, CES –, NPS 3, comment'."""
    scores = [
        f"{rule.label} {'–' if answers[rule.score] is None else answers[rule.score]}"
        for rule in SCORE_RULES
    ]
    return ", ".join(scores) + (", with a comment" if answers["comment"] else ", no comment")


def recipients(db, rules):
    """Who an alert goes to: every active manager, then the rule's recipients, each once."""
    managers = [
        row["email"]
        for row in db.query(
            "SELECT email FROM users WHERE role = 'manager' AND active = 1 ORDER BY id"
        )
    ]
    return list(dict.fromkeys([*managers, *rules.recipients]))


def on_answer_saved(db, invitation, previous, answers, follow_up_hours):
    """Inside the transaction that saved an answer: open the answer's follow-up (or reopen
    one already worked) and queue its alert mail when it newly crosses the rules; note a
    change on an existing one.

    `previous` is the answer stored before (None for a first answer). The rules in force
    now judge both, so an unchanged or still-alerting answer never mails again.
    """
    response_id, team_id = db.execute(
        """SELECT responses.id, invitations.team_id FROM responses
             JOIN invitations ON invitations.id = responses.invitation_id
            WHERE responses.invitation_id = ?""",
        [invitation["id"]],
    ).fetchone()
    rules = rules_for(db, team_id)
    now_alerting = rules.alerting(answers)
    newly = now_alerting and not rules.alerting(previous)
    follow_up = db.execute(
        "SELECT id, status, outcome FROM follow_ups WHERE response_id = ?", [response_id]
    ).fetchone()
    now = clock.now()
    if follow_up is None:
        if not now_alerting:
            return None
        follow_up_id = open_follow_up(db, response_id, answers, now, follow_up_hours)
    else:
        follow_up_id, status, outcome = follow_up
        if previous is not None and changed(previous, answers):
            note_change(db, follow_up_id, previous, answers, now)
        if newly and status != "open":
            reopen_follow_up(db, follow_up_id, (status, outcome), answers, now, follow_up_hours)
    if newly:
        queue_alerts(db, follow_up_id, recipients(db, rules), now)
    return follow_up_id


def changed(previous, answers):
    """True when any answer differs."""
    return any(previous[name] != answers[name] for name in ("csat", "ces", "nps", "comment"))


def open_follow_up(db, response_id, answers, now, follow_up_hours):
    """Open the follow-up of an alerting answer (unassigned, open, due in
    FOLLOW_UP_HOURS), with its first event; its id."""
    stamp = clock.to_iso(now)
    due = clock.to_iso(now + timedelta(hours=follow_up_hours))
    cursor = db.execute(
        "INSERT INTO follow_ups (response_id, opened_at, due_at, updated_at) VALUES (?, ?, ?, ?)",
        [response_id, stamp, due, stamp],
    )
    follow_up_id = cursor.lastrowid
    add_event(db, follow_up_id, stamp, None, f"Opened: the answer alerted ({describe(answers)}).")
    return follow_up_id


def note_change(db, follow_up_id, previous, answers, now):
    """Record a changed answer on its follow-up; a save loaded before it becomes stale."""
    stamp = clock.to_iso(now)
    db.execute(
        "UPDATE follow_ups SET version = version + 1, updated_at = ? WHERE id = ?",
        [stamp, follow_up_id],
    )
    add_event(
        db,
        follow_up_id,
        stamp,
        None,
        f"The customer changed the answer: {describe(previous)} → {describe(answers)}.",
    )


def reopen_follow_up(db, follow_up_id, was, answers, now, follow_up_hours):
    """Reopen a follow-up already worked (contacted or closed) whose answer newly alerts:
    the new alert mail asks for a follow-up by a new due time, so the follow-up must be
    owed again (open, outcome unknown, due in FOLLOW_UP_HOURS), or the lists hide it.
    The first contact stays: it is when the follow-up first moved out of open."""
    stamp = clock.to_iso(now)
    due = clock.to_iso(now + timedelta(hours=follow_up_hours))
    db.execute(
        """UPDATE follow_ups SET status = 'open', outcome = NULL, closed_at = NULL,
               due_at = ?, version = version + 1, updated_at = ?
         WHERE id = ?""",
        [due, stamp, follow_up_id],
    )
    status, outcome = was
    was_text = f"{status}, outcome {outcome.replace('_', ' ')}" if outcome else status
    add_event(
        db,
        follow_up_id,
        stamp,
        None,
        f"Reopened: the answer alerted again ({describe(answers)}). It was {was_text}; "
        f"it is open again, due {clock.shown(due)}.",
    )


def add_event(db, follow_up_id, stamp, user_id, what):
    """One line of a follow-up's history."""
    db.execute(
        "INSERT INTO follow_up_events (follow_up_id, at, by_user_id, what) VALUES (?, ?, ?, ?)",
        [follow_up_id, stamp, user_id, what],
    )


def queue_alerts(db, follow_up_id, addresses, now):
    """Queue one alert mail per recipient for the answer's next crossing (`alert` counts
    them), due at once; the unique key keeps one per recipient and crossing."""
    stamp = clock.to_iso(now)
    [alert] = db.execute(
        "SELECT coalesce(max(alert), 0) + 1 FROM alert_outbox WHERE follow_up_id = ?",
        [follow_up_id],
    ).fetchone()
    for address in addresses:
        db.execute(
            """INSERT INTO alert_outbox (follow_up_id, alert, recipient, next_attempt_at,
                   created_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (follow_up_id, alert, recipient) DO NOTHING""",
            [follow_up_id, alert, address, stamp, stamp],
        )
