"""The reports wing's pages and API: the dashboard, downloads, targets, scores as JSON."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.reports.views import api, dashboard, targets

    for module in (dashboard, api, targets):
        app.register_blueprint(module.bp)
