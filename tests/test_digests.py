"""Digests: chosen on /profile, scheduled by the mail worker, delivered through real SMTP.

The figures are worked by hand in the comments and checked against the dashboard's own
API and downloads over the same days; the attachments are parsed back with the csv module
and openpyxl.
"""

import csv
import io
import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import openpyxl
import pytest

from surveys import clock
from surveys.actions import digests
from surveys.actions.digest_content import FOLLOW_UPS_SQL
from surveys.actions.digest_periods import Period, latest_due, period_containing
from surveys.config import ConfigError, check_digest_hour
from surveys.helpdesk.closures import Closure, record_closure
from surveys.staff.accounts import create_user
from surveys.store.db import immediate
from tests.helpers import (
    DEADLINE_SECONDS,
    MANAGER_EMAIL,
    PASSWORD,
    connection_of_each_message,
    csrf_token,
    free_port,
    run_flask,
    sign_in,
    start_flask,
    within_deadline,
)

AYU = ("ayu@example.com", "Ayu Lestari")
BUDI = ("budi@example.com", "Budi Santoso")
CITRA = ("citra@example.com", "Citra Dewi")
DEWI = ("dewi@example.com", "Dewi Sari")
EKO = ("eko@example.com", "Eko Prasetyo")
DIGEST_CHOICE_ERROR = "digest must be one of none, weekly or monthly."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def at(text):
    """An instant written as 2026-11-16T08:00 (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def close(db, config, ref, day, answers=None, who=AYU, hour=12):
    """A closure at `hour` UTC on `day`, its invitation sent, answered if given."""
    closed_at = datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)
    result, _ = record_closure(
        db,
        Closure(
            ticket_ref=ref,
            closed_at=closed_at,
            customer_email=f"{ref.lower()}@example.com",
            agent_email=who[0],
            agent_name=who[1],
            team="Billing",
            channel="email",
            opened_at=closed_at - timedelta(hours=30),
        ),
        config,
    )
    invitation_id = result["invitation"]["id"]
    with immediate(db):
        # The invitation went out (the reports count it) and its mail is not waiting.
        db.execute(
            "UPDATE invitations SET status = 'sent', sent_at = ? WHERE id = ?",
            [clock.to_iso(closed_at), invitation_id],
        )
        db.execute("DELETE FROM outbox WHERE invitation_id = ?", [invitation_id])
        if answers:
            db.execute(
                "INSERT INTO responses (invitation_id, created_at, updated_at, csat) "
                "VALUES (?, ?, ?, ?)",
                [invitation_id, clock.to_iso(closed_at), clock.to_iso(closed_at), answers],
            )


def answers(db, config, prefix, day, csat, who):
    """One closed, surveyed and answered ticket per CSAT answer."""
    for index, score in enumerate(csat):
        close(db, config, f"{prefix}{index}", day, score, who)


def manager(db, email, digest="none", since="2026-01-01T00:00:00Z", name=None):
    """A manager with a digest chosen at `since`; their id."""
    create_user(db, email, PASSWORD, "manager", name=name)
    with immediate(db):
        db.execute(
            "UPDATE users SET digest = ?, digest_since = ? WHERE email = ?",
            [digest, since if digest != "none" else None, email],
        )
    return db.execute("SELECT id FROM users WHERE email = ?", [email]).fetchone()[0]


def worker_pass(app):
    """One pass of the mail worker's digests, as `flask outbox send-due` runs it."""
    with app.app_context():
        return digests.send_due_pass(app.config)


def digest_mails(smtp_server):
    """Every digest the SMTP server received, as parsed messages."""
    messages = [
        message_from_bytes(envelope.original_content, policy=policy.default)
        for envelope in smtp_server.handler_ref.messages
    ]
    return [message for message in messages if "digest for" in message["Subject"]]


def text_of(message):
    """The plain-text part, its lines ended as written (SMTP carries them as CRLF)."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message):
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def attachments(message):
    """{filename: (content type, bytes)} of a message's attachments."""
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }


def xlsx_rows(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def outbox_rows(db):
    return list(
        db.query(
            "SELECT users.email, kind, period_start, period_end, status, attempts "
            "FROM digest_outbox JOIN users ON users.id = digest_outbox.user_id "
            "ORDER BY digest_outbox.id"
        )
    )


@pytest.fixture
def smtp_app(smtp_config, make_app):
    return make_app(LEADERBOARD_MIN_N=3)


@pytest.fixture
def smtp_db(smtp_app, db):
    return db


# /profile


def post_profile(client, data, with_token=True):
    page = client.get("/profile").get_data(as_text=True)
    if with_token:
        data = dict(data, csrf_token=csrf_token(page))
    return client.post("/profile", data=data)


def checked(html):
    """The digest choice a page shows as chosen."""
    [value] = re.findall(r'<input checked id="digest-[0-9]"[^>]* value="([a-z]+)">', html)
    return value


def choice(db, email=MANAGER_EMAIL):
    row = db.execute("SELECT digest, digest_since FROM users WHERE email = ?", [email]).fetchone()
    return tuple(row)


def test_a_manager_chooses_a_digest_on_the_profile(manager_client, db, fake_clock):
    page = manager_client.get("/profile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert checked(html) == "none"
    assert choice(db) == ("none", None)

    fake_clock.current = at("2026-11-18T09:30")  # a Wednesday
    response = post_profile(manager_client, {"digest": "weekly"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile"
    assert choice(db) == ("weekly", "2026-11-18T09:30:00Z")
    flashed = manager_client.get("/profile").get_data(as_text=True)
    assert "The next covers 16–22 Nov 2026 and comes on 2026-11-23 at 08:00 (UTC)." in flashed
    assert checked(flashed) == "weekly"

    # Saving the same choice keeps when it started; another kind starts anew; none clears.
    fake_clock.advance(days=1)
    assert post_profile(manager_client, {"digest": "weekly"}).status_code == 303
    assert choice(db) == ("weekly", "2026-11-18T09:30:00Z")
    assert post_profile(manager_client, {"digest": "monthly"}).status_code == 303
    assert choice(db) == ("monthly", "2026-11-19T09:30:00Z")
    assert post_profile(manager_client, {"digest": "none"}).status_code == 303
    assert choice(db) == ("none", None)


@pytest.mark.parametrize(
    "data",
    [{"digest": "daily"}, {"digest": "Weekly"}, {"digest": ""}, {}, {"digest": "weekly "}],
)
def test_a_digest_that_is_not_a_choice_is_refused_with_422(manager_client, db, data):
    response = post_profile(manager_client, data)
    assert response.status_code == 422
    assert DIGEST_CHOICE_ERROR in response.get_data(as_text=True)
    assert choice(db) == ("none", None)


def test_the_profile_form_needs_its_csrf_token(manager_client, db):
    response = post_profile(manager_client, {"digest": "weekly"}, with_token=False)
    assert response.status_code == 400
    assert choice(db) == ("none", None)


def test_staff_see_their_profile_but_choose_no_digest(staff_client, db):
    page = staff_client.get("/profile")
    assert page.status_code == 200
    assert "go to managers only" in page.get_data(as_text=True)
    token = csrf_token(staff_client.get("/login").get_data(as_text=True))
    response = staff_client.post("/profile", data={"digest": "weekly", "csrf_token": token})
    assert response.status_code == 403
    assert choice(db, "staff@example.com") == ("none", None)


def test_the_profile_needs_a_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# When a digest falls due


@pytest.mark.parametrize(
    ("kind", "now", "timezone", "period"),
    [
        # Monday 16 November 2026, 08:00 UTC: the week of 9–15 November falls due.
        ("weekly", "2026-11-16T07:59:59", "UTC", ("2026-11-02", "2026-11-08")),
        ("weekly", "2026-11-16T08:00:00", "UTC", ("2026-11-09", "2026-11-15")),
        ("weekly", "2026-11-22T23:59:59", "UTC", ("2026-11-09", "2026-11-15")),
        # Jakarta is UTC+7: Monday 08:00 there is 01:00 UTC.
        ("weekly", "2026-11-16T00:59:59", "Asia/Jakarta", ("2026-11-02", "2026-11-08")),
        ("weekly", "2026-11-16T01:00:00", "Asia/Jakarta", ("2026-11-09", "2026-11-15")),
        # Los Angeles is UTC−8 in November: Monday 08:00 there is 16:00 UTC.
        ("weekly", "2026-11-16T15:59:59", "America/Los_Angeles", ("2026-11-02", "2026-11-08")),
        ("weekly", "2026-11-16T16:00:00", "America/Los_Angeles", ("2026-11-09", "2026-11-15")),
        ("monthly", "2026-12-01T07:59:59", "UTC", ("2026-10-01", "2026-10-31")),
        ("monthly", "2026-12-01T08:00:00", "UTC", ("2026-11-01", "2026-11-30")),
        ("monthly", "2026-03-01T08:00:00", "UTC", ("2026-02-01", "2026-02-28")),
        ("monthly", "2027-01-01T08:00:00", "UTC", ("2026-12-01", "2026-12-31")),
    ],
)
def test_the_latest_period_due(kind, now, timezone, period):
    due = latest_due(kind, at(now), timezone, 8)
    assert (due.first_day.isoformat(), due.last_day.isoformat()) == period


def test_a_period_is_compared_with_the_one_before_it():
    week = period_containing("weekly", date(2026, 11, 11))
    assert week == Period("weekly", date(2026, 11, 9), date(2026, 11, 15))
    assert week.previous() == Period("weekly", date(2026, 11, 2), date(2026, 11, 8))
    assert week.label() == "9–15 Nov 2026"
    assert week.previous().previous().label() == "26 Oct – 1 Nov 2026"
    march = period_containing("monthly", date(2026, 3, 31))
    assert march.previous() == Period("monthly", date(2026, 2, 1), date(2026, 2, 28))
    assert march.label() == "March 2026"


@pytest.mark.parametrize("hour", [-1, 24, "8", 8.0, True, None])
def test_digest_hour_must_be_an_hour_of_the_day(hour):
    with pytest.raises(ConfigError, match="DIGEST_HOUR must be a whole hour from 0 to 23"):
        check_digest_hour({"DIGEST_HOUR": hour})


@pytest.mark.parametrize("hour", [0, 8, 23])
def test_digest_hour_takes_every_hour_of_the_day(hour):
    check_digest_hour({"DIGEST_HOUR": hour})


# A week's digest, worked by hand


@pytest.fixture
def two_weeks(smtp_app, smtp_db):
    """CSAT answers for the week of 9–15 November 2026 and the week before.

    9–15 November: Ayu 9 satisfied of 12, Budi 10 of 12, Citra 1 of 4, Dewi 2 of 2,
    Eko 0 of 3: 22 satisfied of 33 = 66.7 %. 2–8 November: Ayu 5 of 10 = 50.0 %.
    Every invitation answered: response rate 100.0 % in both weeks.
    """
    config = smtp_app.config
    answers(smtp_db, config, "A", "2026-11-10", [5] * 9 + [2] * 3, AYU)
    answers(smtp_db, config, "B", "2026-11-12", [4] * 10 + [1] * 2, BUDI)
    answers(smtp_db, config, "C", "2026-11-15", [1, 1, 2, 5], CITRA)
    answers(smtp_db, config, "D", "2026-11-09", [5, 5], DEWI)
    answers(smtp_db, config, "E", "2026-11-11", [1, 1, 1], EKO)
    answers(smtp_db, config, "P", "2026-11-04", [5] * 5 + [1] * 5, AYU)
    return smtp_db


def follow_up(db, response_id, status, due_at):
    with immediate(db):
        db.execute(
            "INSERT INTO follow_ups (response_id, opened_at, due_at, status, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [response_id, "2026-11-10T12:00:00Z", due_at, status, "2026-11-10T12:00:00Z"],
        )


def test_a_weekly_digest_arrives_once_with_the_dashboards_figures(
    smtp_app, two_weeks, smtp_server, fake_clock
):
    db = two_weeks
    manager(db, MANAGER_EMAIL, "weekly", since="2026-11-10T09:00:00Z", name="Maya Putri")
    manager(db, "monthly@example.com", "monthly", since="2026-11-10T09:00:00Z")
    manager(db, "none@example.com")
    # Follow-ups as the digest is sent (16 November, 08:00): open and past due (overdue),
    # open and not yet due, contacted and past due (not overdue: someone moved), closed.
    response_ids = [row[0] for row in db.execute("SELECT id FROM responses LIMIT 4")]
    follow_up(db, response_ids[0], "open", "2026-11-12T12:00:00Z")
    follow_up(db, response_ids[1], "open", "2026-11-17T12:00:00Z")
    follow_up(db, response_ids[2], "contacted", "2026-11-12T12:00:00Z")
    follow_up(db, response_ids[3], "closed", "2026-11-12T12:00:00Z")

    # Monday 16 November, a second before 08:00: the week before (2–8 November) is the
    # latest due, and this manager chose the digest after it ended.
    fake_clock.current = at("2026-11-16T07:59:59")
    assert worker_pass(smtp_app)["scheduled"] == 0
    fake_clock.current = at("2026-11-16T08:00:00")
    assert worker_pass(smtp_app) == {
        "scheduled": 1,
        "sent": 1,
        "retry": 0,
        "failed": 0,
        "skipped": 0,
    }
    fake_clock.advance(minutes=5)
    assert worker_pass(smtp_app)["scheduled"] == 0
    fake_clock.advance(days=1)
    assert worker_pass(smtp_app)["scheduled"] == 0

    [mail] = digest_mails(smtp_server)
    assert [envelope.rcpt_tos for envelope in smtp_server.handler_ref.messages] == [[MANAGER_EMAIL]]
    assert mail["Subject"] == "Acme Support: your weekly digest for 9–15 Nov 2026"
    assert mail["To"] == f"Maya Putri <{MANAGER_EMAIL}>"
    assert outbox_rows(db) == [
        {
            "email": MANAGER_EMAIL,
            "kind": "weekly",
            "period_start": "2026-11-09",
            "period_end": "2026-11-15",
            "status": "sent",
            "attempts": 1,
        }
    ]

    text = text_of(mail)
    # The dashboard over the same days, compared with the week before.
    client = smtp_app.test_client()
    sign_in(client, MANAGER_EMAIL)
    overall = client.get("/api/v1/scores?from=2026-11-09&to=2026-11-15&compare=previous")
    overall = overall.get_json()["overall"]
    # 22 of 33 = 66.7 %, against 5 of 10 = 50.0 %: +16.7 points; 85 % target missed.
    assert (overall["csat_pct"], overall["csat_pct_prev"], overall["csat_pct_change"]) == (
        66.7,
        50.0,
        16.7,
    )
    significant = "significant" if overall["csat_pct_change_significant"] else "within noise"
    assert (
        "- CSAT: 66.7% (n = 33)\n"
        f"  ▲ +16.7 points from 50.0% in 2–8 Nov 2026, {significant}\n"
        "  target at least 85.0%: not met"
    ) in text
    assert "- Response rate: 100.0% (33 responses to 33 invitations sent)" in text
    assert "  unchanged from 100.0% in 2–8 Nov 2026" in text
    assert "- Tickets closed: 33\n  ▲ +23 from 10 in 2–8 Nov 2026" in text
    assert "TARGETS MISSED\n- CSAT: 66.7%, target at least 85.0%: not met" in text
    # Ranked by the low end of the CSAT interval, at least 3 answers: Budi (10 of 12),
    # Ayu (9 of 12), Citra (1 of 4), then Eko (0 of 3); Dewi has 2 answers, unranked.
    assert "Top:\n- Budi Santoso (budi@example.com): CSAT 83.3%" in text
    assert "- Ayu Lestari (ayu@example.com): CSAT 75.0%" in text
    assert "- Citra Dewi (citra@example.com): CSAT 25.0%" in text
    assert "Bottom (lowest first):\n- Eko Prasetyo (eko@example.com): CSAT 0.0%" in text
    assert "Dewi Sari" not in text
    assert (
        "2 open, 1 of them overdue (still open past their due time); "
        "1 contacted, not yet closed.\nThe overdue ones: http://puas.test/follow-ups?overdue=1"
    ) in text
    assert "http://puas.test/reports?from=2026-11-09&to=2026-11-15" in text
    html = html_of(mail)
    assert "<strong>9–15 Nov 2026</strong>" in html
    assert "✗ target at least 85.0%: not met" in html
    assert "1 of them overdue</a>" in html

    # The attachments are the summary downloads over the same days, grouped by agent.
    files = attachments(mail)
    assert sorted(files) == [
        "puas-summary-2026-11-09-2026-11-15.csv",
        "puas-summary-2026-11-09-2026-11-15.xlsx",
    ]
    query = "from=2026-11-09&to=2026-11-15&group_by=agent"
    csv_type, csv_bytes = files["puas-summary-2026-11-09-2026-11-15.csv"]
    assert csv_type == "text/csv"
    assert csv_bytes == client.get(f"/reports/summary.csv?{query}").get_data()
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode())))
    # Counted from the rows written above.
    assert [(row["group"], row["agent_name"], row["csat_n"], row["csat_pct"]) for row in rows] == [
        ("ayu@example.com", "Ayu Lestari", "12", "75.0"),
        ("budi@example.com", "Budi Santoso", "12", "83.3"),
        ("citra@example.com", "Citra Dewi", "4", "25.0"),
        ("dewi@example.com", "Dewi Sari", "2", "100.0"),
        ("eko@example.com", "Eko Prasetyo", "3", "0.0"),
    ]
    xlsx_type, xlsx_bytes = files["puas-summary-2026-11-09-2026-11-15.xlsx"]
    assert xlsx_type == XLSX
    download = client.get(f"/reports/summary.xlsx?{query}").get_data()
    assert xlsx_rows(xlsx_bytes) == xlsx_rows(download)
    sheet = xlsx_rows(xlsx_bytes)
    assert sheet[0] == list(csv_bytes.decode().splitlines()[0].split(","))
    header = sheet[0]
    assert [
        (cells["group"], cells["csat_n"], cells["csat_pct"])
        for cells in (dict(zip(header, row, strict=True)) for row in sheet[1:])
    ] == [
        ("ayu@example.com", 12, 75.0),
        ("budi@example.com", 12, 83.3),
        ("citra@example.com", 4, 25.0),
        ("dewi@example.com", 2, 100.0),
        ("eko@example.com", 3, 0.0),
    ]


def test_a_monthly_digest_compares_with_the_calendar_month_before(
    smtp_app, smtp_db, smtp_server, fake_clock
):
    config = smtp_app.config
    manager(smtp_db, MANAGER_EMAIL, "monthly", since="2026-01-01T00:00:00Z")
    # February: 3 of 4 satisfied = 75.0 %. January: 1 of 4 = 25.0 %, all on 1–3 January,
    # which "the same number of days just before" February (4–31 January) would miss.
    answers(smtp_db, config, "F", "2026-02-10", [5, 5, 4, 1], AYU)
    answers(smtp_db, config, "J", "2026-01-02", [5, 1, 1, 2], AYU)
    fake_clock.current = at("2026-03-01T08:00:00")
    assert worker_pass(smtp_app)["sent"] == 1
    [mail] = digest_mails(smtp_server)
    assert mail["Subject"] == "Acme Support: your monthly digest for February 2026"
    text = text_of(mail)
    assert "compared with January 2026 (the month before)" in text
    assert "- CSAT: 75.0% (n = 4)\n  ▲ +50.0 points from 25.0% in January 2026" in text
    assert "target at least 85.0%: not judged, too few answers" in text
    assert sorted(attachments(mail)) == [
        "puas-summary-2026-02-01-2026-02-28.csv",
        "puas-summary-2026-02-01-2026-02-28.xlsx",
    ]


def test_a_period_with_no_data_is_sent_saying_so(smtp_app, smtp_db, smtp_server, fake_clock):
    manager(smtp_db, MANAGER_EMAIL, "weekly")
    fake_clock.current = at("2026-11-16T08:00:00")
    assert worker_pass(smtp_app)["sent"] == 1
    [mail] = digest_mails(smtp_server)
    text = text_of(mail)
    assert (
        "No tickets were closed and no survey answers arrived for 9–15 Nov 2026: "
        "there is nothing to report for this week."
    ) in text
    assert "- CSAT: – (n = 0)\n  no change to show: nothing to count in this period" in text
    assert "No agent had 3 CSAT answers this week." in text
    assert "nothing to report for this week" in html_of(mail)
    files = attachments(mail)
    csv_text = files["puas-summary-2026-11-09-2026-11-15.csv"][1].decode()
    assert csv_text.splitlines() == [csv_text.splitlines()[0]]  # the header alone
    assert csv_text.startswith("group,agent_id,agent_name,invitations_sent,")
    assert len(xlsx_rows(files["puas-summary-2026-11-09-2026-11-15.xlsx"][1])) == 1


# Who gets which period


def test_opting_in_late_sends_no_past_period(smtp_app, smtp_db, smtp_server, fake_clock):
    # Chosen on Monday 16 November at 07:00, after 9–15 November ended, before its digest
    # went out: that week is not sent; the week under way is, the Monday after.
    manager(smtp_db, "late@example.com", "weekly", since="2026-11-16T07:00:00Z")
    # Chosen on Sunday 15 November at 23:59: the week was not over, so it is sent.
    manager(smtp_db, "in-time@example.com", "weekly", since="2026-11-15T23:59:00Z")
    fake_clock.current = at("2026-11-16T08:00:00")
    worker_pass(smtp_app)
    fake_clock.current = at("2026-11-23T08:00:00")
    worker_pass(smtp_app)
    assert sorted(
        (row["email"], row["period_start"], row["status"]) for row in outbox_rows(smtp_db)
    ) == [
        ("in-time@example.com", "2026-11-09", "sent"),
        ("in-time@example.com", "2026-11-16", "sent"),
        ("late@example.com", "2026-11-16", "sent"),
    ]
    assert sorted(
        (mail["To"], mail["Subject"].rsplit(" for ", 1)[1]) for mail in digest_mails(smtp_server)
    ) == [
        ("in-time@example.com", "16–22 Nov 2026"),
        ("in-time@example.com", "9–15 Nov 2026"),
        ("late@example.com", "16–22 Nov 2026"),
    ]


def test_a_period_missed_while_the_worker_was_down_is_sent_when_it_starts_again(
    smtp_app, smtp_db, smtp_server, fake_clock
):
    manager(smtp_db, "weekly@example.com", "weekly", since="2026-09-01T00:00:00Z")
    manager(smtp_db, "monthly@example.com", "monthly", since="2026-09-01T00:00:00Z")
    # The worker last ran on Saturday 3 October and starts again on Friday 20 November:
    # the latest week (9–15 November) and month (October) are sent, not the older ones.
    fake_clock.current = at("2026-10-03T12:00:00")
    worker_pass(smtp_app)
    smtp_server.handler_ref.messages.clear()
    fake_clock.current = at("2026-11-20T04:00:00")
    assert worker_pass(smtp_app)["sent"] == 2
    assert sorted(mail["Subject"] for mail in digest_mails(smtp_server)) == [
        "Acme Support: your monthly digest for October 2026",
        "Acme Support: your weekly digest for 9–15 Nov 2026",
    ]
    assert [
        (row["email"], row["period_start"], row["period_end"]) for row in outbox_rows(smtp_db)
    ] == [
        # From the first run: September's and 21–27 September's digests.
        ("weekly@example.com", "2026-09-21", "2026-09-27"),
        ("monthly@example.com", "2026-09-01", "2026-09-30"),
        ("weekly@example.com", "2026-11-09", "2026-11-15"),
        ("monthly@example.com", "2026-10-01", "2026-10-31"),
    ]


def test_digest_hour_in_the_business_time_zone(make_app, smtp_config, db, smtp_server, fake_clock):
    app = make_app(TIMEZONE="Asia/Jakarta", DIGEST_HOUR=7)
    manager(db, MANAGER_EMAIL, "weekly", since="2026-11-10T00:00:00Z")
    # A ticket closed Sunday 15 November 20:00 UTC is Monday 03:00 in Jakarta: next week's.
    close(db, app.config, "LATE-SUNDAY", "2026-11-15", 5, hour=20)
    close(db, app.config, "SUNDAY", "2026-11-15", 1, hour=10)  # 17:00 in Jakarta
    # Monday 07:00 in Jakarta is 00:00 UTC.
    fake_clock.current = at("2026-11-15T23:59:59")
    assert worker_pass(app)["scheduled"] == 0
    fake_clock.current = at("2026-11-16T00:00:00")
    assert worker_pass(app)["sent"] == 1
    [mail] = digest_mails(smtp_server)
    assert mail["Subject"] == "Acme Support: your weekly digest for 9–15 Nov 2026"
    assert "- CSAT: 0.0% (n = 1)" in text_of(mail)


def test_a_digest_is_skipped_when_its_manager_no_longer_wants_it(
    smtp_app, smtp_db, smtp_server, fake_clock
):
    manager_id = manager(smtp_db, MANAGER_EMAIL, "weekly")
    fake_clock.current = at("2026-11-16T08:00:00")
    assert digests.schedule_due(smtp_db, smtp_app.config, clock.now()) == 1
    with immediate(smtp_db):
        smtp_db.execute("UPDATE users SET digest = 'none' WHERE id = ?", [manager_id])
    assert worker_pass(smtp_app)["skipped"] == 1
    assert digest_mails(smtp_server) == []
    assert [row["status"] for row in outbox_rows(smtp_db)] == ["skipped"]


def test_a_refused_digest_is_retried_then_sent(smtp_app, smtp_db, smtp_server, fake_clock):
    manager(smtp_db, MANAGER_EMAIL, "weekly")
    fake_clock.current = at("2026-11-16T08:00:00")
    smtp_server.handler_ref.replies.append("451 try again later")
    assert worker_pass(smtp_app)["retry"] == 1
    row = next(smtp_db.query("SELECT status, attempts, last_error FROM digest_outbox"))
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "451" in row["last_error"]
    fake_clock.advance(minutes=2)  # past the first gap, 60 s lengthened by at most 25 %
    assert worker_pass(smtp_app)["sent"] == 1
    assert len(digest_mails(smtp_server)) == 1


def test_two_workers_racing_send_one_digest(smtp_app, smtp_config, smtp_db, smtp_server):
    """Two `flask outbox send-due` processes at once, on the real clock: one mail."""
    manager(smtp_db, MANAGER_EMAIL, "weekly", since="2000-01-01T00:00:00Z")
    workers = [
        start_flask(
            smtp_config,
            "outbox",
            "send-due",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    assert [envelope.rcpt_tos for envelope in smtp_server.handler_ref.messages] == [[MANAGER_EMAIL]]
    [row] = outbox_rows(smtp_db)
    assert (row["status"], row["attempts"]) == ("sent", 1)
    # Each worker says what it did; between them, one scheduled and one sent.
    said = "".join(outputs)
    assert said.count("1 scheduled") == 1 and said.count("1 sent") == 1, outputs


# flask digest send


def test_flask_digest_send_to_an_address(smtp_app, two_weeks, smtp_server, fake_clock):
    fake_clock.current = at("2026-11-18T10:00:00")
    runner = smtp_app.test_cli_runner()
    result = runner.invoke(args=["digest", "send", "--period", "last_week", "--to", "Boss@X.com"])
    assert result.exit_code == 0, result.output
    assert result.output == "Digest for 9–15 Nov 2026 sent to boss@x.com.\n"
    [mail] = digest_mails(smtp_server)
    assert mail["To"] == "boss@x.com"
    assert "- CSAT: 66.7% (n = 33)" in text_of(mail)
    assert len(attachments(mail)) == 2
    assert outbox_rows(two_weeks) == []  # sent on demand: no scheduled digest is taken


def test_flask_digest_send_to_every_manager_who_chose_the_kind(
    smtp_app, smtp_db, smtp_server, fake_clock
):
    manager(smtp_db, "a@example.com", "monthly")
    manager(smtp_db, "b@example.com", "monthly", since="2026-11-18T09:00:00Z")
    manager(smtp_db, "weekly@example.com", "weekly")
    manager(smtp_db, "none@example.com")
    fake_clock.current = at("2026-11-18T10:00:00")
    result = smtp_app.test_cli_runner().invoke(args=["digest", "send", "--period", "last_month"])
    assert result.exit_code == 0, result.output
    assert result.output == "Digest for October 2026 sent to a@example.com, b@example.com.\n"
    assert sorted(envelope.rcpt_tos[0] for envelope in smtp_server.handler_ref.messages) == [
        "a@example.com",
        "b@example.com",
    ]


@pytest.mark.parametrize(
    ("args", "exit_code", "said"),
    [
        (["--period", "last_year"], 2, "Invalid value for '--period'"),
        ([], 2, "Missing option '--period'"),
        (["--period", "last_week", "--to", "not an address"], 1, "Error: --to is not a valid"),
    ],
)
def test_flask_digest_send_refuses_bad_options(smtp_app, smtp_server, args, exit_code, said):
    result = smtp_app.test_cli_runner().invoke(args=["digest", "send", *args])
    assert result.exit_code == exit_code
    assert said in result.output
    assert smtp_server.handler_ref.messages == []


def test_flask_digest_send_says_when_nobody_chose_it(smtp_app, smtp_server):
    result = smtp_app.test_cli_runner().invoke(args=["digest", "send", "--period", "last_week"])
    assert result.exit_code == 0
    assert result.output == ("No manager chose the weekly digest; nothing sent (use --to EMAIL).\n")


# One connection a pass, and a server that is down


THREE_MANAGERS = ["a@example.com", "b@example.com", "c@example.com"]


def digest_attempts(db):
    return [
        (row["email"], row["status"], row["attempts"], row["last_error"])
        for row in db.query(
            "SELECT users.email, status, attempts, last_error "
            "FROM digest_outbox JOIN users ON users.id = digest_outbox.user_id "
            "ORDER BY digest_outbox.id"
        )
    ]


def test_a_pass_sends_its_digests_over_one_connection(smtp_app, smtp_db, smtp_server, fake_clock):
    for email in THREE_MANAGERS:
        manager(smtp_db, email, "weekly")
    fake_clock.current = at("2026-11-16T08:00:00")
    connections = connection_of_each_message(smtp_server)

    assert worker_pass(smtp_app) == {
        "scheduled": 3,
        "sent": 3,
        "retry": 0,
        "failed": 0,
        "skipped": 0,
    }

    assert sorted(mail["To"] for mail in digest_mails(smtp_server)) == THREE_MANAGERS
    assert len(connections) == 3
    assert len({id(session) for session in connections}) == 1


def test_a_server_that_never_greets_costs_one_digest_s_attempt_and_leaves_the_others_due(
    smtp_app, smtp_db, smtp_server, fake_clock, silent_server
):
    for email in THREE_MANAGERS:
        manager(smtp_db, email, "weekly")
    fake_clock.current = at("2026-11-16T08:00:00")
    smtp_app.config.update(SMTP_PORT=silent_server.port, SMTP_TIMEOUT_SECONDS=1)

    outcomes = within_deadline(lambda: worker_pass(smtp_app))

    assert outcomes == {
        "scheduled": 3,
        "sent": 0,
        "retry": 1,
        "failed": 0,
        "skipped": 0,
        "unreachable": 1,
    }
    assert silent_server.accepted == 1  # not one connection's time for every digest
    [first, *others] = digest_attempts(smtp_db)
    assert first[:3] == ("a@example.com", "pending", 1)
    assert first[3].startswith("SMTP server unreachable: ")
    # Never claimed: still due, no attempt counted, no error.
    assert others == [
        ("b@example.com", "pending", 0, None),
        ("c@example.com", "pending", 0, None),
    ]

    # The server is back: the next pass sends those two; the first waits for its retry.
    smtp_app.config.update(SMTP_PORT=smtp_server.port)
    assert worker_pass(smtp_app)["sent"] == 2
    assert [row[:3] for row in digest_attempts(smtp_db)] == [
        ("a@example.com", "pending", 1),
        ("b@example.com", "sent", 1),
        ("c@example.com", "sent", 1),
    ]


def test_flask_digest_send_goes_to_every_manager_over_one_connection(
    smtp_app, smtp_db, smtp_server, fake_clock
):
    for email in THREE_MANAGERS:
        manager(smtp_db, email, "monthly")
    fake_clock.current = at("2026-11-18T10:00:00")
    connections = connection_of_each_message(smtp_server)

    result = smtp_app.test_cli_runner().invoke(args=["digest", "send", "--period", "last_month"])

    assert result.exit_code == 0, result.output
    assert sorted(mail["To"] for mail in digest_mails(smtp_server)) == THREE_MANAGERS
    assert len(connections) == 3
    assert len({id(session) for session in connections}) == 1


def test_flask_digest_send_stopped_half_way_says_where_the_digest_went(
    smtp_app, smtp_db, smtp_server, fake_clock
):
    for email in THREE_MANAGERS:
        manager(smtp_db, email, "monthly")
    fake_clock.current = at("2026-11-18T10:00:00")
    smtp_server.handler_ref.replies = ["250 Message accepted", "554 5.7.1 Not today"]

    result = smtp_app.test_cli_runner().invoke(args=["digest", "send", "--period", "last_month"])

    first, second, third = sorted(THREE_MANAGERS)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: the digest went to {first}; the digest to {second} was not sent: "
        f"message refused: 554 5.7.1 Not today; not tried: {third}"
    ]


def test_flask_digest_send_stops_at_a_server_that_never_greets_with_one_error_line(
    smtp_config, smtp_db, silent_server
):
    for email in THREE_MANAGERS:
        manager(smtp_db, email, "monthly")

    ran = run_flask(
        {**smtp_config, "SMTP_PORT": silent_server.port, "SMTP_TIMEOUT_SECONDS": 1},
        *["digest", "send", "--period", "last_month"],
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )

    assert ran.returncode == 1
    assert ran.stdout == ""
    [line] = ran.stderr.splitlines()
    assert line == (
        "Error: the digest to a@example.com was not sent: SMTP server unreachable: "
        "not greeted and ready within 1 s; not tried: b@example.com, c@example.com"
    )
    assert silent_server.accepted == 1  # it tried no other manager's


@pytest.mark.parametrize("server_up", [True, False], ids=["server-up", "server-down"])
def test_flask_outbox_send_due_exits_1_when_the_digests_found_the_server_unreachable(
    smtp_config, smtp_db, smtp_server, server_up
):
    # On the real clock: a weekly digest chosen long ago has a period due now.
    manager(smtp_db, MANAGER_EMAIL, "weekly", since="2000-01-01T00:00:00Z")
    port = smtp_server.port if server_up else free_port()  # nothing listens there

    ran = run_flask(
        {**smtp_config, "SMTP_PORT": port},
        "outbox",
        "send-due",
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )

    [row] = outbox_rows(smtp_db)
    if server_up:
        assert (ran.returncode, ran.stderr) == (0, "")
        assert ran.stdout.splitlines() == [
            "0 sent, 0 retry, 0 failed",
            "digests: 1 scheduled, 1 sent, 0 retry, 0 failed, 0 skipped",
        ]
        assert (row["status"], row["attempts"]) == ("sent", 1)
        return
    assert ran.returncode == 1
    assert ran.stdout.splitlines() == [
        "0 sent, 0 retry, 0 failed",
        "digests: 1 scheduled, 0 sent, 1 retry, 0 failed, 0 skipped; "
        "no connection to the mail server, so the pass ended there",
    ]
    assert ran.stderr.splitlines() == [
        "Error: no connection to the mail server (digests); the mail stays queued for the next run"
    ]
    assert (row["status"], row["attempts"]) == ("pending", 1)  # queued for the next run


# Queries


def test_follow_ups_are_counted_through_their_index(db):
    plan = " ".join(
        row[3] for row in db.execute("EXPLAIN QUERY PLAN " + FOLLOW_UPS_SQL, {"now": "x"})
    )
    assert "idx_follow_ups_status_due_at" in plan
    assert "SCAN follow_ups" not in plan
