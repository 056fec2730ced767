"""The mailbox pages: managers read what the mailbox sender wrote."""

from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.helpers import invite


def test_mailbox_lists_the_invitation_and_shows_its_link(app, manager_client, api_headers):
    token = invite(app, manager_client, api_headers, "T-7")
    listing = manager_client.get("/mailbox/").get_data(as_text=True)
    assert "T-7" in listing and "customer@example.com" in listing
    [filename] = [path.name for path in Path(app.config["MAIL_DIR"]).glob("*.eml")]
    page = manager_client.get(f"/mailbox/{filename}").get_data(as_text=True)
    assert f'<a href="http://puas.test/s/{token}?csat=5">' in page


@pytest.mark.parametrize("name", ["..%2Fpuas.db", "%2E%2E", "x.txt", "..eml", ".eml"])
def test_only_eml_files_in_the_folder_are_served(manager_client, name):
    assert manager_client.get(f"/mailbox/{name}").status_code == 404


def test_odd_files_in_the_folder_do_not_break_the_pages(app, manager_client):
    folder = Path(app.config["MAIL_DIR"])
    (folder / "folder.eml").mkdir(parents=True)
    message = EmailMessage()
    message["Subject"] = "HTML only"
    message.set_content("<p>hello</p>", subtype="html")
    (folder / "html-only.eml").write_bytes(bytes(message))

    listing = manager_client.get("/mailbox/")
    assert listing.status_code == 200
    assert "HTML only" in listing.get_data(as_text=True)
    page = manager_client.get("/mailbox/html-only.eml")
    assert page.status_code == 200
    assert "no plain-text part" in page.get_data(as_text=True)


def test_mailbox_is_for_managers_only(client, staff_client):
    assert client.application.test_client().get("/mailbox/").status_code == 302
    assert staff_client.get("/mailbox/").status_code == 403
