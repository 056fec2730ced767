"""Customers read the survey and the invitation in their language: English or Bahasa Indonesia.

A page speaks the switch's choice (?lang=, then its cookie), else the ticket's locale, else
the browser's Accept-Language, else English; a mail speaks the ticket's locale, else English.
Staff pages stay English.
"""

import io
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from surveys import clock
from surveys.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_COOKIE,
    LANGUAGES,
    choose_language,
    language_of,
    uncompiled_catalogues,
)
from tests.helpers import ROOT, csrf_token, deliver, invite, mailbox_messages, post_ticket

CATALOGUES = sorted((ROOT / "surveys" / "translations").glob("*/LC_MESSAGES/messages.po"))


def accepted(header):
    """A browser's Accept-Language header, parsed as Flask parses it."""
    return parse_accept_header(header, LanguageAccept)


def customer(locale):
    """The ticket body's customer, speaking `locale` (None: the help desk sent none)."""
    return {"email": "rina@example.com", "name": "Rina", "locale": locale}


def html_lang(response):
    return re.search(r'<html lang="([^"]+)">', response.get_data(as_text=True)).group(1)


def language_cookie(response):
    """The language cookie the response sets, or None (the session cookie is another)."""
    cookies = [
        cookie
        for cookie in response.headers.getlist("Set-Cookie")
        if cookie.startswith(f"{LANGUAGE_COOKIE}=")
    ]
    assert len(cookies) <= 1
    return cookies[0] if cookies else None


def table_counts(db):
    """Rows per table: a GET that changes any of them wrote to the database."""
    return {name: db[name].count for name in db.table_names()}


# Which language: a pure choice


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("id", "id"),
        ("id-ID", "id"),
        ("id_ID", "id"),
        ("ID", "id"),
        ("in", "id"),
        ("in-ID", "id"),
        ("ind", "id"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN_us", "en"),
        ("eng", "en"),
        ("ms", None),
        ("fr-FR", None),
        ("", None),
        ("*", None),
        (None, None),
        (7, None),
    ],
)
def test_a_language_tag_names_a_supported_language_or_none(tag, language):
    assert language_of(tag) == language


@pytest.mark.parametrize(
    ("switch", "remembered", "ticket", "browser", "language"),
    [
        # The switch on the page wins over everything.
        ("en", "id", "id-ID", "id", "en"),
        ("id", "en", "en", "en", "id"),
        # Then the choice the cookie remembers from an earlier switch.
        (None, "en", "id-ID", "id", "en"),
        (None, "id", "en", "en", "id"),
        # Then the ticket's locale.
        (None, None, "id-ID", "en-US,en;q=0.9", "id"),
        (None, None, "in", "en", "id"),
        (None, None, "en", "id-ID,id;q=0.9", "en"),
        # Then the browser's languages, best first; languages Puas does not speak are passed over.
        (None, None, None, "id-ID,id;q=0.9,en;q=0.8", "id"),
        (None, None, "fr", "fr-FR,id;q=0.7,en;q=0.5", "id"),
        (None, None, None, "en;q=0.4,id;q=0.9", "id"),
        (None, None, None, "id;q=0,en", "en"),
        # Then English.
        (None, None, None, "", "en"),
        (None, None, "ms", "fr, de;q=0.5", "en"),
        # A switch, cookie or ticket naming an unknown language counts as none.
        ("fr", "xx", "de", "id", "id"),
    ],
)
def test_the_language_is_the_switch_then_cookie_then_ticket_then_browser_then_english(
    switch, remembered, ticket, browser, language
):
    assert (
        choose_language(
            switch=switch, remembered=remembered, ticket_locale=ticket, accepted=accepted(browser)
        )
        == language
    )


def test_with_nothing_known_the_language_is_english():
    assert choose_language() == "en"


# The survey pages


@pytest.fixture
def indonesian_token(app, client, api_headers):
    """The link of an invitation for a ticket whose customer's locale is id-ID."""
    return invite(app, client, api_headers, "T-ID", customer=customer("id-ID"))


def test_the_survey_speaks_the_tickets_language(client, indonesian_token):
    page = client.get(f"/s/{indonesian_token}?csat=5")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert html_lang(page) == "id"
    assert page.headers["Content-Language"] == "id"
    assert "<title>Masukan Anda untuk Acme Support</title>" in html
    for text in (
        "Bagaimana layanan kami?",
        "Seberapa puas Anda dengan bantuan yang Anda terima?",
        "Acme Support memudahkan saya menyelesaikan masalah saya.",
        "Seberapa besar kemungkinan Anda merekomendasikan Acme Support kepada teman "
        "atau rekan kerja?",
        "Sangat tidak puas",
        "Sangat puas",
        "Sangat tidak setuju",
        "Sangat setuju",
        "Sangat tidak mungkin",
        "Sangat mungkin",
        "(opsional)",
        "Ada hal lain yang ingin Anda sampaikan kepada kami? (opsional)",
        "Kirim jawaban saya",
    ):
        assert text in html, text
    assert "How satisfied" not in html and "Send my answers" not in html
    # The pre-selection and the form's field names do not change with the language.
    assert 'checked id="csat-4" name="csat" type="radio" value="5"' in html


def test_the_switch_links_keep_the_page_and_its_query(client, indonesian_token):
    html = client.get(f"/s/{indonesian_token}?csat=5").get_data(as_text=True)

    switch = re.search(r'<nav class="languages" aria-label="Bahasa">(.*?)</nav>', html, re.S)
    assert switch, html
    assert (
        f'<a href="/s/{indonesian_token}?csat=5&amp;lang=en" lang="en" hreflang="en">'
        f"English</a>" in switch.group(1)
    )
    assert '<strong lang="id" aria-current="true">Bahasa Indonesia</strong>' in switch.group(1)


def test_the_switch_changes_the_language_and_a_cookie_remembers_it(client, db, indonesian_token):
    before = table_counts(db)

    english = client.get(f"/s/{indonesian_token}?lang=en")

    assert english.status_code == 200
    assert html_lang(english) == "en"
    assert "How satisfied are you with the support you received?" in english.get_data(as_text=True)
    cookie = language_cookie(english)
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=en;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    # Later pages without ?lang= stay English: the browser sends the cookie back.
    again = client.get(f"/s/{indonesian_token}")
    assert html_lang(again) == "en" and language_cookie(again) is None
    # Switching back to Bahasa Indonesia is remembered the same way.
    back = client.get(f"/s/{indonesian_token}?lang=id")
    assert html_lang(back) == "id"
    assert language_cookie(back).startswith(f"{LANGUAGE_COOKIE}=id;")
    assert html_lang(client.get(f"/s/{indonesian_token}")) == "id"
    # Choosing a language wrote nothing to the database.
    assert table_counts(db) == before


@pytest.mark.parametrize(
    ("ticket_locale", "browser", "language"),
    [
        (None, "id-ID,id;q=0.9,en;q=0.8", "id"),
        ("fr", "id", "id"),
        (None, "en-US,en;q=0.9", "en"),
        (None, None, "en"),
        ("en", "id", "en"),
    ],
)
def test_without_a_choice_the_page_follows_the_ticket_then_the_browser(
    app, client, api_headers, ticket_locale, browser, language
):
    token = invite(app, client, api_headers, "T-B", customer=customer(ticket_locale))
    headers = {"Accept-Language": browser} if browser else {}

    page = client.get(f"/s/{token}", headers=headers)

    assert html_lang(page) == language
    assert page.headers.getlist("Vary") == ["Accept-Language, Cookie"]


def test_an_unsupported_lang_parameter_is_ignored(client, indonesian_token):
    page = client.get(f"/s/{indonesian_token}?lang=xx")
    assert html_lang(page) == "id"
    assert language_cookie(page) is None


def submit(client, token, **answers):
    page = client.get(f"/s/{token}")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    data.update({name: str(value) for name, value in answers.items()})
    return client.post(f"/s/{token}", data=data)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({}, "Mohon jawab setidaknya satu pertanyaan sebelum mengirim."),
        ({"csat": 9}, "Silakan pilih angka dari 1 sampai 5."),
        ({"nps": "sepuluh"}, "Silakan pilih angka dari 0 sampai 10."),
        ({"csat": 4, "comment": "x" * 5001}, "Mohon batasi komentar Anda hingga 5000 karakter."),
        ({"csat": 4, "comment": "baik\x00"}, "Mohon hapus karakter kontrol khusus dari teks ini."),
    ],
)
def test_a_customer_reads_why_answers_were_refused_in_their_language(
    client, db, indonesian_token, answers, message
):
    response = submit(client, indonesian_token, **answers)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db["responses"].count == 0


def test_the_thanks_page_speaks_the_tickets_language(client, indonesian_token):
    response = submit(client, indonesian_token, csat=4, ces=6, nps=9)
    assert response.status_code == 303

    thanks = client.get(response.headers["Location"])
    html = thanks.get_data(as_text=True)

    assert thanks.status_code == 200 and html_lang(thanks) == "id"
    assert "<title>Terima kasih · Acme Support</title>" in html
    assert "<h1>Terima kasih!</h1>" in html
    for line in (
        "Kepuasan: 4 dari 5",
        "Kemudahan: 6 dari 7",
        "Kemungkinan merekomendasikan: 9 dari 10",
        "Ubah jawaban saya",
    ):
        assert line in html, line
    day = re.search(r"\(dapat diubah hingga (\d{1,2} \w+ \d{4})\)", html)
    assert day, html
    month_names = (
        "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
    ).split()
    assert day.group(1).split()[1] in month_names


def test_the_expired_and_unknown_link_pages_speak_the_browsers_language(
    client, db, indonesian_token
):
    unknown = client.get("/s/" + "x" * 43, headers={"Accept-Language": "id-ID,id"})
    assert unknown.status_code == 404 and html_lang(unknown) == "id"
    assert "Kami tidak dapat menemukan survei ini" in unknown.get_data(as_text=True)

    db.execute("UPDATE survey_links SET expires_at = ?", [clock.to_iso(clock.now())])
    expired = client.get(f"/s/{indonesian_token}", headers={"Accept-Language": "id"})
    assert expired.status_code == 410 and html_lang(expired) == "id"
    assert "Survei ini sudah ditutup" in expired.get_data(as_text=True)
    # The switch works there too.
    english = client.get(f"/s/{indonesian_token}?lang=en", headers={"Accept-Language": "id"})
    assert english.status_code == 410
    assert "This survey has closed" in english.get_data(as_text=True)


def test_staff_pages_stay_english_whatever_the_browser_asks(manager_client):
    page = manager_client.get("/reports", headers={"Accept-Language": "id-ID,id"})
    assert page.status_code == 200
    assert html_lang(page) == "en"
    assert "Content-Language" not in page.headers
    missing = manager_client.get("/no-such-page", headers={"Accept-Language": "id"})
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)


# The invitation mail


def only_mail(app):
    [message] = mailbox_messages(app)
    return (
        message,
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def test_the_invitation_for_an_indonesian_ticket_is_in_indonesian(app, client, api_headers):
    post_ticket(client, api_headers, "T-77", customer=customer("id-ID"))
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}

    message, text, html = only_mail(app)

    assert message["Subject"] == "Bagaimana layanan kami? Permintaan Anda T-77 di Acme Support"
    assert message["Content-Language"] == "id"
    assert '<html lang="id">' in html
    token = re.search(r"/s/([A-Za-z0-9_-]{43})", text).group(1)
    url = f"http://puas.test/s/{token}"
    assert text.startswith(
        "Halo Rina,\n\n"
        "Terima kasih telah menghubungi Acme Support mengenai permintaan Anda T-77.\n"
        "Seberapa puas Anda dengan bantuan yang Anda terima? Pilih salah satu:\n\n"
        f"1 - Sangat tidak puas: {url}?csat=1\n"
        f"2 - Tidak puas: {url}?csat=2\n"
        f"3 - Netral: {url}?csat=3\n"
        f"4 - Puas: {url}?csat=4\n"
        f"5 - Sangat puas: {url}?csat=5\n\n"
        "Di halaman survei ada dua pertanyaan singkat lagi; semuanya boleh dilewati.\n"
        'Jawaban Anda baru tercatat setelah Anda menekan "Kirim jawaban saya".\n\n'
        "Tautan ini khusus untuk Anda dan berlaku selama 14 hari.\n\n"
        "Acme Support\n"
    )
    for phrase in (
        "Halo Rina,",
        "Terima kasih telah menghubungi Acme Support mengenai permintaan Anda "
        "<strong>T-77</strong>.",
        "Seberapa puas Anda dengan bantuan yang Anda terima?",
        'title="Sangat tidak puas"',
        "1 = Sangat tidak puas",
        "5 = Sangat puas",
        "Tautan ini khusus untuk Anda dan berlaku selama 14 hari.",
        'Jawaban Anda baru tercatat setelah Anda menekan "Kirim jawaban saya".',
    ):
        assert phrase in html, phrase
    assert "How satisfied" not in html and "Hello" not in html


def test_the_invitation_for_an_english_ticket_is_in_english(app, client, api_headers):
    post_ticket(client, api_headers, "T-78", customer=customer("en-GB"))
    deliver(app)

    message, text, html = only_mail(app)

    assert message["Subject"] == "How did we do? Your request T-78 with Acme Support"
    assert message["Content-Language"] == "en"
    assert '<html lang="en">' in html
    for part in (text, html):
        assert "Hello Rina," in part
        assert "How satisfied are you with the support you received?" in part
        assert "This link is personal and works for 14 days." in part
    assert "Choose one:" in text and "5 - Very satisfied: http://puas.test/s/" in text
    assert "Thank you for contacting Acme Support about your request <strong>T-78</strong>." in html


@pytest.mark.parametrize(
    ("locale", "subject"),
    [
        ("in", "Bagaimana layanan kami? Permintaan Anda T-79 di Acme Support"),
        ("ms-MY", "How did we do? Your request T-79 with Acme Support"),
        (None, "How did we do? Your request T-79 with Acme Support"),
    ],
)
def test_a_mail_speaks_the_tickets_locale_else_english(app, client, api_headers, locale, subject):
    post_ticket(client, api_headers, "T-79", customer=customer(locale))
    deliver(app)
    message, _, _ = only_mail(app)
    assert message["Subject"] == subject


def test_a_one_day_link_says_one_day(make_app, api_headers):
    app = make_app(LINK_TTL_DAYS=1)
    post_ticket(app.test_client(), api_headers, "T-80", customer=customer("en"))
    deliver(app)
    _, text, _ = only_mail(app)
    assert "This link is personal and works for 1 day.\n" in text


# The catalogue


def read_catalogue(path):
    with open(path, "rb") as po_file:
        return read_po(po_file)


def test_every_language_but_english_has_a_catalogue():
    languages = sorted(path.parent.parent.name for path in CATALOGUES)
    assert languages == sorted(set(LANGUAGES) - {DEFAULT_LANGUAGE}) == ["id"]


def placeholders(text):
    """The %(name)s and {name} placeholders of a message, which a translation must keep."""
    return sorted(re.findall(r"%\(\w+\)[sd]|\{\w+\}", text))


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parent.parent.name)
def test_every_message_has_a_translation_that_keeps_its_placeholders(path):
    catalogue = read_catalogue(path)
    messages = [message for message in catalogue if message.id]

    assert str(catalogue.locale) == path.parent.parent.name
    assert not catalogue.fuzzy  # a fuzzy catalogue is not compiled at all
    assert len(messages) > 50
    for message in messages:
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        assert all(strings), f"not translated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy, needs a translator's check: {message.id!r}"
        for string in strings:
            assert placeholders(string) == placeholders(ids[0]), message.id
    assert list(catalogue.obsolete) == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parent.parent.name)
def test_the_catalogue_compiles_without_errors(path):
    catalogue = read_catalogue(path)
    problems = [
        (message.id, [str(error) for error in errors]) for message, errors in catalogue.check()
    ]
    assert problems == []

    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    translations = read_mo(compiled)
    assert translations["Thank you!"].string == catalogue["Thank you!"].string != ""
    assert len([message for message in translations if message.id]) == len(
        [message for message in catalogue if message.id]
    )


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parent.parent.name)
def test_the_catalogue_holds_every_message_in_the_code(path):
    # As `make messages` extracts them: babel.cfg's files under surveys/ and templates/.
    with open(ROOT / "babel.cfg") as config_file:
        method_map, options_map = parse_mapping_cfg(config_file)
    keywords = dict(DEFAULT_KEYWORDS, _l=None)
    in_code = {
        message_id if isinstance(message_id, str) else message_id[0]
        for folder in ("surveys", "templates")
        for _, _, message_id, _, _ in extract_from_dir(
            ROOT / folder, method_map, options_map, keywords=keywords
        )
    }
    in_catalogue = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in read_catalogue(path)
        if message.id
    }

    assert sorted(in_code - in_catalogue) == [], "run `make messages`, then translate"
    assert sorted(in_catalogue - in_code) == [], "run `make messages` to drop old messages"


def test_the_compiled_catalogues_are_current():
    assert uncompiled_catalogues() == [], "run `make translations` (pybabel compile)"
    assert all(path.with_suffix(".mo").exists() for path in CATALOGUES)


# The unsubscribe pages


def test_the_unsubscribe_footer_and_pages_speak_the_tickets_language(app, client, db, api_headers):
    post_ticket(client, api_headers, "T-81", customer=customer("id-ID"))
    deliver(app)
    _, text, html = only_mail(app)
    footer = re.search(
        r"^Tidak ingin menerima email survei lagi\? Berhenti berlangganan: "
        r"http://puas\.test/u/([A-Za-z0-9_-]{43})$",
        text,
        re.MULTILINE,
    )
    assert footer, text
    assert "Tidak ingin menerima email survei lagi?" in html

    asked = client.get(f"/u/{footer.group(1)}")
    assert asked.status_code == 200 and html_lang(asked) == "id"
    for phrase in (
        "<title>Berhenti menerima survei dari Acme Support</title>",
        "Berhenti menerima survei dari Acme Support?",
        "Tidak ada yang berubah sebelum Anda menekan tombol.",
        "Berhenti berlangganan</button>",
    ):
        assert phrase in asked.get_data(as_text=True), phrase

    done = client.post(f"/u/{footer.group(1)}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and html_lang(done) == "id"
    assert "Acme Support tidak akan mengirim email survei lagi ke alamat ini." in done.get_data(
        as_text=True
    )

    unknown = client.get("/u/" + "x" * 43, headers={"Accept-Language": "id"})
    assert unknown.status_code == 404
    assert "Kami tidak dapat menemukan tautan berhenti berlangganan ini" in unknown.get_data(
        as_text=True
    )


def test_pages_say_their_language_and_redirects_none(client, indonesian_token):
    page = client.get(f"/s/{indonesian_token}")
    sent = client.post(
        f"/s/{indonesian_token}",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "csat": "5"},
    )
    assert sent.status_code == 303
    assert "Content-Language" not in sent.headers
    assert "Accept-Language" in sent.headers["Vary"]
    thanks = client.get(sent.headers["Location"])
    assert thanks.status_code == 200
    assert thanks.headers["Content-Language"] == "id"
