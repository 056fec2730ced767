"""Named errors and the one place that turns them into pages (people) or JSON (machines)."""

import sqlite3

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException


class TokenUnknown(Exception):
    """The survey link matches no invitation (mistyped, tampered or never issued)."""


class TokenExpired(Exception):
    """The survey link was real but its lifetime has passed."""


class ApiKeyInvalid(Exception):
    """No API key, or one that matches no active key."""


class RangeError(ValueError):
    """Report parameters that cannot be used; carries a message per parameter."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{name} {message}" for name, message in errors.items()))
        self.errors = errors


# Status, page title and a sentence a customer or manager can act on.
FRIENDLY = {
    400: ("This request could not be understood",
          "The form may have expired. Go back, reload the page and try again."),
    401: ("Please sign in", "You need to sign in to see this page."),
    403: ("Not allowed", "Your account cannot open this page."),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "This page cannot be used that way."),
    410: ("Gone", "This page is no longer available."),
    413: ("Too large", "What you sent is larger than Puas accepts."),
    415: ("Unsupported", "Puas cannot read what was sent."),
    422: ("Please check your answers", "Some answers could not be accepted."),
    429: ("Too many attempts", "Please wait a few minutes and try again."),
    500: ("Something went wrong", "Puas could not finish this request. Please try again."),
    503: ("Busy", "Puas is busy. Please try again in a moment."),
}


def wants_json():
    """Machines talk to /api/ or send an API key; everyone else reads pages."""
    return request.path.startswith("/api/") or "Authorization" in request.headers


def error_response(status, message=None, errors=None):
    """A JSON error for API clients, a friendly page for people."""
    title, sentence = FRIENDLY.get(status, FRIENDLY[500])
    if wants_json():
        body = {"error": message or title}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title,
                           message=message or sentence), status


def init_app(app):
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
        return render_template("survey/link_unknown.html"), 404

    @app.errorhandler(TokenExpired)
    def token_expired(error):
        return render_template("survey/link_expired.html"), 410

    @app.errorhandler(ApiKeyInvalid)
    def api_key_invalid(error):
        body, status = error_response(401, "a valid API key is required: "
                                           "Authorization: Bearer <key>")
        return body, status, {"WWW-Authenticate": 'Bearer realm="puas"'}

    @app.errorhandler(sqlite3.OperationalError)
    def database_busy(error):
        # Waited out the 30 s busy timeout: tell the client to come back, don't blame it.
        if "locked" not in str(error) and "busy" not in str(error):
            return unexpected(error)
        app.logger.warning("database busy on %s %s: %s", request.method, request.path, error)
        body, status = error_response(503, "the database is busy; please retry shortly")
        return body, status, {"Retry-After": "5"}

    @app.errorhandler(RangeError)
    def report_range_invalid(error):
        if wants_json():
            return error_response(422, "the report parameters are not valid",
                                  errors=error.errors)
        return error_response(422, f"These report parameters cannot be used: {error}.")

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)
