"""Themes: the terms that lean low or high, by the log-odds z of docs/definitions.md#themes,
through /api/v1/themes and /reports/themes; the term rollups against a recount from the
raw comments.

Every expected z is computed here with math.log from the counts each test states.
"""

import math
import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from surveys.customers.personal_data import erase_customer
from surveys.customers.responses import save_response
from surveys.demo import seed
from surveys.helpdesk.closures import Closure, record_closure
from surveys.store import db as database
from surveys.store.db import immediate
from surveys.store.migrations import migrations
from surveys.store.terms import comment_terms
from tests.helpers import MANAGER_EMAIL, signed_in

AYU = {"agent_email": "ayu@example.com", "agent_name": "Ayu Lestari", "team": "Billing"}
BUDI = {"agent_email": "budi@example.com", "agent_name": "Budi Santoso", "team": "Technical"}
MARCH = "from=2026-03-01&to=2026-03-31"
LOW, HIGH, NEITHER = {"csat": 1}, {"csat": 5}, {"csat": 3}


@pytest.fixture
def answer(app, db):
    """answer(comment, scores, who=AYU, day=10): a closure in March 2026 answered through
    the survey's own write path; returns its invitation."""
    config = {**app.config, "THROTTLE_DAYS": 0}
    made = Counter()

    def answer(comment, scores, who=AYU, day=10, channel="email"):
        made["tickets"] += 1
        number = made["tickets"]
        result, _ = record_closure(
            db,
            Closure(
                ticket_ref=f"T-{number}",
                closed_at=datetime(2026, 3, day, 12, tzinfo=UTC) + timedelta(minutes=number),
                customer_email=f"customer{number}@example.com",
                channel=channel,
                **who,
            ),
            config,
        )
        invitation = result["invitation"]
        save_response(
            db, invitation, {"csat": None, "ces": None, "nps": None, **scores, "comment": comment}
        )
        return invitation

    return answer


def themes(client, query="", status=200, headers=None):
    response = client.get(f"/api/v1/themes?{MARCH}&{query}", headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def hand_z(y_low, y_high, prior, n_low, n_high, a0):
    """The issue's formula, written out again."""
    delta = math.log((y_low + prior) / (n_low + a0 - y_low - prior)) - math.log(
        (y_high + prior) / (n_high + a0 - y_high - prior)
    )
    return round(delta / math.sqrt(1 / (y_low + prior) + 1 / (y_high + prior)), 2)


def fill_small_corpus(answer):
    """20 low "Refund slow", 20 high "Friendly agent", 5 of each saying "invoice", and 4
    neither-low-nor-high "Refund agent"."""
    for _ in range(20):
        answer("Refund slow!", LOW)
        answer("Friendly agent.", HIGH)
    for _ in range(5):
        answer("Invoice", LOW)
        answer("invoice", HIGH)
    for _ in range(4):
        answer("refund, agent", NEITHER)


def test_z_of_a_small_corpus_equals_a_hand_computation(answer, manager_client):
    fill_small_corpus(answer)
    # Terms: each word and the pair of the two. Low: refund 20, slow 20, "refund slow" 20,
    # invoice 5 → n_low 65; high: friendly 20, agent 20, "friendly agent" 20, invoice 5 →
    # n_high 65; neither: refund 4, agent 4, "refund agent" 4. Prior a0 = 65 + 65 + 12.
    n_low, n_high, a0 = 65, 65, 142
    body = themes(manager_client)
    assert body == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "low": [
            # slow and "refund slow": y_low 20, y_high 0, prior 20; refund's prior is 24.
            {
                "term": "refund slow",
                "low_count": 20,
                "high_count": 0,
                "z": hand_z(20, 0, 20, n_low, n_high, a0),
            },
            {
                "term": "slow",
                "low_count": 20,
                "high_count": 0,
                "z": hand_z(20, 0, 20, n_low, n_high, a0),
            },
            {
                "term": "refund",
                "low_count": 20,
                "high_count": 0,
                "z": hand_z(20, 0, 24, n_low, n_high, a0),
            },
        ],
        "high": [
            {
                "term": "friendly",
                "low_count": 0,
                "high_count": 20,
                "z": hand_z(0, 20, 20, n_low, n_high, a0),
            },
            {
                "term": "friendly agent",
                "low_count": 0,
                "high_count": 20,
                "z": hand_z(0, 20, 20, n_low, n_high, a0),
            },
            {
                "term": "agent",
                "low_count": 0,
                "high_count": 20,
                "z": hand_z(0, 20, 24, n_low, n_high, a0),
            },
        ],
    }
    # Worked once by hand: refund's δ = log(44/99) − log(24/119) = 0.7902, σ = 0.2778.
    assert body["low"][2]["z"] == 2.84
    # "invoice" is in both sets equally (z = 0): not listed; neither is "refund agent".
    assert hand_z(5, 5, 10, n_low, n_high, a0) == 0


def test_min_count_filters_the_list_without_changing_the_totals(answer, manager_client):
    fill_small_corpus(answer)
    everything = themes(manager_client, "min_count=0")
    assert themes(manager_client) == everything  # default 5: every listed term has 20
    only = themes(manager_client, "min_count=21")
    assert only["low"] == only["high"] == []
    # Adding terms seen fewer times would change n and a0: a min_count that keeps the same
    # terms keeps the same z.
    assert themes(manager_client, "min_count=20") == everything


def test_an_indonesian_corpus_groups_by_stem_and_drops_stop_words(answer, manager_client):
    for _ in range(12):
        answer("Pelayanan yang lambat dan mengecewakan", LOW)
    for _ in range(8):
        answer("Layanan lambat sekali", LOW)
    for _ in range(20):
        answer("Petugas ramah dan cepat", HIGH)
    body = themes(manager_client)
    low_terms = {term["term"]: term for term in body["low"]}
    # "pelayanan" (12) and "layanan" (8) are one term, shown as the commoner form.
    assert low_terms["pelayanan"]["low_count"] == 20
    assert "layanan" not in low_terms
    # "yang", "dan" and "sekali" are stop words: dropped before pairs are formed, so
    # "pelayanan lambat" is a pair in both sentences.
    assert low_terms["pelayanan lambat"]["low_count"] == 20
    listed = [term["term"] for side in ("low", "high") for term in body[side]]
    assert not [term for term in listed if {"yang", "dan", "sekali"} & set(term.split())]
    assert "ramah cepat" in [term["term"] for term in body["high"]]


def test_filters_are_honoured(answer, manager_client):
    for _ in range(15):
        answer("Refund slow", LOW, who=AYU)
        answer("Friendly agent", HIGH, who=AYU)
        answer("Courier late", LOW, who=BUDI, channel="chat")
        answer("Quick courier", HIGH, who=BUDI, channel="chat")
    for query in ("agent=budi@example.com", "team=Technical", "channel=chat"):
        body = themes(manager_client, query)
        listed = {term["term"] for side in ("low", "high") for term in body[side]}
        assert listed == {"late", "courier late", "quick", "quick courier"}, query
        # courier: 15 low and 15 high → z 0, unlisted
    assert {term["term"] for term in themes(manager_client, "agent=ayu@example.com")["low"]} == {
        "refund",
        "slow",
        "refund slow",
    }
    assert themes(manager_client, "agent=nobody@example.com") == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "low": [],
        "high": [],
    }


def test_a_range_without_comments_has_empty_lists(manager_client, answer):
    answer("Refund slow", LOW)
    response = manager_client.get("/api/v1/themes?from=2025-01-01&to=2025-01-31")
    assert response.status_code == 200
    assert response.get_json() == {"from": "2025-01-01", "to": "2025-01-31", "low": [], "high": []}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("min_count=abc", "min_count"),
        ("min_count=-1", "min_count"),
        ("min_count=1.5", "min_count"),
        ("min_count=99999999999", "min_count"),
        ("min_count=%D9%A3", "min_count"),  # an Arabic-Indic digit: not ASCII
        ("from=2026-13-01", "from"),
        ("period=forever", "period"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(manager_client, query, named):
    response = manager_client.get(f"/api/v1/themes?{query}")
    assert response.status_code == 422
    assert named in response.get_json()["errors"]
    page = manager_client.get(f"/reports/themes?{query}")
    assert page.status_code == 422
    assert named in page.get_data(as_text=True)


def test_access_is_that_of_the_scores_api(app, staff_client, api_headers):
    anonymous = app.test_client()
    refused = anonymous.get("/api/v1/themes")
    assert refused.status_code == anonymous.get("/api/v1/scores").status_code == 401
    assert anonymous.get("/reports/themes").status_code == 302  # to the sign-in page
    assert staff_client.get("/api/v1/themes").status_code == 403
    assert staff_client.get("/reports/themes").status_code == 403
    assert anonymous.get("/api/v1/themes", headers=api_headers).status_code == 200


def test_the_page_explains_and_links_each_term_to_its_comments(answer, manager_client):
    fill_small_corpus(answer)
    page = manager_client.get(f"/reports/themes?{MARCH}&channel=email")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Themes in the comments" in html and "what is usual" in html
    links = re.findall(r'href="(/reports/comments\?[^"]+)"', html)
    assert len(links) == 6
    query = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert query == {
        "from": ["2026-03-01"],
        "to": ["2026-03-31"],
        "channel": ["email"],
        "q": ["refund slow"],
    }
    assert "<td>20</td><td>0</td><td>+2.94</td>" in html
    assert "<td>0</td><td>20</td><td>-2.84</td>" in html
    dashboard = manager_client.get("/reports").get_data(as_text=True)
    assert 'href="/reports/themes?' in dashboard


# The term rollups against a recount from the raw comments.


def response_class(csat, ces, nps):
    """Low, high or other, as the issue defines them (written again here)."""
    if (
        (csat is not None and csat <= 2)
        or (ces is not None and ces <= 3)
        or (nps is not None and nps <= 6)
    ):
        return "low"
    if (
        (csat is not None and csat >= 4)
        or (ces is not None and ces >= 5)
        or (nps is not None and nps >= 9)
    ):
        return "high"
    return "other"


def recount(db):
    """{(grain, period, agent, team, channel, class, term): n} and the forms, from the raw
    responses' comments."""
    cells, forms = Counter(), Counter()
    rows = db.query(
        """SELECT responses.csat, responses.ces, responses.nps, responses.comment,
                  invitations.closed_day, coalesce(invitations.agent_id, 0) AS agent_id,
                  coalesce(invitations.team_id, 0) AS team_id,
                  coalesce(invitations.channel, '') AS channel
             FROM responses JOIN invitations ON invitations.id = responses.invitation_id
            WHERE responses.comment IS NOT NULL"""
    )
    for row in rows:
        klass = response_class(row["csat"], row["ces"], row["nps"])
        for (term, form), n in comment_terms(row["comment"]).items():
            for grain, period in (("day", row["closed_day"]), ("month", row["closed_day"][:7])):
                cell = (row["agent_id"], row["team_id"], row["channel"])
                cells[("term_rollups", grain, period, *cell, klass, term)] += n
                cells[("term_totals", grain, period, klass, term)] += n
            forms[(term, form)] += n
    return dict(cells), dict(forms)


def stored(db):
    cells = {
        ("term_rollups", *row[:-1]): row[-1] for row in db.execute("SELECT * FROM term_rollups")
    }
    cells.update(
        {("term_totals", *row[:-1]): row[-1] for row in db.execute("SELECT * FROM term_totals")}
    )
    forms = {(term, form): n for term, form, n in db.execute("SELECT * FROM term_forms")}
    return cells, forms


@pytest.mark.parametrize("seed", [1, 2])
def test_term_rollups_always_equal_a_recount_from_the_raw_comments(app, db, answer, runner, seed):
    rng = random.Random(seed)
    comments = [
        None,
        "Pelayanan lambat sekali",
        "Layanan cepat dan ramah",
        "Refund slow, agent rude",
        "Friendly agent, quick refund",
        "Menunggu balasan berhari-hari",
        # Emoji, quotes, FTS syntax, right-to-left text and accents: words or nothing.
        'Layanan 👍 "cepat" AND (NOT lambat*) شكرا جزيلا — café',
    ]
    scores = [LOW, HIGH, NEITHER, {"nps": 9}, {"ces": 2, "nps": 10}, {}]
    invitations = [
        answer(
            rng.choice(comments),
            rng.choice(scores),
            who=rng.choice([AYU, BUDI]),
            day=rng.randint(1, 31),
            channel=rng.choice(["email", "chat"]),
        )
        for _ in range(40)
    ]
    for invitation in rng.sample(invitations, 25):
        # Submitted again: new scores (the class may change), the same or a new comment.
        current = db.execute(
            "SELECT comment FROM responses WHERE invitation_id = ?", [invitation["id"]]
        ).fetchone()[0]
        save_response(
            db,
            invitation,
            {
                "csat": None,
                "ces": None,
                "nps": None,
                **rng.choice(scores),
                "comment": rng.choice([current, rng.choice(comments)]),
            },
        )
    for invitation in rng.sample(invitations, 5):
        address = db.execute(
            "SELECT customer_email FROM invitations WHERE id = ?", [invitation["id"]]
        ).fetchone()[0]
        erase_customer(db, address)
    with immediate(db):  # by hand: one response nothing else refers to
        db.execute(
            "DELETE FROM responses WHERE id = (SELECT min(id) FROM responses WHERE comment "
            "IS NOT NULL AND id NOT IN (SELECT response_id FROM follow_ups) "
            "AND id NOT IN (SELECT response_id FROM outbound_deliveries))"
        )
    kept = stored(db)
    assert kept == recount(db)
    assert kept[0], "the history should leave some terms"
    # Counts that fell to 0 are deleted: no row holds a word no comment has.
    assert db.execute("SELECT count(*) FROM term_forms WHERE n <= 0").fetchone()[0] == 0
    # `flask rollups rebuild` recounts them from nothing.
    with immediate(db):
        for table in ("term_rollups", "term_totals", "term_forms"):
            db.execute(f"DELETE FROM {table}")  # noqa: S608
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert stored(db) == kept


def test_an_erased_comment_leaves_none_of_its_words(answer, db):
    invitation = answer("Ask for Bartholomew at the desk", LOW)
    address = db.execute(
        "SELECT customer_email FROM invitations WHERE id = ?", [invitation["id"]]
    ).fetchone()[0]
    assert db.execute("SELECT count(*) FROM term_forms WHERE form LIKE '%bartholomew%'").fetchone()
    erase_customer(db, address)
    for table in ("term_forms", "term_rollups", "term_totals"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table  # noqa: S608


def test_init_db_stores_the_terms_of_comments_stored_before_m016(tmp_path):
    path = str(tmp_path / "older.db")
    older = database.connect(path)
    migrations.apply(older, stop_before="m016_comment_terms")
    with older.atomic():
        older.execute(
            "INSERT INTO tickets (id, source, ticket_ref, closed_at, closed_day, "
            "customer_email, created_at) VALUES (1, 'api', 'T1', '2026-03-10T12:00:00Z', "
            "'2026-03-10', 'rina@example.com', '2026-03-10T12:00:00Z')"
        )
        older.execute(
            "INSERT INTO invitations (id, ticket_id, customer_email, closed_day, status, "
            "created_at) VALUES (1, 1, 'rina@example.com', '2026-03-10', 'sent', "
            "'2026-03-10T12:00:00Z')"
        )
        older.execute(
            "INSERT INTO responses (invitation_id, csat, comment, created_at, updated_at) "
            "VALUES (1, 1, 'Refund slow', '2026-03-11T00:00:00Z', '2026-03-11T00:00:00Z')"
        )
    older.close()
    assert database.migrate(path)[0] == "m016_comment_terms"
    db = database.connect(path)
    assert stored(db) == recount(db)
    assert stored(db)[1] == {
        ("refund", "refund"): 1,
        ("slow", "slow"): 1,
        ("refund slow", "refund slow"): 1,
    }
    db.close()


def test_the_demo_shows_themes_in_english_and_indonesian(app, db, client):
    seed(db, app.config)
    since = (date.today() - timedelta(days=200)).isoformat()  # the demo's last 180 days
    manager = signed_in(client, db, MANAGER_EMAIL, "manager")
    body = manager.get(f"/api/v1/themes?from={since}").get_json()
    assert {"lambat", "refund"} <= {term["term"] for term in body["low"]}, body
    assert {"ramah", "friendly"} <= {term["term"] for term in body["high"]}, body
