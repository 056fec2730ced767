"""Unknown survey and unsubscribe links are limited per client address (429 past the limit),
counted in SQLite so every worker sees one count; real links and other addresses go on."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from surveys.config import ConfigError, apply_config
from tests.helpers import invite

UNKNOWN = "A" * 43  # the shape of a token, issued never


def get_from(client, path, address):
    return client.get(path, environ_overrides={"REMOTE_ADDR": address})


@pytest.fixture
def limited_app(make_app, fake_clock):
    return make_app(LINK_ATTEMPTS_LIMIT=5, LINK_ATTEMPTS_MINUTES=10)


def test_past_the_limit_unknown_links_get_429_until_the_window_passes(limited_app, fake_clock, db):
    client = limited_app.test_client()
    paths = [f"/s/{UNKNOWN}", f"/u/{UNKNOWN}", f"/s/{UNKNOWN}/thanks", "/s/short", "/u/x"]
    assert [get_from(client, path, "203.0.113.7").status_code for path in paths] == [404] * 5
    refused = get_from(client, f"/s/{UNKNOWN}", "203.0.113.7")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "601"  # all five were made at the same second
    assert get_from(client, f"/u/{UNKNOWN}", "203.0.113.7").status_code == 429
    assert db["link_attempts"].count == 5  # refusals are not counted again
    fake_clock.advance(minutes=10, seconds=1)
    assert get_from(client, f"/s/{UNKNOWN}", "203.0.113.7").status_code == 404


def test_another_address_is_not_slowed(limited_app):
    client = limited_app.test_client()
    for _ in range(6):
        get_from(client, f"/s/{UNKNOWN}", "203.0.113.7")
    assert get_from(client, f"/s/{UNKNOWN}", "198.51.100.9").status_code == 404


def test_a_real_link_is_served_to_a_limited_address(limited_app, api_headers):
    client = limited_app.test_client()
    token = invite(limited_app, client, api_headers)
    for _ in range(6):
        get_from(client, f"/s/{UNKNOWN}", "203.0.113.7")
    assert get_from(client, f"/s/{UNKNOWN}", "203.0.113.7").status_code == 429
    assert get_from(client, f"/s/{token}", "203.0.113.7").status_code == 200


def test_the_default_is_100_in_ten_minutes(app, client):
    assert (app.config["LINK_ATTEMPTS_LIMIT"], app.config["LINK_ATTEMPTS_MINUTES"]) == (100, 10)
    statuses = [get_from(client, f"/u/{UNKNOWN}", "203.0.113.8").status_code for _ in range(101)]
    assert statuses == [404] * 100 + [429]


@pytest.mark.parametrize(
    ("key", "value"), [("LINK_ATTEMPTS_LIMIT", 0), ("LINK_ATTEMPTS_MINUTES", 0)]
)
def test_a_limit_below_one_stops_the_start(tmp_path, key, value):
    from flask import Flask

    app = Flask(__name__, instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match=key):
        apply_config(app, {"SECRET_KEY": "x", key: value})


@pytest.mark.slow
def test_every_gunicorn_worker_sees_one_count(live_server_factory):
    server = live_server_factory(workers=2, LINK_ATTEMPTS_LIMIT=20)

    def attempt(number):
        return requests.get(f"{server.url}/s/{UNKNOWN}", timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert sorted(statuses) == [404] * 20 + [429] * 20
