"""CSRF, session cookies, secrets' hashes and the response headers every page carries."""

import hashlib

from flask import Response as FlaskResponse
from flask import g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from surveys.errors import error_response

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    # Survey URLs carry a token: never send them to another site in a Referer. Same-origin
    # referrers stay, because Flask-WTF's CSRF check requires one on every HTTPS POST.
    ("Referrer-Policy", "same-origin"),
)


class RowIdConverter(IntegerConverter):
    """A row id in a URL: 1 to 18 ASCII digits (werkzeug's own int also takes "１" and
    numbers too big for SQLite, which then fail with a 500 instead of a 404)."""

    regex = r"[0-9]{1,18}"


def sha256_hex(secret):
    """The only form in which Puas stores a secret it hands out (link tokens, API keys)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Response(FlaskResponse):
    """Flask's response, made with the headers every Puas page carries: keep Puas pages
    out of frames, other hosts' assets and Referer headers. A view that sets its own
    Content-Security-Policy replaces this one.

    Added once here, when the response starts with no headers, rather than by setdefault
    after each request: werkzeug's setdefault reads every header already set, for each
    header it sets. A response made with headers of its own (a download, or the test
    client's copy of an answer) gets them after the request instead (set_security_headers).
    """

    def __init__(self, response=None, status=None, headers=None, *args, **kwargs):
        """Flask's response; the security headers too when made without headers."""
        super().__init__(response, status, headers, *args, **kwargs)
        if headers is None:
            self.headers.extend(SECURITY_HEADERS)
            # A response Flask converted to this class has not run __init__: no flag.
            self.has_security_headers = True


class SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions, marked Secure whenever the request came over HTTPS.

    A call to the API with a key (`Authorization: Bearer`) is a machine's: it gets no
    session, so no cookie is read, signed or set for it. Pages keep theirs whatever the
    request sends (a proxy in front may pass its own Bearer token on every request).
    """

    def open_session(self, app, request):
        """A null session for an API call with a key; Flask's signed cookie otherwise."""
        if request.path.startswith("/api/") and is_bearer(request):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def get_signing_serializer(self, app):
        """Flask's serializer, kept while the keys stay the same: Flask builds a new one on
        every request, and itsdangerous serializes a probe value to build one."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = getattr(self, "_kept_serializer", None)
        if kept is None or kept[0] != keys:
            kept = self._kept_serializer = (keys, super().get_signing_serializer(app))
        return kept[1]


def is_bearer(request):
    """True when the request authenticates with `Authorization: Bearer …`."""
    return request.headers.get("Authorization", "")[:7].lower() == "bearer "


def set_security_headers(response):
    """The security headers on a response this module's class did not make (werkzeug's
    own, for an HTTP error no handler turned into a page), and HSTS over HTTPS."""
    if not getattr(response, "has_security_headers", False):
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def refuse_repeated_fields():
    """A form field posted twice is malformed: which of its values was meant cannot be known,
    and no form of Puas sends one twice. Checked once CSRFProtect has read the form (every
    POST of a page form: machine endpoints and the CSV upload, which read their own bodies,
    are exempt from it), before any view runs; 422 names the field."""
    if not g.get("csrf_valid"):
        return None
    repeated = sorted(name for name, values in request.form.lists() if len(values) > 1)
    if not repeated:
        return None
    return error_response(422, f"The field {repeated[0][:100]!r} was sent more than once.")


def init_app(app):
    """Switch on CSRF protection and the headers."""
    csrf.init_app(app)
    app.before_request(refuse_repeated_fields)  # after CSRFProtect's own check
    if app.config["TRUST_PROXY_HEADERS"]:
        # Behind one reverse proxy that terminates TLS: believe its X-Forwarded-* headers,
        # so cookies are marked Secure and HTTPS is recognised.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.session_interface = SessionInterface()
    app.response_class = Response
    app.after_request(set_security_headers)
