"""The customers wing's pages: the survey, unsubscribing, distribution, the mailbox, the brand."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.customers.views import (
        brand,
        distribution,
        mailbox,
        privacy,
        survey,
        unsubscribe,
    )

    for module in (survey, unsubscribe, distribution, mailbox, brand, privacy):
        app.register_blueprint(module.bp)
