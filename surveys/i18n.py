"""The customer's language: English or Bahasa Indonesia, for survey pages and invitation mail.

Customers read their survey, its error pages and the invitation in their language; staff
and manager pages stay English. A page picks, in order: the language switch on the page
(?lang=, remembered in a cookie so no GET writes a row), the ticket's locale, the browser's
Accept-Language, English. A mail speaks the ticket's locale, else English.
"""

from pathlib import Path
from urllib.parse import urlencode

from flask import g, has_request_context, request, url_for
from flask_babel import Babel, force_locale, get_locale, refresh

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DEFAULT_LANGUAGE = "en"
# Each language by its own name, as the switch on the page shows it.
LANGUAGES = {"en": "English", "id": "Bahasa Indonesia"}
# Codes help desks still send: "in" is the old ISO 639 code for Indonesian (Java and
# Android report it to this day), "ind" and "eng" are the three-letter ones.
ALIASES = {"in": "id", "ind": "id", "eng": "en"}
LANGUAGE_COOKIE = "puas_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60
# The blueprints whose pages customers read; every other page is for staff, in English.
CUSTOMER_BLUEPRINTS = frozenset({"survey", "unsubscribe"})


def language_of(tag):
    """The supported language a tag names ("id-ID", "in", "en_GB", "ID"), or None."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    primary = ALIASES.get(primary, primary)
    return primary if primary in LANGUAGES else None


def choose_language(switch=None, remembered=None, ticket_locale=None, accepted=()):
    """The first supported of: the switch, the remembered switch, the ticket's locale, the
    browser's languages (best first, as (tag, quality) pairs), else English."""
    for tag in (switch, remembered, ticket_locale):
        if language := language_of(tag):
            return language
    for tag, quality in accepted:
        if quality > 0 and (language := language_of(tag)):
            return language
    return DEFAULT_LANGUAGE


def mail_language(ticket_locale):
    """The language of an invitation mail: the ticket's locale, else English."""
    return language_of(ticket_locale) or DEFAULT_LANGUAGE


def for_customer():
    """Whether this request is for a page customers read (else it is a staff page)."""
    return has_request_context() and request.blueprint in CUSTOMER_BLUEPRINTS


def select_language():
    """Flask-Babel's locale selector: the customer's language on their pages, else English."""
    if not for_customer():
        return DEFAULT_LANGUAGE
    return choose_language(
        switch=request.args.get("lang"),
        remembered=request.cookies.get(LANGUAGE_COOKIE),
        ticket_locale=g.get("ticket_locale"),
        accepted=request.accept_languages,
    )


def use_ticket_locale(ticket_locale):
    """Let the rest of this request speak the ticket's language, unless the customer chose."""
    g.ticket_locale = ticket_locale
    refresh()  # forget a language picked before the ticket was known


def in_language(language):
    """A context in which gettext and templates speak `language` (for mail, no request)."""
    return force_locale(language)


def current_language():
    """The language this page or mail is written in, as a tag for `lang` attributes."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def language_url(language):
    """This page in another language: the same address and query, with ?lang= set."""
    query = request.args.to_dict(flat=False)
    query["lang"] = language
    # The query is encoded apart from url_for, whose keywords (_anchor, _external, the
    # view's own arguments) a parameter in the address must not be able to set.
    return f"{url_for(request.endpoint, **request.view_args)}?{urlencode(query, doseq=True)}"


def language_context():
    """`lang` for every template: <html lang>, and which language the switch marks."""
    return {"lang": current_language()}


def remember_switch(response):
    """Keep the customer's pick from the switch in a cookie; say what the page varies by."""
    if not for_customer():
        return response
    if "Vary" in response.headers:
        response.vary.update(("Accept-Language", "Cookie"))
    else:  # the usual case, without parsing and writing back a header set
        response.headers["Vary"] = "Accept-Language, Cookie"
    # A redirect carries no page to speak of (and working out the language costs a submit
    # a twentieth of its time): only pages say theirs.
    if not 300 <= response.status_code < 400:
        response.headers.setdefault("Content-Language", current_language())
    switch = language_of(request.args.get("lang"))
    if switch and request.cookies.get(LANGUAGE_COOKIE) != switch:
        response.set_cookie(
            LANGUAGE_COOKIE,
            switch,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


def uncompiled_catalogues(directory=TRANSLATIONS):
    """The .po files whose .mo is missing or older: their language would show as English."""
    return [
        po
        for po in sorted(Path(directory).glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]


def init_app(app):
    """Flask-Babel with the catalogues in surveys/translations, the selector and the switch."""
    # An absolute path: Flask-Babel would resolve a relative one against app.py's folder,
    # which is not where an installed `surveys` package keeps its catalogues.
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_language)
    for po in uncompiled_catalogues():
        app.logger.warning(
            "%s is not compiled: customers get English until `make "
            "translations` (pybabel compile) builds its .mo",
            po,
        )
    # {% trans %} blocks ignore the line breaks and indentation of the template around them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals.update(languages=LANGUAGES, language_url=language_url)
    app.context_processor(language_context)
    app.after_request(remember_switch)
