"""A customer answers the survey in real Chromium, served by a real gunicorn.

The page works by keyboard and on a phone, a GET stores nothing, every request the page
makes stays on the Puas host, and every page passes axe-core (tests/browser_helpers.py):
each radio says what its number means, and controls' borders and focus rings reach 3:1.
"""

import re

import pytest
import requests

from surveys.staff.accounts import create_user
from tests.browser_helpers import (
    DESKTOP,
    PHONE,
    assert_only_local_requests,
    check_page,
    faint_focus_rings,
    focus_rings,
    recorded_page,
    save_docs_screenshot,
    save_screenshot,
    visit,
)
from tests.helpers import PASSWORD, deliver, invite, mailbox_messages, ticket_payload

pytestmark = pytest.mark.browser


@pytest.fixture
def survey_link(app, api_headers):
    """The '?csat=4' link of a delivered invitation mail, as a path on the server."""
    token = invite(app, app.test_client(), api_headers, "T-1", email="rina@example.com")
    return f"/s/{token}?csat=4"


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
    context = browser.new_context(viewport=DESKTOP)
    page = recorded_page(context)

    visit(page, server.url + survey_link)

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
    save_screenshot(page, "survey-desktop.png")
    # Opening the page (the mail link's GET) stored nothing.
    assert stored_responses(db) == []

    page.get_by_role("button", name="Send my answers").click()

    page.wait_for_url(re.compile(r"/s/[A-Za-z0-9_-]{43}/thanks$"))
    check_page(page)
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

    visit(page, server.url + survey_link)

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
    assert len({options.nth(index).bounding_box()["y"] for index in range(11)}) == 1  # one row
    save_screenshot(page, "survey-phone.png")
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
    check_page(page)
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
    context = browser.new_context(viewport=DESKTOP)
    page = recorded_page(context)

    visit(page, server.url + "/ratings/new")
    assert page.url.startswith(server.url + "/login")  # signed out: sign in first
    page.fill("input[name=email]", "rater@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/ratings/new$"))
    check_page(page)
    assert page.get_by_role("radio", name="1, very slow", exact=True).count() == 1

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
    check_page(page)
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
    save_screenshot(page, "rating-desktop.png")


def test_manager_filters_the_dashboard(browser, db, app, live_server_factory):
    from surveys.demo import DEMO_MANAGER_EMAIL, DEMO_MANAGER_PASSWORD, seed

    seed(db, app.config)
    server = live_server_factory()
    context = browser.new_context(viewport=DESKTOP)
    page = recorded_page(context)
    visit(page, server.url + "/login")
    page.fill("input[name=email]", DEMO_MANAGER_EMAIL)
    page.fill("input[name=password]", DEMO_MANAGER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/reports$"))
    check_page(page)
    save_docs_screenshot(page, "dashboard.png")

    page.select_option("select[name=group_by]", "team")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"group_by=team"))
    check_page(page)
    caption = "table.scores.groups >> nth=0"
    teams = page.locator(f"{caption} >> tbody th").all_inner_texts()
    assert teams == ["Billing", "Technical"]
    chart = page.locator("img[alt^='Answers per score, CSAT']")
    before = chart.get_attribute("src")
    monthly_before = page.locator("table.trend-table").inner_text()

    page.select_option("select[name=team]", ["Billing"])
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"team=Billing"))
    check_page(page)
    assert page.locator(f"{caption} >> tbody th").all_inner_texts() == ["Billing"]
    assert chart.get_attribute("src") != before and "team=Billing" in chart.get_attribute("src")
    assert page.locator("table.trend-table").inner_text() != monthly_before
    # Every chart drew (an image that failed to load has no natural width).
    assert page.evaluate("Array.from(document.images).every(image => image.naturalWidth > 0)")
    assert_only_local_requests(page, server)
    save_screenshot(page, "dashboard-billing.png")


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
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = recorded_page(context)

    visit(page, link)

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
    save_screenshot(page, "survey-indonesian.png")
    assert stored_responses(db) == []

    page.get_by_role("button", name="Kirim jawaban saya").click()

    page.wait_for_url(re.compile(r"/s/[A-Za-z0-9_-]{43}/thanks$"))
    check_page(page)
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
    page.wait_for_load_state()
    check_page(page)
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Change my answers").click()
    page.wait_for_url(re.compile(r"/s/[A-Za-z0-9_-]{43}$"))
    check_page(page)
    assert page.get_by_role("heading", name="How did we do?").is_visible()
    assert page.locator("input[name=nps][value='9']").is_checked()
    assert stored_responses(db) == [answer]  # switching languages wrote nothing
    assert_only_local_requests(page, server)
    context.close()


# What a screen reader says, what fits a small phone, what a keyboard user sees

NUMBERS = [str(score) for score in range(11)]
RADIO_NAMES = {
    "en": {
        "csat": [
            "1, very dissatisfied",
            "2, dissatisfied",
            "3, neutral",
            "4, satisfied",
            "5, very satisfied",
        ],
        "ces": [
            "1, strongly disagree",
            *NUMBERS[2:4],
            "4, neither agree nor disagree",
            *NUMBERS[5:7],
            "7, strongly agree",
        ],
        "nps": [
            "0, not at all likely",
            *NUMBERS[1:5],
            "5, neither likely nor unlikely",
            *NUMBERS[6:10],
            "10, extremely likely",
        ],
    },
    "id": {
        "csat": ["1, sangat tidak puas", "2, tidak puas", "3, netral", "4, puas", "5, sangat puas"],
        "ces": [
            "1, sangat tidak setuju",
            *NUMBERS[2:4],
            "4, netral",
            *NUMBERS[5:7],
            "7, sangat setuju",
        ],
        "nps": [
            "0, sangat tidak mungkin",
            *NUMBERS[1:5],
            "5, netral",
            *NUMBERS[6:10],
            "10, sangat mungkin",
        ],
    },
}


def radio_names(page, question):
    """The accessible name of each radio of a question, in order, from the page's
    accessibility tree."""
    tree = page.locator(f"#{question}").aria_snapshot()
    return re.findall(r'- radio "([^"]*)"', tree)


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_radio_says_what_its_number_means(
    browser, survey_link, live_server_factory, language
):
    server = live_server_factory()
    context = browser.new_context(viewport=DESKTOP)
    page = recorded_page(context)

    visit(page, f"{server.url}{survey_link}&lang={language}")

    assert {name: radio_names(page, name) for name in ("csat", "ces", "nps")} == RADIO_NAMES[
        language
    ]
    # The words are for people who cannot see the ends of the scale; the buttons show digits.
    assert page.locator("#csat .choice").all_inner_texts() == ["1", "2", "3", "4", "5"]
    assert_only_local_requests(page, server)
    context.close()


def test_the_nps_scale_fits_one_row_at_360_px(browser, survey_link, live_server_factory):
    server = live_server_factory()
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    page = recorded_page(context)

    visit(page, server.url + survey_link)

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for question, count in [("csat", 5), ("ces", 7), ("nps", 11)]:
        boxes = [
            page.locator(f"#{question} .choice").nth(index).bounding_box() for index in range(count)
        ]
        assert len({box["y"] for box in boxes}) == 1, (question, boxes)  # one row
        assert boxes[0]["x"] >= 0 and boxes[-1]["x"] + boxes[-1]["width"] <= 360, boxes
        # Each answer a target for a thumb: 24 px wide at least (WCAG 2.5.8), 44 px tall.
        assert min(box["width"] for box in boxes) >= 24, (question, boxes)
        assert min(box["height"] for box in boxes) >= 44, (question, boxes)
    save_screenshot(page, "survey-360.png")
    assert_only_local_requests(page, server)
    context.close()


def test_focus_rings_and_control_borders_reach_3_to_1(
    browser, survey_link, db, live_server_factory
):
    create_user(db, "rater@example.com", PASSWORD, "staff", name="Sari")
    create_user(db, "fitri@example.com", PASSWORD, "staff", name="Fitri Handayani", rated=True)
    server = live_server_factory()
    context = browser.new_context(viewport=DESKTOP)
    page = recorded_page(context)
    rings = {}

    # check_page has checked every control's border on each page; here, the focus rings.
    visit(page, server.url + survey_link)
    page.locator("label.choice", has=page.locator("input[name=nps][value='9']")).click()
    rings["survey"] = focus_rings(page)
    visit(page, server.url + "/login")
    rings["login"] = focus_rings(page)
    page.fill("input[name=email]", "rater@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    check_page(page)
    visit(page, server.url + "/ratings/new")
    rings["rating"] = focus_rings(page, stops=60)

    for name, page_rings in rings.items():
        assert len(page_rings) >= 4, (name, page_rings)
        assert faint_focus_rings(page_rings) == [], name
    focused_radios = [ring for ring in rings["survey"] if 'type="radio"' in ring["element"]]
    assert len(focused_radios) == 3  # one stop per question, each ringed
    assert_only_local_requests(page, server)
    context.close()
