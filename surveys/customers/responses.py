"""A customer's response to an invitation: which questions it asks, reading and saving it.

One invitation has at most one response; answering again replaces it (the last submit
wins). The survey page that calls these is `surveys.customers.views.survey`.
"""

from surveys import clock
from surveys.customers.questions import NPS, QUESTIONS
from surveys.store.db import immediate


def asked_questions(invitation):
    """The questions this invitation asks: NPS only when the distribution rules chose to."""
    return [question for question in QUESTIONS if question is not NPS or invitation["nps_asked"]]


def ticket_locale(db, invitation):
    """The customer's locale on the ticket an invitation surveys (None when not given)."""
    [ticket] = db.query(
        "SELECT customer_locale FROM tickets WHERE id = ?", [invitation["ticket_id"]]
    )
    return ticket["customer_locale"]


def current_answers(db, invitation_id):
    """The stored response of an invitation, or None."""
    rows = list(
        db.query(
            "SELECT csat, ces, nps, comment FROM responses WHERE invitation_id = ?", [invitation_id]
        )
    )
    return rows[0] if rows else None


def save_response(db, invitation, answers):
    """Insert or replace the invitation's single response."""
    now = clock.to_iso(clock.now())
    with immediate(db):
        # The UNIQUE invitation_id and ON CONFLICT keep one row per invitation whatever
        # the interleaving of concurrent submits; the last submit wins.
        db.execute(
            """INSERT INTO responses
                   (invitation_id, csat, ces, nps, comment, created_at, updated_at)
               VALUES (:invitation_id, :csat, :ces, :nps, :comment, :now, :now)
               ON CONFLICT (invitation_id) DO UPDATE SET
                   csat = excluded.csat, ces = excluded.ces, nps = excluded.nps,
                   comment = excluded.comment, updated_at = excluded.updated_at""",
            {"invitation_id": invitation["id"], "now": now, **answers},
        )
        if invitation["status"] != "sent":
            # An answer proves the mail arrived, even if the SMTP conversation ended in
            # an error; counting it as sent keeps the response rate at or below 100 %.
            db.execute(
                "UPDATE invitations SET status = 'sent', "
                "sent_at = coalesce(sent_at, ?) WHERE id = ?",
                [now, invitation["id"]],
            )
