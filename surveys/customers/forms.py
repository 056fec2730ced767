"""The customers wing's forms: the customer's survey, and the managers' distribution rules."""

import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError

from surveys.customers.brand import BrandRefused, clean_logo, parse_colour
from surveys.customers.distribution import RULES, Rules, check_review_url
from surveys.customers.questions import CES, CSAT, NPS
from surveys.fields import plain_text, scale_value, strip

COMMENT_MAX_LENGTH = 5000


class ScaleField(RadioField):
    """A radio field for a score, whose check that the answer is on the scale is one set
    lookup: RadioField's own coerces every choice and compares it with the answer, for each
    field of every submit, which took a tenth of a survey answer's time."""

    def __init__(self, *args, scale, **kwargs):
        super().__init__(*args, **kwargs)
        self.scale = scale

    def pre_validate(self, form):
        """Refuse an answer off the scale (a skipped one too: Optional() then clears that)."""
        if self.process_errors or self.data in self.scale:
            return
        raise ValidationError(self.invalid_choice_message)  # score_field always words one


def score_field(question):
    """A skippable question on a scale: skipped stays None, anything off the scale is refused."""
    scale = question.scale
    message = _l("Please choose a number from %(low)d to %(high)d.", low=scale[0], high=scale[-1])
    return ScaleField(
        question.text,
        scale=frozenset(scale),
        # Made when first read (to render the page): a submit never reads them, and
        # WTForms checks and copies choices given as a dict for every field it builds.
        choices=lambda: {str(score): str(score) for score in scale},
        coerce=scale_value,
        validators=[Optional()],
        invalid_value_message=message,
        invalid_choice_message=message,
    )


def ticked_or_left_out(form, field):
    """The consent box is ticked (its one value, "y") or left out; anything else is refused."""
    if field.raw_data and (len(field.raw_data) > 1 or field.raw_data[0] != "y"):
        raise StopValidation(gettext("Please tick the box or leave it empty."))


class SurveyForm(FlaskForm):
    """The customer's survey: CSAT, CES, NPS (each skippable), a comment, and whether the
    customer may be contacted about the answer."""

    class Meta:
        # The app-wide CSRFProtect checks the token before the view runs (a bad one is a
        # 400); the page renders csrf_token() itself. Left on, the form would sign a fresh
        # token on every submit only to throw it away: a tenth of a submit's CPU.
        csrf = False

    csat = score_field(CSAT)
    ces = score_field(CES)
    nps = score_field(NPS)
    comment = TextAreaField(
        _l("Anything else you would like to tell us? (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(
                max=COMMENT_MAX_LENGTH,
                message=_l("Please keep your comment to %(max)d characters or fewer."),
            ),
            plain_text,
        ],
    )
    contact_ok = BooleanField(
        _l("You may contact me about my answer"), validators=[ticked_or_left_out]
    )

    def validate(self, extra_validators=None):
        """All fields valid, and at least one question answered."""
        if not super().validate(extra_validators):
            return False
        answers = self.answers()
        if all(answers[name] is None for name in ("csat", "ces", "nps", "comment")):
            self.form_errors.append(gettext("Please answer at least one question before sending."))
            return False
        return True

    def answers(self):
        """The answers as stored: skipped questions are None, comment trimmed (None when
        it shows nothing: blank, or zero-width characters alone), consent True or False."""
        return {
            "csat": self.csat.data,
            "ces": self.ces.data,
            "nps": self.nps.data,
            "comment": self.comment.data or None,
            "contact_ok": bool(self.contact_ok.data),
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


def https_address(form, field):
    """The review link: empty (none), or an https:// address a customer's browser can open."""
    text = (field.data or "").strip()
    if not text:
        return
    try:
        field.data = check_review_url(text)
    except ValueError as error:
        raise ValidationError(f"The review link {error}.") from error


def rules_form(formdata=None, rules=None, review_url=None):
    """A form with one whole number per rule, limited to that rule's range, and the link
    promoters are asked to review at."""

    class RulesForm(FlaskForm):
        pass

    for rule in RULES:
        setattr(RulesForm, rule.name, StringField(rule.label, validators=[whole_number(rule)]))
    RulesForm.review_url = StringField("Review link", validators=[https_address])
    values = {rule.name: str(getattr(rules, rule.name)) for rule in RULES} if rules else None
    if values is not None:
        values["review_url"] = review_url or ""
    return RulesForm(formdata=formdata, data=values)


def submitted_rules(form):
    """The rules of a validated form."""
    return Rules(**{rule.name: int(form[rule.name].data.strip()) for rule in RULES})


def submitted_review_url(form):
    """The review link of a validated form, or None for none."""
    return (form.review_url.data or "").strip() or None


# The brand (/settings/brand), for managers: English only.


class BrandForm(FlaskForm):
    """The company's logo and colour, or removing the logo; validated whole."""

    logo = FileField("Logo")
    brand_colour = StringField("Brand colour", validators=[Length(max=100)])
    remove_logo = BooleanField("Remove the logo")

    # What validation made of the fields: the colour as stored, the re-encoded logo.
    colour = None
    new_logo = None

    def validate_brand_colour(self, field):
        """A #rrggbb colour that carries white text at 4.5:1, or empty for Puas's own."""
        try:
            self.colour = parse_colour(field.data)
        except BrandRefused as error:
            raise ValidationError(str(error)) from error

    def validate_logo(self, field):
        """A chosen file must be a PNG or JPEG logo (re-encoded here); none keeps the logo."""
        upload = field.data
        if upload is None or not getattr(upload, "filename", None):
            return
        try:
            self.new_logo = clean_logo(upload.read())
        except BrandRefused as error:
            raise ValidationError(str(error)) from error

    def validate_remove_logo(self, field):
        """Removing the logo and uploading one at once says two things."""
        if field.data and getattr(self.logo.data, "filename", None):
            raise ValidationError("Choose a new logo or remove the logo, not both.")


class CustomerLookupForm(FlaskForm):
    """A customer's address, to see, download or erase what Puas holds about it."""

    email = StringField("Customer's email address", validators=[InputRequired(), Length(max=254)])


class CustomerEraseForm(CustomerLookupForm):
    """Erasing asks for the address twice: the second time is the confirmation."""

    confirm = StringField(
        "Type the address again to erase it", validators=[InputRequired(), Length(max=254)]
    )
