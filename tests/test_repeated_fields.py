"""A form field posted twice is refused with 422 on every form, and nothing is stored:
`csat=5&csat=1` has no one meaning (the first used to win)."""

from urllib.parse import urlencode

import pytest

from surveys.staff.accounts import create_user
from tests.helpers import MANAGER_EMAIL, PASSWORD, csrf_token, invite


def post_pairs(client, path, pairs):
    """POST a form body built from (name, value) pairs, repeats and all."""
    return client.post(
        path, data=urlencode(pairs), content_type="application/x-www-form-urlencoded"
    )


def test_a_survey_answer_sent_twice_is_422_and_not_stored(app, client, db, api_headers):
    token = invite(app, client, api_headers)
    page = client.get(f"/s/{token}").get_data(as_text=True)
    pairs = [("csrf_token", csrf_token(page)), ("csat", "5"), ("csat", "1"), ("nps", "9")]
    response = post_pairs(client, f"/s/{token}", pairs)
    assert response.status_code == 422
    assert "&#39;csat&#39; was sent more than once" in response.get_data(as_text=True)
    assert db["responses"].count == 0
    # The same answer, once, is taken.
    single = post_pairs(client, f"/s/{token}", [pairs[0], ("csat", "5"), ("nps", "9")])
    assert single.status_code == 303
    assert db["responses"].count == 1


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/people/", [("email", "a@example.com"), ("email", "b@example.com")]),
        ("/targets", [("csat_pct", "80"), ("csat_pct", "90")]),
        ("/settings/distribution", [("sample_rate_percent", "50"), ("sample_rate_percent", "1")]),
        ("/people/", [("csrf_token", "again")]),
    ],
    ids=["people", "targets", "distribution", "csrf token"],
)
def test_a_manager_form_with_a_field_sent_twice_is_422_and_stores_nothing(
    manager_client, db, path, fields
):
    before = {table: db[table].count for table in ("users", "targets", "distribution_rules")}
    page = manager_client.get(path).get_data(as_text=True)
    response = post_pairs(manager_client, path, [("csrf_token", csrf_token(page)), *fields])
    assert response.status_code == 422
    assert "was sent more than once" in response.get_data(as_text=True)
    assert {table: db[table].count for table in before} == before


def test_a_sign_in_with_the_email_twice_is_422_and_not_counted(client, db):
    create_user(db, MANAGER_EMAIL, PASSWORD, "manager")
    page = client.get("/login").get_data(as_text=True)
    response = post_pairs(
        client,
        "/login",
        [
            ("csrf_token", csrf_token(page)),
            ("email", MANAGER_EMAIL),
            ("email", "someone@example.com"),
            ("password", PASSWORD),
        ],
    )
    assert response.status_code == 422
    assert db["login_attempts"].count == 0
