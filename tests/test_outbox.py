"""The outbox delivers through a real SMTP server (aiosmtpd): content, retries, refusals, races."""

import sqlite3
import subprocess
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from surveys import clock
from surveys.customers.outbox import MAIL_RETRY
from tests.helpers import LINK_PATTERN, deliver, free_port, post_ticket, start_flask


@pytest.fixture
def smtp_app(smtp_config, make_app):
    return make_app()


@pytest.fixture
def smtp_client(smtp_app):
    return smtp_app.test_client()


@pytest.fixture
def smtp_db(smtp_app, db):
    return db


@pytest.fixture
def headers(api_headers):
    return api_headers


def received(smtp_server):
    return [
        message_from_bytes(envelope.original_content, policy=policy.default)
        for envelope in smtp_server.handler_ref.messages
    ]


def outbox_row(db):
    return next(db.query("SELECT * FROM outbox"))


def make_due(db):
    """Move every waiting message's next attempt into the past (time passing)."""
    db.execute(
        "UPDATE outbox SET next_attempt_at = ?", [clock.to_iso(clock.now() - timedelta(seconds=1))]
    )


def test_invitation_mail_has_text_and_html_with_five_csat_links(
    smtp_app, smtp_client, smtp_db, headers, smtp_server
):
    post_ticket(smtp_client, headers, "T-42", email="rina@example.com")
    assert deliver(smtp_app) == {"sent": 1, "retry": 0, "failed": 0}

    [envelope] = smtp_server.handler_ref.messages
    assert envelope.rcpt_tos == ["rina@example.com"]
    [message] = received(smtp_server)
    assert message["To"] == "Rina <rina@example.com>"
    assert message["From"] == "Acme Support <surveys@localhost>"
    assert "T-42" in message["Subject"] and "Acme Support" in message["Subject"]
    assert message["Message-ID"].startswith("<outbox-1.")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Acme Support" in part and "T-42" in part
        assert "How satisfied are you with the support you received?" in part
        tokens = set(LINK_PATTERN.findall(part))
        assert len(tokens) == 1
        token = tokens.pop()
        for score in range(1, 6):
            assert f"http://puas.test/s/{token}?csat={score}" in part
    row = outbox_row(smtp_db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
    invitation = smtp_db["invitations"].get(1)
    assert invitation["status"] == "sent" and invitation["sent_at"] == row["sent_at"]


def test_nothing_is_sent_before_it_is_due(smtp_config, make_app, db, api_headers, smtp_server):
    app = make_app(SEND_DELAY_MINUTES=60)
    post_ticket(app.test_client(), api_headers, closed_at=clock.now().isoformat())
    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 0}
    make_due(db)
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}
    assert len(smtp_server.handler_ref.messages) == 1


def test_temporary_refusal_is_retried_with_growing_gaps(
    smtp_app, smtp_client, smtp_db, headers, smtp_server
):
    post_ticket(smtp_client, headers)
    smtp_server.handler_ref.replies = ["451 4.3.0 Try again later", "421 4.4.2 Busy"]

    before = clock.now()
    assert deliver(smtp_app) == {"sent": 0, "retry": 1, "failed": 0}
    first = outbox_row(smtp_db)
    assert (first["status"], first["attempts"]) == ("pending", 1)
    assert "451" in first["last_error"]
    first_gap = clock.from_iso(first["next_attempt_at"]) - before
    assert timedelta(seconds=60) <= first_gap <= timedelta(seconds=76)
    assert deliver(smtp_app) == {"sent": 0, "retry": 0, "failed": 0}  # not due yet

    make_due(smtp_db)
    before = clock.now()
    assert deliver(smtp_app) == {"sent": 0, "retry": 1, "failed": 0}
    second = outbox_row(smtp_db)
    second_gap = clock.from_iso(second["next_attempt_at"]) - before
    assert timedelta(seconds=120) <= second_gap <= timedelta(seconds=151)

    make_due(smtp_db)
    assert deliver(smtp_app) == {"sent": 1, "retry": 0, "failed": 0}
    assert outbox_row(smtp_db)["attempts"] == 3
    assert len(smtp_server.handler_ref.messages) == 1


@pytest.mark.parametrize("attempts", [1, 2, 3, 5, 7, 10, 20])
def test_retry_delay_doubles_up_to_an_hour(attempts):
    expected = min(3600, 60 * 2 ** (attempts - 1))
    policy = MAIL_RETRY.configured({"OUTBOX_MAX_ATTEMPTS": 5, "OUTBOX_RETRY_SECONDS": 60})
    for _ in range(20):
        assert expected <= policy.next_gap(attempts) <= expected * 1.25


def test_permanent_refusal_is_recorded_and_never_retried(
    smtp_app, smtp_client, smtp_db, headers, smtp_server
):
    post_ticket(smtp_client, headers)
    smtp_server.handler_ref.replies = ["550 5.1.1 No such user here"]

    assert deliver(smtp_app) == {"sent": 0, "retry": 0, "failed": 1}
    make_due(smtp_db)
    assert deliver(smtp_app) == {"sent": 0, "retry": 0, "failed": 0}
    row = outbox_row(smtp_db)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "550" in row["last_error"]
    invitation = smtp_db["invitations"].get(1)
    assert invitation["status"] == "failed" and "550" in invitation["reason"]
    assert smtp_server.handler_ref.messages == []


class RefusingRecipientHandler:
    """Refuses every recipient at RCPT TO with 550."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Mailbox unavailable"


def test_refused_recipient_is_permanent(smtp_config, make_app, db, api_headers):
    controller = Controller(RefusingRecipientHandler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = make_app(SMTP_PORT=controller.port)
        post_ticket(app.test_client(), api_headers)
        assert deliver(app) == {"sent": 0, "retry": 0, "failed": 1}
        assert "recipient refused: 550" in outbox_row(db)["last_error"]
    finally:
        controller.stop()


def test_unreachable_server_is_retried_then_given_up(smtp_config, make_app, db, api_headers):
    app = make_app(SMTP_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=2)
    post_ticket(app.test_client(), api_headers)

    assert deliver(app) == {"sent": 0, "retry": 1, "failed": 0, "unreachable": 1}
    assert "unreachable" in outbox_row(db)["last_error"]
    make_due(db)
    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 1, "unreachable": 1}
    row = outbox_row(db)
    assert row["status"] == "failed" and row["last_error"].startswith("gave up after 2 attempts")


def test_a_crashed_workers_message_is_taken_again_after_its_lease(
    smtp_app, smtp_client, smtp_db, headers, smtp_server
):
    post_ticket(smtp_client, headers)
    # A worker claimed the message and died before finishing.
    smtp_db.execute(
        "UPDATE outbox SET status = 'sending', attempts = 1, lease_until = ?",
        [clock.to_iso(clock.now() + timedelta(minutes=5))],
    )
    assert deliver(smtp_app) == {"sent": 0, "retry": 0, "failed": 0}
    smtp_db.execute(
        "UPDATE outbox SET lease_until = ?", [clock.to_iso(clock.now() - timedelta(seconds=1))]
    )
    assert deliver(smtp_app) == {"sent": 1, "retry": 0, "failed": 0}
    assert outbox_row(smtp_db)["attempts"] == 2


def test_two_workers_at_once_never_send_a_message_twice(
    smtp_app, smtp_client, smtp_config, headers, smtp_server
):
    count = 40
    for number in range(count):
        post_ticket(smtp_client, headers, f"T-{number}", email=f"c{number}@example.com")
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
    recipients = [envelope.rcpt_tos[0] for envelope in smtp_server.handler_ref.messages]
    assert sorted(recipients) == sorted(f"c{number}@example.com" for number in range(count))
    sent_counts = [int(output.split(" sent")[0].split()[-1]) for output in outputs]
    assert sum(sent_counts) == count


class LockOnFirstMessage:
    """Accepts every message; on the first, takes the database's write lock before its 250,
    so the worker that sent it cannot record the send until the test lets go."""

    def __init__(self, database):
        self.database = database
        self.messages = []
        self.locked = threading.Event()
        self.connection = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        if self.connection is None:
            self.connection = sqlite3.connect(
                self.database, check_same_thread=False, isolation_level=None, timeout=30
            )
            self.connection.execute("BEGIN IMMEDIATE")
            self.locked.set()
        return "250 Message accepted for delivery"


def test_a_crash_after_250_sends_one_copy_with_the_same_message_id(
    make_app, config, db, api_headers
):
    handler = LockOnFirstMessage(config["DATABASE"])
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
        post_ticket(app.test_client(), api_headers)
        worker = start_flask(
            config, "outbox", "send-due", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # The server has said 250; the worker is killed before it can record the send.
        assert handler.locked.wait(timeout=60)
        worker.kill()
        worker.wait(timeout=10)
        handler.connection.execute("ROLLBACK")
        assert outbox_row(db)["status"] == "sending"
        # Its lease runs out, and the next worker sends the message again, once.
        db.execute("UPDATE outbox SET lease_until = ?", ["2000-01-01T00:00:00Z"])
        assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}
        assert deliver(app) == {"sent": 0, "retry": 0, "failed": 0}
    finally:
        controller.stop()
    first, second = (
        message_from_bytes(envelope.original_content, policy=policy.default)
        for envelope in handler.messages
    )
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith("<outbox-1.")
    assert outbox_row(db)["status"] == "sent" and outbox_row(db)["attempts"] == 2


def test_every_outbox_entry_has_its_own_message_id(smtp_app, smtp_client, headers, smtp_server):
    for number in range(3):
        post_ticket(smtp_client, headers, f"T-{number}", email=f"c{number}@example.com")
    assert deliver(smtp_app)["sent"] == 3
    message_ids = {message["Message-ID"] for message in received(smtp_server)}
    assert len(message_ids) == 3
