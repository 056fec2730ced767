"""The customer's survey at /s/<token>: GET shows it, only a POST records an answer.

Mail scanners open every link in a message (and some run its JavaScript), so nothing
here writes on GET or HEAD; a score in the query string only pre-selects an answer.
"""

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from surveys import clock
from surveys.customers.distribution import review_url
from surveys.customers.forms import SurveyForm
from surveys.customers.questions import NPS
from surveys.customers.responses import (
    asked_questions,
    current_answers,
    is_promoter,
    save_response,
    will_be_contacted,
)
from surveys.customers.tokens import find_invitation
from surveys.i18n import use_ticket_locale
from surveys.store.db import get_db

bp = Blueprint("survey", __name__, url_prefix="/s")


def speak_ticket_language(invitation):
    """The rest of this request speaks the ticket's locale, unless the customer chose one."""
    use_ticket_locale(invitation["ticket_locale"])


def posted_answers(invitation):
    """The posted form, without an NPS answer when this invitation does not ask NPS."""
    if invitation["nps_asked"]:
        return request.form
    formdata = request.form.copy()
    formdata.pop(NPS.name, None)
    return formdata


def preselect(form, answers, query):
    """Fill the form from the stored answer, then from ?csat=&ces=&nps= (valid values only)."""
    for name in ("csat", "ces", "nps"):
        field = getattr(form, name)
        value = query.get(name)
        if value in field.choices:  # the scale's values, as strings
            field.data = int(value)
        elif answers is not None:
            field.data = answers[name]
    if answers is not None:
        form.comment.data = answers["comment"]
        form.contact_ok.data = bool(answers["contact_ok"])


@bp.route("/<token>", methods=["GET", "POST"])
def answer(token):
    """Show the survey (never writing), or record the answers posted from it."""
    db = get_db()
    invitation = find_invitation(db, token)
    speak_ticket_language(invitation)
    form = SurveyForm(formdata=posted_answers(invitation) if request.method == "POST" else None)
    previous = None
    if request.method == "POST":
        if form.validate():
            save_response(db, invitation, form.answers(), current_app.config["FOLLOW_UP_HOURS"])
            return redirect(url_for("survey.thanks", token=token), code=303)
        status = 422
    else:
        previous = current_answers(db, invitation["id"])
        preselect(form, previous, request.args)
        status = 200
    company = current_app.config["COMPANY_NAME"]
    return render_template(
        "customers/survey/form.html",
        form=form,
        token=token,
        company=company,
        questions=[
            (getattr(form, question.name), question.asked_by(company), question)
            for question in asked_questions(invitation)
        ],
        answered_before=previous is not None,
    ), status


@bp.route("/<token>/thanks")
def thanks(token):
    """Thank the customer, show what they answered, and follow up by score: a promoter is
    offered the review link, an unhappy customer who consented told someone will call."""
    db = get_db()
    invitation = find_invitation(db, token)
    speak_ticket_language(invitation)
    answers = current_answers(db, invitation["id"])
    if answers is None:  # nothing to thank for yet
        return redirect(url_for("survey.answer", token=token))
    return render_template(
        "customers/survey/thanks.html",
        token=token,
        answers=answers,
        company=current_app.config["COMPANY_NAME"],
        expires_at=clock.from_iso(invitation["link_expires_at"]),
        review_url=review_url(db) if is_promoter(answers) else None,
        in_touch=will_be_contacted(db, invitation, answers),
    )
