"""Mail's two ways out, SMTP or .eml files in a mailbox folder; what a failure means; the
links and Message-ID every invitation carries. The invitation itself: invitation_mail.py."""

import email.utils
import hashlib
import hmac
import os
import re
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from surveys import clock
from surveys.config import DEFAULTS
from surveys.store.queue import RetryPolicy


class DeliveryError(Exception):
    """Delivery failed for now (network, 4xx reply); the outbox tries again later."""


class PermanentDeliveryError(DeliveryError):
    """The server refused the message for good (5xx reply); never retried."""


class RecipientRefused(PermanentDeliveryError):
    """The server refused the recipient's address for good: later mail to it is suppressed."""


class ServerUnreachable(DeliveryError):
    """No connection to the SMTP server: it could not be reached, did not greet, or refused
    the TLS or the login, within SMTP_TIMEOUT_SECONDS in all. Nothing was given to it, and
    a burst tries no other message until its next pass (surveys/customers/wire.py)."""


# An enhanced status code 5.1.x (RFC 3463) names a bad destination address, even when a
# server only says so after DATA; 5.7.x (policy, spam) and others refuse the message.
BAD_ADDRESS_CODE = re.compile(r"\b5\.1\.[0-9]{1,3}\b")


def survey_url(base_url, token, csat=None):
    """The customer's link; a csat value only pre-selects the answer on the page."""
    url = f"{base_url.rstrip('/')}/s/{token}"
    return f"{url}?csat={csat}" if csat is not None else url


def message_id(config, outbox_id, outbox_created_at, domain):
    """The one Message-ID of an outbox entry, the same on every attempt.

    A worker that dies after the server's 250 but before it records the send makes the
    message go out again once its lease runs out; with the same Message-ID, a receiver can
    drop that copy. The digest (keyed by SECRET_KEY, over the entry's id and creation time)
    keeps it unique across installations and across a database started afresh.
    """
    key = config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    seed = f"message-id:{outbox_id}:{outbox_created_at}".encode()
    digest = hmac.new(key, seed, hashlib.sha256).hexdigest()[:12]
    return f"<outbox-{outbox_id}.{digest}@{domain}>"


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: its envelope and its bytes (CRLF line ends, as SMTP
    carries them), flattened once by whoever built it."""

    sender: str
    recipients: tuple[str, ...]
    content: bytes
    message_id: str


class _ConnectDeadline:
    """Hangs up a connection that has not been greeted, secured, introduced (EHLO) and
    logged in within its time in all. smtplib's timeout bounds each read alone: a server
    that never ends its greeting (a `220-` line every few seconds) would hold the worker
    for ever."""

    def __init__(self, seconds):
        self.lock = threading.Lock()
        self.expired = False
        self.ended = False
        self.sock = None
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True
        self.timer.start()

    def adopt(self, sock):
        """Watch the connection's plain socket, as soon as it exists (before any TLS); it is
        closed at once when too late."""
        with self.lock:
            if self.expired:
                sock.close()
                raise TimeoutError("the connection took too long")
            # A duplicate of its descriptor: TLS (STARTTLS) detaches the socket it wraps,
            # and a shutdown through either descriptor ends the one connection.
            self.sock = sock.dup()
        return sock

    def expire(self):
        """On the timer's thread: the time is up; the connection is shut down, so the read
        waiting on it (TLS's included) ends at once."""
        with self.lock:
            if self.ended:
                return
            self.expired = True
            if self.sock is not None:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed already

    def end(self):
        """The connecting is over: the timer stops; True when the time ran out first."""
        self.timer.cancel()
        with self.lock:
            self.ended = True
            if self.sock is not None:
                self.sock.close()
                self.sock = None
            return self.expired


class _ExchangeRanOut(TimeoutError):
    """A message's exchange took longer than its replies' waits in all (see _Replies)."""

    def __init__(self):
        super().__init__("the message's exchange ran out of time")


def _replies_awaited(message):
    """The replies a message's exchange waits for: MAIL's, each RCPT's, DATA's and its
    text's."""
    if isinstance(message, Outgoing):
        recipients = len(message.recipients)
    else:  # as smtplib's send_message finds them
        fields = [value for name in ("To", "Cc", "Bcc") for value in message.get_all(name, [])]
        recipients = len(email.utils.getaddresses(fields))
    return 3 + max(1, recipients)


class _Replies:
    """What smtplib reads the server's replies from (its `file`), line by line as the file
    it would make: each read waits at most the connection's timeout, and, while a message
    is under way, no longer than the time its exchange has left (`connection.until`, on
    the monotonic clock: SMTP_TIMEOUT_SECONDS for each reply it awaits, in all). smtplib's
    timeout bounds each read alone: a server that trickles a reply (a `250-` line every
    few seconds) would otherwise hold the worker for ever."""

    def __init__(self, connection):
        self.connection = connection
        self.sock = connection.sock
        self.timeout_set = self.sock.gettimeout()
        self.buffer = bytearray()

    def readline(self, limit):
        """The next line (with its line end), at most `limit` bytes (smtplib always gives
        one); b"" at the end."""
        while True:
            end = self.buffer.find(b"\n", 0, limit)
            if end >= 0 or len(self.buffer) >= limit:
                size = end + 1 if end >= 0 else limit
                line = bytes(self.buffer[:size])
                del self.buffer[:size]
                return line
            cut_short = self._wait_no_longer_than_left()
            try:
                received = self.sock.recv(8192)
            except TimeoutError:
                if cut_short:  # the message's time ran out, not one reply's
                    raise _ExchangeRanOut() from None
                raise
            if not received:
                line = bytes(self.buffer)
                self.buffer.clear()
                return line
            self.buffer += received

    def _wait_no_longer_than_left(self):
        """Set the socket's timeout for the next read; True when it is the message's time
        left, shorter than a reply's wait."""
        waits = self.connection.timeout
        if self.connection.until is not None:
            left = self.connection.until - time.monotonic()
            if left <= 0:
                raise _ExchangeRanOut()
            waits = min(waits, left)
        self._set_timeout(waits)
        return waits < self.connection.timeout

    def whole_wait(self):
        """Give the socket back its own timeout (for what is sent: the text's sendall is
        bounded by it in all)."""
        self._set_timeout(self.connection.timeout)

    def _set_timeout(self, seconds):
        if seconds != self.timeout_set:  # a system call: made only when the wait changes
            self.sock.settimeout(seconds)
            self.timeout_set = seconds

    def close(self):
        """Nothing to release: the socket is the connection's, closed by it."""


class _NotesData:
    """Notes when a message's DATA begins. A failure before it means the server never took
    the message, so sending it again on a new connection cannot make a second copy. Calls
    `on_data` first, if set: it may hold the DATA back, or call the message off; and
    `on_text_sent`, if set, once the message's text has gone (the server reads it now).
    Its socket is handed to `deadline` (a _ConnectDeadline), if set, as soon as it exists."""

    data_begun = False
    on_data = None
    on_text_sent = None
    until = None  # while a message is under way, when its exchange must be done by (_Replies)

    def __init__(self, *args, deadline=None, **kwargs):
        self.deadline = deadline
        super().__init__(*args, **kwargs)  # with a host, connects and reads the greeting

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, timeout)
        return sock if self.deadline is None else self.deadline.adopt(sock)

    def getreply(self):
        """smtplib's, reading from _Replies."""
        if self.file is None and self.sock is not None:
            self.file = _Replies(self)
        return super().getreply()

    def data(self, msg):
        """DATA, noted first."""
        self.data_begun = True
        if self.on_data is not None:
            held_from = time.monotonic()
            self.on_data()
            if self.until is not None:  # the time held here is not the server's
                self.until += time.monotonic() - held_from
        return super().data(msg)

    def send(self, s):
        """Send a command or, after DATA, the message's text; note when the text has gone.
        Sending waits at most the socket's own timeout; the time the text takes is not
        the server's reply's, so the exchange's time grows by it."""
        if isinstance(self.file, _Replies):
            self.file.whole_wait()
        sending_from = time.monotonic()
        super().send(s)
        # smtplib sends its commands as str and only the message's text as bytes.
        if self.data_begun and isinstance(s, bytes):
            if self.until is not None:
                self.until += time.monotonic() - sending_from
            if self.on_text_sent is not None:
                self.on_text_sent()


class _Smtp(_NotesData, smtplib.SMTP):
    """smtplib.SMTP, noting when DATA begins."""


class _SmtpSsl(_NotesData, smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL, noting when DATA begins."""

    def _get_socket(self, host, port, timeout):
        # SMTP_SSL's own, but the deadline watches the plain socket before its handshake.
        sock = smtplib.SMTP._get_socket(self, host, port, timeout)
        if self.deadline is not None:
            sock = self.deadline.adopt(sock)
        return self.context.wrap_socket(sock, server_hostname=self._host)


class _ServerWentAway(Exception):
    """The server closed a kept connection before it took the message (it hung up, or
    answered 421 before DATA): the message goes once more, on a new connection."""


class SmtpSender:
    """Sends through an SMTP server, with STARTTLS or SSL when configured.

    Used as a context (`with sender:`), it keeps one connection from message to message:
    up to SMTP_MAX_MESSAGES_PER_CONNECTION on one, then a new one; a new one too when the
    server closed it, or after a failure that leaves the conversation in doubt. Outside a
    context, every message has a connection of its own. One thread at a time uses it.
    """

    name = "smtp"

    def __init__(self, config):
        self.host = config["SMTP_HOST"]
        self.port = config["SMTP_PORT"]
        self.username = config["SMTP_USERNAME"]
        self.password = config["SMTP_PASSWORD"]
        self.security = config["SMTP_SECURITY"]
        self.timeout = config["SMTP_TIMEOUT_SECONDS"]
        self.max_per_connection = config["SMTP_MAX_MESSAGES_PER_CONNECTION"]
        self.keeping = False
        self.connection = None
        self.begun_on_connection = 0
        self.tls_context = None
        self.on_data = None  # called (on the sending thread) as each message's DATA is to begin
        self.on_text_sent = None  # called (on the sending thread) once its text has gone

    def __enter__(self):
        self.keeping = True
        return self

    def __exit__(self, *exc_info):
        self.keeping = False
        self.close()

    def close(self):
        """Say QUIT on the kept connection, if there is one."""
        if self.connection is not None:
            _close_quietly(self.connection)
            self.connection = None

    def send(self, message):
        """Deliver one message (an EmailMessage or an Outgoing); PermanentDeliveryError on
        5xx, DeliveryError otherwise."""
        try:
            try:
                self._send_on_connection(message)
            except _ServerWentAway:
                self._send_on_connection(message)  # a second failure counts as any other
        except (smtplib.SMTPException, OSError) as error:
            raise delivery_error(error) from error
        finally:
            if not self.keeping:
                self.close()

    def _send_on_connection(self, message):
        reused = self._ready()
        connection = self.connection
        connection.data_begun = False
        connection.on_data = self.on_data
        connection.on_text_sent = self.on_text_sent
        self.begun_on_connection += 1
        connection.until = time.monotonic() + self.timeout * _replies_awaited(message)
        try:
            if isinstance(message, Outgoing):
                connection.sendmail(message.sender, list(message.recipients), message.content)
            else:
                connection.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            # smtplib closes the socket when the server hangs up or says 421, and answers
            # a refusal with RSET; after anything else (a socket's own error, say) the
            # conversation is in doubt. (SMTPException is an OSError too.)
            if connection.sock is None or not isinstance(error, smtplib.SMTPException):
                self.close()
            if reused and _went_away_before_data(connection, error):
                raise _ServerWentAway() from error
            raise
        except BaseException:
            self.close()  # stopped mid-conversation (on_data said no): its state is unknown
            raise
        finally:
            connection.until = None

    def _ready(self):
        """A connection for the next message; True when it is a kept one (it has carried
        a message already)."""
        if self.connection is not None and (
            self.connection.sock is None or self.begun_on_connection >= self.max_per_connection
        ):
            self.close()  # the server closed it, or it has carried its share
        if self.connection is not None:
            return True
        self.connection = self._connect()
        self.begun_on_connection = 0
        return False

    def _connect(self):
        """A new connection, greeted, secured, introduced and logged in within
        SMTP_TIMEOUT_SECONDS in all; ServerUnreachable when it is not."""
        if self.security != "none" and self.tls_context is None:
            self.tls_context = ssl.create_default_context()
        deadline = _ConnectDeadline(self.timeout)
        connection = None
        try:
            if self.security == "ssl":
                connection = _SmtpSsl(
                    self.host,
                    self.port,
                    timeout=self.timeout,
                    context=self.tls_context,
                    deadline=deadline,
                )
            else:
                connection = _Smtp(self.host, self.port, timeout=self.timeout, deadline=deadline)
            if self.security == "starttls":
                connection.starttls(context=self.tls_context)
            if self.username:
                connection.login(self.username, self.password or "")
            connection.ehlo_or_helo_if_needed()  # done by login already, else here
            if deadline.end():
                raise TimeoutError("the time ran out as the login ended")
        except BaseException as error:
            if connection is not None:
                connection.close()
            # The socket's own timeout may end a silent server's wait just before the
            # deadline does: the same thing, said the same way.
            if deadline.end() or _timed_out(error):
                raise ServerUnreachable(
                    f"SMTP server unreachable: not greeted and ready within {self.timeout} s"
                ) from error
            if isinstance(error, smtplib.SMTPException | OSError):
                raise connect_error(error) from error
            raise
        return connection


def _timed_out(error):
    """True for a read that timed out (smtplib reports it as the server going away)."""
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def _went_away_before_data(connection, error):
    """True when the server closed the connection before DATA: it hung up, or it answered
    MAIL or RCPT with 421 (closing, e.g. at its limit of messages per connection)."""
    if connection.data_begun:
        return False  # it may have taken the message: only the outbox's retry may resend
    if isinstance(error.__context__, _ExchangeRanOut):
        return False  # it is there, answering too slowly: a new connection would wait again
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
        return True
    if isinstance(error, smtplib.SMTPSenderRefused):
        return error.smtp_code == 421
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code == 421 for code in codes)
    return False


def connect_error(error):
    """The ServerUnreachable a failure to connect, secure or log in stands for."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # Wrong credentials are our configuration, not the recipient: keep retrying.
        return ServerUnreachable(f"SMTP login refused: {error.smtp_code} {_text(error)}")
    if isinstance(error, smtplib.SMTPResponseException):
        return ServerUnreachable(f"SMTP server unreachable: {error.smtp_code} {_text(error)}")
    return ServerUnreachable(f"SMTP server unreachable: {error}")


def delivery_error(error):
    """The DeliveryError an SMTP failure stands for: RecipientRefused or
    PermanentDeliveryError for a 5xx refusal, DeliveryError (try again) otherwise.
    (Failures to connect are connect_error's.)"""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        detail = "; ".join(f"{code} {_decode(reply)}" for code, reply in error.recipients.values())
        if codes and all(code >= 500 for code in codes):
            return RecipientRefused(f"recipient refused: {detail}")
        return DeliveryError(f"recipient deferred: {detail}")
    if isinstance(error, smtplib.SMTPResponseException):
        detail = f"{error.smtp_code} {_text(error)}"
        if error.smtp_code >= 500 and BAD_ADDRESS_CODE.search(_text(error)):
            return RecipientRefused(f"recipient refused: {detail}")
        if error.smtp_code >= 500:
            return PermanentDeliveryError(f"message refused: {detail}")
        return DeliveryError(f"message deferred: {detail}")
    return DeliveryError(f"SMTP conversation failed: {error}")


class MailboxSender:
    """Writes each message as an .eml file, for a Puas without a mail server (the demo)."""

    name = "mailbox"

    def __init__(self, config):
        self.directory = config["MAIL_DIR"]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Nothing to close: a file is written whole for each message."""

    def send(self, message):
        """Write the message (an EmailMessage or an Outgoing) atomically: readers never see
        half a file."""
        if isinstance(message, Outgoing):
            message_id, content = message.message_id, message.content
        else:
            message_id, content = message["Message-ID"], bytes(message)
        os.makedirs(self.directory, exist_ok=True)
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        local_part = message_id.strip("<>").split("@")[0]
        filename = f"{stamp}-{local_part}.eml"
        final_path = os.path.join(self.directory, filename)
        partial_path = final_path + ".part"
        with open(partial_path, "wb") as eml_file:
            eml_file.write(content)
        os.replace(partial_path, final_path)
        return filename


def send_claimed(config, claim_next, deliver, outcomes, limit=None):
    """A queue's pass (alert mail's, digests'): claim a row (`claim_next()`, None when none
    is due) and `deliver(entry, sender)` it, one at a time over one connection, until none
    is due or `limit` are taken; each outcome is counted in `outcomes`, which it returns.

    `deliver` returns (outcome, the DeliveryError or None). A server that cannot be reached
    ends the pass, as it ends an invitation burst: that row is retried later, and the rest
    stay due, never claimed (so none needs giving back) and no attempt counted, so a server
    that is down costs a pass one SMTP_TIMEOUT_SECONDS. The counts then carry
    'unreachable': 1.
    """
    taken = 0
    with sender_for(config) as sender:
        while limit is None or taken < limit:
            entry = claim_next()
            if entry is None:
                break
            taken += 1
            outcome, error = deliver(entry, sender)
            outcomes[outcome] += 1
            if isinstance(error, ServerUnreachable):
                outcomes["unreachable"] = 1
                break
    return outcomes


def pass_summary(outcomes):
    """A mail pass's counts as the worker prints them ('2 sent, 1 retry, 0 failed'), and
    why it ended early when it did: its counts carry 'unreachable' then."""
    counts = ", ".join(
        f"{count} {outcome}" for outcome, count in outcomes.items() if outcome != "unreachable"
    )
    if outcomes.get("unreachable"):
        counts += "; no connection to the mail server, so the pass ended there"
    return counts


def sender_for(config):
    """SMTP when a host is configured, else the mailbox folder."""
    return SmtpSender(config) if config["SMTP_HOST"] else MailboxSender(config)


def _close_quietly(connection):
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _decode(reply):
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _text(error):
    return _decode(error.smtp_error)


def refused_for_good(error):
    """A 5xx reply: the server refused the message, or its recipient, for good."""
    return isinstance(error, PermanentDeliveryError)


# Every mail Puas sends (invitations, alerts, digests) retries alike: gaps doubling from
# OUTBOX_RETRY_SECONDS up to an hour, each lengthened by up to 25 %, until
# OUTBOX_MAX_ATTEMPTS (the defaults here; configured() applies the deployment's). Every
# other failure, an unexpected exception included, is worth another try. What a refusal
# means beyond giving up (the outbox suppresses a customer's address) is each queue's own.
MAIL_RETRY = RetryPolicy(
    attempts=DEFAULTS["OUTBOX_MAX_ATTEMPTS"],
    base_seconds=DEFAULTS["OUTBOX_RETRY_SECONDS"],
    cap_seconds=3600,
    jitter=0.25,
    permanent=refused_for_good,
)
