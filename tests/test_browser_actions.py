"""A manager records a corrective action from a missed target on the dashboard, in real
Chromium on the demo data served by real gunicorn, at 1280 and 390 px; then marks it done."""

import re

import pytest

from surveys import demo
from tests.browser_helpers import (
    DESKTOP,
    PHONE,
    assert_every_page_checked,
    assert_only_local_requests,
    check_page,
    recorded_page,
    save_screenshot,
    sign_in,
    visit,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def site(make_app, db, live_server_factory):
    """The demo's data on a live server, without its corrective actions: this test records
    the first."""
    server = live_server_factory()
    app = make_app(BASE_URL=server.url)
    demo.seed(db, app.config)
    db.execute("DELETE FROM actions")
    return server, db


def team_row(page, team):
    """The dashboard's score row of a team."""
    return page.locator("table.scores tr").filter(has=page.locator(f"th >> text='{team}'")).first


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_recording_an_action_from_a_missed_team_score(browser, site, viewport):
    server, db = site
    context = browser.new_context(viewport=viewport)
    page = recorded_page(context)
    sign_in(page, server, demo.DEMO_MANAGER_EMAIL, demo.DEMO_MANAGER_PASSWORD, r"/reports$")
    visit(page, f"{server.url}/reports?period=last_month&group_by=team")

    # Technical's CSAT misses the 85 % target in the demo (its agents are rated lower).
    technical = team_row(page, "Technical")
    shown_csat = technical.locator("td").nth(3).inner_text().split("%")[0]
    technical.get_by_role("link", name=re.compile("Record an action on CSAT")).click()
    page.wait_for_url(re.compile(r"/actions/new\?.*scope=team"))
    check_page(page)
    assert page.get_by_role("heading", name="CSAT for team Technical").is_visible()
    assert page.locator(".card .big").inner_text() == f"{shown_csat}%"
    save_screenshot(page, f"action-new-{viewport['width']}.png")

    page.fill("#what", "Review every 1–2 star answer in the weekly meeting")
    page.select_option("#owner", label=f"Demo Manager ({demo.DEMO_MANAGER_EMAIL})")
    page.fill("#due_on", "2999-01-31")
    page.get_by_role("button", name="Record the action").click()
    page.wait_for_url(re.compile(r"/actions$"))
    check_page(page)

    row = page.locator("table.scores tbody tr").first
    assert "Review every 1–2 star answer" in row.inner_text()
    assert "CSAT for team Technical" in row.inner_text()
    assert "Demo Manager" in row.inner_text()
    assert f"{shown_csat}%" in row.locator("td").nth(2).inner_text()  # when opened
    [(value_at_open, status)] = db.execute("SELECT value_at_open, status FROM actions").fetchall()
    assert (f"{value_at_open:.1f}", status) == (shown_csat, "open")
    save_screenshot(page, f"actions-{viewport['width']}.png")

    # It worked: marked done.
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/actions/\d+$"))
    check_page(page)
    page.select_option("#status", "done")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/actions$"))
    check_page(page)
    assert db.execute("SELECT status FROM actions").fetchall() == [("done",)]

    assert_every_page_checked(page)
    assert_only_local_requests(page, server)
    context.close()
