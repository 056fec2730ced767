"""A customer's response to an invitation: which questions it asks, reading and saving it.

One invitation has at most one response; answering again replaces it (the last submit
wins). The survey page that calls these is `surveys.customers.views.survey`.
"""

from surveys import clock
from surveys.actions.alerts import on_answer_saved, rules_for
from surveys.config import DEFAULTS
from surveys.customers.questions import NPS, QUESTIONS
from surveys.store import comment_index, terms
from surveys.store.db import read_rows, write


def asked_questions(invitation):
    """The questions this invitation asks: NPS only when the distribution rules chose to."""
    return [question for question in QUESTIONS if question is not NPS or invitation["nps_asked"]]


def current_answers(db, invitation_id):
    """The stored response of an invitation, or None."""
    rows = read_rows(
        db,
        """SELECT responses.csat, responses.ces, responses.nps, responses.comment,
                  responses.contact_ok, follow_ups.id AS follow_up_id
             FROM responses LEFT JOIN follow_ups ON follow_ups.response_id = responses.id
            WHERE responses.invitation_id = ?""",
        [invitation_id],
    )
    return rows[0] if rows else None


def is_promoter(answers):
    """A promoter: NPS 9 or 10, or CSAT 5 when NPS was not answered."""
    if answers["nps"] is not None:
        return answers["nps"] >= 9
    return answers["csat"] == 5


def will_be_contacted(db, invitation, answers):
    """True when the customer consented and the answer alerts (its follow-up is open for
    someone to call): the thanks page says someone will be in touch."""
    if not answers["contact_ok"] or answers["follow_up_id"] is None:
        return False
    return rules_for(db, invitation["team_id"]).alerting(answers)


def save_response(db, invitation, answers, follow_up_hours=DEFAULTS["FOLLOW_UP_HOURS"]):
    """Insert or replace the invitation's single response; in the same transaction, an
    answer that newly crosses the alert rules opens its follow-up and queues its alerts."""
    now = clock.to_iso(clock.now())
    answers = {"contact_ok": False, **answers}

    def store(db):  # on the group writer's connection (surveys.store.db.write)
        previous = current_answers(db, invitation["id"])
        # The UNIQUE invitation_id and ON CONFLICT keep one row per invitation whatever
        # the interleaving of concurrent submits; the last submit wins.
        db.execute(
            """INSERT INTO responses
                   (invitation_id, csat, ces, nps, comment, contact_ok, created_at, updated_at)
               VALUES (:invitation_id, :csat, :ces, :nps, :comment, :contact_ok, :now, :now)
               ON CONFLICT (invitation_id) DO UPDATE SET
                   csat = excluded.csat, ces = excluded.ces, nps = excluded.nps,
                   comment = excluded.comment, contact_ok = excluded.contact_ok,
                   updated_at = excluded.updated_at""",
            {
                "invitation_id": invitation["id"],
                "now": now,
                **answers,
                "contact_ok": int(bool(answers["contact_ok"])),
            },
        )
        # A new or changed comment's terms and words (triggers removed the old ones); the
        # triggers move unchanged terms to the class new scores give.
        terms.store_terms(db, invitation["id"])
        comment_index.store_words(db, "AND invitation_id = ?", [invitation["id"]])
        on_answer_saved(db, invitation, previous, answers, follow_up_hours)
        if invitation["status"] != "sent":
            # An answer proves the mail arrived, even if the SMTP conversation ended in
            # an error; counting it as sent keeps the response rate at or below 100 %.
            db.execute(
                "UPDATE invitations SET status = 'sent', "
                "sent_at = coalesce(sent_at, ?) WHERE id = ?",
                [now, invitation["id"]],
            )

    write(db, store)
