"""The staff wing's pages: sign-in, people, ratings, incidents and deliverables, scorecards."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.staff.views import api, auth, people, ratings, records, scorecards

    for module in (auth, people, ratings, records, scorecards, api):
        app.register_blueprint(module.bp)
