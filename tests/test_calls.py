"""Calls: POST /api/v1/calls, the call-log import, the call rollups and /api/v1/call-kpis.

The queue below is built by hand: each call's wait and outcome is written out, and every
expected figure is worked out from that list in the comments, not read back from Puas.
"""

import csv
import io
import json
import random
import re
import sqlite3
import statistics
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from surveys import cli
from surveys.actions.digest_content import digest_content
from surveys.actions.digest_periods import Period
from surveys.config import ConfigError
from surveys.helpdesk import call_imports, imports
from surveys.reports.call_queries import COUNTS_SQL, WAITS_SQL
from surveys.reports.kpi_queries import GROUP_KEYS, kpi_sql
from surveys.reports.ranges import ReportRange
from surveys.store import call_rollups, rollups
from surveys.store.db import immediate
from tests.helpers import MANAGER_EMAIL, csrf_token, signed_in
from tests.test_docs import first_out_of_order, section

URL = "/api/v1/calls"
KPIS = "/api/v1/call-kpis"
TABLES = ("calls", "agents", "teams", "call_rollups", "call_wait_rollups", "channels")
QUEUED = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta


def iso(moment):
    """A UTC moment as ISO 8601 text."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def call_payload(call_id="C-1", wait=15, outcome="answered", talk=120, queued=QUEUED, **fields):
    """A call body: queued at `queued`, answered after `wait` seconds (or, abandoned or
    failed without an answer, ended then), ended `talk` seconds later."""
    body = {"call_id": call_id, "queued_at": iso(queued), "outcome": outcome}
    if outcome == "answered":
        body["answered_at"] = iso(queued + timedelta(seconds=wait))
        body["ended_at"] = iso(queued + timedelta(seconds=wait + talk))
        body["agent"] = {"email": "ayu@example.com", "name": "Ayu"}
    else:
        body["ended_at"] = iso(queued + timedelta(seconds=wait))
    body["team"] = "Billing"
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def row_counts(db):
    return {table: db[table].count for table in TABLES}


# The hand-built queue: (wait in seconds, outcome). Twelve calls offered.
QUEUE = [
    (5, "answered"),
    (12, "answered"),
    (20, "answered"),  # exactly on the 20-second standard: within it
    (21, "answered"),  # one second over
    (33, "answered"),  # in the 5-second bucket (30, 35]
    (47, "answered"),
    (90, "answered"),
    (300, "answered"),
    (40, "abandoned"),
    (200, "abandoned"),
    (10, "failed"),
    (65, "failed"),
]
# Answered: 8 calls, waits summed 5+12+20+21+33+47+90+300 = 528 → ASA 528 / 8 = 66.0 s.
# Median of the 8 answered waits: the 4th and 5th, 21 and 33; 21 is kept exactly, 33 is
# read at the middle of its bucket (31..35 → 33), so (21 + 33) / 2 = 27.0 s.
# Abandoned 2 / 12 = 16.7 %; failed 2 / 12 = 16.7 %.
# Service level: answered within 20 s (5, 12, 20) = 3, over calls offered 12 = 25.0 %.
EXPECTED_OVERALL = {
    "group": "all",
    "calls": 12,
    "answered": 8,
    "abandoned": 2,
    "failed": 2,
    "asa_s": 66.0,
    "wait_median_s": 27.0,
    "abandon_pct": 16.7,
    "failure_pct": 16.7,
    "service_level_s": 20,
    "service_level_pct": 25.0,
}


def post_queue(client, headers, queue=QUEUE, **fields):
    """Report each call of a queue, a minute apart."""
    for number, (wait, outcome) in enumerate(queue, start=1):
        response = client.post(
            URL,
            json=call_payload(
                f"C-{number}", wait, outcome, queued=QUEUED + timedelta(minutes=number), **fields
            ),
            headers=headers,
        )
        assert response.status_code == 201, response.get_json()


def test_a_new_call_is_stored_and_answered_201(client, db, api_headers):
    response = client.post(URL, json=call_payload(), headers=api_headers)

    assert response.status_code == 201
    assert response.get_json() == {
        "call_id": "C-1",
        "queued_at": "2026-10-05T02:00:00Z",
        "answered_at": "2026-10-05T02:00:15Z",
        "ended_at": "2026-10-05T02:02:15Z",
        "outcome": "answered",
        "agent": "ayu@example.com",
        "team": "Billing",
        "channel": "phone",
    }
    [call] = db.query("SELECT * FROM calls")
    agent = db["agents"].get(call["agent_id"])
    assert (agent["email"], agent["name"]) == ("ayu@example.com", "Ayu")
    assert db["teams"].get(call["team_id"])["name"] == "Billing"
    assert (call["source"], call["call_ref"], call["queued_day"], call["outcome"]) == (
        "api",
        "C-1",
        "2026-10-05",
        "answered",
    )


def test_a_call_is_dated_by_its_queued_time_in_the_business_zone(make_app, db, api_headers):
    client = make_app(TIMEZONE="Asia/Jakarta").test_client()
    # 18:30 UTC on 4 October is 01:30 on 5 October in Jakarta (UTC+7).
    queued = datetime(2026, 10, 4, 18, 30, tzinfo=UTC)
    client.post(URL, json=call_payload(queued=queued), headers=api_headers)
    assert [row["queued_day"] for row in db.query("SELECT queued_day FROM calls")] == ["2026-10-05"]


def test_the_same_call_again_answers_200_with_the_stored_call(client, db, api_headers):
    first = client.post(URL, json=call_payload(), headers=api_headers)
    before = row_counts(db)
    # A replay with other details is still the same call: the first report stands.
    again = client.post(
        URL, json=call_payload(wait=50, team="Technical", channel="callback"), headers=api_headers
    )

    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert row_counts(db) == before
    assert [team["name"] for team in db["teams"].rows] == ["Billing"]


def test_calls_reported_twice_count_once(client, db, api_headers):
    post_queue(client, api_headers)
    for number, (wait, outcome) in enumerate(QUEUE, start=1):
        again = client.post(
            URL,
            json=call_payload(
                f"C-{number}", wait, outcome, queued=QUEUED + timedelta(minutes=number)
            ),
            headers=api_headers,
        )
        assert again.status_code == 200
    body = client.get(f"{KPIS}?from=2026-10-01&to=2026-10-31", headers=api_headers).get_json()
    assert body["overall"] == EXPECTED_OVERALL


def test_call_kpis_of_a_hand_built_queue(client, api_headers):
    post_queue(client, api_headers)
    response = client.get(f"{KPIS}?from=2026-10-01&to=2026-10-31", headers=api_headers)

    assert response.status_code == 200
    assert response.get_json() == {
        "from": "2026-10-01",
        "to": "2026-10-31",
        "group_by": None,
        "groups": [EXPECTED_OVERALL],
        "overall": EXPECTED_OVERALL,
    }


@pytest.mark.parametrize(
    ("standard", "within"),
    [
        # Answered waits 5, 12, 20, 21, 33, 47, 90, 300; twelve calls offered.
        (5, 1),  # 5
        (20, 3),  # 5, 12, 20: inclusive
        (30, 4),  # ... and 21
        (35, 5),  # ... and 33
        (300, 8),  # every answered call
    ],
)
def test_the_service_level_counts_waits_up_to_the_standard_inclusive(
    make_app, api_headers, standard, within
):
    client = make_app(SERVICE_LEVEL_SECONDS=standard).test_client()
    post_queue(client, api_headers)
    overall = client.get(f"{KPIS}?from=2026-10-01&to=2026-10-31", headers=api_headers).get_json()[
        "overall"
    ]
    assert overall["service_level_s"] == standard
    assert overall["service_level_pct"] == round(100 * within / 12, 1)


def test_call_kpis_grouped_by_agent_and_team(client, api_headers):
    post_queue(client, api_headers)
    # Budi answers two more calls for Technical: waits 8 and 25 s.
    for number, wait in ((21, 8), (22, 25)):
        client.post(
            URL,
            json=call_payload(f"C-{number}", wait, agent="Budi", team="Technical", queued=QUEUED),
            headers=api_headers,
        )
    by_agent = client.get(
        f"{KPIS}?from=2026-10-01&to=2026-10-31&group_by=agent", headers=api_headers
    ).get_json()["groups"]
    # The abandoned and failed calls reached no agent: the group without a name.
    assert [(row["group"], row["agent_name"], row["calls"]) for row in by_agent] == [
        (None, None, 4),
        ("Budi", "Budi", 2),
        ("ayu@example.com", "Ayu", 8),
    ]
    budi = by_agent[1]
    # Waits 8 and 25: ASA 16.5, median 16.5, one within 20 s of two offered.
    assert (budi["asa_s"], budi["wait_median_s"], budi["service_level_pct"]) == (16.5, 16.5, 50.0)
    by_team = client.get(
        f"{KPIS}?from=2026-10-01&to=2026-10-31&group_by=team&team=Technical",
        headers=api_headers,
    ).get_json()
    assert [(row["group"], row["calls"], row["answered"]) for row in by_team["groups"]] == [
        ("Technical", 2, 2)
    ]


def test_call_kpis_compared_with_the_previous_period(client, api_headers):
    post_queue(client, api_headers)
    # September: one call, answered after 10 s.
    client.post(
        URL,
        json=call_payload("S-1", 10, queued=datetime(2026, 9, 10, 3, tzinfo=UTC)),
        headers=api_headers,
    )
    body = client.get(
        f"{KPIS}?from=2026-10-01&to=2026-10-30&compare=previous", headers=api_headers
    ).get_json()
    overall = body["overall"]
    assert body["compare"] == {"from": "2026-09-01", "to": "2026-09-30"}
    assert (overall["calls"], overall["calls_prev"], overall["calls_change"]) == (12, 1, 11)
    assert (overall["asa_s_prev"], overall["asa_s_change"]) == (10.0, 56.0)
    assert overall["service_level_pct_prev"] == 100.0


def test_a_range_without_calls_has_no_figures(client, api_headers):
    overall = client.get(f"{KPIS}?from=2026-10-01&to=2026-10-31", headers=api_headers).get_json()[
        "overall"
    ]
    assert overall == {
        "group": "all",
        "calls": 0,
        "answered": 0,
        "abandoned": 0,
        "failed": 0,
        "asa_s": None,
        "wait_median_s": None,
        "abandon_pct": None,
        "failure_pct": None,
        "service_level_s": 20,
        "service_level_pct": None,
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"call_id": None}, "call_id", "is required"),
        ({"call_id": ["C-1"]}, "call_id", "must be a string"),
        ({"call_id": "x" * 201}, "call_id", "200"),
        ({"queued_at": None}, "queued_at", "is required"),
        ({"queued_at": "2026-10-05 02:00"}, "queued_at", "offset"),
        ({"queued_at": "1999-12-31T23:59:59Z"}, "queued_at", "2000"),
        ({"queued_at": "3000-01-01T00:00:00Z"}, "queued_at", "2999"),
        ({"queued_at": 1_790_000_000}, "queued_at", "ISO 8601"),
        ({"queued_at": "2099-01-01T00:00:00Z"}, "queued_at", "future"),
        ({"ended_at": None}, "ended_at", "is required"),
        ({"outcome": None}, "outcome", "is required"),
        ({"outcome": "hung up"}, "outcome", "answered, abandoned, failed"),
        ({"outcome": ["answered"]}, "outcome", "answered, abandoned, failed"),
        ({"answered_at": None}, "answered_at", "required when the outcome is answered"),
        ({"answered_at": "2026-10-05T01:59:59Z"}, "answered_at", "before queued_at"),
        ({"ended_at": "2026-10-05T02:00:10Z"}, "ended_at", "before answered_at"),
        ({"agent": 7}, "agent", "object"),
        ({"agent": {"email": "not an address"}}, "agent.email", ""),
        ({"team": "\x00bad"}, "team", ""),
        ({"team": "t" * 101}, "team", "100"),
        ({"channel": {"name": "phone"}}, "channel", ""),
    ],
)
def test_bad_calls_are_refused_with_nothing_stored(
    client, db, api_headers, changes, field, message
):
    before = row_counts(db)
    response = client.post(URL, json=call_payload(**changes), headers=api_headers)

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors and message in errors[field]
    assert row_counts(db) == before


def test_an_abandoned_call_has_no_answering_time(client, db, api_headers):
    body = call_payload(outcome="abandoned", answered_at=iso(QUEUED + timedelta(seconds=5)))
    response = client.post(URL, json=body, headers=api_headers)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "answered_at": "must be absent when the outcome is abandoned"
    }
    assert db["calls"].count == 0


def test_an_abandoned_call_ending_before_it_was_queued_is_refused(client, db, api_headers):
    body = call_payload(outcome="abandoned", ended_at=iso(QUEUED - timedelta(seconds=1)))
    response = client.post(URL, json=body, headers=api_headers)
    assert response.get_json()["errors"] == {"ended_at": "must not be before queued_at"}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"call_id": "C-1", "call_id": "C-2"}', "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b"{not json", "application/json", 415),
        (b'{"call_id": "C-1"}', "text/plain", 415),
        (b'{"call_id": "' + b"x" * 70_000 + b'"}', "application/json", 413),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 413),
        (b"[" * 20_000 + b"]" * 20_000, "application/json", 422),
    ],
)
def test_hostile_bodies_are_refused_with_nothing_stored(
    client, db, api_headers, body, content_type, status
):
    before = row_counts(db)
    response = client.post(URL, data=body, headers={**api_headers, "Content-Type": content_type})
    assert response.status_code == status
    assert row_counts(db) == before


def test_calls_need_an_api_key(manager_client, db):
    stranger = manager_client.application.test_client()
    assert stranger.post(URL, json=call_payload()).status_code == 401
    assert (
        stranger.post(
            URL, json=call_payload(), headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    assert db["calls"].count == 0


@pytest.mark.parametrize("path", [KPIS, "/reports/call-kpis.csv"])
def test_call_kpis_need_a_key_or_a_manager(client, staff_client, api_headers, path):
    stranger = staff_client.application.test_client()
    assert stranger.get(path).status_code in (302, 401)
    assert staff_client.get(path).status_code == 403
    assert stranger.get(path, headers=api_headers).status_code == 200


def test_a_bad_range_is_422_naming_the_parameter(manager_client):
    response = manager_client.get(f"{KPIS}?from=2026-10-31&to=2026-10-01&group_by=queue")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"from", "group_by"}


def test_the_call_kpis_download_has_the_api_rows(manager_client, api_headers, client):
    post_queue(client, api_headers, team="=cmd|' /C calc'!A0")
    response = manager_client.get(
        "/reports/call-kpis.csv?from=2026-10-01&to=2026-10-31&group_by=team"
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert response.mimetype == "text/csv"
    assert rows == [
        list(EXPECTED_OVERALL),
        ["'=cmd|' /C calc'!A0", "12", "8", "2", "2", "66.0", "27.0", "16.7", "16.7", "20", "25.0"],
    ]


# The rollups against a recount from the raw calls.


def recount(connection, service_level_s):
    """Per day × agent × team × channel, the figures computed from the raw calls alone."""
    rows = connection.execute(
        "SELECT queued_day, coalesce(agent_id, 0), coalesce(team_id, 0), channel, outcome, "
        "unixepoch(answered_at) - unixepoch(queued_at) FROM calls"
    ).fetchall()
    cells = {}
    for day, agent, team, channel, outcome, wait in rows:
        cell = cells.setdefault((day, agent, team, channel), {"outcomes": [], "waits": []})
        cell["outcomes"].append(outcome)
        if outcome == "answered":
            cell["waits"].append(wait)
    return {
        key: (
            len(cell["outcomes"]),
            *(cell["outcomes"].count(outcome) for outcome in call_rollups.OUTCOMES),
            sum(cell["waits"]),
            sum(wait <= service_level_s for wait in cell["waits"]),
        )
        for key, cell in cells.items()
    }


def from_rollups(connection, service_level_s):
    """The same figures per cell, read from call_rollups and the day histograms."""
    counts = {
        row[:4]: row[4:]
        for row in connection.execute(
            "SELECT day, agent_id, team_id, channel, calls, answered, abandoned, failed, "
            "wait_seconds FROM call_rollups"
        )
    }
    within = {
        row[:4]: row[4]
        for row in connection.execute(
            "SELECT period, agent_id, team_id, channel, sum(n) FROM call_wait_rollups "
            "WHERE grain = 'day' AND bucket <= ? GROUP BY 1, 2, 3, 4",
            [service_level_s],
        )
    }
    return {key: (*values, within.get(key, 0)) for key, values in counts.items()}


def random_calls(client, headers, count=300, seed=15):
    """Calls over two months with random waits (some over an hour), outcomes, agents,
    teams and channels, reported through the API."""
    chance = random.Random(seed)
    for number in range(count):
        outcome = chance.choice(call_rollups.OUTCOMES)
        wait = chance.choice([0, 1, 19, 20, 21, 29, 30, 31, 599, 600, 601, 4000, 40_000])
        wait = wait if chance.random() < 0.5 else chance.randrange(0, 900)
        queued = datetime(2026, 9, 1, tzinfo=UTC) + timedelta(minutes=chance.randrange(87_840))
        fields = {
            "agent": chance.choice(["Ayu", "Budi", None]),
            "team": chance.choice(["Billing", "Technical", None]),
            "channel": chance.choice(["phone", "callback", None]),
        }
        body = call_payload(f"R-{number}", wait, outcome, queued=queued)
        body.update(fields)
        if outcome == "failed" and chance.random() < 0.5:
            body["answered_at"] = body["queued_at"]  # dropped right after it was answered
        body = {key: value for key, value in body.items() if value is not None}
        assert client.post(URL, json=body, headers=headers).status_code == 201


def test_the_rollups_match_a_recount_from_the_raw_calls(app, client, db, api_headers, runner):
    random_calls(client, api_headers)
    connection = sqlite3.connect(app.config["DATABASE"])
    for standard in (20, 30, 600):
        assert from_rollups(connection, standard) == recount(connection, standard)
    kept = {
        table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
        for table in call_rollups.TABLES
    }
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "call_rollups" in result.output
    rebuilt = {
        table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
        for table in call_rollups.TABLES
    }
    assert rebuilt == kept


def test_call_kpis_match_figures_from_the_raw_calls(app, client, db, api_headers):
    random_calls(client, api_headers, count=200, seed=7)
    body = client.get(f"{KPIS}?from=2026-09-10&to=2026-10-20", headers=api_headers).get_json()
    rows = db.execute(
        "SELECT outcome, unixepoch(answered_at) - unixepoch(queued_at) FROM calls "
        "WHERE queued_day BETWEEN '2026-09-10' AND '2026-10-20'"
    ).fetchall()
    waits = sorted(wait for outcome, wait in rows if outcome == "answered")
    overall = body["overall"]
    assert overall["calls"] == len(rows)
    assert overall["asa_s"] == round(sum(waits) / len(waits), 1)
    assert overall["service_level_pct"] == round(
        100 * sum(wait <= 20 for wait in waits) / len(rows), 1
    )
    # The median is read from buckets: within 2 seconds below 10 minutes.
    assert abs(overall["wait_median_s"] - statistics.median(waits)) <= 2.05


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [
        (0, 0),
        (1, 1),
        (20, 20),
        (30, 30),
        (31, 35),
        (35, 35),
        (36, 40),
        (600, 600),
        (601, 660),
        (3_600, 3_600),
        (3_601, 4_200),
        (36_000, 36_000),
        (36_001, 36_001),
    ],
)
def test_wait_buckets(seconds, bucket, db):
    assert call_rollups.wait_bucket(seconds) == bucket
    [(in_sql,)] = db.execute(f"SELECT {call_rollups.wait_bucket_sql(str(seconds))}")
    assert in_sql == bucket


@pytest.mark.parametrize("value", [0, 31, 601, 3_660, 20.0, "20", True, None])
def test_a_service_level_the_rollups_cannot_count_exactly_stops_the_start(make_app, value):
    with pytest.raises(ConfigError, match="SERVICE_LEVEL_SECONDS"):
        make_app(SERVICE_LEVEL_SECONDS=value)


def test_rebuild_keeps_the_trigger_working(app, client, db, api_headers):
    with immediate(db):
        rollups.rebuild(db)
    client.post(URL, json=call_payload(), headers=api_headers)
    assert [tuple(row) for row in db.execute("SELECT calls, answered FROM call_rollups")] == [
        (1, 1)
    ]


def test_a_call_body_round_trips_as_json(client, api_headers):
    response = client.post(URL, json=call_payload(outcome="failed", wait=3), headers=api_headers)
    assert response.status_code == 201
    assert json.loads(response.get_data())["answered_at"] is None


# The call-log import.

# A phone system's call log: its own column names, a BOM, local times without an
# offset, outcome words of its own, one blank line and two bad rows.
CALL_LOG = (
    "\ufeffUniqueID,Start,Answered,End,Disposition,Agent,Queue\r\n"
    "L-1,2026-10-05 09:00:00,2026-10-05 09:00:20,2026-10-05 09:04:00,ANSWERED,Ayu,Billing\r\n"
    "L-2,2026-10-05 09:01:00,,2026-10-05 09:02:10,NO ANSWER,,Billing\r\n"
    ",,,,,,\r\n"
    "L-3,2026-10-05 09:02:00,,2026-10-05 09:02:05,BUSY,,Billing\r\n"
    "L-4,2026-10-05 09:03:00,2026-10-05 09:02:00,2026-10-05 09:05:00,ANSWERED,Ayu,Billing\r\n"
    "L-5,yesterday,,2026-10-05 09:05:00,maybe,,Billing\r\n"
).encode()


def upload_calls(client, data=CALL_LOG, filename="calls.csv"):
    page = client.get("/imports/calls/").get_data(as_text=True)
    return client.post(
        "/imports/calls/",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def import_calls(client, location, **mapping):
    page = client.get(location).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(map_\w+)" value="(\d+)">', page))
    fields.update(mapping)
    return client.post(location, data={"csrf_token": csrf_token(page), **fields})


def test_the_call_log_mapping_is_guessed_and_rows_become_api_bodies():
    table = imports.read_table(CALL_LOG)
    mapping = call_imports.guess_mapping(table.header)
    assert mapping == {
        "call_id": 0,
        "queued_at": 1,
        "answered_at": 2,
        "ended_at": 3,
        "outcome": 4,
        "agent": 5,
        "team": 6,
    }
    assert call_imports.row_body(table.rows[1], mapping, "Asia/Jakarta") == (
        {
            "call_id": "L-2",
            "queued_at": "2026-10-05T09:01:00+07:00",
            "ended_at": "2026-10-05T09:02:10+07:00",
            "outcome": "abandoned",
            "team": "Billing",
        },
        {},
    )


def test_a_manager_uploads_previews_and_imports_a_call_log_once(make_app, db):
    manager = signed_in(
        make_app(TIMEZONE="Asia/Jakarta").test_client(), db, MANAGER_EMAIL, "manager"
    )
    uploaded = upload_calls(manager)
    assert uploaded.status_code == 303
    location = uploaded.headers["Location"]
    assert location == "/imports/calls/1"
    page = manager.get(location).get_data(as_text=True)
    # The preview shows the calls as stored (UTC) with their waits, and each bad row.
    assert "2026-10-05 02:00:00" in page and "20 s" in page
    assert "Line 6: answered_at must not be before queued_at" in page
    assert "Line 7: queued_at" in page and "outcome must be one of" in page
    assert db["calls"].count == 0  # a preview writes nothing

    done = import_calls(manager, location)
    assert (done.status_code, done.headers["Location"]) == (303, location)
    result = manager.get(location).get_data(as_text=True)
    assert "3 new calls, 0 already stored" in result and "Line 6" in result
    assert [
        tuple(row)
        for row in db.execute(
            "SELECT call_ref, source, queued_at, answered_at, outcome, queued_day FROM calls "
            "ORDER BY call_ref"
        )
    ] == [
        ("L-1", "import", "2026-10-05T02:00:00Z", "2026-10-05T02:00:20Z", "answered", "2026-10-05"),
        ("L-2", "import", "2026-10-05T02:01:00Z", None, "abandoned", "2026-10-05"),
        ("L-3", "import", "2026-10-05T02:02:00Z", None, "failed", "2026-10-05"),
    ]
    again = upload_calls(manager)  # the same file, a second time
    import_calls(manager, again.headers["Location"])
    assert "0 new calls, 3 already stored" in manager.get(again.headers["Location"]).get_data(
        as_text=True
    )
    assert db["calls"].count == 3


def test_a_call_the_api_reported_is_not_imported_again(manager_client, client, db, api_headers):
    client.post(URL, json=call_payload("L-1"), headers=api_headers)
    location = upload_calls(manager_client).headers["Location"]
    import_calls(manager_client, location)
    result = manager_client.get(location).get_data(as_text=True)
    assert "2 new calls, 1 already stored" in result
    assert db["calls"].count == 3


def test_a_call_row_is_checked_by_the_files_rules_as_a_ticket_row_is():
    table = imports.read_table(
        b"UniqueID,Start,End,Disposition\n"
        b"L-1,2026-10-05 09:00:00,2026-10-05 09:04:00,NO ANSWER\n"
        b"L-2,2026-10-05 09:00:00,2026-10-05 09:04:00,NO ANSWER,Ayu\n"  # a cell too many
        b"L-3,yesterday,2026-10-05 09:04:00,NO ANSWER\n"
        b"L-4,2000-01-01 06:00:00,2000-01-01 07:30:00,NO ANSWER\n"  # starts in 1999, UTC
    )
    mapping = call_imports.guess_mapping(table.header)

    outcome = call_imports.preview(table, mapping, "Asia/Jakarta")

    assert [(line, errors) for line, _, errors in outcome.previews] == [
        (2, {}),
        (3, {"row": "has 5 cells; the header has 4"}),
        (4, {"queued_at": imports.TIME_MESSAGE}),  # the file's rule: no offset needed
        (
            5,
            {
                "queued_at": "must be between the years 2000 and 2999 in UTC; "
                "it is 1999-12-31 23:00 UTC",
            },
        ),
    ]
    assert [call is None for _, call, _ in outcome.previews] == [False, True, True, True]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [({"map_outcome": ""}, "must be mapped to a column"), ({"map_call_id": "99"}, "not a column")],
)
def test_a_bad_call_mapping_is_422_and_imports_nothing(manager_client, db, mapping, message):
    location = upload_calls(manager_client).headers["Location"]
    response = import_calls(manager_client, location, **mapping)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db["calls"].count == 0
    assert db["call_imports"].get(1)["imported_at"] is None


@pytest.mark.parametrize(("data", "message"), [(b"", "empty"), (b"\x00\x01binary", "not text")])
def test_bad_call_logs_are_422(manager_client, db, data, message):
    response = upload_calls(manager_client, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db["call_imports"].count == 0


def test_a_call_log_upload_without_a_csrf_token_stores_nothing(manager_client, db):
    response = manager_client.post(
        "/imports/calls/",
        data={"file": (io.BytesIO(CALL_LOG), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert db["call_imports"].count == 0


def test_the_call_import_pages_are_for_managers(staff_client):
    assert staff_client.get("/imports/calls/").status_code == 403
    stranger = staff_client.application.test_client()
    assert stranger.get("/imports/calls/").status_code == 302


def test_flask_import_calls(runner, db, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(CALL_LOG)
    dry = runner.invoke(args=["import-calls", str(path), "--dry-run"])
    assert dry.exit_code == cli.REFUSED_STATUS, dry.output
    assert "3 rows can be imported, 2 have problems" in dry.output
    assert db["calls"].count == 0
    first = runner.invoke(args=["import-calls", str(path)])
    assert first.exit_code == cli.REFUSED_STATUS, first.output
    assert "3 new, 0 already stored, 2 refused." in first.output
    assert "line 6: answered_at must not be before queued_at" in first.output
    second = runner.invoke(args=["import-calls", str(path)])
    assert "0 new, 3 already stored" in second.output
    valid_only = tmp_path / "valid.csv"
    valid_only.write_bytes(b"".join(CALL_LOG.splitlines(keepends=True)[:3]))
    clean = runner.invoke(args=["import-calls", str(valid_only)])
    assert clean.exit_code == 0, clean.output
    assert clean.output.splitlines()[-1] == "0 new, 2 already stored, 0 refused."
    bad = runner.invoke(args=["import-calls", str(path), "--map", "outcome=Nope"])
    assert bad.exit_code == 1 and "FIELD=COLUMN" in bad.output
    missing = tmp_path / "other.csv"
    missing.write_text("Subject,Priority\nHello,High\n")
    result = runner.invoke(args=["import-calls", str(missing)])
    assert "no column for call_id, queued_at, ended_at, outcome" in result.output


# Query plans: the call KPIs read the rollups through their primary keys.

CALL_PLAN_PARAMS = {
    "from_day": "2026-01-01",
    "to_day": "2026-11-30",
    "first_month": "2026-01",
    "last_month": "2026-10",
    "head_from": "9",
    "head_to": "0",
    "tail_from": "2026-11-01",
    "tail_to": "2026-11-30",
    "filter_0": "ayu@example.com",
    "filter_1": "Billing",
}
FILTERED = ReportRange(
    date(2026, 1, 1), date(2026, 11, 30), None, agents=("ayu@example.com",), teams=("Billing",)
)
CALL_QUERIES = {
    **{
        f"call counts by {grouping}": kpi_sql(
            COUNTS_SQL, grouping, "day", FILTERED.filter_sql("call_rollups")[0]
        )
        for grouping in GROUP_KEYS
    },
    **{
        f"call waits by {grouping}": kpi_sql(
            WAITS_SQL, grouping, "period", FILTERED.filter_sql("histograms")[0]
        )
        for grouping in GROUP_KEYS
    },
}


@pytest.mark.parametrize("name", sorted(CALL_QUERIES))
def test_call_kpi_queries_use_the_rollups_keys(db, name):
    plan = [
        row["detail"]
        for row in db.query("EXPLAIN QUERY PLAN " + CALL_QUERIES[name], CALL_PLAN_PARAMS)
    ]
    scans = [
        step
        for step in plan
        if re.match(r"SCAN (calls|call_rollups|call_wait_rollups|agents|teams)\b", step)
    ]
    assert scans == [], plan
    assert any(re.search(r"USING (COVERING )?INDEX|USING PRIMARY KEY", step) for step in plan)
    assert not any(re.search(r"\bcalls\b", step) for step in plan)  # never the raw calls


def test_the_call_row_is_documented_field_by_field_in_order(client, api_headers):
    row = client.get(f"{KPIS}?compare=previous", headers=api_headers).get_json()
    api = Path(__file__).resolve().parent.parent / "docs" / "api.md"
    assert first_out_of_order(section(api, "GET /api/v1/call-kpis"), list(row["overall"])) is None


def test_the_digest_shows_the_phone_queue_beside_its_targets(app, client, db, api_headers):
    post_queue(client, api_headers)  # October 2026
    # September: one call, answered after 10 s.
    client.post(
        URL,
        json=call_payload("S-1", 10, queued=datetime(2026, 9, 10, 3, tzinfo=UTC)),
        headers=api_headers,
    )
    october = Period("monthly", date(2026, 10, 1), date(2026, 10, 31))
    with app.app_context():
        content = digest_content(db, app.config, october, datetime(2026, 11, 1, 1, tzinfo=UTC))
    tiles = {tile.label: tile for tile in content.tiles}
    asa = tiles["Average speed of answer"]
    assert (asa.shown, asa.target_text()) == ("66.0 s", "target at most 30.0 s: not met")
    assert asa.change_text("September") == "▲ +56.0 s from 10.0 s in September, worse"
    within = tiles["Calls answered within 20 s"]
    assert (within.shown, within.n_text) == ("25.0%", "of 12 calls offered")
    assert within.target_text() == "target at least 80.0%: not met"
    assert tiles["Abandoned calls"].target_text() == "target at most 5.0%: not met"
    assert tiles["Failed calls"].shown == "16.7%"
    assert tiles["Calls offered"].shown == "12"
    assert content.has_data


def test_the_dashboard_shows_the_phone_queue_beside_its_targets(
    manager_client, client, db, api_headers
):
    post_queue(client, api_headers)
    # A manager's targets: ASA at most 70 s (66.0 is met), service level at least 25 %
    # (25.0 is met, on the bound), abandonment at most 10 % (16.7 is not).
    db.execute(
        "INSERT INTO targets (name, value, updated_at) VALUES ('asa_s', 70, '2026-10-01'), "
        "('service_level_pct', 25, '2026-10-01'), ('abandon_pct', 10, '2026-10-01')"
    )
    db.conn.commit()
    html = manager_client.get("/reports?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    section = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("Phone queue", 1)[1]))
    section = section.split("Failed", 1)[0]
    assert "Average speed of answer 66.0 s mean wait of the 8 answered calls; median 27.0 s" in (
        section
    )
    assert "at most 70.0 s ✓ met" in section
    assert "Service level 25.0% of 12 calls offered, answered within 20 s" in section
    assert "at least 25.0% ✓ met" in section
    assert "Abandoned 16.7% 2 of 12 calls offered" in section
    assert "at most 10.0% ✗ not met" in section


def test_the_dashboard_compares_the_phone_queue(manager_client, client, api_headers):
    post_queue(client, api_headers)
    client.post(
        URL,
        json=call_payload("S-1", 10, queued=datetime(2026, 9, 10, 3, tzinfo=UTC)),
        headers=api_headers,
    )
    html = manager_client.get("/reports?from=2026-10-01&to=2026-10-30&compare=previous")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.get_data(as_text=True)))
    # ASA 66.0 s now against 10.0 s in September; service level 25.0 % against 100.0 %.
    assert "▲ up +56.0 s from 10.0: worse" in text
    assert "▼ down -75.0 points from 100.0: worse" in text
