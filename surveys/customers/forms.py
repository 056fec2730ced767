"""The customers wing's forms: the customer's survey, and the managers' distribution rules."""

import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import Length, Optional, StopValidation, ValidationError

from surveys.customers.distribution import RULES, Rules
from surveys.customers.questions import CES, CSAT, NPS
from surveys.fields import plain_text, scale_value

COMMENT_MAX_LENGTH = 5000


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


# The distribution rules (/settings/distribution), for managers: English only.


def whole_number(rule):
    """A validator: ASCII digits only (no sign, decimals or other scripts' digits), in range."""
    message = f"Enter a whole number from {rule.low} to {rule.high}."

    def check(form, field):
        text = (field.data or "").strip()
        if not text:
            raise StopValidation(f"This rule is required. {message}")
        if not re.fullmatch(r"[0-9]{1,9}", text) or not rule.low <= int(text) <= rule.high:
            raise ValidationError(message)

    return check


def rules_form(formdata=None, rules=None):
    """A form with one whole number per rule, limited to that rule's range."""

    class RulesForm(FlaskForm):
        pass

    for rule in RULES:
        setattr(RulesForm, rule.name, StringField(rule.label, validators=[whole_number(rule)]))
    values = {rule.name: str(getattr(rules, rule.name)) for rule in RULES} if rules else None
    return RulesForm(formdata=formdata, data=values)


def submitted_rules(form):
    """The rules of a validated form."""
    return Rules(**{rule.name: int(form[rule.name].data.strip()) for rule in RULES})
