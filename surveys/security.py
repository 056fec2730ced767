"""CSRF, session cookies, secrets' hashes and the response headers every page carries."""

import hashlib

from flask import request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


class RowIdConverter(IntegerConverter):
    """A row id in a URL: 1 to 18 ASCII digits (werkzeug's own int also takes "１" and
    numbers too big for SQLite, which then fail with a 500 instead of a 404)."""

    regex = r"[0-9]{1,18}"


def sha256_hex(secret):
    """The only form in which Puas stores a secret it hands out (link tokens, API keys)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def set_security_headers(response):
    """Keep Puas pages out of frames, other hosts' assets and Referer headers."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Survey URLs carry a token: never send them to another site in a Referer. Same-origin
    # referrers stay, because Flask-WTF's CSRF check requires one on every HTTPS POST.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app):
    """Switch on CSRF protection and the headers."""
    csrf.init_app(app)
    if app.config["TRUST_PROXY_HEADERS"]:
        # Behind one reverse proxy that terminates TLS: believe its X-Forwarded-* headers,
        # so cookies are marked Secure and HTTPS is recognised.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.session_interface = SessionInterface()
    app.after_request(set_security_headers)
