"""Every page people can reach, in real Chromium on the demo data, served by real gunicorn.

A manager, a staff member, an admin, an agent and a customer each walk every page they can
open, at 1280 and at 390 px: each page passes axe-core with no serious or critical
violation, its controls' borders reach 3:1, and nothing is wider than the window
(tests/browser_helpers.py, check_page). The walk proves it missed no page the app serves;
another test follows every link on the dashboard, and another opens the pages only some
states of an upload reach (its import running, stopped with its server, or the file no longer
readable). Screenshots for review land in test-artifacts/.
"""

import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from surveys import clock, demo
from surveys.helpdesk import imports
from surveys.security import sha256_hex
from tests.browser_helpers import (
    DESKTOP,
    PHONE,
    assert_only_local_requests,
    check_page,
    recorded_page,
    save_screenshot,
    sign_in,
    visit,
)
from tests.helpers import deliver, mailbox_messages, token_in

pytestmark = pytest.mark.browser

# What the app serves that is not a page for people: machine endpoints, downloads, charts.
# The brand's logo and colour stylesheet are files every customer page loads. A mail's HTML
# part (/mailbox/<filename>/html) is a document inside the message page's sandboxed frame,
# where no script runs, axe-core's included: tests/test_browser_brand.py measures it.
NOT_A_PAGE = re.compile(r"^/(api|static|brand)/|\.(csv|xlsx|svg|json)$|^/mailbox/[^/]+/html$")
UNSUBSCRIBE_LINK = re.compile(r"/u/([A-Za-z0-9_-]{43})")
# A help desk's export, to reach the import's mapping page.
EXPORT = (
    b"Ticket ID,Requester email,Resolved at,Assignee,Group,Channel\r\n"
    b"1001,rina@example.com,2026-11-02 10:00,Ayu,Billing,email\r\n"
)

# Business figures with a refused line (new customers below 0).
MONTHS = b"month,customers_start,customers_new,customers_end\r\n2026-01,100,-5,90\r\n"

# A phone system's call log, to reach the call import's pages.
CALL_LOG = (
    b"Call ID,Start,Answered,End,Disposition,Agent,Queue\r\n"
    b"PBX-1,2026-11-02 10:00:00,2026-11-02 10:00:12,2026-11-02 10:05:00,ANSWERED,Ayu,Billing\r\n"
    b"PBX-2,2026-11-02 10:01:00,,2026-11-02 10:02:00,NO ANSWER,,Billing\r\n"
)

# Uploads kept from before a rule of the format (a header naming a column twice): the mapping
# page refuses them now, as their upload would be.
UNREADABLE = {
    "tickets": b"Ticket ID,Email,email\r\nT-1,rina@example.com,\r\n",
    "calls": b"Call ID,Start,start\r\nPBX-1,2026-11-02 10:00:00,\r\n",
}
# Where each kind of upload is listed and mapped, and a file of that kind that reads well.
UPLOADS = {"tickets": ("/imports", EXPORT), "calls": ("/imports/calls", CALL_LOG)}


@pytest.fixture
def site(make_app, db, live_server_factory):
    """The demo's data on a live server, its waiting invitations delivered to the mailbox."""
    server = live_server_factory()
    app = make_app(BASE_URL=server.url)
    demo.seed(db, app.config)
    deliver(app)
    return SimpleNamespace(server=server, app=app, db=db, url=server.url)


def one_id(db, sql, *params):
    [row] = db.execute(sql, params).fetchall()
    return row[0]


# The walks: each signs in (or follows a mail's link), opens every page, and checks each.


def walk_as_manager(page, site):
    """Every page a manager reads, the error pages, and forms showing their errors."""
    sign_in(page, site.server, demo.DEMO_MANAGER_EMAIL, demo.DEMO_MANAGER_PASSWORD, r"/reports$")
    db = site.db
    admin_id = one_id(db, "SELECT id FROM users WHERE email = ?", demo.DEMO_ADMIN_EMAIL)
    agent_id = one_id(db, "SELECT id FROM agents WHERE email = ?", demo.AGENTS[0][0])
    paths = [
        "/",
        "/reports?compare=previous",
        "/reports?group_by=agent",
        "/reports/leaderboard",
        "/reports/comments",
        "/reports/comments?q=lambat",  # a search, its words marked
        "/reports/comments?q=reply&low=1",
        "/reports/themes",  # the demo's themes, in English and Indonesian
        f"/reports/agents/{agent_id}",
        "/targets",
        "/business",
        "/business?team=Billing",
        f"/business/{clock.add_months(clock.current_period('UTC'), -1)}",
        "/actions",
        "/actions?status=open&mine=1",
        "/actions/1",
        "/settings/distribution",
        "/settings/alerts",
        "/settings/alerts?team=Billing",
        "/follow-ups",
        "/follow-ups?overdue=1",
        "/follow-ups/1",
        "/customers",
        "/settings/brand",
        "/settings/agents",
        "/profile",
        "/scorecards",
        f"/scorecards/{admin_id}",
        "/incidents",
        "/deliverables",
        "/periods",
        "/people/",
        f"/people/{admin_id}",
        "/integrations/",
        "/imports/",
        "/imports/calls/",
        "/ratings/new",
        "/ratings/",
    ]
    for path in paths:
        visit(page, site.url + path)
    visit(page, site.url + "/mailbox/")
    page.locator("main table a").first.click()
    page.wait_for_url(re.compile(r"/mailbox/.+"))
    check_page(page)
    # Recording a corrective action: from a missed target's link on the dashboard, sent
    # empty first (its errors), then the actions' page on a missed admin figure.
    visit(page, site.url + "/reports?group_by=team")
    page.locator("a.record-action").first.click()
    page.wait_for_url(re.compile(r"/actions/new\?"))
    check_page(page)
    page.fill("#what", "")
    page.get_by_role("button", name="Record the action").click()
    page.wait_for_load_state()
    check_page(page)
    visit(page, site.url + "/scorecards")
    page.locator("a.record-action").first.click()
    page.wait_for_url(re.compile(r"/actions/new\?.*scope=admin"))
    check_page(page)
    visit(page, site.url + "/people/999999999", status=404)
    visit(page, site.url + "/reports?from=2026-13-01", status=422)
    # A form sent empty comes back with its errors.
    visit(page, site.url + "/people/")
    page.click("form[action='/people/'] button[type=submit]")
    page.wait_for_load_state()
    check_page(page)
    assert page.locator(".error").count() > 0
    # An uploaded export opens its mapping page.
    visit(page, site.url + "/imports/")
    page.set_input_files(
        "input[type=file]", {"name": "export.csv", "mimeType": "text/csv", "buffer": EXPORT}
    )
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    check_page(page)
    # A call log likewise: its mapping and preview, then what importing it did.
    visit(page, site.url + "/imports/calls/")
    page.set_input_files(
        "input[type=file]", {"name": "calls.csv", "mimeType": "text/csv", "buffer": CALL_LOG}
    )
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/imports/calls/\d+$"))
    check_page(page)
    page.get_by_role("button", name=re.compile(r"^Import \d+ calls?$")).click()
    page.wait_for_load_state()
    check_page(page)
    assert page.locator("h1").inner_text().endswith("imported")
    # A CSV of months with a refused line: nothing stored, each line's problem listed;
    # then a month's form sent with a figure it cannot take.
    visit(page, site.url + "/business")
    page.set_input_files(
        "input[type=file]", {"name": "months.csv", "mimeType": "text/csv", "buffer": MONTHS}
    )
    page.get_by_role("button", name="Import months").click()
    page.wait_for_load_state()
    check_page(page)
    assert page.get_by_role("alert").count() == 1
    page.locator("a", has_text="Edit").first.click()
    page.wait_for_url(re.compile(r"/business/\d{4}-\d\d$"))
    check_page(page)
    page.fill("#customers_start", "many")
    page.get_by_role("button", name=re.compile(r"^Save ")).click()
    page.wait_for_load_state()
    check_page(page)
    assert page.locator(".error").count() == 1
    # What is held about a demo customer, with the erase form.
    visit(page, site.url + "/customers")
    page.fill("#email", "customer1@example.com")
    page.get_by_role("button", name="Show what is held").click()
    page.wait_for_load_state()
    check_page(page)
    assert page.locator("#held-heading").count() == 1


def walk_as_staff(page, site):
    """Staff: their home page, rating an admin, their ratings, their profile; manager pages
    are refused."""
    sign_in(page, site.server, demo.DEMO_STAFF_EMAIL, demo.DEMO_STAFF_PASSWORD, r"/$")
    for path in ["/ratings/new", "/ratings/", "/profile"]:
        visit(page, site.url + path)
    visit(page, site.url + "/reports", status=403)


def walk_as_admin(page, site):
    """An admin: their own scorecard, which opens on a month they may see."""
    sign_in(page, site.server, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD, r"/$")
    visit(page, site.url + "/my-scorecard")
    assert page.locator("table.scores").count() == 1  # the latest closed month, not an empty one
    visit(page, site.url + "/ratings/new")


def walk_as_agent(page, site):
    """An agent who signs in reads their own scores, once managers allowed it (the demo does)."""
    sign_in(page, site.server, demo.DEMO_AGENT_EMAIL, demo.DEMO_AGENT_PASSWORD, r"/$")
    visit(page, site.url + "/my-scores")


def walk_as_customer(page, site):
    """A customer from the mail: the survey (sent empty first), thanks, the survey in
    Bahasa Indonesia, unsubscribing, and links that are unknown or expired."""
    english, indonesian = (
        next(mail for mail in mailbox_messages(site.app) if ticket in mail["Subject"])
        for ticket in ("DEMO-NEW-2", "DEMO-NEW-1")
    )
    token = token_in(english)
    visit(page, f"{site.url}/s/{token}")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    check_page(page)
    assert page.get_by_role("alert").count() == 1  # answer at least one question
    page.locator("#csat label.choice").nth(3).click()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(re.compile(r"/thanks$"))
    check_page(page)
    visit(page, f"{site.url}/s/{token_in(indonesian)}")
    assert page.locator("html").get_attribute("lang") == "id"
    unsubscribe = UNSUBSCRIBE_LINK.search(english.get_body(("plain",)).get_content()).group(1)
    visit(page, f"{site.url}/u/{unsubscribe}")
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    check_page(page)
    visit(page, f"{site.url}/s/{'x' * 43}", status=404)
    visit(page, f"{site.url}/u/{'x' * 43}", status=404)
    site.db.execute(
        "UPDATE survey_links SET expires_at = '2000-01-01T00:00:00Z' WHERE token_hash = ?",
        [sha256_hex(token)],
    )
    visit(page, f"{site.url}/s/{token}", status=410)


WALKS = [walk_as_manager, walk_as_staff, walk_as_admin, walk_as_agent, walk_as_customer]


def served_pages(app):
    """Every route a GET can open that is a page for people, by endpoint."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not NOT_A_PAGE.search(rule.rule)
    }


def endpoints_of(app, urls):
    """The endpoint each URL reached."""
    adapter = app.url_map.bind("puas.test")
    return {adapter.match(urlsplit(url).path, method="GET")[0] for url in urls}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_every_page_passes_axe_for_everyone(browser, site, viewport):
    shown = []
    for walk in WALKS:
        context = browser.new_context(viewport=viewport)  # each person a browser of their own
        page = recorded_page(context)
        walk(page, site)
        assert_only_local_requests(page, site.server)
        shown.extend(page.documents)
        context.close()

    missed = served_pages(site.app) - endpoints_of(site.app, shown)
    assert missed == set(), f"pages no walk opens: {sorted(missed)}"


def same_site_links(page, site):
    """Every link on the page, without fragments, once each: (pages, other files)."""
    hrefs = page.evaluate("Array.from(document.querySelectorAll('a[href]'), link => link.href)")
    foreign = [href for href in hrefs if not href.startswith(site.url + "/")]
    assert foreign == []  # nothing links away from Puas
    targets = list(dict.fromkeys(href.split("#")[0] for href in hrefs))
    files = [url for url in targets if NOT_A_PAGE.search(urlsplit(url).path)]
    return [url for url in targets if url not in files], files


@pytest.mark.parametrize("query", ["", "?compare=previous&group_by=agent"])
def test_every_link_on_the_dashboard_answers_and_passes_axe(browser, site, query):
    context = browser.new_context(viewport=DESKTOP)
    page = recorded_page(context)
    sign_in(page, site.server, demo.DEMO_MANAGER_EMAIL, demo.DEMO_MANAGER_PASSWORD, r"/reports$")
    visit(page, f"{site.url}/reports{query}")

    pages, files = same_site_links(page, site)

    assert len(pages) >= 15, pages  # the menu alone has 14
    for url in pages:
        visit(page, url)
    for url in files:  # downloads, charts and JSON: they answer, with their own type
        response = context.request.get(url)
        assert response.status == 200, url
        assert not response.headers["content-type"].startswith("text/html"), url
    assert_only_local_requests(page, site.server)
    context.close()


def test_screenshots_for_review(browser, site):
    """The dashboard with a comparison, an agent's page, and the survey on a phone, drawn into
    test-artifacts/ for a person to look at."""
    context = browser.new_context(viewport=DESKTOP)
    page = recorded_page(context)
    sign_in(page, site.server, demo.DEMO_MANAGER_EMAIL, demo.DEMO_MANAGER_PASSWORD, r"/reports$")
    # The last 90 days against the 90 before: the demo's six months have both.
    visit(page, site.url + "/reports?period=last_90_days&compare=previous&group_by=agent")
    save_screenshot(page, "dashboard-compare.png")
    agent_id = one_id(site.db, "SELECT id FROM agents WHERE email = ?", demo.AGENTS[0][0])
    visit(page, f"{site.url}/reports/agents/{agent_id}")
    save_screenshot(page, "agent-page.png")
    assert_only_local_requests(page, site.server)
    context.close()

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = recorded_page(phone)
    [mail] = [mail for mail in mailbox_messages(site.app) if "DEMO-NEW-2" in mail["Subject"]]
    visit(page, f"{site.url}/s/{token_in(mail)}?csat=4")
    save_screenshot(page, "survey-390.png")
    assert_only_local_requests(page, site.server)
    phone.close()


# The states of an upload that only time (or a server stopping) brings about, set in the
# database as tests/test_imports.py sets them.


def claimed_upload(db, kind, filename, content, minutes_ago):
    """An upload whose import was claimed `minutes_ago` and kept no outcome: still running,
    or, past imports.CLAIM_SECONDS, stopped with its server (imports.import_state)."""
    import_id = imports.store_upload(db, kind, filename, content)
    claimed_at = clock.to_iso(clock.now() - timedelta(minutes=minutes_ago))
    db[imports.UPLOADS[kind].table].update(import_id, {"imported_at": claimed_at})
    return import_id


def heading(page):
    """The page's one visible h1, as it reads."""
    [text] = page.get_by_role("heading", level=1).all_inner_texts()
    return text


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
@pytest.mark.parametrize("kind", ["tickets", "calls"])
def test_an_upload_running_stopped_or_unreadable_says_so_and_passes_axe(
    browser, site, kind, viewport
):
    prefix, content = UPLOADS[kind]
    running = claimed_upload(site.db, kind, "running.csv", content, minutes_ago=1)
    stopped_after = imports.CLAIM_SECONDS // 60 + 1
    stopped = claimed_upload(site.db, kind, "stopped.csv", content, minutes_ago=stopped_after)
    unreadable = imports.store_upload(site.db, kind, "old.csv", UNREADABLE[kind])
    width = viewport["width"]
    context = browser.new_context(viewport=viewport)
    page = recorded_page(context)
    sign_in(page, site.server, demo.DEMO_MANAGER_EMAIL, demo.DEMO_MANAGER_PASSWORD, r"/reports$")

    visit(page, f"{site.url}{prefix}/{running}")
    assert heading(page) == "running.csv is being imported"
    assert page.get_by_role("status").filter(has_text="The import began at").is_visible()
    save_screenshot(page, f"import-{kind}-running-{width}.png")

    visit(page, f"{site.url}{prefix}/{stopped}")
    assert heading(page) == "Map the columns of stopped.csv"  # to import it again
    notice = page.get_by_role("status").filter(has_text="has not finished 15 minutes later")
    assert notice.is_visible()
    save_screenshot(page, f"import-{kind}-stopped-{width}.png")

    visit(page, f"{site.url}{prefix}/{unreadable}", status=422)
    assert heading(page) == "old.csv cannot be imported"
    assert "the header names the same column twice" in page.get_by_role("alert").inner_text()
    save_screenshot(page, f"import-{kind}-unreadable-{width}.png")

    visit(page, f"{site.url}{prefix}/")
    imported = {
        row.locator("th").inner_text(): row.locator("td[data-label=Imported]").inner_text()
        for row in page.locator("main table tbody tr").all()
    }
    assert imported["running.csv"].endswith(" (not finished)")
    assert imported["stopped.csv"].endswith(" (not finished)")
    assert imported["old.csv"] == "not yet"
    save_screenshot(page, f"import-{kind}-list-{width}.png")
    assert_only_local_requests(page, site.server)
    context.close()
