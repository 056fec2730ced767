"""Demo data for `make run`: a manager, agents, teams, and months of tickets and answers."""

import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFont

from surveys import clock
from surveys.actions.alerts import add_event, open_follow_up, rules_for
from surveys.actions.corrective import record_action
from surveys.actions.figures import Subject, find_scope, metric_of, subject_figure
from surveys.customers.brand import clean_logo, save_brand
from surveys.helpdesk.calls import Call, insert_calls
from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.business_queries import COMPANY, save_month
from surveys.staff.accounts import create_user
from surveys.store import comment_index, terms
from surveys.store.db import immediate

DEMO_MANAGER_EMAIL = "manager@puas.example"
DEMO_MANAGER_PASSWORD = "puas-demo-manager"
DEMO_STAFF_EMAIL = "staff@puas.example"
DEMO_STAFF_PASSWORD = "puas-demo-staff"
DEMO_ADMIN_EMAIL = "fitri@puas.example"
DEMO_ADMIN_PASSWORD = "puas-demo-admin"
DEMO_AGENT_EMAIL = "ayu@puas.example"  # an agent of the help desk, who signs in as staff
DEMO_AGENT_PASSWORD = "puas-demo-agent"

ADMINS = [  # email, name, how well colleagues tend to rate them (0..1)
    (DEMO_ADMIN_EMAIL, "Fitri Handayani", 0.8),
    ("gilang@puas.example", "Gilang Ramadhan", 0.55),
    ("hana@puas.example", "Hana Kusuma", 0.7),
]
RATERS = [
    (DEMO_STAFF_EMAIL, "Sari Staff"),
    ("joko@puas.example", "Joko Widodo"),
    ("kartika@puas.example", "Kartika Sari"),
    ("lukman@puas.example", "Lukman Hakim"),
]
INCIDENTS = [
    "Letter sent to the wrong address",
    "Invoice total typed wrongly",
    "Meeting room double-booked",
    "Leave request filed late",
]
DELIVERABLES = [
    "Monthly expense report",
    "Payroll inputs",
    "Supplier contracts filed",
    "Travel bookings for the team",
    "Office inventory",
]
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
    "good": [
        "Quick and friendly, thank you!",
        "Solved on the first reply.",
        "Very clear explanation.",
        "Terima kasih, sangat membantu.",
        "Petugasnya ramah dan cepat tanggap.",
        "Pelayanan ramah, masalah selesai cepat.",
        "Friendly agent, quick reply.",
    ],
    "bad": [
        "I had to explain my problem three times.",
        "Took far too long.",
        "The answer did not fix my issue.",
        "Nobody replied over the weekend.",
        "Pelayanan lambat, saya menunggu balasan berhari-hari.",
        "Layanan lambat sekali, refund belum masuk.",
        "Waited days for my refund, nobody replied.",
    ],
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
    # Handle times from a generator of their own, so the other demo figures stay as they were.
    handle_rng = random.Random(2017)
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
                ticket_ref=f"DEMO-{tickets:05d}",
                closed_at=closed_at,
                customer_email=f"customer{tickets}@example.com",
                customer_name=f"Customer {tickets}",
                customer_locale="en",
                agent_email=email,
                agent_name=name,
                team=team,
                channel=rng.choice(CHANNELS),
                opened_at=opened_at,
                first_response_at=first_response_at,
                contacts=rng.choice([1, 1, 1, 2, 3]),
                escalated=rng.random() < 0.1,
                reopened=rng.random() < 0.05,
                # Most help desks report the time worked on a ticket; some closures lack it.
                handle_seconds=handle_rng.randint(240, 2700) if handle_rng.random() < 0.8 else None,
            )
            result, _ = record_closure(db, closure, settings, source="demo")
            if mark_sent(db, result["invitation"]["id"], closed_at, rng, quality):
                responses += 1
    terms.store_missing(db)  # the comments' terms, for /reports/themes
    comment_index.store_words(db)  # their words, for one-word searches
    for number in range(1, RECENT_INVITATIONS + 1):
        email, name, team, _ = AGENTS[number % len(AGENTS)]
        record_closure(
            db,
            Closure(
                ticket_ref=f"DEMO-NEW-{number}",
                closed_at=now - timedelta(minutes=number),
                customer_email=f"new-customer{number}@example.com",
                customer_name=f"New Customer {number}",
                agent_email=email,
                agent_name=name,
                team=team,
                channel="email",
                # The mailbox shows the invitation and its survey in both languages.
                customer_locale="id-ID" if number % 2 else "en",
            ),
            settings,
            source="demo",
        )
    ratings = seed_internal_ratings(db, rng, now, config["TIMEZONE"])
    seed_agent_self_view(db, now)
    seed_follow_ups(db, now, config["FOLLOW_UP_HOURS"])
    seed_brand(db)
    seed_corrective_actions(db, config)
    calls = seed_calls(db, settings, now)
    seed_business_months(db, now, config["TIMEZONE"])
    return (
        f"{tickets} past tickets with {responses} responses, {RECENT_INVITATIONS} "
        f"invitations waiting in the outbox, and {ratings} ratings of "
        f"{len(ADMINS)} admins, {calls} phone calls"
    )


def seed_business_months(db, now, timezone_name):
    """The company's customers and support cost for each demo month but the current one,
    for CRR, churn and cost per resolution (one month left without a cost)."""
    rng = random.Random(15)
    this_month = clock.local_day(now, timezone_name)[:7]
    customers = 1_200
    for back in range(DEMO_MONTHS, 0, -1):
        month = clock.add_months(this_month, -back)
        new = rng.randint(60, 120)
        lost = rng.randint(40, 130)
        figures = {
            "customers_start": customers,
            "customers_new": new,
            "customers_end": customers - lost + new,
            "support_cost_cents": None if back == DEMO_MONTHS else rng.randint(400_000, 650_000),
        }
        save_month(db, COMPANY, month, figures)
        customers = figures["customers_end"]


def seed_calls(db, settings, now):
    """About twenty calls a day over the demo months, for the phone-queue figures: most
    answered within a minute, longer waits on Monday mornings, a caller more likely to
    hang up the longer they wait, and a few calls dropped."""
    rng = random.Random(15)  # its own draws: the tickets above stay as they were
    calls = []
    for day_offset in range(DEMO_MONTHS * 30, 0, -1):
        day = now - timedelta(days=day_offset)
        busy = 2.5 if day.weekday() == 0 else 1.0
        for _ in range(rng.randint(12, 28)):
            queued_at = day.replace(hour=1, minute=0, second=0) + timedelta(
                seconds=rng.randint(0, 9 * 3600)
            )
            wait = int(rng.expovariate(1 / (18 * busy)))
            email, name, team, _ = rng.choice(AGENTS)
            if rng.random() < 0.03:  # unreachable: no agent took it
                outcome, answered_at, email, name = "failed", None, None, None
            elif rng.random() < min(0.5, wait / 400):
                outcome, answered_at, email, name = "abandoned", None, None, None
            else:
                outcome, answered_at = "answered", queued_at + timedelta(seconds=wait)
            ended_at = (answered_at or queued_at + timedelta(seconds=wait)) + timedelta(
                seconds=rng.randint(30, 900) if answered_at else 0
            )
            call = Call(
                call_ref=f"DEMO-CALL-{len(calls) + 1:05d}",
                queued_at=queued_at,
                answered_at=answered_at,
                ended_at=ended_at,
                outcome=outcome,
                agent_email=email,
                agent_name=name,
                team=team,
            )
            calls.append(call)
    return insert_calls(db, calls, settings, source="demo")  # one batch, as an import's


def seed_internal_ratings(db, rng, now, timezone_name):  # noqa: C901 (demo data, not a rule)
    """Admins, the staff who rate them, and months of ratings, incidents and deliverables."""
    admin_ids = {}
    for email, name, _ in ADMINS:
        password = DEMO_ADMIN_PASSWORD if email == DEMO_ADMIN_EMAIL else DEMO_STAFF_PASSWORD
        create_user(db, email, password, "staff", name=name, rated=True)
        admin_ids[email] = db.execute("SELECT id FROM users WHERE email = ?", [email]).fetchone()[0]
    rater_ids = []
    for email, name in RATERS:
        create_user(db, email, DEMO_STAFF_PASSWORD, "staff", name=name)
        rater_ids.append(db.execute("SELECT id FROM users WHERE email = ?", [email]).fetchone()[0])
    this_month = clock.current_period(timezone_name)
    today = clock.today(timezone_name)
    stamp = clock.to_iso(now)
    ratings = 0
    for offset in range(DEMO_MONTHS, -1, -1):
        period = clock.add_months(this_month, -offset)
        first_day, _ = clock.period_days(period)
        for email, _, quality in ADMINS:
            admin_id = admin_ids[email]
            # Admins rate each other too; nobody rates themselves.
            raters = rater_ids + [other for other in admin_ids.values() if other != admin_id]
            for rater_id in raters:
                if rng.random() > 0.75:
                    continue
                scores = [score_for(rng, quality, 1, 5) for _ in range(3)]
                comment = rng.choice(
                    [
                        None,
                        None,
                        "Always helpful.",
                        "Replies take a while.",
                        "Very careful work.",
                        "Could follow up sooner.",
                    ]
                )
                db.execute(
                    "INSERT INTO ratings (rater_id, admin_id, period, speed, initiative, "
                    "accuracy, comment_speed, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [rater_id, admin_id, period, *scores, comment, stamp, stamp],
                )
                ratings += 1
            for _ in range(rng.choice([0, 0, 1, 1, 2]) if quality < 0.75 else rng.choice([0, 1])):
                day = clock.add_days(clock.parse_day(first_day), rng.randint(0, 27))
                if day <= today:
                    db["incidents"].insert(
                        {
                            "admin_id": admin_id,
                            "occurred_on": day.isoformat(),
                            "description": rng.choice(INCIDENTS),
                            "severity": rng.choice(["low", "low", "medium", "high"]),
                            "created_at": stamp,
                        }
                    )
            for title in rng.sample(DELIVERABLES, 3):
                deadline = clock.add_days(clock.parse_day(first_day), rng.randint(3, 27))
                late_days = 0 if rng.random() < quality else rng.randint(1, 5)
                submitted = clock.add_days(deadline, late_days - rng.randint(0, 2))
                db["deliverables"].insert(
                    {
                        "admin_id": admin_id,
                        "title": title,
                        "deadline": deadline.isoformat(),
                        "submitted_on": submitted.isoformat() if submitted <= today else None,
                        "created_at": stamp,
                    }
                )
        if offset >= 2:  # months long past are closed; last month and this one are open
            db.execute(
                "INSERT INTO closed_periods (period, closed_at) VALUES (?, ?)", [period, stamp]
            )
    return ratings


DEMO_BRAND_COLOUR = "#0f766e"  # teal: white text on it reaches 5.47:1


def demo_logo():
    """A simple logo drawn at seed time: a teal speech bubble and the company's initial."""
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, 112, 92), radius=24, fill=DEMO_BRAND_COLOUR)
    draw.polygon([(32, 88), (28, 114), (60, 90)], fill=DEMO_BRAND_COLOUR)
    draw.text((60, 50), "A", fill="white", font=ImageFont.load_default(size=56), anchor="mm")
    draw.text((130, 60), "Acme", fill="#1f2933", font=ImageFont.load_default(size=64), anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def seed_brand(db):
    """The company's logo and colour, set as the demo manager (through the upload's own
    re-encoding), so the survey pages and mail show a brand."""
    [(manager_id,)] = db.execute(
        "SELECT id FROM users WHERE email = ?", [DEMO_MANAGER_EMAIL]
    ).fetchall()
    save_brand(db, DEMO_BRAND_COLOUR, manager_id, logo=clean_logo(demo_logo()))


# Corrective actions about last month's figures: scope, its name (a team, an agent's or an
# admin's email), metric, what will be done, due in how many days, status.
DEMO_ACTIONS = [
    ("team", "Technical", "csat_pct", "Review every 1–2 star answer in the weekly meeting", 14),
    ("admin", ADMINS[1][0], "on_time_pct", "Agree deadlines at the start of each month", 3),
    ("agent", AGENTS[1][0], "csat_pct", "Pair Budi with Ayu on the hardest tickets", 7),
]


def seed_corrective_actions(db, config):
    """A few corrective actions, each kept with last month's figure it is about."""
    today = clock.today(config["TIMEZONE"])
    last_period = clock.add_months(clock.current_period(config["TIMEZONE"]), -1)
    first, last = (clock.parse_day(day) for day in clock.period_days(last_period))
    [(manager_id,)] = db.execute(
        "SELECT id FROM users WHERE email = ?", [DEMO_MANAGER_EMAIL]
    ).fetchall()
    for kind, name, metric, what, days in DEMO_ACTIONS:
        scope = find_scope(db, kind, *demo_scope_key(db, kind, name))
        period = last_period if kind == "admin" else None
        subject = Subject(scope, metric_of(kind, metric), first, last, period)
        action = {
            "what": what,
            "owner": DEMO_MANAGER_EMAIL,
            "due_on": today + timedelta(days=days),
            "status": "open",
        }
        record_action(db, subject, subject_figure(db, config, subject), action, manager_id)


def demo_scope_key(db, kind, name):
    """find_scope's (scope_id, scope_name) for a demo action: a team by name, an agent or
    admin by the id of their email."""
    if kind == "team":
        return None, name
    if kind == "agent":
        sql = "SELECT id FROM agents WHERE email = ?"
    else:
        sql = "SELECT id FROM users WHERE email = ?"
    [(row_id,)] = db.execute(sql, [name]).fetchall()
    return row_id, None


# How the demo's latest alerting answers were followed up: (status, outcome, hours to the
# first contact, hours to closing, notes). The rest stay open, the older ones overdue.
DEMO_FOLLOW_UPS = [
    ("closed", "resolved", 3, 20, "Called back; refunded the double charge."),
    ("contacted", None, 6, None, "Left a voicemail, will try again tomorrow."),
    ("closed", "no_reply", 30, 72, "Two calls, one email: no answer."),
    ("contacted", None, 50, None, "Customer asked for a callback on Monday."),
    ("closed", "not_resolved", 8, 30, "The feature they want is not planned."),
]
DEMO_FOLLOW_UPS_OPEN = 3


def seed_follow_ups(db, now, follow_up_hours):
    """Follow-ups of the last alerting answers (under the default alert rules), worked to
    different states by the demo manager, so a newcomer sees /follow-ups in use."""
    rules = rules_for(db, None)
    answers = db.query(
        "SELECT id, csat, ces, nps, comment, updated_at FROM responses ORDER BY id DESC LIMIT 400"
    )
    alerting = [row for row in answers if rules.alerting(row)]
    wanted = len(DEMO_FOLLOW_UPS) + DEMO_FOLLOW_UPS_OPEN
    manager_id = db.execute(
        "SELECT id FROM users WHERE email = ?", [DEMO_MANAGER_EMAIL]
    ).fetchone()[0]
    for index, row in enumerate(reversed(alerting[:wanted])):
        opened = clock.from_iso(row["updated_at"])
        # Every other unhappy customer ticked "you may contact me about my answer".
        db.execute("UPDATE responses SET contact_ok = ? WHERE id = ?", [index % 2, row["id"]])
        follow_up_id = open_follow_up(db, row["id"], row, opened, follow_up_hours)
        if index < len(DEMO_FOLLOW_UPS):
            work_demo_follow_up(db, follow_up_id, opened, DEMO_FOLLOW_UPS[index], manager_id, now)


def work_demo_follow_up(db, follow_up_id, opened, plan, manager_id, now):
    """Move a demo follow-up on as a manager would have: contacted, then maybe closed."""
    status, outcome, contact_hours, close_hours, notes = plan
    contacted = min(now, opened + timedelta(hours=contact_hours))
    closed = min(now, opened + timedelta(hours=close_hours)) if close_hours else None
    db.execute(
        """UPDATE follow_ups SET status = ?, outcome = ?, notes = ?, owner_id = ?,
               first_contact_at = ?, closed_at = ?, version = version + ?, updated_at = ?
           WHERE id = ?""",
        [
            status,
            outcome,
            notes,
            manager_id,
            clock.to_iso(contacted),
            clock.to_iso(closed) if closed else None,
            2 if closed else 1,
            clock.to_iso(closed or contacted),
            follow_up_id,
        ],
    )
    add_event(
        db,
        follow_up_id,
        clock.to_iso(contacted),
        manager_id,
        f"status open → contacted; owner nobody → Demo Manager ({DEMO_MANAGER_EMAIL}); "
        "notes changed",
    )
    if closed:
        add_event(
            db,
            follow_up_id,
            clock.to_iso(closed),
            manager_id,
            f"status contacted → closed; outcome none → {outcome}",
        )


def seed_agent_self_view(db, now):
    """One agent who signs in (as staff) and reads her own scores on /my-scores, which the
    demo switches on (a new installation starts with it off)."""
    [(email, name, _, _)] = [agent for agent in AGENTS if agent[0] == DEMO_AGENT_EMAIL]
    create_user(db, email, DEMO_AGENT_PASSWORD, "staff", name=name)
    db.execute(
        "INSERT INTO agent_settings (id, self_view, updated_at) VALUES (1, 1, ?)",
        [clock.to_iso(now)],
    )


def mark_sent(db, invitation_id, closed_at, rng, quality):
    """Pretend a past invitation was delivered, and maybe answered; True if answered."""
    sent_at = clock.to_iso(closed_at + timedelta(hours=1))
    with db.atomic():
        db.execute(
            "UPDATE invitations SET status = 'sent', reason = NULL, sent_at = ? WHERE id = ?",
            [sent_at, invitation_id],
        )
        db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = 1 WHERE invitation_id = ?",
            [sent_at, invitation_id],
        )
        if rng.random() > 0.45:
            return False
        csat = score_for(rng, quality, 1, 5)
        ces = score_for(rng, quality, 1, 7) if rng.random() < 0.8 else None
        nps = score_for(rng, quality, 0, 10) if rng.random() < 0.7 else None
        comment = None
        # Unhappy customers (any low score) write more often, and about what went wrong:
        # /reports/themes has both sides to compare.
        unhappy = csat <= 2 or (ces or 7) <= 3 or (nps if nps is not None else 10) <= 6
        if rng.random() < (0.8 if unhappy else 0.4):
            comment = rng.choice(COMMENTS["bad" if unhappy else "good"])
        answered_at = clock.to_iso(
            min(clock.now(), closed_at + timedelta(hours=rng.uniform(1.5, 48)))
        )
        db["responses"].insert(
            {
                "invitation_id": invitation_id,
                "csat": csat,
                "ces": ces,
                "nps": nps,
                "comment": comment,
                "created_at": answered_at,
                "updated_at": answered_at,
            }
        )
    return True
