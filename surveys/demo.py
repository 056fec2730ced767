"""Demo data for `make run`: a manager, agents, teams, and months of tickets and answers."""

import random
from datetime import timedelta

from surveys import clock
from surveys.auth import create_user
from surveys.db import immediate
from surveys.tickets import Closure, record_closure

DEMO_MANAGER_EMAIL = "manager@puas.example"
DEMO_MANAGER_PASSWORD = "puas-demo-manager"
DEMO_MONTHS = 6
RECENT_INVITATIONS = 3

AGENTS = [  # email, name, team, how well their customers tend to rate them (0..1)
    ("ayu@puas.example", "Ayu Lestari", "Billing", 0.85),
    ("budi@puas.example", "Budi Santoso", "Billing", 0.65),
    ("citra@puas.example", "Citra Dewi", "Technical", 0.9),
    ("dimas@puas.example", "Dimas Pratama", "Technical", 0.55),
    ("eka@puas.example", "Eka Wijaya", "Technical", 0.75),
]
CHANNELS = ["email", "chat", "phone", "whatsapp"]
COMMENTS = {
    "good": ["Quick and friendly, thank you!", "Solved on the first reply.",
             "Very clear explanation.", "Terima kasih, sangat membantu."],
    "bad": ["I had to explain my problem three times.", "Took far too long.",
            "The answer did not fix my issue.", "Nobody replied over the weekend."],
}


def is_empty(db):
    """True when no tickets and no people exist yet."""
    return not db["tickets"].count and not db["users"].count


def score_for(rng, quality, scale_low, scale_high):
    """A plausible answer on a scale, better on average for a better agent."""
    position = min(1.0, max(0.0, rng.gauss(quality, 0.25)))
    return scale_low + round(position * (scale_high - scale_low))


def seed(db, config):
    """Fill an empty database in one transaction; a summary, or None if it had data."""
    with immediate(db):
        if not is_empty(db):
            return None
        return _seed(db, config)


def _seed(db, config):
    rng = random.Random(2026)
    settings = dict(config, THROTTLE_DAYS=0, SEND_DELAY_MINUTES=0)
    create_user(db, DEMO_MANAGER_EMAIL, DEMO_MANAGER_PASSWORD, "manager", name="Demo Manager")
    now = clock.now()
    tickets = responses = 0
    for day_offset in range(DEMO_MONTHS * 30, 0, -1):
        for _ in range(rng.randint(1, 4)):
            email, name, team, quality = rng.choice(AGENTS)
            closed_at = now - timedelta(days=day_offset, minutes=rng.randint(0, 600))
            opened_at = closed_at - timedelta(hours=rng.uniform(1, 96))
            first_response_at = opened_at + timedelta(hours=rng.uniform(0.1, 36))
            first_response_at = min(first_response_at, closed_at)
            tickets += 1
            closure = Closure(
                ticket_ref=f"DEMO-{tickets:05d}", closed_at=closed_at,
                customer_email=f"customer{tickets}@example.com",
                customer_name=f"Customer {tickets}", customer_locale="en",
                agent_email=email, agent_name=name, team=team, channel=rng.choice(CHANNELS),
                opened_at=opened_at, first_response_at=first_response_at,
                contacts=rng.choice([1, 1, 1, 2, 3]), escalated=rng.random() < 0.1,
                reopened=rng.random() < 0.05,
            )
            result, _ = record_closure(db, closure, settings, source="demo")
            if mark_sent(db, result["invitation"]["id"], closed_at, rng, quality):
                responses += 1
    for number in range(1, RECENT_INVITATIONS + 1):
        email, name, team, _ = AGENTS[number % len(AGENTS)]
        record_closure(db, Closure(
            ticket_ref=f"DEMO-NEW-{number}", closed_at=now - timedelta(minutes=number),
            customer_email=f"new-customer{number}@example.com",
            customer_name=f"New Customer {number}", agent_email=email, agent_name=name,
            team=team, channel="email",
        ), settings, source="demo")
    return (f"{tickets} past tickets with {responses} responses, and {RECENT_INVITATIONS} "
            f"invitations waiting in the outbox")


def mark_sent(db, invitation_id, closed_at, rng, quality):
    """Pretend a past invitation was delivered, and maybe answered; True if answered."""
    sent_at = clock.to_iso(closed_at + timedelta(hours=1))
    with db.atomic():
        db.execute("UPDATE invitations SET status = 'sent', reason = NULL, sent_at = ? "
                   "WHERE id = ?",
                   [sent_at, invitation_id])
        db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = 1 "
                   "WHERE invitation_id = ?", [sent_at, invitation_id])
        if rng.random() > 0.45:
            return False
        csat = score_for(rng, quality, 1, 5)
        ces = score_for(rng, quality, 1, 7) if rng.random() < 0.8 else None
        nps = score_for(rng, quality, 0, 10) if rng.random() < 0.7 else None
        comment = None
        if rng.random() < 0.3:
            comment = rng.choice(COMMENTS["good" if csat >= 4 else "bad"])
        answered_at = clock.to_iso(min(clock.now(),
                                       closed_at + timedelta(hours=rng.uniform(1.5, 48))))
        db["responses"].insert({
            "invitation_id": invitation_id, "csat": csat, "ces": ces, "nps": nps,
            "comment": comment, "created_at": answered_at, "updated_at": answered_at,
        })
    return True
