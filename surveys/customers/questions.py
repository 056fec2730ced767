"""The survey's wording in one place: questions, scales and the words at their ends.

Customers' wording is marked _l (lazy): it becomes their language when it is shown, in
surveys/translations. The admin rating is for staff and stays English.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from surveys.scales import CES_SCALE, CSAT_SCALE, NPS_SCALE, RATING_SCALE


@dataclass(frozen=True)
class Question:
    """One survey question; `text` may name {company}."""

    name: str
    text: str
    scale: range
    low_label: str
    high_label: str

    def asked_by(self, company):
        """The question as a customer reads it (a plain string, escaped where it is shown)."""
        return str(self.text).format(company=company)


CSAT = Question(
    "csat",
    _l("How satisfied are you with the support you received?"),
    CSAT_SCALE,
    _l("Very dissatisfied"),
    _l("Very satisfied"),
)
CES = Question(
    "ces",
    _l("{company} made it easy for me to handle my issue."),
    CES_SCALE,
    _l("Strongly disagree"),
    _l("Strongly agree"),
)
NPS = Question(
    "nps",
    _l("How likely are you to recommend {company} to a friend or colleague?"),
    NPS_SCALE,
    _l("Not at all likely"),
    _l("Extremely likely"),
)
QUESTIONS = (CSAT, CES, NPS)

# Each CSAT answer in words, for the five links of the invitation mail.
CSAT_LABELS = {
    1: _l("Very dissatisfied"),
    2: _l("Dissatisfied"),
    3: _l("Neutral"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}


# The admin rating (docs/definitions.md, "Admin scorecard"): three dimensions, each 1–5.
RATING_DIMENSIONS = {
    "speed": Question(
        "speed",
        "Speed: how quickly does {admin} handle your requests?",
        RATING_SCALE,
        "Very slow",
        "Very fast",
    ),
    "initiative": Question(
        "initiative",
        "Initiative: how well does {admin} act before being asked?",
        RATING_SCALE,
        "Never",
        "Always",
    ),
    "accuracy": Question(
        "accuracy",
        "Accuracy: how free of errors is the work of {admin}?",
        RATING_SCALE,
        "Many errors",
        "No errors",
    ),
}
