"""Every manager page refuses staff (403) and sends signed-out visitors to sign in.

The walk covers every route the app has: a new route counts as a manager route unless it
is listed below as open to customers, to anyone signed in, or to machines with a key.
"""

import re
from pathlib import Path

import pytest

from app import create_app
from tests.helpers import base_config, csrf_token

PUBLIC = {
    "static",
    "auth.login",
    "survey.answer",
    "survey.thanks",
    "unsubscribe.unsubscribe",
    "brand.logo",  # what every customer page shows; tested in test_brand.py
    "brand.colour_css",
}  # a link's token only; tested in test_unsubscribe.py
SIGNED_IN = {
    "auth.logout",
    "reports.index",
    "ratings.rate",
    "ratings.mine",
    "scorecards.mine",
    "agents.mine",  # 404 unless the person is an agent and self_view is on; test_agents.py
    "profile.edit",  # staff read it; only a manager may POST a digest; test_digests.py
}
MACHINES = {
    "helpdesk_api.ticket_closed",  # a Bearer key only; tested in test_tickets_api.py
    "calls_api.call_reported",  # a Bearer key only; tested in test_calls.py
    "business_api.put_month",  # a Bearer key only; tested in test_business.py
    "webhooks.receive",
}  # a help desk's signature only; tested in test_webhooks.py
ARGUMENT_VALUES = {"filename": "x.eml", "token": "A" * 43, "period": "2026-10"}


def manager_routes():
    """(method, path) for every route only managers may use, with arguments filled in."""
    app = create_app(base_config(Path("/nonexistent")))
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC | SIGNED_IN | MACHINES:
            continue
        path = rule.rule
        for name in rule.arguments:
            value = "1" if "int:" in path else ARGUMENT_VALUES.get(name, "x")
            path = re.sub(rf"<[^>]*{name}>", value, path)
        routes.extend((method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return routes


ROUTES = manager_routes()


def test_the_walk_finds_the_manager_routes():
    paths = {path for _, path in ROUTES}
    assert {
        "/reports",
        "/mailbox/",
        "/scorecards",
        "/incidents",
        "/people/",
        "/api/v1/scores",
        "/periods/2026-10/close",
        "/settings/distribution",
        "/settings/brand",
        "/settings/alerts",
        "/follow-ups",
        "/follow-ups/1",
        "/api/v1/follow-ups",
        "/actions",
        "/actions/new",
        "/actions/1",
        "/api/v1/actions",
    } <= paths


def form_token(client):
    """A CSRF token from this client's session, so a POST is judged on who sends it."""
    return csrf_token(client.get("/login").get_data(as_text=True))


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_staff_get_403(staff_client, db, method, path):
    data = {"csrf_token": form_token(staff_client)} if method == "POST" else None
    response = staff_client.open(path, method=method, data=data)
    assert response.status_code == 403, path
    for table in ("incidents", "deliverables", "closed_periods", "ratings"):
        assert db[table].count == 0


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_signed_out_visitors_are_sent_to_sign_in(client, method, path):
    data = {"csrf_token": form_token(client)} if method == "POST" else None
    response = client.open(path, method=method, data=data)
    if path.startswith("/api/"):
        assert response.status_code == 401, path
    else:
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path
