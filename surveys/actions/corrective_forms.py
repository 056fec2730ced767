"""The corrective action form: what will be done, by whom, by when, and how it stands."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

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
