"""FlaskForm classes: every form Puas shows, with its validation."""

import re

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from surveys import clock
from surveys.integrations import KIND_LABELS
from surveys.questions import CES, CSAT, NPS, RATING_DIMENSIONS
from surveys.text import refused_characters

COMMENT_MAX_LENGTH = 5000


def scale_value(value):
    """An answer as sent by the form: plain ASCII digits only ("4", not " 4", "+4" or "٤")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"0|[1-9][0-9]?", value):
        raise ValueError("not a number on the scale")
    return int(value)


def score_field(question):
    """A skippable question on a scale: skipped stays None, anything off the scale is refused."""
    scale = question.scale
    message = _l("Please choose a number from %(low)d to %(high)d.", low=scale[0], high=scale[-1])
    return RadioField(
        question.text,
        choices={str(score): str(score) for score in scale},
        coerce=scale_value,
        validators=[Optional()],
        invalid_value_message=message,
        invalid_choice_message=message,
    )


def strip(value):
    """Trim text before it is validated: blank is empty."""
    return value.strip() if isinstance(value, str) else value


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


def rating_field(dimension):
    """A required 1–5 rating of one dimension."""
    message = "Please choose a rating from 1 to 5."
    return RadioField(
        dimension.text,
        choices={str(score): str(score) for score in dimension.scale},
        coerce=scale_value,
        validators=[InputRequired(message)],
        invalid_value_message=message,
        invalid_choice_message=message,
    )


def plain_text(form, field):
    """Refuse control characters other than line breaks and tabs."""
    if field.data and refused_characters(field.data, multiline=True):
        raise ValidationError(
            gettext("Please remove the special control characters from this text.")
        )


class SurveyForm(FlaskForm):
    """The customer's survey: CSAT, CES, NPS (each skippable) and a comment."""

    csat = score_field(CSAT)
    ces = score_field(CES)
    nps = score_field(NPS)
    comment = TextAreaField(
        _l("Anything else you would like to tell us? (optional)"),
        validators=[
            Optional(),
            Length(
                max=COMMENT_MAX_LENGTH,
                message=_l("Please keep your comment to %(max)d characters or fewer."),
            ),
            plain_text,
        ],
    )

    def validate(self, extra_validators=None):
        """All fields valid, and at least one question answered."""
        if not super().validate(extra_validators):
            return False
        if all(answer is None for answer in self.answers().values()):
            self.form_errors.append(gettext("Please answer at least one question before sending."))
            return False
        return True

    def answers(self):
        """The answers as stored: skipped questions are None, comment trimmed."""
        comment = (self.comment.data or "").strip() or None
        return {
            "csat": self.csat.data,
            "ces": self.ces.data,
            "nps": self.nps.data,
            "comment": comment,
        }


class LoginForm(FlaskForm):
    """Sign in with email and password."""

    email = StringField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])


class PersonForm(FlaskForm):
    """A manager adds a person: email, name, role, admin or not, first password."""

    email = StringField("Email", validators=[InputRequired(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = RadioField(
        "Role",
        choices={"staff": "Staff", "manager": "Manager"},
        validators=[InputRequired()],
        default="staff",
    )
    rated = BooleanField("Admin: staff rate this person on speed, initiative and accuracy")
    password = PasswordField(
        "First password (at least 12 characters)",
        validators=[InputRequired(), Length(min=12, max=1024)],
    )


class PersonUpdateForm(FlaskForm):
    """A manager changes a person's role, admin mark or whether they can sign in."""

    role = RadioField(
        "Role", choices={"staff": "Staff", "manager": "Manager"}, validators=[InputRequired()]
    )
    rated = BooleanField("Admin: staff rate this person")
    active = BooleanField("Can sign in")


class PasswordResetForm(FlaskForm):
    """A manager sets a new password for a person."""

    password = PasswordField(
        "New password (at least 12 characters)",
        validators=[InputRequired(), Length(min=12, max=1024)],
    )


class RatingForm(FlaskForm):
    """A staff member rates an admin for a month (one rating per rater, admin and period)."""

    admin = SelectField("Admin", validators=[InputRequired()])
    period = StringField("Month (YYYY-MM)", validators=[InputRequired()])
    speed = rating_field(RATING_DIMENSIONS["speed"])
    initiative = rating_field(RATING_DIMENSIONS["initiative"])
    accuracy = rating_field(RATING_DIMENSIONS["accuracy"])
    comment_speed = TextAreaField(
        "Comment on speed (optional)", validators=[Optional(), Length(max=2000), plain_text]
    )
    comment_initiative = TextAreaField(
        "Comment on initiative (optional)", validators=[Optional(), Length(max=2000), plain_text]
    )
    comment_accuracy = TextAreaField(
        "Comment on accuracy (optional)", validators=[Optional(), Length(max=2000), plain_text]
    )


class IncidentForm(FlaskForm):
    """A manager records an error or act of negligence by an admin."""

    admin = SelectField("Admin", validators=[InputRequired()])
    occurred_on = DateField("Date", validators=[InputRequired(), year_in_range, not_in_future])
    description = TextAreaField(
        "What happened", filters=[strip], validators=[DataRequired(), Length(max=2000), plain_text]
    )
    severity = RadioField(
        "Severity",
        choices={"low": "Low", "medium": "Medium", "high": "High"},
        validators=[InputRequired()],
        default="low",
    )


class DeliverableForm(FlaskForm):
    """A manager records work an admin owes by a deadline, and when it came."""

    admin = SelectField("Admin", validators=[InputRequired()])
    title = StringField(
        "Title", filters=[strip], validators=[DataRequired(), Length(max=200), plain_text]
    )
    deadline = DateField("Deadline", validators=[InputRequired(), year_in_range])
    submitted_on = DateField(
        "Submitted on (leave empty if not yet)",
        validators=[Optional(), year_in_range, not_in_future],
    )


class IntegrationForm(FlaskForm):
    """A new integration."""

    kind = SelectField("Help desk", choices=KIND_LABELS, validators=[InputRequired()])
    name = StringField(
        "Name",
        validators=[InputRequired(), Length(max=100)],
        description="For you: e.g. “Zendesk, support team”.",
    )


class HookForm(FlaskForm):
    """A URL to POST responses to."""

    url = StringField(
        "URL",
        validators=[InputRequired(), Length(max=2000)],
        description="Where Puas POSTs each response as it arrives or changes.",
    )


class UploadForm(FlaskForm):
    """A CSV file of closed tickets."""

    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])


class ImportForm(FlaskForm):
    """Import with the mapping on the page."""

    survey = BooleanField(
        "Survey the customers of these tickets",
        description="Leave unticked to load past tickets for reports only.",
    )
