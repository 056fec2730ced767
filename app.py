"""Puas: post-ticket customer surveys and the scores managers read.

`create_app()` is the application factory used by `flask`, gunicorn and the tests.
"""

import os

from flask import Flask


def create_app(test_config=None):
    """Build a Puas application: config, then each part registered by name."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    register_config(app, test_config)
    register_database(app)
    register_security(app)
    register_auth(app)
    register_languages(app)
    register_blueprints(app)
    register_errors(app)
    register_commands(app)
    return app


def register_config(app, test_config):
    """Defaults, then instance/config.py, then FLASK_* variables, then test settings."""
    from surveys.config import apply_config

    apply_config(app, test_config)


def register_database(app):
    """A kept connection per thread, left with no transaction open after each request."""
    from surveys import db

    db.init_app(app)


def register_security(app):
    """CSRF on every form, secure cookies and response headers."""
    from surveys import security

    security.init_app(app)


def register_auth(app):
    """Flask-Login sessions for staff and managers."""
    from surveys import auth

    auth.init_app(app)


def register_languages(app):
    """Customers read their pages and mail in English or Bahasa Indonesia (Flask-Babel)."""
    from surveys import i18n

    i18n.init_app(app)


def register_blueprints(app):
    """One blueprint per audience."""
    from surveys.security import RowIdConverter

    # Every <int:...> in a URL is a row id: ASCII digits that fit SQLite's integers.
    app.url_map.converters["int"] = RowIdConverter
    from surveys import (
        api,
        auth,
        distribution,
        import_pages,
        integration_pages,
        mailbox,
        people,
        ratings,
        records,
        reports,
        scorecards,
        survey,
        targets,
        unsubscribe,
        webhooks,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(survey.bp)
    app.register_blueprint(unsubscribe.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(webhooks.api_bp)
    app.register_blueprint(integration_pages.bp)
    app.register_blueprint(import_pages.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(mailbox.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(ratings.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(scorecards.bp)
    app.register_blueprint(targets.bp)
    app.register_blueprint(distribution.bp)


def register_errors(app):
    """Friendly pages for people, JSON for machines."""
    from surveys import errors

    errors.init_app(app)


def register_commands(app):
    """The `flask` commands."""
    from surveys import cli

    cli.init_app(app)
