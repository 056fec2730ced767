"""The help-desk wing's endpoints and pages: closures in by API, webhook and CSV import."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.helpdesk import integrations as webhooks
    from surveys.helpdesk.views import api, imports, integrations

    app.register_blueprint(api.bp)
    app.register_blueprint(webhooks.api_bp)
    app.register_blueprint(integrations.bp)
    app.register_blueprint(imports.bp)
