"""Staff forms: sign-in, people, ratings of admins, incidents and deliverables."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from surveys.customers.questions import RATING_DIMENSIONS
from surveys.fields import not_in_future, plain_text, scale_value, strip, year_in_range


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
        "Comment on speed (optional)",
        filters=[strip],
        validators=[Optional(), Length(max=2000), plain_text],
    )
    comment_initiative = TextAreaField(
        "Comment on initiative (optional)",
        filters=[strip],
        validators=[Optional(), Length(max=2000), plain_text],
    )
    comment_accuracy = TextAreaField(
        "Comment on accuracy (optional)",
        filters=[strip],
        validators=[Optional(), Length(max=2000), plain_text],
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
