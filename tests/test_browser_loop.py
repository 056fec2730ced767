"""Closing the loop in real Chromium on a real gunicorn: a customer answers with 1 star and
consent, the alert reaches the manager, who works the follow-up to closed."""

import re

import pytest

from surveys.actions import alert_mail
from surveys.staff.accounts import create_user
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
from tests.helpers import PASSWORD, invite, mailbox_messages

pytestmark = pytest.mark.browser

MANAGER = "lead@example.com"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_a_one_star_answer_is_followed_up_to_closed(
    browser, make_app, db, api_headers, live_server_factory, viewport
):
    server = live_server_factory()
    app = make_app(BASE_URL=server.url)
    create_user(db, MANAGER, PASSWORD, "manager", name="Lead Manager")
    token = invite(app, app.test_client(), api_headers, "T-77", email="rina@example.com")

    # The customer: 1 star, a comment, and "you may contact me".
    customer = recorded_page(browser.new_context(viewport=viewport))
    visit(customer, f"{server.url}/s/{token}")
    customer.locator("#csat label.choice").nth(0).click()
    customer.fill("textarea[name=comment]", "Nobody answered my question.")
    customer.get_by_label("You may contact me about my answer").check()
    customer.get_by_role("button", name="Send my answers").click()
    customer.wait_for_url(re.compile(r"/thanks$"))
    check_page(customer)
    assert customer.get_by_text("will be in touch with you about your answer").count() == 1
    assert_only_local_requests(customer, server)
    assert_every_page_checked(customer)

    # The worker's pass mails the alert, which links to the follow-up.
    with app.app_context():
        assert alert_mail.send_due_pass(app.config) == {"sent": 1, "retry": 0, "failed": 0}
    [alert] = [mail for mail in mailbox_messages(app) if mail["Subject"].startswith("Alert")]
    link = re.search(r"http://\S+/follow-ups/(\d+)", alert.get_content()).group(0)

    # The manager works it from the mail's link: contacted, then closed.
    manager = recorded_page(browser.new_context(viewport=viewport))
    sign_in(manager, server, MANAGER, PASSWORD, r"/reports")
    visit(manager, link)
    assert manager.get_by_text("they ticked").count() == 1
    assert manager.get_by_text("Nobody answered my question.").count() == 1
    manager.select_option("#status", "contacted")
    manager.select_option("#owner", MANAGER)
    manager.fill("#notes", "Called Rina; she will send the invoice number.")
    manager.get_by_role("button", name="Save follow-up").click()
    manager.wait_for_load_state()
    check_page(manager)
    assert manager.get_by_role("heading", name=re.compile("contacted")).count() == 1
    # Closing without an outcome is refused, with the reason beside the field.
    manager.select_option("#status", "closed")
    manager.get_by_role("button", name="Save follow-up").click()
    manager.wait_for_load_state()
    check_page(manager)
    assert manager.get_by_text("outcome is needed to close a follow-up").count() == 1
    manager.select_option("#outcome", "resolved")
    manager.get_by_role("button", name="Save follow-up").click()
    manager.wait_for_load_state()
    check_page(manager)
    assert manager.get_by_role("heading", name=re.compile(r"closed \(resolved\)")).count() == 1

    visit(manager, f"{server.url}/follow-ups")
    row = manager.locator("tbody tr").first
    assert "T-77" in row.inner_text() and "closed (resolved)" in row.inner_text()
    name = "follow-ups-1280.png" if viewport == DESKTOP else "follow-ups-390.png"
    save_screenshot(manager, name)
    assert_only_local_requests(manager, server)
    [row] = db.query("SELECT status, outcome, first_contact_at IS NOT NULL AS met FROM follow_ups")
    assert row == {"status": "closed", "outcome": "resolved", "met": 1}
