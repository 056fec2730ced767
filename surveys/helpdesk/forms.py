"""Help-desk forms: integrations, outbound hooks and CSV imports."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from surveys.helpdesk.payloads import KIND_LABELS


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


class CallImportForm(FlaskForm):
    """Import a call log with the mapping on the page (its CSRF token only)."""
