"""A burst of invitations through a real SMTP server (aiosmtpd): one connection carries a run
of messages, a server that hangs up or says 421 costs no invitation and duplicates none,
a refused recipient loses no other, a killed worker sends nothing twice."""

import asyncio
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from surveys import clock
from surveys.config import ConfigError, apply_config
from surveys.customers import outbox
from surveys.customers.mail import Outgoing, sender_for
from tests.helpers import (
    DEADLINE_SECONDS,
    StalledServer,
    TricklingServer,
    deliver,
    free_port,
    post_ticket,
    run_flask,
    start_flask,
    within_deadline,
)


class Sink:
    """An SMTP server that keeps what it accepts, numbers its connections, and can hang up
    after every `hang_up_every` messages of a connection, answer 421 to the MAIL after
    them, refuse some recipients, or hold one MAIL until the test lets it go."""

    def __init__(self, hang_up_every=None, say_421=False, refuse=None, hold_at=None):
        self.hang_up_every = hang_up_every
        self.say_421 = say_421
        self.refuse = refuse or {}  # recipient -> reply
        self.hold_at = hold_at  # the MAIL of the message with this number waits
        self.held = threading.Event()
        self.let_go = threading.Event()
        self.messages = []  # (connection number, recipient, Message-ID), in arrival order
        self.connections = 0
        self.quits = 0
        self.mails_begun = 0

    def connection_of(self, session):
        if not hasattr(session, "number"):
            self.connections += 1
            session.number = self.connections
            session.accepted = 0
        return session.number

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.connection_of(session)
        self.mails_begun += 1
        if self.mails_begun == self.hold_at:
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.let_go.wait, 60)
        if self.say_421 and session.accepted == self.hang_up_every:
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.7.0 Too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        [recipient] = envelope.rcpt_tos
        self.messages.append((self.connection_of(session), recipient, message["Message-ID"]))
        session.accepted += 1
        if not self.say_421 and session.accepted == self.hang_up_every:
            # After the 250 has gone out: the close runs once this reply is written.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 Bye"

    def recipients(self):
        return Counter(recipient for _, recipient, _ in self.messages)

    def per_connection(self):
        return list(Counter(number for number, _, _ in self.messages).values())


@pytest.fixture
def start_sink():
    """Start a Sink on a free port: start_sink(hang_up_every=100)."""
    controllers = []

    def start(**behaviour):
        sink = Sink(**behaviour)
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        sink.port, sink.controller = controller.port, controller
        return sink

    yield start
    for controller in controllers:
        controller.stop()


def app_sending_to(make_app, sink, **settings):
    return make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, **settings)


def close_tickets(app, headers, count):
    """Close `count` tickets through the API, each with its own customer; their addresses."""
    client = app.test_client()
    for number in range(count):
        post_ticket(client, headers, f"T-{number}", email=f"c{number}@example.com")
    return [f"c{number}@example.com" for number in range(count)]


def outbox_rows(db):
    return {
        row["recipient"]: (row["status"], row["attempts"])
        for row in db.query("SELECT recipient, status, attempts FROM outbox")
    }


def sent_count(db):
    return db.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0]


def make_due(db):
    """Time passes: every waiting message's next attempt falls due."""
    db.execute(
        "UPDATE outbox SET next_attempt_at = ? WHERE status = 'pending'",
        [clock.to_iso(clock.now() - timedelta(seconds=1))],
    )


@pytest.mark.parametrize("say_421", [False, True], ids=["hangs-up", "says-421-then-hangs-up"])
def test_a_server_that_drops_the_connection_every_100_messages_gets_each_invitation_once(
    make_app, db, api_headers, start_sink, say_421
):
    sink = start_sink(hang_up_every=100, say_421=say_421)
    # Puas's own limit out of the way: the server's hanging up is what ends a connection.
    app = app_sending_to(make_app, sink, SMTP_MAX_MESSAGES_PER_CONNECTION=1000)
    recipients = close_tickets(app, api_headers, 250)

    assert deliver(app) == {"sent": 250, "retry": 0, "failed": 0}

    assert sink.recipients() == Counter(recipients)  # each exactly once
    assert len({message_id for _, _, message_id in sink.messages}) == 250
    assert sink.per_connection() == [100, 100, 50]
    assert outbox_rows(db) == {recipient: ("sent", 1) for recipient in recipients}
    assert [tuple(row) for row in db.execute("SELECT status, count(*) FROM invitations")] == [
        ("sent", 250)
    ]


def test_a_burst_uses_one_connection_for_each_100_messages(make_app, db, api_headers, start_sink):
    sink = start_sink()
    app = app_sending_to(make_app, sink)  # SMTP_MAX_MESSAGES_PER_CONNECTION: 100
    recipients = close_tickets(app, api_headers, 250)

    assert deliver(app) == {"sent": 250, "retry": 0, "failed": 0}

    assert sink.recipients() == Counter(recipients)
    assert sink.per_connection() == [100, 100, 50]
    assert sink.connections == sink.quits == 3  # each closed politely, the last at the end


def test_each_outcome_is_recorded_before_the_next_message_goes_to_the_server(
    make_app, config, api_headers, start_sink
):
    sink = start_sink()
    app = app_sending_to(make_app, sink)
    recipients = close_tickets(app, api_headers, 120)
    reader = sqlite3.connect(config["DATABASE"], check_same_thread=False)
    recorded_then = []
    accept = sink.handle_DATA

    async def note_what_is_recorded(server, session, envelope):
        # The whole message is here: every message before it must be recorded sent, so a
        # crash now could leave at most this one sent and unrecorded.
        recorded_then.append(sent_count(reader))
        return await accept(server, session, envelope)

    sink.handle_DATA = note_what_is_recorded
    try:
        assert deliver(app) == {"sent": 120, "retry": 0, "failed": 0}
    finally:
        reader.close()

    assert sink.recipients() == Counter(recipients)
    assert recorded_then == list(range(120))


def test_one_message_per_connection_when_the_setting_says_1(make_app, api_headers, start_sink):
    sink = start_sink()
    app = app_sending_to(make_app, sink, SMTP_MAX_MESSAGES_PER_CONNECTION=1)
    recipients = close_tickets(app, api_headers, 3)

    assert deliver(app) == {"sent": 3, "retry": 0, "failed": 0}

    assert sink.recipients() == Counter(recipients)
    assert sink.per_connection() == [1, 1, 1]


@pytest.mark.parametrize("value", [0, -1, "100", 2.5, True, None])
def test_a_limit_of_messages_per_connection_below_1_or_not_a_number_is_refused(tmp_path, value):
    from flask import Flask

    app = Flask(__name__, instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match="SMTP_MAX_MESSAGES_PER_CONNECTION"):
        apply_config(app, {"SECRET_KEY": "x", "SMTP_MAX_MESSAGES_PER_CONNECTION": value})


def test_a_refused_recipient_loses_no_other_and_keeps_the_connection(
    make_app, db, api_headers, start_sink
):
    sink = start_sink(
        refuse={
            "c7@example.com": "450 4.2.1 Mailbox busy, try later",
            "c8@example.com": "550 5.1.1 No such user",
        }
    )
    app = app_sending_to(make_app, sink, OUTBOX_RETRY_SECONDS=60)
    recipients = close_tickets(app, api_headers, 20)

    assert deliver(app) == {"sent": 18, "retry": 1, "failed": 1}

    others = [r for r in recipients if r not in ("c7@example.com", "c8@example.com")]
    assert sink.recipients() == Counter(others)
    assert sink.per_connection() == [18]
    rows = outbox_rows(db)
    assert rows["c7@example.com"] == ("pending", 1)
    assert rows["c8@example.com"] == ("failed", 1)
    assert {rows[recipient] for recipient in others} == {("sent", 1)}
    [row] = db.query("SELECT * FROM outbox WHERE recipient = 'c7@example.com'")
    assert row["last_error"] == "recipient deferred: 450 4.2.1 Mailbox busy, try later"
    assert row["next_attempt_at"] > clock.to_iso(clock.now())
    [(bounced,)] = db.execute("SELECT count(*) FROM suppressions WHERE reason = 'bounced'")
    assert bounced == 1

    # The busy mailbox takes it later; the refused address is never tried again.
    sink.refuse.pop("c7@example.com")
    make_due(db)
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}
    assert sink.recipients() == Counter(others + ["c7@example.com"])


def test_a_message_not_begun_in_the_first_half_of_its_lease_is_given_back_and_sent_once(
    make_app, db, api_headers, start_sink, fake_clock
):
    sink = start_sink()
    app = app_sending_to(make_app, sink)
    recipients = close_tickets(app, api_headers, 30)
    fake_clock.advance(minutes=1)
    first = sink.handle_DATA

    async def slow_first_message(server, session, envelope):
        # The first message takes six minutes: the rest of its batch may no longer go out
        # on the lease it was claimed with.
        if not sink.messages:
            fake_clock.advance(minutes=6)
        return await first(server, session, envelope)

    sink.handle_DATA = slow_first_message

    assert deliver(app) == {"sent": 30, "retry": 0, "failed": 0}

    assert sink.recipients() == Counter(recipients)
    # Given back untried, the others were claimed again: one attempt each, not two.
    assert outbox_rows(db) == {recipient: ("sent", 1) for recipient in recipients}


def test_the_running_worker_keeps_its_connection_while_mail_comes_and_closes_it_when_idle(
    make_app, db, api_headers, start_sink
):
    sink = start_sink()
    app = app_sending_to(make_app, sink, OUTBOX_POLL_SECONDS=2)
    close_tickets(app, api_headers, 3)
    stopping, said = [], []

    def worker():
        with app.app_context(), sender_for(app.config) as sender:
            outbox.keep_delivering(app.config, said.append, sender, stopping)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        wait_for(lambda: len(sink.messages) == 3)
        # More mail in the next pass, before an idle one: on the same connection.
        post_ticket(app.test_client(), api_headers, "T-3", email="c3@example.com")
        wait_for(lambda: len(sink.messages) == 4)
        assert sink.per_connection() == [4]
        wait_for(lambda: sink.quits == 1)  # a pass with nothing to send closed it
        post_ticket(app.test_client(), api_headers, "T-4", email="c4@example.com")
        wait_for(lambda: len(sink.messages) == 5)
        assert sink.per_connection() == [4, 1]
    finally:
        stopping.append(signal.SIGTERM)
        thread.join(timeout=DEADLINE_SECONDS)
    assert not thread.is_alive()
    assert said[:2] == ["3 sent, 0 retry, 0 failed", "1 sent, 0 retry, 0 failed"]


def test_a_worker_killed_mid_burst_sends_nothing_twice(
    make_app, config, db, api_headers, start_sink
):
    sink = start_sink(hold_at=120)
    app = app_sending_to(make_app, sink)
    recipients = close_tickets(app, api_headers, 200)
    worker = start_flask(
        config, "outbox", "send-due", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # The 120th message is about to begin, the 119th recorded; the worker dies there.
        assert sink.held.wait(timeout=DEADLINE_SECONDS)
        wait_for(lambda: sent_count(db) == 119)
        worker.kill()
        worker.wait(timeout=DEADLINE_SECONDS)
    finally:
        sink.let_go.set()
        if worker.poll() is None:
            worker.kill()
    assert sink.recipients() == Counter(recipients[:119])
    rows = outbox_rows(db)
    assert {rows[recipient] for recipient in recipients[:119]} == {("sent", 1)}
    # Its batch (rows 102 to 151: the pass's first message went alone) waits for the
    # lease; the rest was never claimed.
    assert {rows[recipient] for recipient in recipients[119:151]} == {("sending", 1)}
    assert {rows[recipient] for recipient in recipients[151:]} == {("pending", 0)}

    assert deliver(app) == {"sent": 49, "retry": 0, "failed": 0}
    db.execute(
        "UPDATE outbox SET lease_until = ? WHERE status = 'sending'", ["2000-01-01T00:00:00Z"]
    )
    assert deliver(app) == {"sent": 32, "retry": 0, "failed": 0}

    assert sink.recipients() == Counter(recipients)  # each exactly once
    rows = outbox_rows(db)
    assert {rows[recipient] for recipient in recipients[119:151]} == {("sent", 2)}
    assert {rows[recipient] for recipient in recipients[151:]} == {("sent", 1)}


def wait_for(condition):
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def start_stalled():
    servers = []

    def start(**behaviour):
        servers.append(StalledServer(**behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def deliver_within_deadline(app):
    """One pass, as deliver() runs it, failing the test rather than hanging when it hangs."""
    return within_deadline(lambda: deliver(app))


@pytest.mark.parametrize(
    "behaviour",
    [
        {},
        {"greeting": b"220-still here\r\n"},
        {"first": b"220 ready\r\n", "greeting": b"250-still here\r\n"},
    ],
    ids=["says-nothing", "never-ends-its-greeting", "never-ends-its-ehlo-reply"],
)
def test_a_server_that_never_greets_costs_one_message_s_attempt_and_no_other(
    make_app, db, api_headers, start_stalled, behaviour
):
    server = start_stalled(**behaviour)
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TIMEOUT_SECONDS=1)
    recipients = close_tickets(app, api_headers, 20)

    assert deliver_within_deadline(app) == {"sent": 0, "retry": 1, "failed": 0, "unreachable": 1}

    assert server.accepted == 1  # not one connection's time for every message
    rows = db.query("SELECT recipient, status, attempts, last_error FROM outbox ORDER BY id")
    [first, *others] = list(rows)
    assert (first["recipient"], first["status"], first["attempts"]) == (recipients[0], "pending", 1)
    assert first["last_error"] == "SMTP server unreachable: not greeted and ready within 1 s"
    # The others were never claimed: no attempt, no error, and no links issued for them.
    assert [(row["status"], row["attempts"], row["last_error"]) for row in others] == [
        ("pending", 0, None)
    ] * 19
    assert db["survey_links"].count == 1


def test_a_server_refusing_service_in_its_greeting_fails_no_message_for_good(
    make_app, db, api_headers, start_stalled
):
    server = start_stalled(greeting=b"554 5.3.2 No service for you\r\n", repeat=False)
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TIMEOUT_SECONDS=5)
    close_tickets(app, api_headers, 3)

    assert deliver_within_deadline(app) == {"sent": 0, "retry": 1, "failed": 0, "unreachable": 1}

    assert server.accepted == 1
    errors = [row["last_error"] for row in db.query("SELECT last_error FROM outbox ORDER BY id")]
    assert errors == ["SMTP server unreachable: 554 5.3.2 No service for you", None, None]


def go_away_after(sink, count):
    """The sink accepts `count` messages, then hangs up and goes away."""
    accept = sink.handle_DATA

    async def then_go_away(server, session, envelope):
        reply = await accept(server, session, envelope)
        if len(sink.messages) == count:
            asyncio.get_running_loop().call_soon(sink.controller.server.close)
        return reply

    sink.handle_DATA = then_go_away


def test_a_server_going_down_mid_burst_leaves_the_rest_of_the_batch_untried(
    make_app, db, api_headers, start_sink
):
    sink = start_sink(hang_up_every=5)
    app = app_sending_to(make_app, sink, SMTP_TIMEOUT_SECONDS=2)
    recipients = close_tickets(app, api_headers, 20)
    go_away_after(sink, 5)

    outcomes = deliver_within_deadline(app)

    assert sink.recipients() == Counter(recipients[:5])
    assert outcomes == {"sent": 5, "retry": 1, "failed": 0, "untried": 14, "unreachable": 1}
    rows = outbox_rows(db)
    assert rows[recipients[5]] == ("pending", 1)
    assert {rows[recipient] for recipient in recipients[6:]} == {("pending", 0)}


def test_flask_outbox_send_due_exits_1_when_its_first_invitation_finds_no_server(
    make_app, config, db, api_headers
):
    make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT_SECONDS=2)
    close_tickets(make_app(), api_headers, 3)

    ran = run_flask(
        config, "outbox", "send-due", capture_output=True, text=True, timeout=DEADLINE_SECONDS
    )

    assert ran.returncode == 1
    assert ran.stdout.splitlines() == [
        "0 sent, 1 retry, 0 failed; no connection to the mail server, so the pass ended there"
    ]
    assert ran.stderr.splitlines() == [
        "Error: no connection to the mail server (invitations); "
        "the mail stays queued for the next run"
    ]
    attempts = [row["attempts"] for row in db.query("SELECT attempts FROM outbox ORDER BY id")]
    assert attempts == [1, 0, 0]


def test_a_server_that_trickles_a_reply_mid_message_is_given_up_in_bounded_time(
    make_app, db, api_headers
):
    server = TricklingServer()
    try:
        app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TIMEOUT_SECONDS=1)
        close_tickets(app, api_headers, 2)

        # Without a bound on the whole message, the pass would wait for ever: every read
        # gets a line well within SMTP_TIMEOUT_SECONDS.
        outcomes = deliver_within_deadline(app)
    finally:
        server.stop()

    assert outcomes == {"sent": 0, "retry": 2, "failed": 0}  # each message tried, in time
    rows = db.query("SELECT status, attempts, last_error FROM outbox ORDER BY id")
    assert [tuple(row.values()) for row in rows] == [
        (
            "pending",
            1,
            "SMTP conversation failed: Connection unexpectedly closed: "
            "the message's exchange ran out of time",
        )
    ] * 2


def test_the_time_data_waits_for_the_worker_is_not_the_servers(make_app, start_sink):
    sink = start_sink()
    app = app_sending_to(make_app, sink, SMTP_TIMEOUT_SECONDS=1)
    message = Outgoing("puas@example.com", ("c@example.com",), b"Subject: hi\r\n\r\nhi\r\n", "")
    with sender_for(app.config) as sender:
        # Held at its DATA longer than the message's 4 s in all (as a busy database can
        # hold the worker's record of the message before): the server was quick.
        sender.on_data = lambda: time.sleep(5)

        within_deadline(lambda: sender.send(message))

    assert sink.recipients() == Counter(["c@example.com"])


def test_a_message_out_of_time_on_a_kept_connection_is_not_sent_again_at_once(
    make_app, db, api_headers
):
    server = TricklingServer(trickles={2})
    try:
        app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TIMEOUT_SECONDS=1)
        close_tickets(app, api_headers, 3)

        outcomes = deliver_within_deadline(app)
    finally:
        server.stop()

    # The server is there, answering too slowly: the message that ran out of time waits
    # for its retry, rather than waiting out its time again on a new connection at once.
    assert outcomes == {"sent": 2, "retry": 1, "failed": 0}
    assert (server.taken, server.mail_commands, server.accepted) == (2, 3, 2)
    statuses = [tuple(row) for row in db.execute("SELECT status, attempts FROM outbox ORDER BY id")]
    assert statuses == [("sent", 1), ("pending", 1), ("sent", 1)]


def test_flask_outbox_send_due_exits_1_when_the_server_goes_away_mid_burst(
    make_app, config, db, api_headers, start_sink
):
    sink = start_sink(hang_up_every=5)
    app = app_sending_to(make_app, sink, SMTP_TIMEOUT_SECONDS=2)
    recipients = close_tickets(app, api_headers, 20)
    go_away_after(sink, 5)

    ran = run_flask(
        config, "outbox", "send-due", capture_output=True, text=True, timeout=DEADLINE_SECONDS
    )

    assert ran.returncode == 1
    assert ran.stdout.splitlines() == [
        "5 sent, 1 retry, 0 failed, 14 untried; "
        "no connection to the mail server, so the pass ended there"
    ]
    assert ran.stderr.splitlines() == [
        "Error: no connection to the mail server (invitations); "
        "the mail stays queued for the next run"
    ]
    rows = outbox_rows(db)
    assert {rows[recipient] for recipient in recipients[6:]} == {("pending", 0)}


def test_the_running_worker_stops_at_sigterm_after_the_message_on_the_wire(
    make_app, config, db, api_headers, start_sink
):
    sink = start_sink()
    app = app_sending_to(make_app, sink)
    recipients = close_tickets(app, api_headers, 10)
    first = sink.handle_DATA

    async def hold_the_third(server, session, envelope):
        if len(sink.messages) == 2:  # the third message's text is in; its reply waits
            sink.held.set()
            await asyncio.get_running_loop().run_in_executor(
                None, sink.let_go.wait, DEADLINE_SECONDS
            )
        return await first(server, session, envelope)

    sink.handle_DATA = hold_the_third
    worker = start_flask(config, "outbox", "run", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # The third message is on the wire, the fourth queued behind it, its MAIL and RCPT
        # waiting for the third's reply.
        assert sink.held.wait(timeout=DEADLINE_SECONDS)
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the worker's handler notes the signal (its main thread waits)
        sink.let_go.set()
        output, _ = worker.communicate(timeout=DEADLINE_SECONDS)
    finally:
        sink.let_go.set()
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=DEADLINE_SECONDS)
    assert worker.returncode == 0, output.decode()
    assert sink.recipients() == Counter(recipients[:3])  # none after the one on the wire
    assert b"3 sent, 0 retry, 0 failed, 7 untried" in output
    rows = outbox_rows(db)
    assert {rows[recipient] for recipient in recipients[:3]} == {("sent", 1)}
    assert {rows[recipient] for recipient in recipients[3:]} == {("pending", 0)}


@pytest.mark.parametrize("value", [0, 65536, 99999])
def test_an_smtp_port_outside_1_to_65535_is_refused(tmp_path, value):
    from flask import Flask

    app = Flask(__name__, instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match="SMTP_PORT must be a TCP port from 1 to 65535"):
        apply_config(app, {"SECRET_KEY": "x", "SMTP_PORT": value})


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("SMTP_PORT", "abc", "SMTP_PORT must be a whole number of at least 0, not 'abc'"),
        ("SMTP_SECURITY", "tls", "SMTP_SECURITY must be one of none, starttls, ssl"),
    ],
)
def test_a_bad_setting_stops_every_command_with_one_line_not_a_traceback(config, key, value, said):
    # (as FLASK_SMTP_PORT=abc in the environment: flask_env passes text as it is)
    ran = run_flask(
        {**config, key: value},
        "outbox",
        "send-due",
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert ran.returncode == 1
    [line] = ran.stderr.strip().splitlines()  # one line: no traceback
    assert line.startswith(f"Error: {said}")
    assert ran.stdout == ""
