"""Invitation messages and the two ways to send them: SMTP, or .eml files in a mailbox folder."""

import hashlib
import hmac
import os
import re
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import render_template
from flask_babel import gettext

from surveys import clock
from surveys.config import DEFAULTS
from surveys.customers.brand import Brand, attach_logo, logo_content_id, mail_context
from surveys.customers.questions import CSAT, CSAT_LABELS
from surveys.i18n import current_language
from surveys.store.queue import RetryPolicy


class DeliveryError(Exception):
    """Delivery failed for now (network, 4xx reply); the outbox tries again later."""


class PermanentDeliveryError(DeliveryError):
    """The server refused the message for good (5xx reply); never retried."""


class RecipientRefused(PermanentDeliveryError):
    """The server refused the recipient's address for good: later mail to it is suppressed."""


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


def invitation_message(
    *,
    config,
    recipient,
    customer_name,
    ticket_ref,
    token,
    outbox_id,
    outbox_created_at,
    ttl_days=None,
    nps_asked=True,
    reminder=False,
    unsubscribe_url=None,
    brand=None,
):
    """A multipart (text + HTML) invitation with the CSAT question as five links, in the
    current language (the outbox speaks the ticket's: i18n.in_language); the brand's logo
    rides along as an inline image (multipart/related)."""
    company = config["COMPANY_NAME"]
    brand = brand or Brand()
    sender_address = Address(addr_spec=config["MAIL_FROM"])
    logo_cid = logo_content_id(brand, sender_address.domain)
    context = {
        "company": company,
        "customer_name": customer_name,
        "ticket_ref": ticket_ref,
        "survey_url": survey_url(config["BASE_URL"], token),
        "csat_links": [
            {
                "score": score,
                "label": CSAT_LABELS[score],
                "url": survey_url(config["BASE_URL"], token, csat=score),
            }
            for score in CSAT.scale
        ],
        "csat_question": CSAT.asked_by(company),
        "ttl_days": ttl_days or config["LINK_TTL_DAYS"],
        # The distribution rules: NPS at most once per NPS_INTERVAL_DAYS, one reminder.
        "nps_asked": nps_asked,
        "reminder": reminder,
        "unsubscribe_url": unsubscribe_url,
        **mail_context(brand, logo_cid),
    }
    message = EmailMessage()
    subject = gettext(
        "How did we do? Your request %(ticket)s with %(company)s",
        ticket=ticket_ref,
        company=company,
    )
    if reminder:
        subject = gettext("Reminder: %(subject)s", subject=subject)
    message["Subject"] = subject
    message["From"] = Address(
        display_name=company, username=sender_address.username, domain=sender_address.domain
    )
    # Address() refuses CR/LF in names and addresses: no header can be injected here.
    message["To"] = Address(display_name=customer_name or "", addr_spec=recipient)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id(
        config, outbox_id, outbox_created_at, sender_address.domain or "localhost"
    )
    # Tells auto-responders not to answer a survey invitation (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template("email/invitation.txt", **context))
    message.add_alternative(render_template("email/invitation.html", **context), subtype="html")
    attach_logo(message, brand, logo_cid)
    # After the parts: set_content() drops every Content-* header set before it.
    message["Content-Language"] = current_language()
    return message


class SmtpSender:
    """Sends through an SMTP server, with STARTTLS or SSL when configured."""

    name = "smtp"

    def __init__(self, config):
        self.host = config["SMTP_HOST"]
        self.port = config["SMTP_PORT"]
        self.username = config["SMTP_USERNAME"]
        self.password = config["SMTP_PASSWORD"]
        self.security = config["SMTP_SECURITY"]
        self.timeout = config["SMTP_TIMEOUT_SECONDS"]

    def send(self, message):  # noqa: C901 (each SMTP failure mapped to its outcome)
        """Deliver one message; PermanentDeliveryError on 5xx, DeliveryError otherwise."""
        try:
            if self.security == "ssl":
                connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.security == "starttls":
                    connection.starttls(context=ssl.create_default_context())
                if self.username:
                    connection.login(self.username, self.password or "")
                connection.send_message(message)
            finally:
                # Once the server accepted the message, a failed QUIT must not turn the
                # delivery into a retry (and a duplicate mail).
                _close_quietly(connection)
        except smtplib.SMTPAuthenticationError as error:
            # Wrong credentials are our configuration, not the recipient: keep retrying.
            raise DeliveryError(f"SMTP login refused: {error.smtp_code} {_text(error)}") from error
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            detail = "; ".join(
                f"{code} {_decode(reply)}" for code, reply in error.recipients.values()
            )
            if codes and all(code >= 500 for code in codes):
                raise RecipientRefused(f"recipient refused: {detail}") from error
            raise DeliveryError(f"recipient deferred: {detail}") from error
        except smtplib.SMTPResponseException as error:
            detail = f"{error.smtp_code} {_text(error)}"
            if error.smtp_code >= 500 and BAD_ADDRESS_CODE.search(_text(error)):
                raise RecipientRefused(f"recipient refused: {detail}") from error
            if error.smtp_code >= 500:
                raise PermanentDeliveryError(f"message refused: {detail}") from error
            raise DeliveryError(f"message deferred: {detail}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP server unreachable: {error}") from error


class MailboxSender:
    """Writes each message as an .eml file, for a Puas without a mail server (the demo)."""

    name = "mailbox"

    def __init__(self, config):
        self.directory = config["MAIL_DIR"]

    def send(self, message):
        """Write the message atomically: readers never see half a file."""
        os.makedirs(self.directory, exist_ok=True)
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        local_part = message["Message-ID"].strip("<>").split("@")[0]
        filename = f"{stamp}-{local_part}.eml"
        final_path = os.path.join(self.directory, filename)
        partial_path = final_path + ".part"
        with open(partial_path, "wb") as eml_file:
            eml_file.write(bytes(message))
        os.replace(partial_path, final_path)
        return filename


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
