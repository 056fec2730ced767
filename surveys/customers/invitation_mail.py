"""The invitation mail: what every invitation of a pass shares, prepared once, then each
message built from it and flattened once, ready for the wire.

The mail worker builds thousands of these in a burst. The email package's modern API (an
EmailMessage with the default policy) parses every header it is given and folds it again
on output, about 3 ms a message here: more than the whole SMTP conversation. The same
package's legacy API (the MIME classes, email.header, the compat32 policy) writes the same
standard message in about a quarter of that: multipart/alternative, the text and the HTML
in quoted-printable UTF-8 (encoded by binascii, in C), the logo inline in a
multipart/related part, names and subjects RFC 2047-encoded where they are not ASCII.
"""

import base64
import binascii
import io
import secrets
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import Address
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr

from flask import current_app, render_template
from flask_babel import get_translations
from jinja2 import pass_context
from markupsafe import Markup

from surveys import clock
from surveys.customers.brand import Brand, logo_content_id, mail_context
from surveys.customers.mail import Outgoing, message_id, survey_url
from surveys.customers.questions import CSAT, CSAT_LABELS
from surveys.customers.suppression import unsubscribe_headers, unsubscribe_url
from surveys.i18n import current_language, in_language


class WirePolicy(Compat32):
    """compat32 with SMTP's line ends, header lines folded at 78 characters as RFC 5322
    recommends; a header already that short, in ASCII, is written as it is (the email
    package would fold it to the same line, at many times the cost)."""

    def fold_binary(self, name, value):
        """The header's line(s), as bytes."""
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= self.max_line_length
            and "\r" not in value
            and "\n" not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


WIRE = WirePolicy(linesep="\r\n")


class OneLine:
    """A header value written on one line as it is (List-Unsubscribe: clients do not read
    it folded inside a URI); the legacy generator folds any plain string."""

    def __init__(self, value):
        self.value = value

    def encode(self, linesep="\n", maxlinelen=None):
        """The value, unfolded (how the generator asks a header for its text)."""
        return self.value

    def __str__(self):
        return self.value


class Wording:
    """One language's words for every invitation in it, looked up once a pass: the
    catalogue, the CSAT question and labels, and the templates' gettext."""

    def __init__(self, company, language):
        with in_language(language):
            self.language = current_language()
            self.translations = get_translations()
            self.csat_question = CSAT.asked_by(company)
            self.csat_labels = {score: str(CSAT_LABELS[score]) for score in CSAT.scale}
        # As Flask-Babel installs them in Jinja (the new style: escaped, then formatted),
        # bound to this catalogue instead of looking it up on every call.
        translations = self.translations

        @pass_context
        def template_gettext(context, string, **variables):
            text = translations.ugettext(string)
            if context.eval_ctx.autoescape:
                text = Markup(text)
            return text % variables

        @pass_context
        def template_ngettext(context, singular, plural, number, **variables):
            text = translations.ungettext(singular, plural, number)
            if context.eval_ctx.autoescape:
                text = Markup(text)
            variables.setdefault("num", number)
            return text % variables

        self.template_callables = {"gettext": template_gettext, "ngettext": template_ngettext}

    def gettext(self, string, **variables):
        """A message in this language, formatted (as flask_babel.gettext)."""
        return self.translations.ugettext(string) % variables


class InvitationMail:
    """What every invitation of a pass shares, prepared once: the settings, the sender,
    the brand (its logo encoded once), the two templates and each language's wording."""

    def __init__(self, config, brand=None):
        self.config = config
        self.company = config["COMPANY_NAME"]
        sender = Address(addr_spec=config["MAIL_FROM"])
        self.mail_from = sender.addr_spec
        self.domain = sender.domain or "localhost"
        self.from_header = address_header(self.company, self.mail_from)
        self.brand = brand or Brand()
        logo = self.brand.logo
        self.logo_base64 = base64.encodebytes(logo.content).decode("ascii") if logo else None
        self.text_template = current_app.jinja_env.get_template("email/invitation.txt")
        self.html_template = current_app.jinja_env.get_template("email/invitation.html")
        self.wordings = {}

    def wording(self, language):
        """A language's wording, worked out for its first message."""
        if language not in self.wordings:
            self.wordings[language] = Wording(self.company, language)
        return self.wordings[language]

    def compose(
        self,
        *,
        recipient,
        customer_name,
        ticket_ref,
        token,
        unsubscribe_token,
        outbox_id,
        outbox_created_at,
        language,
        ttl_days=None,
        nps_asked=True,
        reminder=False,
    ):
        """An invitation (or its reminder) with the CSAT question as five links, in the
        given language (the outbox speaks the ticket's: i18n.mail_language)."""
        refuse_line_breaks(recipient, customer_name, ticket_ref)
        wording = self.wording(language)
        logo_cid = logo_content_id(self.brand, self.domain)
        context = {
            **self.context(wording, customer_name, ticket_ref, token, ttl_days),
            "nps_asked": nps_asked,
            "reminder": reminder,
            "unsubscribe_url": unsubscribe_url(self.config["BASE_URL"], unsubscribe_token),
            **mail_context(self.brand, logo_cid),
        }
        message = MIMEMultipart("alternative", boundary=boundary())
        message["Subject"] = self.subject(wording, ticket_ref, reminder)
        message["From"] = self.from_header
        message["To"] = address_header(customer_name, recipient)
        message["Date"] = format_datetime(clock.now())
        message["Message-ID"] = message_id(self.config, outbox_id, outbox_created_at, self.domain)
        # Tells auto-responders not to answer a survey invitation (RFC 3834).
        message["Auto-Submitted"] = "auto-generated"
        message["Content-Language"] = wording.language
        for name, value in unsubscribe_headers(self.config, unsubscribe_token).items():
            message[name] = OneLine(value)
        message.attach(text_part("plain", render_template(self.text_template, **context)))
        html = text_part("html", render_template(self.html_template, **context))
        if logo_cid:
            related = MIMEMultipart("related", boundary=boundary())
            related.attach(html)
            related.attach(self.logo_part(logo_cid))
            html = related
        message.attach(html)
        return Outgoing(
            sender=self.mail_from,
            recipients=(recipient,),
            content=flattened(message),
            message_id=message["Message-ID"],
        )

    def context(self, wording, customer_name, ticket_ref, token, ttl_days):
        """What the two templates show of the invitation, in the wording's language."""
        base_url = self.config["BASE_URL"]
        return {
            **wording.template_callables,
            "lang": wording.language,
            "company": self.company,
            "customer_name": customer_name,
            "ticket_ref": ticket_ref,
            "survey_url": survey_url(base_url, token),
            "csat_links": [
                {
                    "score": score,
                    "label": wording.csat_labels[score],
                    "url": survey_url(base_url, token, csat=score),
                }
                for score in CSAT.scale
            ],
            "csat_question": wording.csat_question,
            "ttl_days": ttl_days or self.config["LINK_TTL_DAYS"],
        }

    def subject(self, wording, ticket_ref, reminder):
        """The subject line, in the wording's language."""
        subject = wording.gettext(
            "How did we do? Your request %(ticket)s with %(company)s",
            ticket=ticket_ref,
            company=self.company,
        )
        if reminder:
            subject = wording.gettext("Reminder: %(subject)s", subject=subject)
        return subject

    def logo_part(self, content_id):
        """The logo as an inline image with its Content-ID (its base64 made once)."""
        maintype, subtype = self.brand.logo.content_type.split("/")
        part = MIMENonMultipart(maintype, subtype)
        part["Content-Transfer-Encoding"] = "base64"
        part["Content-ID"] = content_id
        part["Content-Disposition"] = (
            f'inline; filename="logo.{"png" if subtype == "png" else "jpg"}"'
        )
        part.set_payload(self.logo_base64)
        return part


def address_header(name, address):
    """`name <address>`: an ASCII name quoted where RFC 5322 needs it, any other encoded
    (RFC 2047) in words the generator can fold; the address alone without a name."""
    if not name or name.isascii():
        return formataddr((name or "", address))
    header = Header(name, "utf-8")
    header.append(f"<{address}>", "us-ascii")
    return header


def refuse_line_breaks(*values):
    """ValueError for a line break in a value meant for a header: none can be injected
    (the closure's checks refuse them already; this keeps the mail safe on its own)."""
    for value in values:
        if value and ("\r" in value or "\n" in value):
            raise ValueError("a header value must not contain a line break")


def boundary():
    """A multipart boundary no part can contain: "=_" begins no quoted-printable or base64
    text, so the email package need not search the parts for it."""
    return f"=_puas_{secrets.token_hex(12)}"


def text_part(subtype, text):
    """A UTF-8 text part in quoted-printable: readable as source, no line too long."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii"))
    return part


def flattened(message):
    """The message's bytes as SMTP carries them (CRLF), never mangling 'From ' lines."""
    with io.BytesIO() as buffer:
        BytesGenerator(buffer, mangle_from_=False, policy=WIRE).flatten(message)
        return buffer.getvalue()
