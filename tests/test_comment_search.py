"""Searching the comments: every word found wherever it stands, case and accents aside,
marked in escaped text, narrowed like the dashboard, best match first; any query is plain
words (never a 500); the index always holds exactly the stored comments."""

import csv
import io
import random
import sqlite3
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from surveys import clock
from surveys.errors import RangeError
from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.comment_search import (
    DOWNLOAD_SQL,
    SEARCH_SQL,
    WORD_SQL,
    marked_comment,
    marked_plain,
    search_comments,
    search_sql,
)
from surveys.reports.ranges import ReportRange
from surveys.reports.score_queries import LOW_SQL, RESPONSE_FIELDS
from surveys.store import comment_index
from surveys.store import db as database
from surveys.store.comment_index import TOKENIZE
from surveys.store.migrations import migrations
from tests.helpers import csrf_token, invite

NOV = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
OCT = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
RANGE = "from=2026-10-01&to=2026-11-30"
EVERYTHING = ReportRange(date(2026, 10, 1), date(2026, 11, 30), None)

# ticket, closed, agent, team, channel, answers
COMMENTED = (
    ("L1", NOV, "ayu@example.com", "Billing", "email", {"csat": 1, "comment": "Lambat sekali"}),
    ("L2", NOV, "budi@example.com", "Technical", "chat", {"csat": 5, "comment": "sangat lambat"}),
    ("L3", OCT, "ayu@example.com", "Billing", "chat", {"nps": 3, "comment": "Balasan lambat."}),
    ("Q1", NOV, "ayu@example.com", "Billing", "email", {"csat": 5, "comment": "Cepat sekali"}),
    ("C1", NOV, "budi@example.com", "Technical", "email", {"csat": 4, "comment": "Café closed"}),
    ("R1", NOV, "ayu@example.com", "Billing", "email", {"csat": 2, "comment": "الخدمة بطيئة جدا"}),
    ("N1", NOV, "ayu@example.com", "Billing", "email", {"csat": 2}),
)
LAMBAT = {"L1", "L2", "L3"}


def add_answer(db, config, ticket_ref, closed_at, agent, team, channel, answers):
    """A closure whose invitation was sent and answered."""
    result, _ = record_closure(
        db,
        Closure(
            ticket_ref=ticket_ref,
            closed_at=closed_at,
            customer_email=f"{ticket_ref.lower()}@example.com",
            agent_email=agent,
            team=team,
            channel=channel,
        ),
        config,
    )
    now = clock.to_iso(closed_at)
    db.execute(
        "UPDATE invitations SET status = 'sent', sent_at = ? WHERE id = ?",
        [now, result["invitation"]["id"]],
    )
    db["responses"].insert(
        dict(invitation_id=result["invitation"]["id"], created_at=now, updated_at=now, **answers)
    )
    with database.immediate(db):
        comment_index.store_words(db)  # as the survey's submit does


@pytest.fixture
def commented(app, db):
    """Comments in two languages (and one in Arabic) from two agents, teams and channels,
    over two months; one answer without a comment."""
    for row in COMMENTED:
        add_answer(db, app.config, *row)
    return db


def tickets(rows):
    return {row["ticket_id"] for row in rows}


def page(client, query):
    return client.get(f"/reports/comments?{RANGE}&{query}")


# Finding and marking


def test_search_finds_a_word_wherever_it_stands_and_marks_it(commented):
    rows = search_comments(commented, EVERYTHING, "lambat")
    assert {row["ticket_id"]: str(row["comment_html"]) for row in rows} == {
        "L1": "<mark>Lambat</mark> sekali",
        "L2": "sangat <mark>lambat</mark>",
        "L3": "Balasan <mark>lambat</mark>.",
    }
    [first] = [row for row in rows if row["ticket_id"] == "L1"]
    [response_id] = [
        row["id"]
        for row in commented.query(
            "SELECT responses.id FROM responses JOIN invitations "
            "ON invitations.id = responses.invitation_id "
            "JOIN tickets ON tickets.id = invitations.ticket_id WHERE ticket_ref = 'L1'"
        )
    ]
    assert first == {
        "response_id": response_id,
        "closed_day": "2026-11-10",
        "ticket_id": "L1",
        "source": "api",
        "agent_id": first["agent_id"],
        "agent_name": None,
        "agent_email": "ayu@example.com",
        "team": "Billing",
        "csat": 1,
        "ces": None,
        "nps": None,
        "comment": "Lambat sekali",
        "ticket_url": None,
        "comment_html": first["comment_html"],
    }


def test_the_page_lists_the_matches_marked(manager_client, commented):
    response = page(manager_client, "q=lambat")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<mark>Lambat</mark> sekali" in html and "sangat <mark>lambat</mark>" in html
    assert "Cepat sekali" not in html
    assert 'value="lambat"' in html  # the box keeps the query


def test_the_best_match_comes_first(app, commented):
    # bm25: the word in a two-word comment outranks it in a six-word one.
    add_answer(
        commented,
        app.config,
        "L4",
        NOV,
        "ayu@example.com",
        "Billing",
        "email",
        {"csat": 3, "comment": "Agak lambat tapi akhirnya beres juga"},
    )
    assert [row["ticket_id"] for row in search_comments(commented, EVERYTHING, "lambat")][-1] == (
        "L4"
    )


def test_a_comment_is_escaped_around_its_marks(manager_client, app, commented):
    add_answer(
        commented,
        app.config,
        "X1",
        NOV,
        "ayu@example.com",
        "Billing",
        "email",
        {"csat": 1, "comment": '<script>alert("lambat")</script> & lambat'},
    )
    [row] = [
        row for row in search_comments(commented, EVERYTHING, "lambat") if row["ticket_id"] == "X1"
    ]
    expected = (
        "&lt;script&gt;alert(&#34;<mark>lambat</mark>&#34;)&lt;/script&gt; "
        "&amp; <mark>lambat</mark>"
    )
    assert str(row["comment_html"]) == expected
    html = page(manager_client, "q=lambat").get_data(as_text=True)
    assert expected in html and "<script>alert" not in html


def test_accents_and_case_do_not_matter(commented):
    for q in ("cafe", "CAFÉ", "café"):
        rows = search_comments(commented, EVERYTHING, q)
        assert [str(row["comment_html"]) for row in rows] == ["<mark>Café</mark> closed"], q


def test_several_words_mean_all_of_them_in_any_order(commented):
    assert tickets(search_comments(commented, EVERYTHING, "lambat sekali")) == {"L1"}
    assert tickets(search_comments(commented, EVERYTHING, "sekali   lambat")) == {"L1"}
    assert tickets(search_comments(commented, EVERYTHING, "sekali")) == {"L1", "Q1"}


def test_right_to_left_words_are_found(commented):
    [row] = search_comments(commented, EVERYTHING, "بطيئة")
    assert str(row["comment_html"]) == "الخدمة <mark>بطيئة</mark> جدا"


# The dashboard's filters and the low box


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("agent=ayu@example.com", lambda row: row[2] == "ayu@example.com"),
        ("team=Technical", lambda row: row[3] == "Technical"),
        ("channel=chat", lambda row: row[4] == "chat"),
        ("channel=chat&channel=email&team=Billing", lambda row: row[3] == "Billing"),
        ("from=2026-11-01&to=2026-11-30", lambda row: row[1] == NOV),
        ("from=2026-10-01&to=2026-10-31", lambda row: row[1] == OCT),
    ],
)
def test_search_honours_the_filters(manager_client, commented, query, kept):
    expected = {row[0] for row in COMMENTED if row[0] in LAMBAT and kept(row)}
    html = manager_client.get(f"/reports/comments?q=lambat&{query}").get_data(as_text=True)
    shown = {ticket for ticket in LAMBAT if f"<td>{ticket}</td>" in html}
    assert shown == expected


def test_low_keeps_only_the_low_ratings(manager_client, commented):
    # L1 (CSAT 1) and L3 (NPS 3) are low; L2 (CSAT 5) is not.
    assert tickets(search_comments(commented, EVERYTHING, "lambat", low_only=True)) == {"L1", "L3"}
    html = page(manager_client, "q=lambat&low=1").get_data(as_text=True)
    assert "<td>L1</td>" in html and "<td>L3</td>" in html and "<td>L2</td>" not in html


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("low=yes", "low"),
        ("low=2", "low"),
        ("q=lambat&low=on", "low"),
        ("with_comment=abc", "with_comment"),
        ("with_comment=true", "with_comment"),
    ],
)
def test_a_flag_other_than_1_is_422_naming_it(manager_client, commented, query, parameter):
    response = page(manager_client, query)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"{parameter} must be 1 or left out" in html
    assert "Nothing searched." in html and "<td>L1</td>" not in html


@pytest.mark.parametrize("query", ["low=1", "low=", "with_comment=1", "with_comment="])
def test_a_flag_of_1_or_empty_is_accepted(manager_client, commented, query):
    assert page(manager_client, query).status_code == 200
    assert page(manager_client, f"q=lambat&{query}").status_code == 200


def test_a_range_with_no_comments_is_an_empty_list(manager_client, commented):
    empty = ReportRange(date(2025, 1, 1), date(2025, 1, 31), None)
    assert search_comments(commented, empty, "lambat") == []
    response = manager_client.get("/reports/comments?q=lambat&from=2025-01-01&to=2025-01-31")
    assert response.status_code == 200
    assert "No comment in this range holds all of these words." in response.get_data(as_text=True)


def test_the_limit_is_kept(commented):
    assert len(search_comments(commented, EVERYTHING, "lambat", limit=2)) == 2


def test_without_q_the_page_is_the_low_ratings_as_before(manager_client, commented):
    before = page(manager_client, "").get_data(as_text=True)
    assert page(manager_client, "q=").get_data(as_text=True) == before
    assert page(manager_client, "q=+++").get_data(as_text=True) == before
    assert "<td>N1</td>" in before and "<td>L2</td>" not in before  # low ratings only


# Any query is plain words


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ('"lambat', LAMBAT),
        ('lambat"', LAMBAT),
        ('"lambat sekali"', {"L1"}),
        ('""""', set()),
        ("lambat*", LAMBAT),
        ("*", set()),
        ("(lambat", LAMBAT),
        ("lambat)", LAMBAT),
        ("NEAR(lambat sekali)", set()),  # "near" is a word no comment holds
        ("lambat AND sekali", set()),  # so is "and"
        ("lambat OR", set()),
        ("NOT lambat", set()),
        ("comment:lambat", set()),  # the phrase "comment lambat"
        ("^lambat", LAMBAT),
        ("-lambat", LAMBAT),
        ("lambat -sekali", {"L1"}),
        ("+lambat", LAMBAT),
        ("lambat\x00", LAMBAT),
        ("😀", set()),
        ("lambat 😀", LAMBAT),
        ("بطيئة جدا", {"R1"}),
        ("\u202elambat", LAMBAT),  # a right-to-left override is no part of a word
        ("lambat; DROP TABLE responses; --", set()),
        ("x" * 500, set()),
    ],
)
def test_any_query_is_searched_as_plain_words(manager_client, commented, q, found):
    assert tickets(search_comments(commented, EVERYTHING, q)) == found
    response = manager_client.get("/reports/comments", query_string={"q": q, "from": "2026-10-01"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert {ticket for ticket, *_ in COMMENTED if f"<td>{ticket}</td>" in html} == found


@pytest.mark.parametrize("q", ["x" * 501, "lambat " * 1500])
def test_a_query_over_500_characters_is_refused(manager_client, api_headers, client, commented, q):
    with pytest.raises(RangeError):
        search_comments(commented, EVERYTHING, q)
    response = page(manager_client, f"q={q}")
    assert response.status_code == 422
    assert "q must be at most 500 characters" in response.get_data(as_text=True)
    download = client.get(f"/reports/responses.csv?{RANGE}&q={q}", headers=api_headers)
    assert download.status_code == 422
    assert download.get_json() == {
        "error": "the report parameters are not valid",
        "errors": {"q": "must be at most 500 characters"},
    }


# Downloads


def download_rows(client, headers, query):
    response = client.get(f"/reports/responses.csv?{RANGE}&{query}", headers=headers)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_downloads_take_q(client, api_headers, commented):
    rows = download_rows(client, api_headers, "q=lambat")
    assert {row["ticket_id"] for row in rows} == LAMBAT
    assert list(rows[0]) == list(RESPONSE_FIELDS)
    [first] = [row for row in rows if row["ticket_id"] == "L1"]
    assert first == {
        "answered_at": "2026-11-10T12:00:00Z",
        "closed_day": "2026-11-10",
        "ticket_id": "L1",
        "agent": "ayu@example.com",
        "agent_name": "",
        "team": "Billing",
        "channel": "email",
        "csat": "1",
        "ces": "",
        "nps": "",
        "comment": "Lambat sekali",  # the comment as written, unmarked
    }
    assert {
        row["ticket_id"] for row in download_rows(client, api_headers, "q=lambat&team=Technical")
    } == {"L2"}
    assert download_rows(client, api_headers, "q=%F0%9F%98%80") == []
    everything = download_rows(client, api_headers, "q=")
    assert {row["ticket_id"] for row in everything} == {row[0] for row in COMMENTED}
    workbook = load_workbook(
        io.BytesIO(
            client.get(f"/reports/responses.xlsx?{RANGE}&q=sekali", headers=api_headers).get_data()
        )
    )
    sheet_rows = list(workbook.active.iter_rows(values_only=True))
    assert sheet_rows[0] == RESPONSE_FIELDS
    assert {row[RESPONSE_FIELDS.index("ticket_id")] for row in sheet_rows[1:]} == {"L1", "Q1"}


def test_the_page_links_its_downloads_with_q(manager_client, commented):
    html = page(manager_client, "q=lambat").get_data(as_text=True)
    assert "/reports/responses.csv?from=2026-10-01&amp;to=2026-11-30&amp;q=lambat" in html


# The index holds exactly the stored comments


def index_entries(db, table):
    """Every (word, response id, place) a full-text index holds."""
    db.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, {table}, instance)")
    try:
        return sorted((row[0], row[1], row[3]) for row in db.execute("SELECT * FROM temp.vocab"))
    finally:
        db.execute("DROP TABLE temp.vocab")


def recount(db):
    """What the index should hold: the stored comments indexed afresh, in memory."""
    fresh = sqlite3.connect(":memory:")
    fresh.execute(
        "CREATE VIRTUAL TABLE main.fresh USING fts5(comment, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    fresh.executemany(
        "INSERT INTO fresh (rowid, comment) VALUES (?, ?)",
        db.execute("SELECT id, comment FROM responses WHERE comment IS NOT NULL").fetchall(),
    )
    entries = index_entries(fresh, "fresh")
    fresh.close()
    return entries


def assert_index_is_true(db):
    held = index_entries(db, "comments_fts")
    assert held == recount(db)
    return held


def assert_words_are_true(db):
    """comment_words holds, for each stored comment, each word the index reads in it, the
    times it occurs and the comment's length, counted here from a fresh index's entries."""
    entries = recount(db)
    times = Counter((word, doc) for word, doc, _ in entries)
    length = Counter(doc for _, doc, _ in entries)
    counted = sorted((word, tf, length[doc], doc) for (word, doc), tf in times.items())
    held = db.execute("SELECT word, tf, length, response_id FROM comment_words").fetchall()
    assert sorted(held) == counted
    return counted


def answer(client, token, **fields):
    form = client.get(f"/s/{token}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(form), **{name: str(value) for name, value in fields.items()}}
    assert client.post(f"/s/{token}", data=data).status_code == 303


def test_the_index_follows_submits_changes_and_erasures(app, client, db, api_headers, runner):
    rina = "rina@example.com"
    first = invite(app, client, api_headers, "T-1", email=rina)
    second = invite(app, client, api_headers, "T-2", email="budi@example.com")
    answer(client, first, csat=1, comment="Pelayanan lambat, Zebulonesque")
    answer(client, second, csat=5, comment="Cepat, très CÉPAT 😀 cepat")
    assert ("zebulonesque", 1, 2) in assert_index_is_true(db)
    assert ("cepat", 3, 4, 2) in assert_words_are_true(db)
    answer(client, first, csat=2, comment="Masih lambat sekali Zebulonesque")  # changed
    assert_index_is_true(db)
    assert ("pelayanan", 1, 3, 1) not in assert_words_are_true(db)
    answer(client, second, csat=5)  # answered again without a comment: it goes
    assert [word for word, *_ in assert_index_is_true(db)] == sorted(
        ["masih", "lambat", "sekali", "zebulonesque"]
    )
    assert [row[3] for row in assert_words_are_true(db)] == [1, 1, 1, 1]
    result = runner.invoke(args=["customer", "erase", rina, "--yes"])
    assert result.exit_code == 0, result.output
    assert assert_index_is_true(db) == []
    assert assert_words_are_true(db) == []
    # Not a word of the erased comment is left in the index's pages, nor in the files.
    pages = b"".join(block for (block,) in db.execute("SELECT block FROM comments_fts_data"))
    assert b"zebulonesque" not in pages and b"masih" not in pages
    for suffix in ("", "-wal"):
        with open(app.config["DATABASE"] + suffix, "rb") as stored:
            assert b"zebulonesque" not in stored.read().lower()


def test_retention_empties_the_old_comments_from_the_index(app, client, db, api_headers, make_app):
    old = invite(app, client, api_headers, "OLD-1", closed_at="2026-01-10T09:00:00Z")
    new = invite(app, client, api_headers, "NEW-1")
    answer(client, old, csat=1, comment="Lambat dulu")
    answer(client, new, csat=1, comment="Lambat sekarang")
    result = make_app(RETENTION_MONTHS=6).test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert {word for word, *_ in assert_index_is_true(db)} == {"lambat", "sekarang"}


def test_a_rollups_rebuild_rebuilds_the_index(commented, runner):
    truth = assert_index_is_true(commented)
    words = assert_words_are_true(commented)
    commented.execute("INSERT INTO comments_fts (rowid, comment) VALUES (9999, 'hand typed')")
    commented.execute("DELETE FROM comment_words WHERE word = 'lambat'")
    assert index_entries(commented, "comments_fts") != truth
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert assert_index_is_true(commented) == truth
    assert assert_words_are_true(commented) == words


def test_the_migration_indexes_the_comments_already_stored(tmp_path):
    path = str(tmp_path / "older.db")
    older = database.connect(path)
    migrations.apply(older, stop_before="m015_comment_search")
    with older.atomic():
        older.execute("INSERT INTO agents (id, identity, name) VALUES (1, 'name:Ayu', 'Ayu')")
        for number, comment in ((1, "Lambat sekali"), (2, None), (3, "Café tutup")):
            older.execute(
                "INSERT INTO tickets (id, source, ticket_ref, closed_at, closed_day, "
                "customer_email, agent_id, created_at) "
                "VALUES (?, 'api', ?, '2026-11-10T12:00:00Z', '2026-11-10', ?, 1, "
                "'2026-11-10T12:00:00Z')",
                [number, f"T{number}", f"c{number}@example.com"],
            )
            older.execute(
                "INSERT INTO invitations (id, ticket_id, customer_email, agent_id, closed_day, "
                "status, created_at) VALUES (?, ?, ?, 1, '2026-11-10', 'sent', "
                "'2026-11-10T12:00:00Z')",
                [number, number, f"c{number}@example.com"],
            )
            older.execute(
                "INSERT INTO responses (invitation_id, csat, comment, created_at, updated_at) "
                "VALUES (?, 2, ?, '2026-11-11T00:00:00Z', '2026-11-11T00:00:00Z')",
                [number, comment],
            )
    older.close()
    database.migrate(path)
    db = database.connect(path)
    assert {word for word, *_ in assert_index_is_true(db)} == {"lambat", "sekali", "cafe", "tutup"}
    assert {word for word, *_ in assert_words_are_true(db)} == {"lambat", "sekali", "cafe", "tutup"}
    assert tickets(search_comments(db, EVERYTHING, "cafe")) == {"T3"}
    assert tickets(search_comments(db, EVERYTHING, "Lambat")) == {"T1"}
    db.close()


@pytest.mark.parametrize("sql", [SEARCH_SQL, DOWNLOAD_SQL], ids=["page", "download"])
def test_the_search_reads_the_index_and_primary_keys(commented, sql):
    report_range = ReportRange(
        date(2026, 10, 1), date(2026, 11, 30), None, agents=("ayu@example.com",), teams=("Billing",)
    )
    filters, params = report_range.filter_sql("invitations")
    sql = sql.format(filters=filters, low="", limit="LIMIT 201")
    params.update(words='"lambat"', from_day="2026-10-01", to_day="2026-11-30")
    plan = [row["detail"] for row in commented.query("EXPLAIN QUERY PLAN " + sql, params)]
    # The matches come from the index (M: MATCH); every row they lead to, by primary key.
    assert "SCAN comments_fts VIRTUAL TABLE INDEX 0:M1" in plan, plan
    assert "SEARCH responses USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    # Never the other way round: a filtered agent's invitations walked, the MATCH run for each.
    assert "SEARCH invitations USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert not [step for step in plan if "invitations USING COVERING INDEX" in step], plan
    scans = [step for step in plan if step.startswith("SCAN")]
    assert all(step.startswith(("SCAN comments_fts", "SCAN best")) for step in scans), plan


def test_the_search_starts_from_the_index_even_beside_an_indexed_agent(tmp_path):
    # An agent named by id is the filter SQLite would most like to start from, and an empty
    # database (no statistics) is where it leans that way most.
    database.migrate(tmp_path / "empty.db")
    db = database.connect(tmp_path / "empty.db")
    sql = SEARCH_SQL.format(filters="AND invitations.agent_id = :agent", low="", limit="LIMIT 200")
    params = dict(words='"lambat"', from_day="2026-10-01", to_day="2026-11-30", agent=1)
    plan = [row["detail"] for row in db.query("EXPLAIN QUERY PLAN " + sql, params)]
    assert plan[:2] == ["MATERIALIZE best", "SCAN comments_fts VIRTUAL TABLE INDEX 0:M1"], plan
    assert not [step for step in plan if "invitations USING COVERING INDEX" in step], plan


# One word: read from comment_words in bm25's order, the same rows as FTS5's own ranking

WORDS = ("slow", "reply", "lambat", "sekali", "damaged", "box")
ODD_COMMENTS = (
    "Dámaged box, DAMAGED again",  # accents and case: not plain ASCII, marked by FTS5
    "damaged_box damaged-box (damaged)",  # _ and - split words as the index splits them
    "undamaged boxes, damagedx",  # a word inside a longer one is not the word
    "<b>damaged</b> & slow 😀",  # escaped around the marks
    "ＤＡＭＡＧＥＤ full-width",  # not ASCII, and not folded to it: another word
    "damaged \x02box\x03",  # a stored comment holding the marks themselves: never marked
)


@pytest.fixture
def ranked(app, db):
    """Enough comments for every kind of tie and miss: one to three occurrences of a word,
    short and long comments, identical comments (ties go to the newest), and the odd ones."""
    draw = random.Random(14)
    agents = ("ayu@example.com", "budi@example.com")
    for number in range(160):
        if number < len(ODD_COMMENTS):
            comment = ODD_COMMENTS[number]
        elif number % 9 == 0:
            comment = "slow reply"
        else:
            comment = " ".join(draw.choice(WORDS) for _ in range(draw.randint(1, 9)))
        answers = {"csat": draw.randint(1, 5), "comment": comment}
        add_answer(
            db,
            app.config,
            f"W{number}",
            draw.choice((NOV, OCT)),
            agents[number % 2],
            ("Billing", "Technical")[number % 3 == 0],
            ("email", "chat")[number % 4 == 0],
            answers,
        )
    return db


def ranked_by_fts5(db, report_range, word, low_only, limit):
    """The rows and their marked comments as FTS5 ranks and highlights them (bm25())."""
    rows = db.query(*search_sql(SEARCH_SQL, report_range, f'"{word}"', low_only, limit))
    return [
        (row["response_id"], str(marked_comment(row["marked"], row["comment"]))) for row in rows
    ]


@pytest.mark.parametrize("limit", [1, 3, 10, 200])
@pytest.mark.parametrize(
    "report_range",
    [
        EVERYTHING,
        ReportRange(date(2026, 11, 1), date(2026, 11, 30), None, agents=("budi@example.com",)),
        ReportRange(date(2026, 10, 1), date(2026, 11, 30), None, teams=("Technical",)),
        ReportRange(date(2026, 10, 1), date(2026, 10, 31), None, channels=("chat",)),
    ],
    ids=["everything", "an agent in November", "a team", "a channel in October"],
)
def test_a_one_word_search_ranks_and_marks_as_fts5_does(ranked, report_range, limit):
    for word in (*WORDS, "Damaged", "nothing"):
        for low_only in (False, True):
            found = search_comments(ranked, report_range, word, low_only=low_only, limit=limit)
            ours = [(row["response_id"], str(row["comment_html"])) for row in found]
            assert ours == ranked_by_fts5(ranked, report_range, word, low_only, limit), word


def test_a_one_word_search_finds_the_odd_comments_as_fts5_does(ranked):
    found = {
        row["ticket_id"]: str(row["comment_html"])
        for row in search_comments(ranked, EVERYTHING, "damaged")
    }
    assert found["W0"] == "<mark>Dámaged</mark> box, <mark>DAMAGED</mark> again"
    assert found["W1"] == (
        "<mark>damaged</mark>_box <mark>damaged</mark>-box (<mark>damaged</mark>)"
    )
    assert "W2" not in found
    assert found["W3"] == "&lt;b&gt;<mark>damaged</mark>&lt;/b&gt; &amp; slow 😀"
    assert "W4" not in found
    assert found["W5"] == "damaged \x02box\x03"
    # The marks of the comments that are not plain ASCII came from a scratch index: no
    # transaction is left open on the connection, and nothing is left in it.
    assert not ranked.conn.in_transaction
    assert ranked.execute("SELECT count(*) FROM temp.comment_marks").fetchone() == (0,)


def test_the_best_of_one_word_is_read_from_the_words_in_their_order(ranked):
    sql = WORD_SQL.format(filters="AND invitations.agent_id = :agent", low=LOW_SQL)
    params = dict(
        word="slow",
        tf=1,
        from_day="2026-10-01",
        to_day="2026-11-30",
        agent=1,
        limit=200,
        average=4.0,
        k1=1.2,
        b=0.75,
    )
    plan = [row["detail"] for row in ranked.query("EXPLAIN QUERY PLAN " + sql, params)]
    # The words in their key's order (no sort), then each row they lead to by primary key.
    assert plan[0] == "SEARCH comment_words USING PRIMARY KEY (word=? AND tf=?)", plan
    assert "SEARCH responses USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert "SEARCH invitations USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert not [step for step in plan if "TEMP B-TREE" in step], plan


def test_plain_comments_are_marked_together_or_each_alone():
    together = ["Damaged box", "<b>damaged</b>", "undamaged", ""]
    assert [str(html) for html in marked_plain(together, "damaged")] == [
        "<mark>Damaged</mark> box",
        "&lt;b&gt;<mark>damaged</mark>&lt;/b&gt;",
        "undamaged",
        "",
    ]
    # A comment holding the joiner (never sent by a customer) cannot be joined: each is
    # marked on its own, the same way.
    alone = ["damaged\x00box", "box damaged"]
    assert [str(html) for html in marked_plain(alone, "damaged")] == [
        "<mark>damaged</mark>\x00box",
        "box <mark>damaged</mark>",
    ]
    assert marked_plain([], "damaged") == []


def test_plain_ascii_is_split_into_words_as_the_index_splits_it():
    # Every ASCII character but NUL, in random runs: the words the write path counts are
    # the fresh index's own, word for word.
    draw = random.Random(16)
    alphabet = [chr(code) for code in range(1, 128)]
    comments = [
        "".join(draw.choice(alphabet) for _ in range(draw.randint(0, 40))) for _ in range(300)
    ]
    comments += ["can't", "e-mail", "A_B", "x2y 3.14 1,000", "CAPS caps Caps", "'quoted'"]
    fresh = sqlite3.connect(":memory:")
    fresh.execute(f"CREATE VIRTUAL TABLE fresh USING fts5(comment, tokenize = '{TOKENIZE}')")
    fresh.executemany("INSERT INTO fresh (rowid, comment) VALUES (?, ?)", enumerate(comments))
    entries = index_entries(fresh, "fresh")
    times = Counter((word, doc) for word, doc, _ in entries)
    length = Counter(doc for _, doc, _ in entries)
    expected = sorted((word, tf, length[doc], doc) for (word, doc), tf in times.items())
    split = sorted(
        (word, tf, words, number)
        for number, comment in enumerate(comments)
        for word, tf, words in comment_index.ascii_words(comment)
    )
    assert split == expected
