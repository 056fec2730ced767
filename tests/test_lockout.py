"""Sign-in lockout: 5 failures for an account or 20 from an address within 15 minutes.

The attempts live in SQLite, so every gunicorn worker sees the same count; a locked-out
attempt is refused with 429 before any password is checked.
"""

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from surveys import clock
from surveys.staff.accounts import (
    LOCKOUT_ACCOUNT_FAILURES,
    LOCKOUT_ADDRESS_FAILURES,
    LOCKOUT_MESSAGE,
    create_user,
)
from tests.helpers import MANAGER_EMAIL, PASSWORD, STAFF_EMAIL, csrf_token

WRONG = "not the password at all"
ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.9"
UNMATCHED_MESSAGE = "That email and password do not match an active account."
REQUEST_TIMEOUT = 60


@pytest.fixture
def people(db):
    create_user(db, MANAGER_EMAIL, PASSWORD, "manager")
    create_user(db, STAFF_EMAIL, PASSWORD, "staff")
    return db


def attempt(client, email, password, address=ADDRESS):
    """One sign-in through the real form, from a client address."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ)
    return client.post(
        "/login",
        environ_base=environ,
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def fail(app, email, times, address=ADDRESS):
    """Wrong passwords, each from a fresh client; every one must get the usual 401."""
    for _ in range(times):
        response = attempt(app.test_client(), email, WRONG, address)
        assert response.status_code == 401
        assert UNMATCHED_MESSAGE in response.get_data(as_text=True)


def attempts(db):
    """The recorded attempts, oldest first, without their times."""
    return [
        (row["email"], row["address"], row["succeeded"])
        for row in db.query("SELECT email, address, succeeded FROM login_attempts ORDER BY id")
    ]


def insert_attempts(db, email, address, times, minutes_ago, succeeded=0):
    """Attempts recorded in the past, as a worker would have written them then."""
    attempted_at = clock.to_iso(clock.now() - timedelta(minutes=minutes_ago))
    for _ in range(times):
        db["login_attempts"].insert(
            {
                "email": email,
                "address": address,
                "succeeded": succeeded,
                "attempted_at": attempted_at,
            }
        )


def assert_locked_out(response):
    assert response.status_code == 429
    assert LOCKOUT_MESSAGE in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "900"


def test_the_rule_is_five_per_account_and_twenty_per_address():
    assert (LOCKOUT_ACCOUNT_FAILURES, LOCKOUT_ADDRESS_FAILURES) == (5, 20)
    assert LOCKOUT_MESSAGE == "Too many sign-in attempts. Please wait 15 minutes and try again."


def test_five_failures_lock_the_account_even_for_the_right_password(app, client, people):
    fail(app, MANAGER_EMAIL, 5)
    assert_locked_out(attempt(client, MANAGER_EMAIL, PASSWORD))
    assert client.get("/reports").status_code == 302  # not signed in
    # Every attempt is recorded, the refused one too (as not succeeded).
    assert attempts(people) == [(MANAGER_EMAIL, ADDRESS, 0)] * 6


def test_four_failures_do_not_lock_and_every_attempt_is_recorded(app, client, people):
    fail(app, MANAGER_EMAIL, 4)
    response = attempt(client, MANAGER_EMAIL, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/reports"
    assert attempts(people) == [(MANAGER_EMAIL, ADDRESS, 0)] * 4 + [(MANAGER_EMAIL, ADDRESS, 1)]


def test_a_success_does_not_wipe_earlier_failures(app, people):
    fail(app, MANAGER_EMAIL, 4)
    assert attempt(app.test_client(), MANAGER_EMAIL, PASSWORD).status_code == 302
    fail(app, MANAGER_EMAIL, 1)
    assert_locked_out(attempt(app.test_client(), MANAGER_EMAIL, PASSWORD))


def test_the_account_is_the_email_as_cleaned(app, people):
    for typed in (
        "Manager@Example.COM",
        " manager@example.com ",
        "MANAGER@example.com",
        "manager@EXAMPLE.com",
        "manager@example.com",
    ):
        assert attempt(app.test_client(), typed, WRONG).status_code == 401
    assert_locked_out(attempt(app.test_client(), "  Manager@example.com", PASSWORD))
    assert {email for email, _, _ in attempts(people)} == {MANAGER_EMAIL}


def test_an_invalid_email_is_counted_trimmed_and_lower_cased(app, people):
    assert attempt(app.test_client(), "  Not An Email ", WRONG).status_code == 401
    assert attempts(people) == [("not an email", ADDRESS, 0)]


def test_locked_account_and_unknown_email_get_the_same_page(app, people):
    pages = []
    for email in (MANAGER_EMAIL, "nobody@example.com"):
        fail(app, email, 5)
        response = attempt(app.test_client(), email, PASSWORD)
        assert_locked_out(response)
        page = response.get_data(as_text=True).replace(email, "EMAIL")
        pages.append(re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", page))
    assert pages[0] == pages[1]


def test_other_accounts_are_unaffected(app, people):
    fail(app, MANAGER_EMAIL, 5)
    response = attempt(app.test_client(), STAFF_EMAIL, PASSWORD)  # same address
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # The account stays locked from every address.
    assert_locked_out(attempt(app.test_client(), MANAGER_EMAIL, PASSWORD, OTHER_ADDRESS))


@pytest.mark.parametrize(("failures", "status"), [(19, 302), (20, 429)])
def test_twenty_failures_from_one_address_lock_that_address(app, people, failures, status):
    for number in range(failures):  # different emails, known and unknown, 4 each at most
        email = MANAGER_EMAIL if number < 4 else f"guess{number}@example.com"
        assert attempt(app.test_client(), email, WRONG).status_code == 401
    assert attempt(app.test_client(), STAFF_EMAIL, PASSWORD).status_code == status
    # Another address is not locked, not even for the emails that were tried.
    assert attempt(app.test_client(), MANAGER_EMAIL, PASSWORD, OTHER_ADDRESS).status_code == 302


@pytest.mark.parametrize(("minutes_ago", "status"), [(16, 302), (14, 429)])
def test_only_failures_within_fifteen_minutes_count_for_an_account(
    app, people, minutes_ago, status
):
    insert_attempts(people, MANAGER_EMAIL, OTHER_ADDRESS, 5, minutes_ago)
    assert attempt(app.test_client(), MANAGER_EMAIL, PASSWORD).status_code == status


@pytest.mark.parametrize(("minutes_ago", "status"), [(16, 302), (14, 429)])
def test_only_failures_within_fifteen_minutes_count_for_an_address(
    app, people, minutes_ago, status
):
    for number in range(20):
        insert_attempts(people, f"guess{number}@example.com", ADDRESS, 1, minutes_ago)
    assert attempt(app.test_client(), STAFF_EMAIL, PASSWORD).status_code == status


def test_successes_do_not_count(app, people):
    insert_attempts(people, MANAGER_EMAIL, ADDRESS, 25, minutes_ago=1, succeeded=1)
    assert attempt(app.test_client(), MANAGER_EMAIL, PASSWORD).status_code == 302


def test_attempts_older_than_a_day_are_deleted_when_one_is_recorded(app, people):
    insert_attempts(people, "old@example.com", ADDRESS, 3, minutes_ago=25 * 60)
    insert_attempts(people, "recent@example.com", ADDRESS, 1, minutes_ago=23 * 60)
    assert attempt(app.test_client(), STAFF_EMAIL, PASSWORD).status_code == 302
    assert attempts(people) == [("recent@example.com", ADDRESS, 0), (STAFF_EMAIL, ADDRESS, 1)]


# Real gunicorn workers: the count lives in SQLite, not in a worker's memory.


def live_attempt(base_url, email, password):
    """One sign-in as a new browser would make it: its own session and connection."""
    with requests.Session() as browser:
        page = browser.get(f"{base_url}/login", timeout=REQUEST_TIMEOUT)
        return browser.post(
            f"{base_url}/login",
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
            data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        )


@pytest.mark.slow
def test_lockout_is_shared_across_gunicorn_workers(live_server_factory, people):
    server = live_server_factory(workers=2)
    for _ in range(5):
        assert live_attempt(server.url, MANAGER_EMAIL, WRONG).status_code == 401
    response = live_attempt(server.url, MANAGER_EMAIL, PASSWORD)
    assert response.status_code == 429
    assert LOCKOUT_MESSAGE in response.text
    assert live_attempt(server.url, STAFF_EMAIL, PASSWORD).status_code == 302
    assert attempts(people) == [(MANAGER_EMAIL, "127.0.0.1", 0)] * 6 + [
        (STAFF_EMAIL, "127.0.0.1", 1)
    ]


@pytest.mark.slow
def test_racing_attempts_try_at_most_five_passwords(live_server_factory, people):
    server = live_server_factory(workers=2)
    racers = 12
    browsers = [requests.Session() for _ in range(racers)]

    def open_login(browser):
        """The page's CSRF token; the connection closed and the cookie kept, since a kept
        connection idle past gunicorn's 2 s keep-alive may close just as the POST goes out
        (a browser would resend it on a new one; requests does not)."""
        token = csrf_token(browser.get(f"{server.url}/login", timeout=REQUEST_TIMEOUT).text)
        browser.close()
        return token

    tokens = [open_login(browser) for browser in browsers]
    barrier = threading.Barrier(racers)

    def race(browser, token):
        barrier.wait(timeout=REQUEST_TIMEOUT)
        return browser.post(
            f"{server.url}/login",
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
            data={"email": MANAGER_EMAIL, "password": WRONG, "csrf_token": token},
        ).status_code

    with ThreadPoolExecutor(racers) as pool:
        statuses = Counter(pool.map(race, browsers, tokens))
    for browser in browsers:
        browser.close()
    # The check and the record share one BEGIN IMMEDIATE, so exactly five get through to a
    # password check, whichever worker served them.
    assert statuses == {401: 5, 429: racers - 5}
    assert attempts(people) == [(MANAGER_EMAIL, "127.0.0.1", 0)] * racers
    assert live_attempt(server.url, MANAGER_EMAIL, PASSWORD).status_code == 429
