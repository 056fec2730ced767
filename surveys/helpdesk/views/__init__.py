"""The help-desk wing's endpoints and pages: closures in by API, webhook and CSV import."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.helpdesk.views import api, call_imports, calls, imports, integrations, webhooks

    app.register_blueprint(api.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(integrations.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(calls.bp)
    app.register_blueprint(call_imports.bp)
