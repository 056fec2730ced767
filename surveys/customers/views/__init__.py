"""The customers wing's pages: the survey, unsubscribing, distribution rules, the mailbox."""


def register(app):
    """Register the wing's blueprints."""
    from surveys.customers.views import distribution, mailbox, survey, unsubscribe

    for module in (survey, unsubscribe, distribution, mailbox):
        app.register_blueprint(module.bp)
