"""The reports wing's pages and API: the dashboard, downloads, targets, scores as JSON."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.reports.views import agents, api, charts, dashboard, targets

    for module in (dashboard, charts, api, targets, agents):
        app.register_blueprint(module.bp)
