"""Puas: post-ticket customer surveys and the scores managers read.

`create_app()` is the application factory used by `flask`, gunicorn and the tests.
"""

import os
import weakref

from flask import Flask


class Puas(Flask):
    """Flask, asking once per function whether it is a coroutine: Flask asks inspect
    before it calls each hook and the view, on every request (40 of the 1,100 Python
    calls an API request made, bench/profile_writes.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Held weakly: a function made for one request (a class-based view's bound method,
        # an after_this_request callback) leaves the set when it goes.
        self.plain_functions = weakref.WeakSet()

    def ensure_sync(self, func):
        """The function itself when known to be plain; else Flask's answer (plain: noted)."""
        if func in self.plain_functions:
            return func
        made_sync = super().ensure_sync(func)
        if made_sync is func:
            try:
                self.plain_functions.add(func)
            except TypeError:  # no weak reference to it: asked every time
                pass
        return made_sync


def create_app(test_config=None):
    """Build a Puas application: config, then each part registered by name."""
    app = Puas(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    register_config(app, test_config)
    register_database(app)
    register_security(app)
    register_auth(app)
    register_languages(app)
    register_filters(app)
    register_blueprints(app)
    register_errors(app)
    register_commands(app)
    return app


def register_config(app, test_config):
    """Defaults, then instance/config.py, then FLASK_* variables, then test settings."""
    from surveys.config import apply_config

    apply_config(app, test_config)


def register_database(app):
    """A kept connection per thread, left with no transaction open after each request, and
    a writer thread per process whose commits the hot writes share."""
    from surveys.store import db, group_commit

    db.init_app(app)
    group_commit.init_app(app)


def register_security(app):
    """CSRF on every form, secure cookies and response headers."""
    from surveys import security

    security.init_app(app)


def register_auth(app):
    """Flask-Login sessions for staff and managers."""
    from surveys.staff import auth

    auth.init_app(app)


def register_languages(app):
    """Customers read their pages and mail in English or Bahasa Indonesia (Flask-Babel)."""
    from surveys import i18n

    i18n.init_app(app)


def register_filters(app):
    """Filters every template may use: `utc_time`, a stored instant as pages show it."""
    from surveys import clock

    app.add_template_filter(clock.shown, "utc_time")


def register_blueprints(app):
    """Each wing registers its own blueprints: staff, customers, help desks, reports, actions."""
    from surveys.actions import views as actions
    from surveys.customers import views as customers
    from surveys.helpdesk import views as helpdesk
    from surveys.reports import views as reports
    from surveys.security import RowIdConverter
    from surveys.staff import views as staff

    # Every <int:...> in a URL is a row id: ASCII digits that fit SQLite's integers.
    app.url_map.converters["int"] = RowIdConverter
    for wing in (staff, customers, helpdesk, reports, actions):
        wing.register(app)


def register_errors(app):
    """Friendly pages for people, JSON for machines."""
    from surveys import errors

    errors.init_app(app)


def register_commands(app):
    """The `flask` commands."""
    from surveys import cli

    cli.init_app(app)
