"""The reports wing's pages and API: the dashboard, downloads, targets, scores as JSON."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.reports.views import agents, api, charts, dashboard, targets, themes

    for module in (dashboard, charts, api, targets, agents, themes):
        app.register_blueprint(module.bp)
    from surveys.reports.views import business

    app.register_blueprint(business.bp)
    app.register_blueprint(business.api_bp)
