"""Staff rate admins: one rating per rater, admin and month, changeable until the month closes."""

import pytest

from surveys import clock
from surveys.staff.accounts import create_user
from tests.helpers import PASSWORD, csrf_token, sign_in

ADMIN = "fitri@example.com"
OTHER_ADMIN = "gilang@example.com"
RATER = "rater@example.com"
# Last month: always within the months open to rating, whenever the tests run.
PERIOD = clock.add_months(clock.current_period("UTC"), -1)


@pytest.fixture
def rater(client, db):
    """A staff member signed in, with two admins to rate."""
    create_user(db, ADMIN, PASSWORD, "staff", name="Fitri", rated=True)
    create_user(db, OTHER_ADMIN, PASSWORD, "staff", rated=True)
    create_user(db, RATER, PASSWORD, "staff")
    assert sign_in(client, RATER).status_code == 302
    return client


def rate(client, admin=ADMIN, period=PERIOD, speed=4, initiative=3, accuracy=5, **comments):
    page = client.get("/ratings/new")
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "admin": admin,
        "period": period,
        "speed": str(speed),
        "initiative": str(initiative),
        "accuracy": str(accuracy),
        **comments,
    }
    return client.post("/ratings/new", data=data)


def stored(db):
    return [
        (
            row["admin"],
            row["rater"],
            row["period"],
            row["speed"],
            row["initiative"],
            row["accuracy"],
            row["comment_speed"],
        )
        for row in db.query("""SELECT admins.email AS admin, raters.email AS rater,
                                          ratings.*
                                     FROM ratings
                                     JOIN users AS admins ON admins.id = ratings.admin_id
                                     JOIN users AS raters ON raters.id = ratings.rater_id
                                    ORDER BY ratings.id""")
    ]


def test_rating_an_admin(rater, db):
    response = rate(rater, comment_speed="  Quick replies ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/ratings/"
    assert stored(db) == [(ADMIN, RATER, PERIOD, 4, 3, 5, "Quick replies")]
    listing = rater.get("/ratings/").get_data(as_text=True)
    assert "Fitri" in listing and PERIOD in listing


def test_a_comment_in_which_nothing_shows_is_stored_as_none(rater, db):
    response = rate(rater, comment_speed="\u200b\u2060", comment_accuracy=" \ufeff\u200d ")
    assert response.status_code == 302
    [row] = db.query("SELECT comment_speed, comment_accuracy FROM ratings")
    assert row == {"comment_speed": None, "comment_accuracy": None}


def test_rating_again_changes_the_one_rating(rater, db):
    rate(rater, speed=1, initiative=1, accuracy=1)
    rate(rater, speed=5, initiative=4, accuracy=3)
    rate(rater, admin=OTHER_ADMIN)
    assert stored(db) == [
        (ADMIN, RATER, PERIOD, 5, 4, 3, None),
        (OTHER_ADMIN, RATER, PERIOD, 4, 3, 5, None),
    ]


def test_the_form_shows_the_raters_own_previous_rating(rater, client, db):
    rate(rater, speed=2, comment_speed="slow in October")
    html = rater.get(f"/ratings/new?admin={ADMIN}&period={PERIOD}").get_data(as_text=True)
    assert "You rated this admin for this month before" in html
    assert 'checked id="speed-1" name="speed" required type="radio" value="2"' in html
    assert "slow in October" in html


def test_the_form_never_shows_another_raters_rating(rater, client, db, app):
    rate(rater, comment_speed="my private words")
    other = app.test_client()
    create_user(db, "second@example.com", PASSWORD, "staff")
    sign_in(other, "second@example.com")
    html = other.get(f"/ratings/new?admin={ADMIN}&period={PERIOD}").get_data(as_text=True)
    assert "my private words" not in html and "checked" not in html
    assert PERIOD not in other.get("/ratings/").get_data(as_text=True)


def test_nobody_rates_themselves(client, db):
    create_user(db, ADMIN, PASSWORD, "staff", rated=True)
    sign_in(client, ADMIN)
    assert (
        ADMIN
        not in client.get("/ratings/new")
        .get_data(as_text=True)
        .split('name="admin"')[1]
        .split("</select>")[0]
    )
    response = rate(client, admin=ADMIN)
    assert response.status_code == 422
    assert db["ratings"].count == 0


def test_the_database_refuses_a_self_rating_too(db):
    create_user(db, ADMIN, PASSWORD, "staff", rated=True)
    with pytest.raises(Exception, match="CHECK constraint failed"):
        db.execute(
            "INSERT INTO ratings (rater_id, admin_id, period, speed, initiative, "
            "accuracy, created_at, updated_at) VALUES (1, 1, '2026-10', 3, 3, 3, 'x', 'x')"
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"admin": "nobody@example.com"}, "Not a valid choice"),
        ({"admin": RATER}, "You cannot rate yourself."),
        ({"period": clock.add_months(clock.current_period("UTC"), -12)}, "the last 12 months only"),
        ({"period": "2026-13"}, "Give the month as YYYY-MM"),
        ({"period": "last month"}, "Give the month as YYYY-MM"),
        ({"period": "1999-12"}, "Give the month as YYYY-MM"),
        (
            {"period": clock.add_months(clock.current_period("UTC"), 1)},
            "only rate a month that has begun",
        ),
        ({"speed": 0}, "Please choose a rating from 1 to 5."),
        ({"initiative": 6}, "Please choose a rating from 1 to 5."),
        ({"accuracy": "five"}, "Please choose a rating from 1 to 5."),
        ({"speed": ""}, "Please choose a rating from 1 to 5."),
        ({"comment_speed": "x" * 2001}, "2000"),
        ({"comment_accuracy": "bad\x00byte"}, "control characters"),
    ],
)
def test_bad_ratings_are_refused_and_nothing_is_stored(rater, db, changes, message):
    response = rate(rater, **changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db["ratings"].count == 0


def test_a_rating_without_a_csrf_token_is_400(rater, db):
    response = rater.post(
        "/ratings/new",
        data={"admin": ADMIN, "period": PERIOD, "speed": "4", "initiative": "4", "accuracy": "4"},
    )
    assert response.status_code == 400
    assert db["ratings"].count == 0


def test_a_rating_with_a_stale_csrf_token_is_400(rater, db, app):
    stale = csrf_token(app.test_client().get("/login").get_data(as_text=True))
    response = rater.post(
        "/ratings/new",
        data={
            "csrf_token": stale,
            "admin": ADMIN,
            "period": PERIOD,
            "speed": "4",
            "initiative": "4",
            "accuracy": "4",
        },
    )
    assert response.status_code == 400
    assert db["ratings"].count == 0


def test_a_closed_month_refuses_new_and_changed_ratings(rater, db):
    rate(rater, speed=2)
    db.execute(
        "INSERT INTO closed_periods (period, closed_at) VALUES (?, ?)",
        [PERIOD, clock.to_iso(clock.now())],
    )

    changed = rate(rater, speed=5)
    added = rate(rater, admin=OTHER_ADMIN)
    assert changed.status_code == 409
    assert f"{PERIOD} is closed" in changed.get_data(as_text=True)
    assert added.status_code == 409
    assert stored(db) == [(ADMIN, RATER, PERIOD, 2, 3, 5, None)]
    assert "Change" not in rater.get("/ratings/").get_data(as_text=True).split("<tbody>")[1]


def test_rating_needs_a_signed_in_person(client):
    response = client.get("/ratings/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_deactivated_admins_cannot_be_rated(rater, db):
    db.execute("UPDATE users SET active = 0 WHERE email = ?", [ADMIN])
    assert rate(rater).status_code == 422
    assert db["ratings"].count == 0
