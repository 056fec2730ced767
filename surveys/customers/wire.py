"""The SMTP conversation in a thread of its own, so the mail worker builds the next message
and records the last outcome while the server reads and answers.

Messages go out one after another through one sender (whose kept connection only this
thread touches). The next message waits in the thread's queue, so its MAIL and RCPT go the
moment the one before is answered, while the worker records that one; its DATA waits until
the record is written (its Handover), so, as when the worker sent without a thread, at
most one message is ever taken by the server and not yet recorded. The database stays
with the worker's thread: no write transaction is open while SMTP talks.

A server that cannot be reached ends the pass's sending: the message that found it so is
retried later, and the ones queued after it are given back untried (TooLate), each due
again at the next pass, rather than each waiting out its own connection's time.

The worker builds the next message once this one's text has gone to the server: from
there the SMTP thread only waits for the server to read it and answer, and needs no
Python. Built earlier, the next message would hold the interpreter (the GIL) while a
reply (MAIL's, RCPT's, or DATA's 354) waits to be read, and the text would wait for it.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from surveys import clock
from surveys.customers.mail import ServerUnreachable

# How long the worker waits for a message's text to go before it builds the next one
# anyway (a slow server): the wait saves time, nothing depends on it.
HAND_OVER_SECONDS = 1
# How long a message waits at its DATA for the worker to record the message before (its
# write waits at most the database's 30 s busy timeout); after it, it is not sent.
RECORD_WAIT_SECONDS = 120


class TooLate(Exception):
    """A message whose sending had not begun by its deadline, was called off before its
    DATA, or was queued after the server was found unreachable: it was not sent."""


class Handover:
    """One message's DATA: held until the worker lets it begin."""

    def __init__(self):
        self.may_begin = threading.Event()
        self.text_sent = threading.Event()
        self.called_off = False

    def allow(self):
        """Let the DATA begin (the message before is recorded); return once the message's
        text has gone to the server, or the sending ended (or HAND_OVER_SECONDS passed)."""
        self.may_begin.set()
        self.text_sent.wait(timeout=HAND_OVER_SECONDS)

    def call_off(self):
        """The message is not to be sent, if its DATA has not begun."""
        self.called_off = True
        self.may_begin.set()

    def before_data(self):
        """On the SMTP thread, as the DATA is to begin: wait for allow(); TooLate when the
        message was called off."""
        if not self.may_begin.wait(timeout=RECORD_WAIT_SECONDS) or self.called_off:
            raise TooLate()


class Wire:
    """One sender's SMTP thread, and the messages queued for it."""

    def __init__(self, sender):
        self.sender = sender
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="puas-smtp")
        self.last = None  # the handover of the message queued last
        self.unreachable = False  # set on the SMTP thread; no message is tried after it

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc_info):
        if exc_type is not None and self.last is not None:
            self.last.call_off()  # after an error, a message not begun is not sent
        self.thread.shutdown(wait=True)
        self.sender.on_data = self.sender.on_text_sent = None  # it may serve another pass

    def send(self, message, deadline):
        """Queue a message behind the one being sent: its MAIL and RCPT go once that one is
        answered, its DATA once its handover allows. Returns (future, handover); the future
        ends when its sending does, with the exception the send raised, or TooLate."""
        handover = Handover()
        future = self.thread.submit(self.send_in_turn, message, deadline, handover)
        future.add_done_callback(lambda _: handover.text_sent.set())
        self.last = handover
        return future, handover

    def send_in_turn(self, message, deadline, handover):
        """On the SMTP thread: send a message, its DATA held by its handover; TooLate when
        its deadline (a datetime) has passed, it was called off, or the server was found
        unreachable."""
        if self.unreachable or handover.called_off or clock.now() > deadline:
            raise TooLate()
        self.sender.on_data = handover.before_data  # the sender calls it as DATA is to begin
        self.sender.on_text_sent = handover.text_sent.set  # and this once the text has gone
        try:
            self.sender.send(message)
        except ServerUnreachable:
            self.unreachable = True
            raise
