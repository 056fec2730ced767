"""The customer's survey: GET shows, only POST records, bad links get friendly pages."""

import time
from datetime import timedelta

import pytest

from surveys import clock
from surveys.customers.tokens import hash_token
from tests.helpers import csrf_token, invite


@pytest.fixture
def token(app, client, api_headers):
    return invite(app, client, api_headers)


def responses(db):
    return [
        (row["csat"], row["ces"], row["nps"], row["comment"])
        for row in db.query("SELECT * FROM responses ORDER BY id")
    ]


def submit(client, token, **answers):
    page = client.get(f"/s/{token}")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    data.update({name: str(value) for name, value in answers.items()})
    return client.post(f"/s/{token}", data=data)


def test_survey_page_asks_the_three_questions(client, token):
    page = client.get(f"/s/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "How satisfied are you with the support you received?" in html
    assert "Acme Support made it easy for me to handle my issue." in html
    assert "How likely are you to recommend Acme Support to a friend or colleague?" in html
    for name, values in (("csat", range(1, 6)), ("ces", range(1, 8)), ("nps", range(0, 11))):
        for value in values:
            assert f'name="{name}" type="radio" value="{value}"' in html
    assert 'name="comment"' in html


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_opening_the_link_records_nothing_even_with_a_score(client, db, token, method):
    for query in ("", "?csat=1", "?csat=5&ces=7&nps=10"):
        response = client.open(f"/s/{token}{query}", method=method)
        assert response.status_code == 200
    assert db["responses"].count == 0


def test_score_in_the_link_only_preselects(client, token):
    html = client.get(f"/s/{token}?csat=4").get_data(as_text=True)
    assert 'checked id="csat-3" name="csat" type="radio" value="4"' in html
    assert html.count("checked") == 1


@pytest.mark.parametrize("query", ["?csat=9", "?csat=abc", "?csat=", "?nps=-1"])
def test_invalid_preselection_is_ignored(client, token, query):
    response = client.get(f"/s/{token}{query}")
    assert response.status_code == 200
    assert "checked" not in response.get_data(as_text=True)


def test_submitting_records_the_answers_and_thanks(client, db, token):
    response = submit(client, token, csat=4, ces=6, nps=9, comment="  Quick and kind  ")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{token}/thanks"
    assert responses(db) == [(4, 6, 9, "Quick and kind")]
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert "Thank you" in thanks.get_data(as_text=True)


def test_an_answer_proves_a_failed_delivery_arrived(client, db, token):
    # The SMTP conversation failed after the server had taken the mail.
    db.execute("UPDATE invitations SET status = 'failed', sent_at = NULL")
    submit(client, token, csat=4)
    invitation = db["invitations"].get(1)
    assert invitation["status"] == "sent" and invitation["sent_at"] is not None


def test_skipped_questions_are_stored_as_no_answer(client, db, token):
    assert submit(client, token, nps=0).status_code == 303
    assert responses(db) == [(None, None, 0, None)]


def test_submitting_again_changes_the_answer(client, db, token):
    submit(client, token, csat=2, ces=3, nps=4, comment="slow")
    submit(client, token, csat=5, nps=10)

    assert responses(db) == [(5, None, 10, None)]
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert "You answered this survey before" in page
    assert 'checked id="csat-4" name="csat" type="radio" value="5"' in page


def test_every_link_of_an_invitation_answers_the_same_invitation(app, client, db, token):
    second_token = "B" * 43
    db["survey_links"].insert(
        {
            "token_hash": hash_token(second_token),
            "invitation_id": 1,
            "created_at": clock.to_iso(clock.now()),
            "expires_at": clock.to_iso(clock.now() + timedelta(days=1)),
        }
    )
    submit(client, token, csat=1)
    submit(client, second_token, csat=5)
    assert responses(db) == [(5, None, None, None)]


@pytest.mark.parametrize(
    "answers",
    [
        {"csat": 0},
        {"csat": 6},
        {"csat": "abc"},
        {"csat": "4.5"},
        {"ces": 8},
        {"ces": 0},
        {"nps": 11},
        {"nps": -1},
        {"nps": "ten"},
        {"csat": 4, "nps": 99},
        {"csat": 4, "comment": "x" * 5001},
    ],
)
def test_out_of_range_answers_are_refused_and_nothing_is_stored(client, db, token, answers):
    response = submit(client, token, **answers)
    assert response.status_code == 422
    assert db["responses"].count == 0


@pytest.mark.parametrize("csat", ["+4", " 4", "4 ", "04", "\u0664", "4.0", "1e0"])
def test_only_plain_numbers_are_answers(client, db, token, csat):
    response = submit(client, token, csat=csat)
    assert response.status_code == 422
    assert "Please choose a number from 1 to 5." in response.get_data(as_text=True)
    assert db["responses"].count == 0


def test_a_comment_with_control_characters_is_refused(client, db, token):
    response = submit(client, token, csat=5, comment="fine\x00 really")
    assert response.status_code == 422
    assert db["responses"].count == 0


def test_a_blank_comment_alone_does_not_erase_an_answer(client, db, token):
    submit(client, token, csat=5)
    response = submit(client, token, comment="  \r\n ")
    assert response.status_code == 422
    assert "Please answer at least one question" in response.get_data(as_text=True)
    assert responses(db) == [(5, None, None, None)]


INVISIBLE_COMMENTS = [
    "\u200b",  # zero-width space
    "\ufeff",  # byte order mark
    "\u2060\u2060",  # word joiner
    " \u200b\r\n\u200c\u200d\u00ad ",  # joiners, soft hyphen and spaces
    "\u3164\u2800\ufe0f",  # Hangul filler, blank Braille, variation selector
    "\U000e0041\U000e007f",  # tag characters
]


@pytest.mark.parametrize("comment", INVISIBLE_COMMENTS)
def test_a_comment_that_shows_nothing_is_stored_as_none(client, db, token, comment):
    assert submit(client, token, csat=5, comment=comment).status_code == 303
    assert responses(db) == [(5, None, None, None)]


@pytest.mark.parametrize("comment", INVISIBLE_COMMENTS)
def test_a_comment_that_shows_nothing_alone_asks_for_an_answer(client, db, token, comment):
    response = submit(client, token, comment=comment)
    assert response.status_code == 422
    assert "Please answer at least one question" in response.get_data(as_text=True)
    assert db["responses"].count == 0


@pytest.mark.parametrize(
    "comment",
    [
        "\U0001f469\u200d\U0001f4bb",  # woman technologist: an emoji joined by U+200D
        "\u200bTerima kasih\u2060",  # visible words between zero-width characters
        "\u0915\u094d\u200d\u0937",  # Devanagari with a zero-width joiner
        "\u0645\u0645\u200c\u0646\u0648\u0646",  # Persian with a zero-width non-joiner
    ],
)
def test_visible_text_with_joiners_is_kept_whole(client, db, token, comment):
    assert submit(client, token, csat=5, comment=comment).status_code == 303
    assert responses(db) == [(5, None, None, comment)]


def test_thanks_before_answering_goes_to_the_survey(client, token):
    response = client.get(f"/s/{token}/thanks")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/s/{token}"


def test_an_empty_submission_asks_for_an_answer(client, db, token):
    response = submit(client, token)
    assert response.status_code == 422
    assert "Please answer at least one question" in response.get_data(as_text=True)
    assert db["responses"].count == 0


def test_submit_without_csrf_token_is_400(client, db, token):
    client.get(f"/s/{token}")
    response = client.post(f"/s/{token}", data={"csat": "5"})
    assert response.status_code == 400
    assert db["responses"].count == 0


def test_submit_with_another_sessions_csrf_token_is_400(app, client, db, token):
    other_browser = app.test_client()
    stolen = csrf_token(other_browser.get(f"/s/{token}").get_data(as_text=True))
    client.get(f"/s/{token}")
    response = client.post(f"/s/{token}", data={"csat": "5", "csrf_token": stolen})
    assert response.status_code == 400
    assert db["responses"].count == 0


def test_a_page_left_open_for_a_day_can_still_be_submitted(client, db, token, monkeypatch):
    page = client.get(f"/s/{token}")
    form_token = csrf_token(page.get_data(as_text=True))
    # The CSRF token's timestamp is checked against the signer's clock: move it a day on.
    import itsdangerous.timed

    real_now = time.time()
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(real_now + 86400)
    )
    response = client.post(f"/s/{token}", data={"csat": "4", "csrf_token": form_token})
    assert response.status_code == 303
    assert responses(db) == [(4, None, None, None)]


@pytest.mark.parametrize(
    "path",
    [
        "/s/" + "A" * 43,  # well-formed but never issued
        "/s/short",
        "/s/" + "A" * 44,
        "/s/" + "%00" * 10,
        "/s/" + "A" * 42 + "%3C",
        "/s/<script>alert(1)",
        "/s/" + "x" * 5000,
    ],
)
def test_unknown_and_tampered_links_get_a_friendly_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "We could not find this survey" in response.get_data(as_text=True)


def test_a_tampered_copy_of_a_real_link_is_404(client, db, token):
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    form_token = csrf_token(client.get(f"/s/{token}").get_data(as_text=True))
    assert client.get(f"/s/{tampered}").status_code == 404
    response = client.post(f"/s/{tampered}", data={"csat": "5", "csrf_token": form_token})
    assert response.status_code == 404
    assert db["responses"].count == 0


def test_an_expired_link_is_410_for_showing_and_submitting(client, db, token):
    page = client.get(f"/s/{token}")
    form_token = csrf_token(page.get_data(as_text=True))
    db.execute(
        "UPDATE survey_links SET expires_at = ?", [clock.to_iso(clock.now() - timedelta(seconds=1))]
    )

    shown = client.get(f"/s/{token}")
    submitted = client.post(f"/s/{token}", data={"csat": "5", "csrf_token": form_token})
    assert shown.status_code == 410
    assert "This survey has closed" in shown.get_data(as_text=True)
    assert submitted.status_code == 410
    assert db["responses"].count == 0


def test_links_expire_after_the_configured_lifetime(make_app, db, api_headers):
    app = make_app(LINK_TTL_DAYS=3)
    invite(app, app.test_client(), api_headers)
    link = next(db["survey_links"].rows)
    lifetime = clock.from_iso(link["expires_at"]) - clock.from_iso(link["created_at"])
    assert lifetime == timedelta(days=3)


def test_the_database_holds_only_the_hash_of_a_token(app, db, token):
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # move every page into the main file
    with open(app.config["DATABASE"], "rb") as database_file:
        contents = database_file.read()
    assert hash_token(token).encode() in contents  # the check can see stored rows
    assert token.encode() not in contents
    assert len(token) >= 43


def test_survey_pages_keep_the_link_on_this_site_and_load_nothing_from_other_hosts(client, token):
    response = client.get(f"/s/{token}")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert (
        "http://" not in html
        and "https://" not in html
        and "//" not in html.replace("<!doctype", "")
    )


def test_survey_submits_over_https_with_the_same_origin_referrer(client, db, token):
    # A browser sends the page's own address as Referer (same-origin policy); Flask-WTF
    # requires it on HTTPS.
    url = f"https://puas.test/s/{token}"
    page = client.get(url)
    response = client.post(
        url,
        headers={"Referer": url},
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "csat": "5"},
    )
    assert response.status_code == 303
    assert responses(db) == [(5, None, None, None)]


def test_comment_is_escaped_when_shown_again(client, token):
    submit(client, token, csat=3, comment='<script>alert("x")</script>')
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html
