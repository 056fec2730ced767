"""The actions wing's pages: alerts, follow-ups, digests (the profile) and corrective actions."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.actions.views import (
        alerts,
        corrective,
        corrective_api,
        follow_ups,
        follow_ups_api,
        profile,
    )

    for module in (profile, corrective, corrective_api, alerts, follow_ups, follow_ups_api):
        app.register_blueprint(module.bp)
