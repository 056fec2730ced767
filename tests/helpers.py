"""What tests share besides fixtures: sign-in, ticket payloads, mail, real servers, a clock.

Fixtures live in conftest.py; everything a test imports by name lives here.
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import requests

from surveys.customers import outbox
from surveys.customers.mailbox import read_message
from surveys.staff.accounts import create_user

ROOT = Path(__file__).resolve().parent.parent
MANAGER_EMAIL = "manager@example.com"
STAFF_EMAIL = "staff@example.com"
PASSWORD = "correct horse battery staple"


def flask_env(config):
    """Settings as FLASK_* variables, the way a deployment passes them to gunicorn."""
    return {
        f"FLASK_{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
        if key != "TESTING" and value is not None
    }


def start_flask(config, *args, **options):
    """`flask ARGS` in a process of its own, given `config` the way a deployment gives it
    (flask_env); `options` are subprocess.Popen's."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=dict(os.environ, **flask_env(config)),
        **options,
    )


def run_flask(config, *args, **options):
    """`flask ARGS` run to its end, as start_flask starts it; `options` are subprocess.run's
    (a timeout among them)."""
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=dict(os.environ, **flask_env(config)),
        **options,
    )


def base_config(tmp_path):
    """Settings for a test app with its own database and mail folder, and no SMTP server."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE": str(tmp_path / "puas.db"),
        "MAIL_DIR": str(tmp_path / "mail"),
        "SEND_DELAY_MINUTES": 0,
        "THROTTLE_DAYS": 0,
        "COMPANY_NAME": "Acme Support",
        "BASE_URL": "http://puas.test",
        "SMTP_HOST": None,
    }


def form_key(html):
    """The key a new-action page gave its form (a hidden form_key)."""
    [key] = re.findall(r'name="form_key" type="hidden" value="([^"]+)"', html)
    return key


def csrf_token(html):
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, email, password=PASSWORD):
    """Sign in through the real login form (CSRF included)."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def signed_in(client, db, email, role):
    """The client, signed in as a new person with this role."""
    create_user(db, email, PASSWORD, role)
    assert sign_in(client, email).status_code == 302
    return client


def ticket_payload(ticket_id="T-1", email="customer@example.com", **fields):
    """A valid ticket-closed body; fields override or add."""
    payload = {
        "ticket_id": ticket_id,
        "closed_at": "2026-11-20T10:00:00+07:00",
        # English, so pages and mail read as the tests quote them; tests of Bahasa
        # Indonesia pass customer={..., "locale": "id"}.
        "customer": {"email": email, "name": "Rina", "locale": "en"},
        "agent": {"email": "agent@example.com", "name": "Agent Smith"},
        "team": "Billing",
        "channel": "email",
    }
    payload.update(fields)
    return payload


# Invitations delivered, and their links

LINK_PATTERN = re.compile(r"/s/([A-Za-z0-9_-]{43})")


def post_ticket(client, headers, ticket_id="T-1", **fields):
    response = client.post(
        "/api/v1/tickets/closed", json=ticket_payload(ticket_id, **fields), headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliver(app):
    """Run one outbox pass, as `flask outbox send-due` would."""
    with app.app_context():
        return outbox.send_due(app.config)


def mailbox_messages(app):
    """Every message the mailbox sender wrote, oldest first."""
    folder = Path(app.config["MAIL_DIR"])
    return [read_message(path) for path in sorted(folder.glob("*.eml"))]


def token_in(message):
    """The survey token of an invitation message (from its plain-text part)."""
    text = message.get_body(("plain",)).get_content()
    tokens = set(LINK_PATTERN.findall(text))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def invite(app, client, headers, ticket_id="T-1", **fields):
    """Post a ticket, deliver its mail, and return the survey token from the mail."""
    post_ticket(client, headers, ticket_id, **fields)
    deliver(app)
    messages = [message for message in mailbox_messages(app) if ticket_id in message["Subject"]]
    return token_in(messages[-1])


# A real SMTP server


class RecordingHandler:
    """An aiosmtpd handler that keeps what it receives and can be told to refuse."""

    def __init__(self):
        self.messages = []
        self.replies = []  # queued replies for the next DATA commands, e.g. "451 try later"

    async def handle_DATA(self, server, session, envelope):
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


# Mail servers that misbehave, and waits with a deadline

DEADLINE_SECONDS = 60  # how long a mail pass may take in a test before it counts as hung


class TalkingServer:
    """A TCP server on 127.0.0.1 that takes connections, counting them (`accepted`), and
    talks to each in a thread of its own (`talk`, a subclass's) until it is stopped."""

    def __init__(self):
        self.accepted = 0
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.threads = [threading.Thread(target=self.accept, daemon=True)]
        self.threads[0].start()

    def accept(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            thread = threading.Thread(target=self.talk, args=[connection], daemon=True)
            self.threads.append(thread)
            thread.start()

    def talk(self, connection):
        raise NotImplementedError

    def stop(self):
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=DEADLINE_SECONDS)
        self.listener.close()


class StalledServer(TalkingServer):
    """A TCP server that accepts connections and then never completes a reply: it says
    nothing, or (with `greeting`) sends that line again every `every` seconds without end
    (a `220-` continuation never followed by a last line; after `first`, a whole greeting,
    a `250-` that never ends EHLO's reply), or says it once and waits."""

    def __init__(self, greeting=None, every=0.2, repeat=True, first=None):
        self.first = first  # a line said once before the greeting (a whole 220, say)
        self.greeting = greeting
        self.every = every
        self.repeat = repeat
        super().__init__()

    def talk(self, connection):
        with connection:
            if self.first is not None:
                connection.sendall(self.first)
            while not self.stopped.is_set():
                if self.greeting is not None:
                    try:
                        connection.sendall(self.greeting)
                    except OSError:
                        return  # the client hung up
                    if not self.repeat:
                        self.greeting = None
                self.stopped.wait(self.every)


class TricklingServer(TalkingServer):
    """An SMTP server that greets and answers EHLO at once, then answers MAIL FROM with a
    `250-` line every `every` seconds, never the last line: each read is quick, the reply
    never ends. With `trickles`, only the MAIL commands of those numbers (1 is the first
    it is sent, on any connection) trickle; it takes the other messages (`taken`)."""

    def __init__(self, every=0.2, trickles=None):
        self.every = every
        self.trickles = trickles
        self.mail_commands = 0
        self.taken = 0
        super().__init__()

    def talk(self, connection):
        with connection, connection.makefile("rb") as commands:
            try:
                connection.sendall(b"220 ready\r\n")
                while not self.stopped.is_set():
                    command = commands.readline()
                    verb = command[:4].upper()
                    if not command or verb == b"QUIT":
                        return
                    if verb == b"MAIL":
                        self.mail_commands += 1
                        if self.trickles is None or self.mail_commands in self.trickles:
                            while not self.stopped.wait(self.every):
                                connection.sendall(b"250-still thinking\r\n")
                    if verb == b"DATA":
                        connection.sendall(b"354 go ahead\r\n")
                        while commands.readline() not in (b".\r\n", b""):
                            pass
                        self.taken += 1
                    connection.sendall(b"250 ok\r\n")
            except OSError:
                return  # the client hung up


def within_deadline(call):
    """call()'s result, failing the test rather than hanging when it hangs."""
    result = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(timeout=DEADLINE_SECONDS)
    assert not thread.is_alive(), "the pass did not end"
    return result[0]


def connection_of_each_message(smtp_server):
    """From now on, the connection (aiosmtpd's session) each message arrives on, in order."""
    handler, sessions = smtp_server.handler_ref, []
    accept = handler.handle_DATA

    async def noting_the_connection(server, session, envelope):
        sessions.append(session)
        return await accept(server, session, envelope)

    handler.handle_DATA = noting_the_connection
    return sessions


# A real gunicorn


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """A gunicorn process serving Puas on 127.0.0.1 for tests that need real workers."""

    def __init__(self, config, workers=2):
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, **flask_env(dict(config, BASE_URL=self.url)))
        self.log = open(Path(config["DATABASE"]).with_suffix(".gunicorn.log"), "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--chdir",
                str(ROOT),
                "--config",
                str(ROOT / "gunicorn.conf.py"),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def wait_until_ready(self, timeout=60):
        # gunicorn accepts connections before its workers have imported the app, so
        # the first requests may time out rather than be refused.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                requests.get(self.url + "/login", timeout=5)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start in time")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# A clock the test moves


class FakeClock:
    """What surveys.clock.now() answers while the fixture is on; the test moves it."""

    def __init__(self, start):
        self.current = start

    def now(self):
        return self.current

    def advance(self, **delta):
        """Let time pass: advance(days=14), advance(minutes=5)."""
        self.current += timedelta(**delta)
