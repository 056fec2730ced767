"""Signing in and out: CSRF, hashed passwords, safe redirects, secure cookies."""

import pytest

from surveys.security import sha256_hex
from surveys.staff.accounts import UserError, authenticate, create_user
from surveys.staff.auth import is_safe_next
from tests.helpers import MANAGER_EMAIL, PASSWORD, csrf_token, sign_in


@pytest.fixture
def manager(db):
    create_user(db, MANAGER_EMAIL, PASSWORD, "manager")
    return db


def test_password_is_stored_as_a_werkzeug_hash(manager):
    row = next(manager["users"].rows)
    assert row["password_hash"].startswith("scrypt:")
    assert PASSWORD not in row["password_hash"]


def test_sign_in_renews_the_session_and_lands_on_the_dashboard(client, db, manager):
    client.get("/login")
    with client.session_transaction() as session:
        session["chosen_before_sign_in"] = "by someone else"
    response = sign_in(client, MANAGER_EMAIL)
    assert response.status_code == 302
    assert response.headers["Location"] == "/reports"
    with client.session_transaction() as session:
        assert "chosen_before_sign_in" not in session
        user_id, version, token = session["_user_id"].split(":")
    assert (user_id, version) == ("1", "0")  # id and session version, then the sign-in
    [row] = db.query("SELECT user_id, token_hash, ended_at FROM user_sessions")
    assert row == {"user_id": 1, "token_hash": sha256_hex(token), "ended_at": None}
    assert client.get("/reports").status_code == 200


def test_staff_land_on_their_home_page(client, db):
    create_user(db, "staff@example.com", PASSWORD, "staff")
    response = sign_in(client, "staff@example.com")
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_session_cookie_is_httponly_and_samesite_lax(client, manager):
    response = sign_in(client, MANAGER_EMAIL)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here


def test_session_cookie_is_secure_over_https(client, manager):
    page = client.get("/login", base_url="https://puas.test")
    response = client.post(
        "/login",
        base_url="https://puas.test",
        data={
            "email": MANAGER_EMAIL,
            "password": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
        headers={"Referer": "https://puas.test/login"},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_a_trusted_proxy_forwarded_https_makes_the_cookie_secure(config, db):
    from app import create_app

    create_user(db, MANAGER_EMAIL, PASSWORD, "manager")
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "puas.example",
        "Referer": "https://puas.example/login",
    }
    for trusted, secure in ((False, False), (True, True)):
        client = create_app(dict(config, TRUST_PROXY_HEADERS=trusted)).test_client()
        page = client.get("/login", headers=headers)
        response = client.post(
            "/login",
            headers=headers,
            data={
                "email": MANAGER_EMAIL,
                "password": PASSWORD,
                "csrf_token": csrf_token(page.get_data(as_text=True)),
            },
        )
        assert response.status_code == 302
        assert ("Secure" in response.headers["Set-Cookie"]) is secure


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (MANAGER_EMAIL, "wrong password!"),
        ("nobody@example.com", PASSWORD),
        (MANAGER_EMAIL.upper(), "wrong password!"),
    ],
)
def test_wrong_email_or_password_get_the_same_answer(client, manager, email, password):
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert "That email and password do not match an active account." in response.get_data(
        as_text=True
    )
    assert client.get("/reports").status_code == 302


def test_email_is_matched_without_case(client, manager):
    assert sign_in(client, "  Manager@Example.COM ").status_code == 302


def test_deactivated_user_cannot_sign_in(client, manager):
    manager.execute("UPDATE users SET active = 0")
    assert sign_in(client, MANAGER_EMAIL).status_code == 401


def test_sign_in_without_csrf_token_is_400(client, manager):
    response = client.post("/login", data={"email": MANAGER_EMAIL, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/reports").status_code == 302


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/reports?from=2026-01-01", "/reports?from=2026-01-01"),
        ("https://evil.example/", "/reports"),
        ("//evil.example/", "/reports"),
        ("/\\evil.example", "/reports"),
        ("javascript:alert(1)", "/reports"),
        ("/\r\nSet-Cookie:x=1", "/reports"),
        ("/ok\tpath", "/reports"),
    ],
)
def test_next_only_redirects_inside_puas(client, manager, target, location):
    page = client.get("/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={
            "email": MANAGER_EMAIL,
            "password": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.headers["Location"] == location


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/", True),
        ("/mailbox/", True),
        ("", False),
        (None, False),
        ("//x", False),
        ("http://x/", False),
        ("/\\x", False),
    ],
)
def test_is_safe_next(target, safe):
    assert is_safe_next(target) is safe


def test_sign_out_is_a_post_with_csrf(manager_client):
    assert manager_client.get("/logout").status_code == 405
    assert manager_client.post("/logout").status_code == 400
    page = manager_client.get("/reports").get_data(as_text=True)
    response = manager_client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert manager_client.get("/reports").status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("a@example.com", "short", "staff", "at least 12 characters"),
        ("a@example.com", "x" * 1025, "staff", "at most 1024 characters"),
        ("not-an-email", PASSWORD, "staff", "the email is not a valid email address"),
        ("@", PASSWORD, "staff", "the email is not a valid email address"),
        ("a b@c d", PASSWORD, "staff", "the email is not a valid email address"),
        ("a@example.com\r\nBcc: x@example.com", PASSWORD, "staff", "control characters"),
        ("a@example.com", "valid length \udcff password", "staff", "not valid text"),
        ("a@example.com", PASSWORD, "admin", "role must be one of"),
        (MANAGER_EMAIL, PASSWORD, "staff", "already exists"),
    ],
)
def test_create_user_refuses_bad_input(manager, email, password, role, message):
    with pytest.raises(UserError, match=message):
        create_user(manager, email, password, role)


def test_any_characters_and_long_passwords_are_accepted(db):
    password = "ünïcödé 密码 🙂 " * 10
    create_user(db, "u@example.com", password, "staff")
    assert authenticate(db, "u@example.com", password).email == "u@example.com"


@pytest.mark.parametrize(
    ("email", "password"), [("a" * 300 + "@example.com", PASSWORD), (MANAGER_EMAIL, "p" * 1025)]
)
def test_sign_in_beyond_the_field_limits_is_422(client, manager, email, password):
    assert sign_in(client, email, password).status_code == 422


def copy_of_session_cookie(client):
    """The session cookie as someone who copied it would hold it."""
    return client.get_cookie("session").value


def test_a_copied_cookie_is_refused_after_sign_out(app, client, db, manager):
    sign_in(client, MANAGER_EMAIL)
    copied = copy_of_session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/reports").status_code == 200  # the copy works while signed in
    page = client.get("/reports").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    response = thief.get("/reports")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    [row] = db.query("SELECT ended_at FROM user_sessions")
    assert row["ended_at"] is not None


def test_signing_out_ends_only_that_session(app, client, db, manager):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, MANAGER_EMAIL)
    sign_in(phone, MANAGER_EMAIL)
    page = laptop.get("/reports").get_data(as_text=True)
    laptop.post("/logout", data={"csrf_token": csrf_token(page)})
    assert laptop.get("/reports").status_code == 302
    assert phone.get("/reports").status_code == 200
    assert [row["ended_at"] is None for row in db.query("SELECT ended_at FROM user_sessions")] == [
        False,
        True,
    ]


@pytest.mark.parametrize(
    "forged",
    ["1:0", "1:0:", "1:0:not-the-token", "1:1:{token}", "2:0:{token}", "x:0:{token}"],
)
def test_a_session_id_that_is_not_a_live_sign_in_is_nobody(app, client, db, manager, forged):
    sign_in(client, MANAGER_EMAIL)
    with client.session_transaction() as session:
        token = session["_user_id"].split(":")[2]
        session["_user_id"] = forged.format(token=token)
    response = client.get("/reports")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
