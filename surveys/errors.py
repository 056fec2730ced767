"""Named errors and the one place that turns them into pages (people) or JSON (machines)."""

import sqlite3

from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from surveys.store.db import WriteTurnTimeout, is_busy


class TokenUnknown(Exception):
    """The survey link matches no invitation (mistyped, tampered or never issued)."""


class TokenExpired(Exception):
    """The survey link was real but its lifetime has passed."""


class UnsubscribeLinkUnknown(Exception):
    """The unsubscribe link matches none that Puas sent (mistyped or tampered)."""


class ApiKeyInvalid(Exception):
    """No API key, or one that matches no active key."""


class RangeError(ValueError):
    """Report parameters that cannot be used; carries a message per parameter."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{name} {message}" for name, message in errors.items()))
        self.errors = errors


# Status, page title and a sentence a customer or manager can act on; a customer reads
# them in their language (on their pages), everyone else in English.
FRIENDLY = {
    400: (
        _l("This request could not be understood"),
        _l("The form may have expired. Go back, reload the page and try again."),
    ),
    401: (_l("Please sign in"), _l("You need to sign in to see this page.")),
    403: (_l("Not allowed"), _l("Your account cannot open this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    410: (_l("Gone"), _l("This page is no longer available.")),
    413: (_l("Too large"), _l("What you sent is larger than Puas accepts.")),
    415: (_l("Unsupported"), _l("Puas cannot read what was sent.")),
    422: (_l("Please check your answers"), _l("Some answers could not be accepted.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("Puas could not finish this request. Please try again.")),
    503: (_l("Busy"), _l("Puas is busy. Please try again in a moment.")),
}


def wants_json():
    """Machines talk to /api/ or send an API key; everyone else reads pages."""
    return request.path.startswith("/api/") or "Authorization" in request.headers


def error_response(status, message=None, errors=None):
    """A JSON error for API clients, a friendly page for people."""
    title, sentence = (str(text) for text in FRIENDLY.get(status, FRIENDLY[500]))
    if wants_json():
        body = {"error": message or title}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template(
        "errors/error.html", status=status, title=title, message=message or sentence
    ), status


def unknown_link(template):
    """The page for a link Puas never sent, or 429 once this address has tried too many."""
    from surveys.customers.link_attempts import count_unknown_link
    from surveys.store.db import get_db

    config = current_app.config
    wait = count_unknown_link(
        get_db(),
        request.remote_addr,
        config["LINK_ATTEMPTS_LIMIT"],
        config["LINK_ATTEMPTS_MINUTES"],
    )
    if wait is not None:
        body, status = error_response(429)
        return body, status, {"Retry-After": str(wait)}
    return render_template(template), 404


def init_app(app):  # noqa: C901 (one small handler per error, nested to register them)
    """Map every HTTP error and our named errors to error_response."""

    @app.errorhandler(HTTPException)
    def http_error(error):
        response = error_response(error.code or 500, message=None)
        if error.code == 405 and error.valid_methods:
            body, status = response
            return body, status, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(TokenUnknown)
    def token_unknown(error):
        return unknown_link("customers/survey/link_unknown.html")

    @app.errorhandler(TokenExpired)
    def token_expired(error):
        return render_template("customers/survey/link_expired.html"), 410

    @app.errorhandler(UnsubscribeLinkUnknown)
    def unsubscribe_link_unknown(error):
        return unknown_link("customers/unsubscribe/unknown.html")

    @app.errorhandler(ApiKeyInvalid)
    def api_key_invalid(error):
        body, status = error_response(
            401, "a valid API key is required: Authorization: Bearer <key>"
        )
        return body, status, {"WWW-Authenticate": 'Bearer realm="puas"'}

    @app.errorhandler(sqlite3.OperationalError)
    def database_busy(error):
        # Waited out the 30 s busy timeout: tell the client to come back, don't blame it.
        if not is_busy(error):
            return unexpected(error)
        return busy(error)

    @app.errorhandler(WriteTurnTimeout)
    def busy(error):
        # No write turn within the request's wait (a long rebuild holds the lock, say).
        app.logger.warning("database busy on %s %s: %r", request.method, request.path, error)
        body, status = error_response(503, "the database is busy; please retry shortly")
        return body, status, {"Retry-After": "5"}

    @app.errorhandler(RangeError)
    def report_range_invalid(error):
        if wants_json():
            return error_response(422, "the report parameters are not valid", errors=error.errors)
        return error_response(422, f"These report parameters cannot be used: {error}.")

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)
