"""The reports wing's forms: the targets form, one number per score, and agents' settings."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from surveys.reports.targets import TARGETS


def finite(message):
    """A validator refusing NaN and infinities (NumberRange raises on a signalling NaN)."""

    def check(form, field):
        if field.data is not None and not field.data.is_finite():
            raise StopValidation(message)

    return check


def targets_form(formdata=None, values=None, optional=False):
    """A form with one number per target, limited to that score's scale; with
    `optional`, an empty box is allowed (a team then uses the company's target)."""

    class TargetsForm(FlaskForm):
        pass

    for target in TARGETS:
        message = f"Enter a number from {target.low:g} to {target.high:g}."
        required = Optional() if optional else InputRequired(message)
        setattr(
            TargetsForm,
            target.name,
            DecimalField(
                target.label,
                places=None,
                validators=[
                    required,
                    finite(message),
                    NumberRange(target.low, target.high, message),
                ],
            ),
        )
    return TargetsForm(formdata=formdata, data=values)


def checkbox_value(form, field):
    """A checkbox is ticked (its one value, "y") or left out; anything else is refused."""
    if field.raw_data and (len(field.raw_data) > 1 or field.raw_data[0] != "y"):
        raise StopValidation(f"{field.name} must be ticked (y) or left out.")


class AgentSettingsForm(FlaskForm):
    """Whether agents may read their own scores on /my-scores."""

    self_view = BooleanField(
        "Agents may read their own scores on “My scores”", validators=[checkbox_value]
    )


class MonthForm(FlaskForm):
    """One month's business figures, as typed; surveys.reports.business reads them (an
    empty box clears the figure)."""

    customers_start = StringField("Customers at the start", validators=[Length(max=30)])
    customers_new = StringField("New customers", validators=[Length(max=30)])
    customers_end = StringField("Customers at the end", validators=[Length(max=30)])
    support_cost = StringField("Support cost", validators=[Length(max=30)])


class MonthsUploadForm(FlaskForm):
    """A CSV file of months: month, customers_start, customers_new, customers_end,
    support_cost."""

    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
