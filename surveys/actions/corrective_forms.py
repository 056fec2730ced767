"""The corrective action form: what will be done, by whom, by when, and how it stands."""

import secrets

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from surveys.actions.corrective import STATUSES
from surveys.fields import plain_text, strip, year_in_range


class ActionForm(FlaskForm):
    """A manager records or changes a corrective action. `owner` takes an email from the
    people listed (set `owner.choices`); `earliest_due` is the first day it may be due."""

    what = TextAreaField(
        "What will be done",
        filters=[strip],
        validators=[
            DataRequired("Say what will be done."),
            Length(max=2000, message="Keep it under 2,000 characters."),
            plain_text,
        ],
    )
    owner = SelectField(
        "Owner",
        validators=[InputRequired("Choose who owns the action.")],
        validate_choice=True,
    )
    due_on = DateField(
        "Due on",
        validators=[InputRequired("Enter the day it is due, as YYYY-MM-DD."), year_in_range],
    )
    status = SelectField(
        "Status",
        choices={status: status.capitalize() for status in STATUSES},
        default="open",
        validators=[InputRequired("Choose open, done or dropped.")],
    )

    earliest_due = None

    def validate_due_on(self, field):
        """Not due before the action was opened."""
        if self.earliest_due and field.data and field.data < self.earliest_due:
            raise ValidationError(f"Choose a day from {self.earliest_due.isoformat()} on.")

    def values(self):
        """What a view hands to the rules: {what, owner, due_on, status}."""
        return {name: self[name].data for name in ("what", "owner", "due_on", "status")}


FORM_KEY_EXPIRED = "This form is incomplete: open the page again and fill it in."


def new_form_key():
    """A key for one page of NewActionForm: random, so no two pages share one."""
    return secrets.token_urlsafe(16)


class NewActionForm(ActionForm):
    """An action recorded from a page: its `form_key`, given when the page is made, is
    stored with the action, so the page posted again (a double click, a retry after a
    lost answer) records nothing more."""

    form_key = HiddenField(
        validators=[
            InputRequired(FORM_KEY_EXPIRED),
            Regexp(r"[A-Za-z0-9_-]{16,64}\Z", message=FORM_KEY_EXPIRED),
        ]
    )

    def values(self):
        """ActionForm's values and the form's key."""
        return {**super().values(), "form_key": self.form_key.data}
