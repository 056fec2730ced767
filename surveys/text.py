"""Checks for text that people and help desks send: one place, one set of rules."""

import functools
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

# The longest cell of a CSV file Puas reads (a help desk's export, a call log, the months'
# figures): as long as an import's line may be (imports.MAX_LINE_CHARACTERS). csv's own
# limit, 131,072, would refuse a whole file for one long cell, where its row alone should
# be refused for its too-long value. That limit is the csv module's, for the whole process:
# each module that reads CSV sets it to this, so none depends on another being imported.
MAX_CSV_CELL = 1024 * 1024

# Bidirectional overrides and isolates can make text display as something it is not.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters, lone surrogates, and line or paragraph separators.
REFUSED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
MULTILINE_ALLOWED = set("\t\r\n")
# Characters that show nothing on their own: controls, lone surrogates, spaces and
# separators, format characters (zero-width space, joiners, U+FEFF, word joiner, tags);
# and, in other categories, the rest of Unicode's default-ignorable characters (the
# combining grapheme joiner, Hangul fillers, Khmer inherent vowels, variation selectors,
# unassigned ignorables) and the blank Braille pattern, U+2800.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}
INVISIBLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0FFF),
)
# How quoted() shows what would break the line or show nothing; others are [U+XXXX].
LINE_BREAKS = set("\r\n\x85\u2028\u2029")
QUOTED_MAX_CHARS = 80
# An unquoted ASCII local part, as RFC 5322 3.2.3 and email_validator define it.
DOT_ATOM = re.compile(r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+)*")


def refused_characters(value, multiline=False):
    """True when the text holds characters Puas does not store."""
    if value.isascii() and value.isprintable():
        return False  # printable ASCII holds no control, separator or bidi character
    allowed = MULTILINE_ALLOWED if multiline else set()
    return any(
        character not in allowed
        and (unicodedata.category(character) in REFUSED_CATEGORIES or character in BIDI_CONTROLS)
        for character in value
    )


def visible(character):
    """True when the character shows something on its own."""
    if unicodedata.category(character) in INVISIBLE_CATEGORIES:
        return False
    code = ord(character)
    return not any(low <= code <= high for low, high in INVISIBLE_RANGES)


def shows_anything(value):
    """True when the text holds a visible character: zero-width spaces, joiners and the
    like alone are as empty as spaces, though they pass a strip(). Joiners inside visible
    text (an emoji sequence, a word in Indic or Arabic script) leave it visible."""
    return any(visible(character) for character in value)


def blank(value):
    """True when the text is as good as empty: spaces, line breaks and zero-width
    characters alone. A control character is not blank: it is refused by its own message."""
    return not shows_anything(value) and not refused_characters(value, multiline=True)


def quoted(value):
    """Text a person typed, to show back in a message in plain words: in “ ”, each line
    break, tab or character that shows nothing named ([line break], [tab], [U+200B]), at
    most QUOTED_MAX_CHARS of it; never Python's repr, which readers cannot read."""
    text = value.replace("\r\n", "\n")
    cut = text[:QUOTED_MAX_CHARS]
    shown = "".join(described(character) for character in cut)
    return f"“{shown}{'…' if len(text) > len(cut) else ''}”"


def described(character):
    """A character as quoted() shows it: itself when it shows, else its name or code."""
    if character in LINE_BREAKS:
        return "[line break]"
    if character == "\t":
        return "[tab]"
    if character == " " or visible(character):
        return character
    return f"[U+{ord(character):04X}]"


def clean_text(value, max_length, multiline=False):
    """A trimmed string, empty when nothing in it shows (zero-width characters alone), or
    ValueError with a message fit to show next to the field."""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    value = value.strip()
    if len(value) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    if refused_characters(value, multiline=multiline):
        raise ValueError("must not contain control characters (such as line breaks)")
    return value if shows_anything(value) else ""


@functools.lru_cache(maxsize=4096)  # pure, and agents' addresses arrive again and again
def clean_email(value):
    """A deliverable-looking address in ASCII form, lower-cased; no DNS lookups.

    International domains are kept in their ASCII (punycode) form, which every mail
    server accepts; a non-ASCII local part is refused, because most servers refuse it.
    """
    value = clean_text(value, 254)
    if not value:
        raise ValueError("is required")
    local_part, _, domain = value.partition("@")
    # Most addresses are plain ASCII: an unquoted local part (email_validator's own first
    # check) at a domain already checked. Checking only the domain, once per domain, gives
    # the same answer as the whole check at a fraction of the cost (an import of a million
    # tickets checks a million addresses); anything else, or a refused domain (for the
    # message), takes the whole check.
    if value.isascii() and DOT_ATOM.fullmatch(local_part) and "xn--" not in domain.lower():
        checked_domain = ascii_domain(domain)
        if checked_domain is not None:
            return f"{local_part}@{checked_domain}".lower()
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(f"is not a valid email address ({error})") from error
    return checked.ascii_email.lower()


@functools.lru_cache(maxsize=4096)
def ascii_domain(domain):
    """The domain of an address in ASCII form, as email_validator checks it, or None."""
    try:
        checked = validate_email(f"postmaster@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.ascii_domain
