"""The brand in real Chromium, on the demo's data served by gunicorn: the branded survey on
a phone (drawn into test-artifacts/ for a person to look at), and the invitation's HTML part
in the mailbox's sandboxed frame, its five CSAT buttons measured equal in width."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from surveys import demo
from surveys.customers.mailbox import read_message
from tests.browser_helpers import (
    DESKTOP,
    PHONE,
    assert_only_local_requests,
    recorded_page,
    save_screenshot,
    sign_in,
    visit,
)
from tests.helpers import deliver, token_in

pytestmark = pytest.mark.browser

TEAL = "rgb(15, 118, 110)"  # demo.DEMO_BRAND_COLOUR, #0f766e, as Chromium reports it


@pytest.fixture
def site(make_app, db, live_server_factory):
    """The demo's data (its brand included) on a live server, its invitations delivered."""
    server = live_server_factory()
    app = make_app(BASE_URL=server.url)
    demo.seed(db, app.config)
    deliver(app)
    return SimpleNamespace(server=server, app=app, db=db, url=server.url)


def english_invitation(site):
    """(filename, message) of the demo's waiting invitation in English."""
    [found] = [
        (path.name, message)
        for path in sorted(Path(site.app.config["MAIL_DIR"]).glob("*.eml"))
        if "DEMO-NEW-2" in (message := read_message(path))["Subject"]
    ]
    return found


SURVEY_COLOURS_JS = """() => {
  const style = (selector) => getComputedStyle(document.querySelector(selector));
  const logo = document.querySelector('img.brand-logo');
  return {
    band: style('.brand-band').backgroundColor,
    chosen: style('#csat input:checked + span').backgroundColor,
    button: style('button.primary').backgroundColor,
    logo_loaded: logo.complete && logo.naturalWidth,
    logo_shown: [logo.getBoundingClientRect().width, logo.getBoundingClientRect().height],
  };
}"""


def test_the_branded_survey_on_a_phone(browser, site):
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = recorded_page(phone)
    _, mail = english_invitation(site)

    visit(page, f"{site.url}/s/{token_in(mail)}?csat=2")

    # The demo's logo is 360 × 120 pixels, shown in the 240 × 80 box: 240 × 80.
    assert page.evaluate(SURVEY_COLOURS_JS) == {
        "band": TEAL,
        "chosen": TEAL,
        "button": TEAL,
        "logo_loaded": 360,
        "logo_shown": [240, 80],
    }
    save_screenshot(page, "survey-brand-390.png")
    assert_only_local_requests(page, site.server)
    phone.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_the_mail_in_the_mailbox_has_five_buttons_of_equal_width(browser, site, viewport):
    context = browser.new_context(viewport=viewport)
    page = recorded_page(context)
    sign_in(page, site.server, demo.DEMO_MANAGER_EMAIL, demo.DEMO_MANAGER_PASSWORD, r"/reports$")
    filename, _ = english_invitation(site)

    visit(page, f"{site.url}/mailbox/{filename}")

    frame = page.locator("iframe.mail-html")
    assert frame.get_attribute("sandbox") == ""  # every restriction, none lifted
    mail = page.frame_locator("iframe.mail-html")
    mail.get_by_role("img", name="Acme").wait_for()
    buttons = [mail.get_by_role("link", name=str(score), exact=True) for score in range(1, 6)]
    widths = [button.bounding_box()["width"] for button in buttons]
    assert max(widths) - min(widths) < 0.5, widths
    assert min(widths) > 40, widths  # each a thumb's width, even on a phone
    frame.scroll_into_view_if_needed()  # a frame below the window is painted once in view
    save_screenshot(page, f"mailbox-message-{viewport['width']}.png")
    assert_only_local_requests(page, site.server)
    context.close()
