"""The survey's wording in one place: questions, scales and the words at their ends.

Customers' wording is marked _l (lazy): it becomes their language when it is shown, in
surveys/translations. The admin rating is for staff and stays English.
"""

from dataclasses import dataclass, field

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
    # What a screen reader says for an answer whose number has a meaning in the question's
    # wording ("1, very dissatisfied"); the other answers are their number alone.
    names: dict = field(default_factory=dict)

    def asked_by(self, company):
        """The question as a customer reads it (a plain string, escaped where it is shown)."""
        return str(self.text).format(company=company)

    def option_names(self):
        """{answer as the form sends it: its accessible name} for the answers with a meaning,
        in the customer's language (the others are named by their number, as shown)."""
        return {str(score): str(name) for score, name in self.names.items()}


CSAT = Question(
    "csat",
    _l("How satisfied are you with the support you received?"),
    CSAT_SCALE,
    _l("Very dissatisfied"),
    _l("Very satisfied"),
    {
        1: _l("1, very dissatisfied"),
        2: _l("2, dissatisfied"),
        3: _l("3, neutral"),
        4: _l("4, satisfied"),
        5: _l("5, very satisfied"),
    },
)
CES = Question(
    "ces",
    _l("{company} made it easy for me to handle my issue."),
    CES_SCALE,
    _l("Strongly disagree"),
    _l("Strongly agree"),
    # Only the ends are worded on the page; the middle of a 1–7 agreement scale is neutral.
    {
        1: _l("1, strongly disagree"),
        4: _l("4, neither agree nor disagree"),
        7: _l("7, strongly agree"),
    },
)
NPS = Question(
    "nps",
    _l("How likely are you to recommend {company} to a friend or colleague?"),
    NPS_SCALE,
    _l("Not at all likely"),
    _l("Extremely likely"),
    {
        0: _l("0, not at all likely"),
        5: _l("5, neither likely nor unlikely"),
        10: _l("10, extremely likely"),
    },
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
        {1: "1, very slow", 5: "5, very fast"},
    ),
    "initiative": Question(
        "initiative",
        "Initiative: how well does {admin} act before being asked?",
        RATING_SCALE,
        "Never",
        "Always",
        {1: "1, never", 5: "5, always"},
    ),
    "accuracy": Question(
        "accuracy",
        "Accuracy: how free of errors is the work of {admin}?",
        RATING_SCALE,
        "Many errors",
        "No errors",
        {1: "1, many errors", 5: "5, no errors"},
    ),
}
