"""Concurrent customers and help desks against a real gunicorn with four workers.

An invitation holds at most one response whatever the interleaving, and the last submit
wins; a ticket closure reported many times at once is stored once, and so is a corrective
action whose form is posted many times at once. No request may fail
with a 5xx or wait out SQLite's lock ("database is locked").
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from surveys.customers.tokens import hash_token
from surveys.staff.accounts import create_user
from tests.helpers import (
    MANAGER_EMAIL,
    PASSWORD,
    csrf_token,
    deliver,
    form_key,
    mailbox_messages,
    ticket_payload,
    token_in,
)

pytestmark = pytest.mark.slow

WORKERS = 4
REQUEST_TIMEOUT = 60  # longer than the app's 30 s busy_timeout, so a lock wait shows as such


def post_tickets(app, api_headers, payloads):
    """Report closed tickets through the API (test client, same database); all must be new."""
    client = app.test_client()
    for payload in payloads:
        response = client.post("/api/v1/tickets/closed", json=payload, headers=api_headers)
        assert response.status_code == 201, response.get_data(as_text=True)


def deliver_survey_tokens(app):
    """Deliver the outbox into MAIL_DIR and return the survey token of every mail."""
    deliver(app)
    return [token_in(message) for message in mailbox_messages(app)]


def invitation_of(db, token):
    """The invitation id a token's link belongs to (links are stored as SHA-256)."""
    rows = list(
        db.query("SELECT invitation_id FROM survey_links WHERE token_hash = ?", [hash_token(token)])
    )
    assert len(rows) == 1, f"no stored link for token {token[:6]}…"
    return rows[0]["invitation_id"]


def open_survey(base_url, token):
    """A simulated browser: its own session cookie and the CSRF token of the survey page."""
    session = requests.Session()
    page = session.get(f"{base_url}/s/{token}", timeout=REQUEST_TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    # The submit comes after every page is open, past gunicorn's 2 s keep-alive: a kept
    # connection could be closed by the server just as the POST goes out on it, which a
    # browser retries on a new connection and requests does not. The cookie stays.
    session.close()
    return session, csrf_token(page.text)


def all_at_once(jobs):
    """Run callables in their own threads, released together by a barrier; their results."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=REQUEST_TIMEOUT)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def answer_set(number):
    """A distinct, valid set of answers for the number-th client."""
    return {
        "csat": number % 5 + 1,
        "ces": number % 7 + 1,
        "nps": number % 11,
        "comment": f"client {number} was here",
    }


def submit(session, base_url, token, csrf, answers):
    """POST the survey form the way the browser would; returns (status, Location)."""
    form = {**{key: str(value) for key, value in answers.items()}, "csrf_token": csrf}
    response = session.post(
        f"{base_url}/s/{token}", data=form, allow_redirects=False, timeout=REQUEST_TIMEOUT
    )
    return response.status_code, response.headers.get("Location")


def server_log(server):
    """What gunicorn and the app wrote so far."""
    with open(server.log.name, encoding="utf-8", errors="replace") as log_file:
        return log_file.read()


def assert_log_clean(server):
    log = server_log(server)
    assert "database is locked" not in log, log[-5000:]
    assert "Traceback" not in log, log[-5000:]


def responses_by_invitation(db):
    return {
        row["invitation_id"]: row
        for row in db.query(
            "SELECT invitation_id, csat, ces, nps, comment FROM responses ORDER BY id"
        )
    }


# Tests


def test_50_concurrent_submits_to_one_link_keep_one_whole_response(
    app, db, api_headers, live_server_factory
):
    post_tickets(app, api_headers, [ticket_payload("T-1", email="rina@example.com")])
    [token] = deliver_survey_tokens(app)
    invitation_id = invitation_of(db, token)
    server = live_server_factory(workers=WORKERS)
    browsers = [open_survey(server.url, token) for _ in range(50)]
    sent = [answer_set(number) for number in range(50)]

    results = all_at_once(
        [
            (
                lambda session=session, csrf=csrf, answers=answers: submit(
                    session, server.url, token, csrf, answers
                )
            )
            for (session, csrf), answers in zip(browsers, sent, strict=True)
        ]
    )

    assert Counter(status for status, _ in results) == {303: 50}
    assert {location for _, location in results} == {f"/s/{token}/thanks"}
    assert_log_clean(server)
    rows = list(db.query("SELECT invitation_id, csat, ces, nps, comment FROM responses"))
    assert len(rows) == 1
    stored = rows[0]
    assert stored["invitation_id"] == invitation_id
    # One whole submit, never fields mixed from two of them.
    assert {key: stored[key] for key in ("csat", "ces", "nps", "comment")} in sent
    # And a later submit still replaces it: the last answer counts.
    session, csrf = browsers[0]
    final = {"csat": 1, "ces": 1, "nps": 0, "comment": "changed my mind"}
    assert submit(session, server.url, token, csrf, final)[0] == 303
    [row] = db.query("SELECT csat, ces, nps, comment FROM responses")
    assert row == final


def test_200_concurrent_submits_to_200_links_are_all_stored(
    app, db, api_headers, live_server_factory
):
    post_tickets(
        app,
        api_headers,
        [ticket_payload(f"T-{number}", email=f"c{number}@example.com") for number in range(200)],
    )
    tokens = deliver_survey_tokens(app)
    assert len(tokens) == 200
    invitations = [invitation_of(db, token) for token in tokens]
    assert len(set(invitations)) == 200
    server = live_server_factory(workers=WORKERS)
    with ThreadPoolExecutor(max_workers=16) as pool:
        browsers = list(pool.map(lambda token: open_survey(server.url, token), tokens))
    sent = [answer_set(number) for number in range(200)]

    results = all_at_once(
        [
            (
                lambda session=session, csrf=csrf, token=token, answers=answers: submit(
                    session, server.url, token, csrf, answers
                )
            )
            for (session, csrf), token, answers in zip(browsers, tokens, sent, strict=True)
        ]
    )

    statuses = Counter(status for status, _ in results)
    assert not [status for status in statuses if status >= 500], statuses
    assert statuses == {303: 200}
    assert_log_clean(server)
    stored = responses_by_invitation(db)
    assert db.execute("SELECT count(*) FROM responses").fetchone()[0] == len(stored)
    for (status, location), token, invitation_id, answers in zip(
        results, tokens, invitations, sent, strict=True
    ):
        if 200 <= status < 400:
            assert location == f"/s/{token}/thanks"
            assert stored[invitation_id] == {"invitation_id": invitation_id, **answers}
    assert set(stored) == set(invitations)


def test_20_concurrent_reports_of_one_closure_store_it_once(db, api_headers, live_server_factory):
    server = live_server_factory(workers=WORKERS)
    payload = ticket_payload("T-42", email="rina@example.com")

    results = all_at_once(
        [
            (
                lambda: requests.post(
                    f"{server.url}/api/v1/tickets/closed",
                    json=payload,
                    headers=api_headers,
                    timeout=REQUEST_TIMEOUT,
                )
            )
            for _ in range(20)
        ]
    )

    statuses = Counter(response.status_code for response in results)
    assert statuses == {201: 1, 200: 19}, [response.text[:300] for response in results]
    bodies = [response.json() for response in results]
    assert all(body == bodies[0] for body in bodies), bodies
    assert bodies[0]["ticket_id"] == "T-42"
    assert bodies[0]["invitation"]["status"] == "scheduled"
    assert_log_clean(server)
    for table in ("tickets", "invitations", "outbox"):
        assert db[table].count == 1, table
    [invitation] = list(db.query("SELECT id FROM invitations"))
    assert invitation["id"] == bodies[0]["invitation"]["id"]
    [entry] = list(db.query("SELECT invitation_id, status FROM outbox"))
    assert entry == {"invitation_id": invitation["id"], "status": "pending"}


def test_a_corrective_action_form_posted_8_times_at_once_records_one_action(
    db, live_server_factory
):
    server = live_server_factory(workers=WORKERS)
    create_user(db, MANAGER_EMAIL, PASSWORD, "manager")
    session = requests.Session()
    login = session.get(f"{server.url}/login", timeout=REQUEST_TIMEOUT)
    signed_in = session.post(
        f"{server.url}/login",
        data={"email": MANAGER_EMAIL, "password": PASSWORD, "csrf_token": csrf_token(login.text)},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )
    assert signed_in.status_code in (302, 303), signed_in.text[:500]
    link = f"{server.url}/actions/new?metric=csat_pct&scope=company&from=2026-10-01&to=2026-10-31"
    page = session.get(link, timeout=REQUEST_TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    form = {
        "csrf_token": csrf_token(page.text),
        "form_key": form_key(page.text),
        "what": "Call back every unhappy customer",
        "owner": MANAGER_EMAIL,
        "due_on": "2999-01-01",
        "status": "open",
    }

    def post():
        return session.post(link, data=form, allow_redirects=False, timeout=REQUEST_TIMEOUT)

    results = all_at_once([post] * 8)

    statuses = Counter(response.status_code for response in results)
    assert statuses == {302: 1, 303: 7}, [response.text[:300] for response in results]
    assert {response.headers["Location"] for response in results} == {"/actions", "/actions/1"}
    assert_log_clean(server)
    assert [tuple(row) for row in db.execute("SELECT id, what FROM actions")] == [
        (1, "Call back every unhappy customer")
    ]
