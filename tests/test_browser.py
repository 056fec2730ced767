"""A customer answers the survey in real Chromium, served by a real gunicorn.

The page works by keyboard and on a phone, a GET stores nothing, and every request the
page makes stays on the Puas host.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from surveys.staff.accounts import create_user
from tests.helpers import PASSWORD, deliver, invite, mailbox_messages, ticket_payload

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# The README shows two of the pages these tests drive. Each run draws them into
# test-artifacts/; with UPDATE_DOCS_SCREENSHOTS=1 into docs/ too, to be committed (not on
# every run: the demo's dates move with the calendar, and a test run should leave the tree clean).
DOCS = Path(__file__).resolve().parent.parent / "docs"
DOCS_IMAGE_MAX_BYTES = 300_000


def _missing(reason):
    """Skip on a developer's machine, but fail in CI where the browser must be present."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so browser tests must run)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if not CHROMIUM.exists():
    _missing(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
try:
    from playwright.sync_api import sync_playwright
except ImportError:
    _missing("playwright is not installed; pip install -e '.[test]'")

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless; never a downloaded one."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def survey_link(app, api_headers):
    """The '?csat=4' link of a delivered invitation mail, as a path on the server."""
    token = invite(app, app.test_client(), api_headers, "T-1", email="rina@example.com")
    return f"/s/{token}?csat=4"


def recorded_page(context):
    """A new page that records every request URL it makes and every console error."""
    page = context.new_page()
    page.requests = []
    page.console_errors = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: record_console_error(page, message))
    return page


def record_console_error(page, message):
    if message.type == "error":
        page.console_errors.append(f"{message.text} at {message.location.get('url', '')}")


def assert_only_local_requests(page, server):
    """Everything the page loaded came from the Puas server itself."""
    assert any(urlsplit(url).path == "/static/puas.css" for url in page.requests), page.requests
    foreign = [
        url
        for url in page.requests
        if urlsplit(url).scheme != "http"
        or urlsplit(url).hostname != "127.0.0.1"
        or urlsplit(url).port != server.port
    ]
    assert foreign == []
    # Elements that load something (scripts, images, styles, icons, frames) point home too;
    # favicons are not reported as requests.
    sources = page.evaluate("""Array.from(document.querySelectorAll('[src], link[href]'))
        .map(element => element.src || element.href)""")
    assert [url for url in sources if urlsplit(url).hostname != "127.0.0.1"] == []
    # A Content-Security-Policy violation or a failed asset shows up here.
    assert page.console_errors == []


def save_docs_screenshot(page, name):
    """The visible part of the page as test-artifacts/docs-<name> (and docs/<name> when
    asked), one image pixel per CSS pixel.

    The viewport, not the full page: the README needs the top of the page, and a small file.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    paths = [ARTIFACTS / f"docs-{name}"]
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        paths.append(DOCS / name)
    for path in paths:
        page.screenshot(path=str(path), scale="css")
        assert 0 < path.stat().st_size < DOCS_IMAGE_MAX_BYTES, path.stat().st_size


def focused(page):
    """The name and value of the focused element."""
    return page.evaluate("[document.activeElement.name, document.activeElement.value]")


def stored_responses(db):
    return list(db.query("SELECT invitation_id, csat, ces, nps, comment FROM responses"))


def only_invitation_id(db):
    [invitation] = list(db.query("SELECT id FROM invitations"))
    return invitation["id"]


# Tests


def test_customer_answers_by_keyboard_from_the_mail_link(
    browser, survey_link, db, live_server_factory
):
    server = live_server_factory()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = recorded_page(context)

    response = page.goto(server.url + survey_link)

    assert response.status == 200
    assert page.title() == "Your feedback for Acme Support"
    assert page.locator("input[name=csat][value='4']").is_checked()
    assert page.locator("input[name=csat]:checked").count() == 1
    assert page.locator("input[name=ces]:checked, input[name=nps]:checked").count() == 0

    # CSAT is one tab stop; Tab leaves it for the CES group, whose first radio gets focus.
    page.locator("input[name=csat][value='4']").focus()
    page.keyboard.press("Tab")
    assert focused(page) == ["ces", "1"]
    page.keyboard.press("Space")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert focused(page) == ["ces", "6"]
    page.keyboard.press("Tab")
    assert focused(page) == ["nps", "0"]
    page.keyboard.press("Space")
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    assert focused(page) == ["nps", "9"]
    page.keyboard.press("Tab")
    assert focused(page)[0] == "comment"
    page.keyboard.type("Quick and friendly, terima kasih!")

    assert page.locator("input[name=csat]:checked").get_attribute("value") == "4"
    assert page.locator("input[name=ces]:checked").get_attribute("value") == "6"
    assert page.locator("input[name=nps]:checked").get_attribute("value") == "9"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "survey-desktop.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    # Opening the page (the mail link's GET) stored nothing.
    assert stored_responses(db) == []

    page.get_by_role("button", name="Send my answers").click()

    page.wait_for_url(re.compile(r"/s/[A-Za-z0-9_-]{43}/thanks$"))
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    assert page.locator("ul.answers").inner_text().splitlines() == [
        "Satisfaction: 4 of 5",
        "Ease: 6 of 7",
        "Likely to recommend: 9 of 10",
    ]
    assert stored_responses(db) == [
        {
            "invitation_id": only_invitation_id(db),
            "csat": 4,
            "ces": 6,
            "nps": 9,
            "comment": "Quick and friendly, terima kasih!",
        }
    ]
    assert_only_local_requests(page, server)
    context.close()


def test_survey_fits_a_phone_and_submits_by_touch(browser, survey_link, db, live_server_factory):
    server = live_server_factory()
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True
    )
    page = recorded_page(context)

    assert page.goto(server.url + survey_link).status == 200

    viewport_width = page.evaluate("window.innerWidth")
    assert viewport_width == PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport_width
    options = page.locator("#nps .choice")
    assert options.count() == 11
    for index in range(11):
        option = options.nth(index)
        assert option.is_visible()
        box = option.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width, (index, box)
        assert option.inner_text() == str(index)
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "survey-phone.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    save_docs_screenshot(page, "survey-phone.png")

    options.nth(10).tap()
    submit = page.get_by_role("button", name="Send my answers")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert submit.is_enabled()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width, box
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], box
    assert stored_responses(db) == []
    submit.tap()

    page.wait_for_url(re.compile(r"/thanks$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport_width
    assert stored_responses(db) == [
        {
            "invitation_id": only_invitation_id(db),
            "csat": 4,
            "ces": None,
            "nps": 10,
            "comment": None,
        }
    ]
    assert_only_local_requests(page, server)
    context.close()


def test_staff_sign_in_and_rate_an_admin(browser, db, live_server_factory):
    create_user(db, "fitri@example.com", PASSWORD, "staff", name="Fitri Handayani", rated=True)
    create_user(db, "rater@example.com", PASSWORD, "staff", name="Sari")
    server = live_server_factory()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = recorded_page(context)

    page.goto(server.url + "/ratings/new")
    assert page.url.startswith(server.url + "/login")  # signed out: sign in first
    page.fill("input[name=email]", "rater@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/ratings/new$"))

    page.select_option("select[name=admin]", "fitri@example.com")
    page.fill("input[name=period]", "2026-10")
    page.locator("label.choice", has=page.locator("input[name=speed][value='4']")).click()
    page.locator("label.choice", has=page.locator("input[name=initiative][value='5']")).click()
    page.locator("input[name=accuracy][value='3']").focus()
    page.keyboard.press("Space")
    page.fill("textarea[name=comment_accuracy]", "Two typos in the October letters.")
    assert list(db.query("SELECT * FROM ratings")) == []
    page.click("button.primary")

    page.wait_for_url(re.compile(r"/ratings/$"))
    assert "Your rating of fitri@example.com for 2026-10 is saved." in page.content()
    [rating] = list(
        db.query("SELECT period, speed, initiative, accuracy, comment_accuracy FROM ratings")
    )
    assert rating == {
        "period": "2026-10",
        "speed": 4,
        "initiative": 5,
        "accuracy": 3,
        "comment_accuracy": "Two typos in the October letters.",
    }
    assert_only_local_requests(page, server)
    page.screenshot(path=str(ARTIFACTS / "rating-desktop.png"), full_page=True)


def test_manager_filters_the_dashboard(browser, db, app, live_server_factory):
    from surveys.demo import DEMO_MANAGER_EMAIL, DEMO_MANAGER_PASSWORD, seed

    seed(db, app.config)
    server = live_server_factory()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = recorded_page(context)
    page.goto(server.url + "/login")
    page.fill("input[name=email]", DEMO_MANAGER_EMAIL)
    page.fill("input[name=password]", DEMO_MANAGER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/reports$"))
    save_docs_screenshot(page, "dashboard.png")

    page.select_option("select[name=group_by]", "team")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"group_by=team"))
    caption = "table.scores >> nth=1"
    teams = page.locator(f"{caption} >> tbody th").all_inner_texts()
    assert teams == ["Billing", "Technical"]
    chart = page.locator("img[alt^='Answers per score']")
    before = chart.get_attribute("src")
    monthly_before = page.locator("table.scores >> nth=0").inner_text()

    page.select_option("select[name=team]", ["Billing"])
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"team=Billing"))
    assert page.locator(f"{caption} >> tbody th").all_inner_texts() == ["Billing"]
    assert chart.get_attribute("src") != before and "team=Billing" in chart.get_attribute("src")
    assert page.locator("table.scores >> nth=0").inner_text() != monthly_before
    # Every chart drew (an image that failed to load has no natural width).
    assert page.evaluate("Array.from(document.images).every(image => image.naturalWidth > 0)")
    assert_only_local_requests(page, server)
    page.screenshot(path=str(ARTIFACTS / "dashboard-billing.png"), full_page=True)


def test_an_indonesian_customer_answers_from_the_mail_end_to_end(
    browser, make_app, db, api_key, live_server_factory
):
    server = live_server_factory()
    # The mail worker builds its links to this server, as `make run` sets BASE_URL.
    worker = make_app(BASE_URL=server.url)
    customer = {"email": "rina@example.com", "name": "Rina", "locale": "id"}
    closed = requests.post(
        server.url + "/api/v1/tickets/closed",
        json=ticket_payload("T-ID", customer=customer),
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=10,
    )
    assert closed.status_code == 201, closed.text
    deliver(worker)
    [mail] = mailbox_messages(worker)
    assert mail["Subject"] == "Bagaimana layanan kami? Permintaan Anda T-ID di Acme Support"
    text = mail.get_body(("plain",)).get_content()
    assert "Seberapa puas Anda dengan bantuan yang Anda terima? Pilih salah satu:" in text
    link = re.search(r"^5 - Sangat puas: (\S+)$", text, re.MULTILINE).group(1)
    assert link.startswith(f"{server.url}/s/") and link.endswith("?csat=5")
    # The browser asks for English: the page speaks the ticket's language all the same.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = recorded_page(context)

    assert page.goto(link).status == 200

    assert page.locator("html").get_attribute("lang") == "id"
    assert page.title() == "Masukan Anda untuk Acme Support"
    assert page.get_by_role("heading", name="Bagaimana layanan kami?").is_visible()
    assert page.locator("legend").all_inner_texts() == [
        "Seberapa puas Anda dengan bantuan yang Anda terima? (opsional)",
        "Acme Support memudahkan saya menyelesaikan masalah saya. (opsional)",
        "Seberapa besar kemungkinan Anda merekomendasikan Acme Support kepada teman atau "
        "rekan kerja? (opsional)",
    ]
    assert page.locator("#csat .ends").inner_text().split("\n") == [
        "Sangat tidak puas",
        "Sangat puas",
    ]
    assert page.locator("input[name=csat][value='5']").is_checked()
    page.locator("label.choice", has=page.locator("input[name=ces][value='6']")).click()
    page.locator("label.choice", has=page.locator("input[name=nps][value='9']")).click()
    page.get_by_label("Ada hal lain yang ingin Anda sampaikan kepada kami? (opsional)").fill(
        "Cepat dan ramah, terima kasih!"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "survey-indonesian.png"), full_page=True)
    assert stored_responses(db) == []

    page.get_by_role("button", name="Kirim jawaban saya").click()

    page.wait_for_url(re.compile(r"/s/[A-Za-z0-9_-]{43}/thanks$"))
    assert page.title() == "Terima kasih · Acme Support"
    assert page.get_by_role("heading", name="Terima kasih!").is_visible()
    assert page.locator("ul.answers").inner_text().splitlines() == [
        "Kepuasan: 5 dari 5",
        "Kemudahan: 6 dari 7",
        "Kemungkinan merekomendasikan: 9 dari 10",
    ]
    answer = {
        "invitation_id": only_invitation_id(db),
        "csat": 5,
        "ces": 6,
        "nps": 9,
        "comment": "Cepat dan ramah, terima kasih!",
    }
    assert stored_responses(db) == [answer]

    # The switch on the page turns it English, and the choice stays for the next page.
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Change my answers").click()
    page.wait_for_url(re.compile(r"/s/[A-Za-z0-9_-]{43}$"))
    assert page.get_by_role("heading", name="How did we do?").is_visible()
    assert page.locator("input[name=nps][value='9']").is_checked()
    assert stored_responses(db) == [answer]  # switching languages wrote nothing
    assert_only_local_requests(page, server)
    context.close()
