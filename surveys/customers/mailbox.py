"""The mail folder: without an SMTP server, mail is written to instance/mail/ as .eml files.

These read it back, for the mailbox pages (`surveys.customers.views.mailbox`) and the
tests. Only names the mailbox sender writes are read, so a filename from a URL can never
reach outside the folder.
"""

import base64
import os
import re
from email import policy
from email.parser import BytesParser

FILENAME_PATTERN = re.compile(r"[0-9A-Za-z.\-]+\.eml")
MAX_LISTED = 200


def read_message(path):
    """Parse an .eml file."""
    with open(path, "rb") as eml_file:
        return BytesParser(policy=policy.default).parse(eml_file)


def list_messages(directory):
    """The newest messages first, as dicts of filename and headers."""
    if not os.path.isdir(directory):
        return []
    names = sorted(
        (
            name
            for name in os.listdir(directory)
            if FILENAME_PATTERN.fullmatch(name) and os.path.isfile(os.path.join(directory, name))
        ),
        reverse=True,
    )[:MAX_LISTED]
    messages = []
    for name in names:
        message = read_message(os.path.join(directory, name))
        messages.append(
            {
                "filename": name,
                "to": message["To"],
                "subject": message["Subject"],
                "date": message["Date"],
            }
        )
    return messages


def find_message(directory, filename):
    """The message stored in the folder under a filename, or None when there is none."""
    if not FILENAME_PATTERN.fullmatch(filename):
        return None
    path = os.path.join(directory, filename)
    if not os.path.isfile(path):
        return None
    return read_message(path)


def plain_text(message):
    """A message's plain-text body, or a note saying it has none."""
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else "(This message has no plain-text part.)"


# Inline images a mailbox page may show: what Puas itself attaches (the brand's logo).
INLINE_IMAGE_TYPES = ("image/png", "image/jpeg")
CID_REFERENCE = re.compile(r"""(["'])cid:([^"'\s>]+)\1""", re.IGNORECASE)


def html_as_sent(message):
    """A message's HTML part with each cid: image it names replaced by the image itself
    (a data: URL), as a mail program shows it; None when it has no HTML part."""
    body = message.get_body(preferencelist=("html",))
    if body is None:
        return None
    images = {
        part["Content-ID"].strip().strip("<>"): part
        for part in message.walk()
        if part["Content-ID"] and part.get_content_type() in INLINE_IMAGE_TYPES
    }

    def inline(match):
        part = images.get(match.group(2))
        if part is None:  # left as cid:, which the page's CSP will not load
            return match.group(0)
        encoded = base64.b64encode(part.get_content()).decode("ascii")
        quote = match.group(1)
        return f"{quote}data:{part.get_content_type()};base64,{encoded}{quote}"

    return CID_REFERENCE.sub(inline, body.get_content())
