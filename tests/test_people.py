"""Managers manage people: list, add, change role, admin mark and access, reset passwords.

Nobody is deleted; a manager cannot lock themselves (and so the organisation) out.
"""

import html
import re

import pytest

from surveys.staff.accounts import authenticate, create_user
from surveys.staff.people import NoLongerManager, update_person
from tests.helpers import MANAGER_EMAIL, PASSWORD, STAFF_EMAIL, csrf_token, sign_in

NEW_PASSWORD = "a brand new passphrase"
MANAGER_ID = 1  # manager_client's manager is the first person in a fresh database


def token(client):
    """The session's CSRF token, read from a page with a form."""
    return csrf_token(client.get("/login").get_data(as_text=True))


def person_row(db, email):
    """What Puas stores about a person, without the password hash and creation time."""
    rows = list(
        db.query("SELECT id, email, name, role, rated, active FROM users WHERE email = ?", [email])
    )
    return rows[0] if rows else None


def table_rows(page):
    """The body rows of the page's table, as lists of cell texts."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def field_errors(page, field):
    """The error messages shown under one form field."""
    return [
        html.unescape(message)
        for message in re.findall(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    ]


@pytest.fixture
def admin_id(db):
    """A staff member who is an admin (rated), besides the signed-in manager."""
    create_user(db, "siti@example.com", PASSWORD, "staff", name="Siti Rahma", rated=True)
    return person_row(db, "siti@example.com")["id"]


def test_people_page_lists_everyone(manager_client, db, admin_id):
    create_user(db, "left@example.com", PASSWORD, "staff")
    db.execute("UPDATE users SET active = 0 WHERE email = 'left@example.com'")
    response = manager_client.get("/people/")
    assert response.status_code == 200
    # By name, the email beside it; by email alone without a name.
    assert table_rows(response.get_data(as_text=True)) == [
        [MANAGER_EMAIL, "Manager", "No", "Yes"],
        ["Siti Rahma siti@example.com", "Staff", "Yes", "Yes"],
        ["left@example.com", "Staff", "No", "No (deactivated)"],
    ]


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        (
            {"email": " Budi@Example.com ", "name": "Budi", "role": "staff", "rated": "y"},
            {"email": "budi@example.com", "name": "Budi", "role": "staff", "rated": 1, "active": 1},
        ),
        (
            {"email": "boss@example.com", "name": "", "role": "manager"},
            {"email": "boss@example.com", "name": None, "role": "manager", "rated": 0, "active": 1},
        ),
    ],
)
def test_manager_adds_a_person_who_can_then_sign_in(manager_client, db, fields, stored):
    response = manager_client.post(
        "/people/", data={**fields, "password": NEW_PASSWORD, "csrf_token": token(manager_client)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/people/"
    assert person_row(db, stored["email"]) == {"id": 2, **stored}
    assert f"Added {stored['email']}." in manager_client.get("/people/").get_data(as_text=True)
    assert authenticate(db, stored["email"], NEW_PASSWORD).id == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": MANAGER_EMAIL}, "email", f"A user with email {MANAGER_EMAIL} already exists."),
        (
            {"email": MANAGER_EMAIL.upper()},
            "email",
            f"A user with email {MANAGER_EMAIL} already exists.",
        ),
        ({"email": "not-an-email"}, "email", "The email is not a valid email address"),
        ({"email": ""}, "email", "This field is required."),
        (
            {"password": "too short"},
            "password",
            "Field must be between 12 and 1024 characters long.",
        ),
        ({"name": "Budi\u202eevil"}, "name", "The name must not contain control characters"),
    ],
)
def test_adding_refuses_bad_input_and_stores_nothing(manager_client, db, fields, field, message):
    before = list(db.query("SELECT * FROM users"))
    response = manager_client.post(
        "/people/",
        data={
            "email": "budi@example.com",
            "name": "Budi",
            "role": "staff",
            "password": NEW_PASSWORD,
            **fields,
            "csrf_token": token(manager_client),
        },
    )
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), field)
    assert len(errors) == 1 and errors[0].startswith(message)
    assert list(db.query("SELECT * FROM users")) == before


def test_adding_refuses_an_unknown_role(manager_client, db):
    response = manager_client.post(
        "/people/",
        data={
            "email": "budi@example.com",
            "role": "admin",
            "password": NEW_PASSWORD,
            "csrf_token": token(manager_client),
        },
    )
    assert response.status_code == 422
    assert "Not a valid choice." in response.get_data(as_text=True)
    assert person_row(db, "budi@example.com") is None


def test_person_page_shows_the_person_and_both_forms(manager_client, admin_id):
    response = manager_client.get(f"/people/{admin_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Siti Rahma</h1>" in page
    assert f'action="/people/{admin_id}"' in page
    assert f'action="/people/{admin_id}/password"' in page
    assert re.search(
        r'<input[^>]*checked[^>]*value="staff"|<input[^>]*value="staff"[^>]*checked', page
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/people/99"),
        ("POST", "/people/99"),
        ("POST", "/people/99/password"),
    ],
)
def test_unknown_person_is_404(manager_client, method, path):
    response = manager_client.open(
        path,
        method=method,
        data={
            "role": "staff",
            "active": "y",
            "password": NEW_PASSWORD,
            "csrf_token": token(manager_client),
        },
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("fields", "role", "rated", "active"),
    [
        ({"role": "manager", "active": "y"}, "manager", 0, 1),
        ({"role": "staff", "active": "y"}, "staff", 0, 1),
        ({"role": "staff", "rated": "y"}, "staff", 1, 0),
    ],
)
def test_manager_changes_role_admin_mark_and_access(
    manager_client, db, admin_id, fields, role, rated, active
):
    response = manager_client.post(
        f"/people/{admin_id}", data={**fields, "csrf_token": token(manager_client)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/people/{admin_id}"
    assert person_row(db, "siti@example.com") == {
        "id": admin_id,
        "email": "siti@example.com",
        "name": "Siti Rahma",
        "role": role,
        "rated": rated,
        "active": active,
    }
    assert "Saved siti@example.com." in manager_client.get(f"/people/{admin_id}").get_data(
        as_text=True
    )


def test_update_without_a_role_is_refused(manager_client, db, admin_id):
    before = person_row(db, "siti@example.com")
    response = manager_client.post(
        f"/people/{admin_id}", data={"active": "y", "csrf_token": token(manager_client)}
    )
    assert response.status_code == 422
    assert person_row(db, "siti@example.com") == before


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "manager"},  # deactivate themselves
        {"role": "staff", "active": "y"},  # give up their manager role
        {"role": "staff"},
    ],
)
def test_manager_cannot_lock_themselves_out(manager_client, db, fields):
    before = person_row(db, MANAGER_EMAIL)
    response = manager_client.post(
        f"/people/{MANAGER_ID}", data={**fields, "csrf_token": token(manager_client)}
    )
    assert response.status_code == 422
    assert "You cannot deactivate yourself or give up your own manager role." in response.get_data(
        as_text=True
    )
    assert person_row(db, MANAGER_EMAIL) == before
    assert manager_client.get("/people/").status_code == 200


@pytest.mark.parametrize("person", ["self", "other"])
def test_a_manager_cannot_be_a_rated_admin(manager_client, db, admin_id, person):
    # Managers read every rating: a rated manager would see their own raters' scores.
    target = MANAGER_ID if person == "self" else admin_id
    before = list(db.query("SELECT role, rated FROM users ORDER BY id"))
    response = manager_client.post(
        f"/people/{target}",
        data={"role": "manager", "rated": "y", "active": "y", "csrf_token": token(manager_client)},
    )
    assert response.status_code == 422
    assert "cannot be a manager" in response.get_data(as_text=True)
    assert list(db.query("SELECT role, rated FROM users ORDER BY id")) == before


def test_a_manager_resetting_their_own_password_stays_signed_in(manager_client):
    response = manager_client.post(
        f"/people/{MANAGER_ID}/password",
        data={"password": NEW_PASSWORD, "csrf_token": token(manager_client)},
    )
    assert response.status_code == 303
    assert manager_client.get("/people/").status_code == 200


def test_a_manager_demoted_meanwhile_cannot_change_anyone(db):
    create_user(db, "a@example.com", PASSWORD, "manager")
    create_user(db, "b@example.com", PASSWORD, "manager")
    a_id, b_id = person_row(db, "a@example.com")["id"], person_row(db, "b@example.com")["id"]
    # B demotes A; A's request, which passed its role check before that, then demotes B.
    update_person(db, a_id, "staff", False, True, changed_by=b_id)
    with pytest.raises(NoLongerManager):
        update_person(db, b_id, "staff", False, True, changed_by=a_id)
    assert person_row(db, "b@example.com")["role"] == "manager"


def test_reset_password_replaces_the_old_one(manager_client, app, db, admin_id):
    response = manager_client.post(
        f"/people/{admin_id}/password",
        data={"password": NEW_PASSWORD, "csrf_token": token(manager_client)},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/people/{admin_id}"
    assert "New password set for siti@example.com." in manager_client.get(
        f"/people/{admin_id}"
    ).get_data(as_text=True)
    assert sign_in(app.test_client(), "siti@example.com", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "siti@example.com", NEW_PASSWORD).status_code == 302


def test_reset_password_ends_the_persons_open_sessions(manager_client, app, admin_id):
    admin_client = app.test_client()
    assert sign_in(admin_client, "siti@example.com").status_code == 302
    assert admin_client.get("/").status_code == 200
    manager_client.post(
        f"/people/{admin_id}/password",
        data={"password": NEW_PASSWORD, "csrf_token": token(manager_client)},
    )
    response = admin_client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_reactivating_a_person_does_not_revive_their_old_session(manager_client, app, admin_id):
    admin_client = app.test_client()
    assert sign_in(admin_client, "siti@example.com").status_code == 302
    for active in ({}, {"active": "y"}):  # deactivate, then reactivate
        manager_client.post(
            f"/people/{admin_id}",
            data={"role": "staff", "rated": "y", "csrf_token": token(manager_client), **active},
        )
    assert admin_client.get("/").status_code == 302
    assert sign_in(admin_client, "siti@example.com").status_code == 302  # signs in anew
    assert admin_client.get("/").status_code == 200


def test_reset_password_refuses_a_short_one(manager_client, db, admin_id):
    before = list(db.query("SELECT password_hash FROM users WHERE id = ?", [admin_id]))
    response = manager_client.post(
        f"/people/{admin_id}/password",
        data={"password": "too short", "csrf_token": token(manager_client)},
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "password") == [
        "Field must be between 12 and 1024 characters long."
    ]
    assert list(db.query("SELECT password_hash FROM users WHERE id = ?", [admin_id])) == before


def test_deactivated_person_is_signed_out_on_next_request_and_keeps_their_row(
    manager_client, app, db, admin_id
):
    admin_client = app.test_client()
    assert sign_in(admin_client, "siti@example.com").status_code == 302
    assert admin_client.get("/").status_code == 200
    response = manager_client.post(
        f"/people/{admin_id}",
        data={"role": "staff", "rated": "y", "csrf_token": token(manager_client)},
    )
    assert response.status_code == 303
    next_request = admin_client.get("/")
    assert next_request.status_code == 302
    assert next_request.headers["Location"].startswith("/login?next=")
    assert sign_in(app.test_client(), "siti@example.com").status_code == 401
    assert person_row(db, "siti@example.com") == {
        "id": admin_id,
        "email": "siti@example.com",
        "name": "Siti Rahma",
        "role": "staff",
        "rated": 1,
        "active": 0,
    }


def test_deactivated_manager_loses_the_people_pages(manager_client, app, db):
    create_user(db, "other@example.com", PASSWORD, "manager")
    other = app.test_client()
    assert sign_in(other, "other@example.com").status_code == 302
    response = manager_client.post(
        "/people/2", data={"role": "manager", "csrf_token": token(manager_client)}
    )
    assert response.status_code == 303
    assert other.get("/people/").status_code == 302


PEOPLE_ROUTES = [
    ("GET", "/people/"),
    ("POST", "/people/"),
    ("GET", "/people/1"),
    ("POST", "/people/1"),
    ("POST", "/people/1/password"),
]
FORM = {"email": "budi@example.com", "role": "staff", "active": "y", "password": NEW_PASSWORD}


@pytest.mark.parametrize(("method", "path"), PEOPLE_ROUTES)
def test_people_pages_are_forbidden_to_staff(staff_client, db, method, path):
    before = list(db.query("SELECT * FROM users"))
    response = staff_client.open(
        path, method=method, data={**FORM, "csrf_token": token(staff_client)}
    )
    assert response.status_code == 403
    assert list(db.query("SELECT * FROM users")) == before


@pytest.mark.parametrize(("method", "path"), PEOPLE_ROUTES)
def test_people_pages_send_signed_out_visitors_to_sign_in(client, db, method, path):
    create_user(db, STAFF_EMAIL, PASSWORD, "staff")
    before = list(db.query("SELECT * FROM users"))
    response = client.open(path, method=method, data={**FORM, "csrf_token": token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert list(db.query("SELECT * FROM users")) == before


@pytest.mark.parametrize("path", ["/people/", "/people/1", "/people/1/password"])
def test_a_post_without_csrf_token_is_400(manager_client, db, path):
    before = list(db.query("SELECT * FROM users"))
    response = manager_client.post(path, data=FORM)
    assert response.status_code == 400
    assert list(db.query("SELECT * FROM users")) == before
