"""The survey's wording in one place: questions, scales and the words at their ends."""

from dataclasses import dataclass

from surveys.scoring import CES_SCALE, CSAT_SCALE, NPS_SCALE


@dataclass(frozen=True)
class Question:
    """One survey question; `text` may name {company}."""

    name: str
    text: str
    scale: range
    low_label: str
    high_label: str

    def asked_by(self, company):
        """The question as a customer reads it."""
        return self.text.format(company=company)


CSAT = Question("csat", "How satisfied are you with the support you received?", CSAT_SCALE,
                "Very dissatisfied", "Very satisfied")
CES = Question("ces", "{company} made it easy for me to handle my issue.", CES_SCALE,
               "Strongly disagree", "Strongly agree")
NPS = Question("nps", "How likely are you to recommend {company} to a friend or colleague?",
               NPS_SCALE, "Not at all likely", "Extremely likely")
QUESTIONS = (CSAT, CES, NPS)

# Each CSAT answer in words, for the five links of the invitation mail.
CSAT_LABELS = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied",
               5: "Very satisfied"}


# The admin rating (SPEC.md): three dimensions, each rated 1–5 by staff.
RATING_DIMENSIONS = {
    "speed": Question("speed", "Speed: how quickly does {admin} handle your requests?",
                      range(1, 6), "Very slow", "Very fast"),
    "initiative": Question("initiative",
                           "Initiative: how well does {admin} act before being asked?",
                           range(1, 6), "Never", "Always"),
    "accuracy": Question("accuracy", "Accuracy: how free of errors is the work of {admin}?",
                         range(1, 6), "Many errors", "No errors"),
}
