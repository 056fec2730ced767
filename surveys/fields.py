"""Field filters and validators that every wing's forms share, and the reading of a
query string's on/off filters."""

import re

from flask import current_app
from flask_babel import gettext
from wtforms.validators import ValidationError

from surveys import clock
from surveys.text import blank, refused_characters


def scale_value(value):
    """An answer as sent by the form: plain ASCII digits only ("4", not " 4", "+4" or "٤")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"0|[1-9][0-9]?", value):
        raise ValueError("not a number on the scale")
    return int(value)


def strip(value):
    """Trim text before it is validated. Blank text (spaces or zero-width characters alone)
    is empty, so a required field refuses it and an optional one stores none."""
    if not isinstance(value, str):
        return value
    return "" if blank(value) else value.strip()


def year_in_range(form, field):
    """Dates Puas can show: the years 2000 to 2999 (as months and periods everywhere)."""
    if field.data and not clock.EARLIEST_YEAR <= field.data.year <= clock.LATEST_YEAR:
        raise ValidationError(
            f"Choose a date between the years {clock.EARLIEST_YEAR} and {clock.LATEST_YEAR}."
        )


def not_in_future(form, field):
    """A day that has already come (in the business's time zone)."""
    if field.data and field.data > clock.today(current_app.config["TIMEZONE"]):
        raise ValidationError("This date is in the future.")


def plain_text(form, field):
    """Refuse control characters other than line breaks and tabs."""
    if field.data and refused_characters(field.data, multiline=True):
        raise ValidationError(
            gettext("Please remove the special control characters from this text.")
        )


def read_flag(args, name, errors):
    """A query string's filter that is on ("1", what a ticked box sends) or off (empty or
    left out); errors[name] otherwise, so a link that means something else is refused, not
    read as off."""
    value = args.get(name, "")
    if value not in ("", "1"):
        errors[name] = "must be 1 or left out"
    return value == "1"
