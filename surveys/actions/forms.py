"""The actions wing's forms: the digest choice on /profile."""

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import AnyOf, InputRequired

from surveys.actions.digests import CHOICES

DIGEST_MESSAGE = "digest must be one of none, weekly or monthly."


class ProfileForm(FlaskForm):
    """Which digest a manager gets by mail: none, weekly or monthly."""

    digest = RadioField(
        "Digest by mail",
        choices={
            "none": "No digest",
            "weekly": "Weekly, for Monday to Sunday",
            "monthly": "Monthly, for the calendar month",
        },
        # The choice is checked by AnyOf, so a wrong value gets a message naming the field.
        validate_choice=False,
        validators=[InputRequired(DIGEST_MESSAGE), AnyOf(CHOICES, DIGEST_MESSAGE)],
    )
