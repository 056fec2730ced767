"""Report benchmark: the dashboard's queries, /api/v1/scores and the CSV export at scale,
beside DuckDB aggregating the same rows already loaded in memory.

Generates 1,000,000 tickets, invitations and responses into a fresh Puas database (plain
SQL, not through the app; the rollups are then built once, as `flask rollups rebuild`
does), times the app's own report functions on it, loads the same
tables into an in-memory DuckDB and times equivalent SQL there, and prints the ratios
with the targets: the dashboard, the dashboard with compare=previous (the second half of
2026 against the 184 days before it, both periods computed) and /api/v1/scores no slower
than DuckDB (ratio <= 1.0),
the CSV export of all responses under 150 MB of peak memory, and with --big (1 M, then
10 M rows in the same run) growth <= 1.5x from 1 M to 10 M. As many phone calls are
generated beside the tickets: /api/v1/call-kpis by agent is timed against DuckDB computing
the same figures from the raw calls (ratio <= 1.0, growth <= 1.5x).
One response in ten has a comment (100,000 at 1 M rows), in English or Indonesian, leaning
with its scores: /api/v1/themes is timed against DuckDB counting the same words and pairs
from the raw comments (ratio <= 1.0, growth <= 1.5x; DuckDB cannot stem, see
print_comments), and a search of the comments against DuckDB's ILIKE scan (< 0.1x).

    .venv/bin/python bench/report_bench.py [--rows 1000000] [--big] [--keep]

A benchmark, not a test: it exits 0 whatever the figures (2 when DuckDB is missing).
"""

import argparse
import csv
import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import median

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from sqlite_utils import Database  # noqa: E402

from surveys.reports.call_queries import call_groups  # noqa: E402
from surveys.reports.comment_search import search_comments  # noqa: E402
from surveys.reports.exports import csv_lines  # noqa: E402
from surveys.reports.kpi_queries import kpi_groups  # noqa: E402
from surveys.reports.ranges import filter_choices, parse_range  # noqa: E402
from surveys.reports.score_queries import (  # noqa: E402
    RESPONSE_FIELDS,
    answer_distribution,
    response_rows,
    score_groups,
)
from surveys.reports.targets import current_targets  # noqa: E402
from surveys.reports.themes import MIN_COUNT, themes  # noqa: E402
from surveys.store import call_rollups as puas_call_rollups  # noqa: E402
from surveys.store import db as puas_db  # noqa: E402
from surveys.store import rollups as puas_rollups  # noqa: E402
from surveys.store import terms as puas_terms  # noqa: E402

BIG_ROWS = 10_000_000
BATCH_ROWS = 1_000_000  # rows generated per statement: bounds SQLite's temporary tables
YEAR = {"from": "2026-01-01", "to": "2026-12-31"}
# The dashboard with a comparison: the second half of 2026 against the 184 days before it
# (29 December 2025 to 30 June 2026), so that both periods hold about half the rows.
HALF = {"from": "2026-07-01", "to": "2026-12-31"}
HALF_BEFORE = {"from": "2025-12-29", "to": "2026-06-30"}
TIMEZONE = "UTC"
FRT_TARGET_HOURS = 24
REPEAT_WINDOW_DAYS = 7
TARGET_DUCKDB_RATIO = 1.0
TARGET_GROWTH = 1.5
TARGET_EXPORT_MB = 150
TARGET_SEARCH_RATIO = 0.1  # a search answers in under a tenth of DuckDB's ILIKE scan
# Every comparison printed, for --json (bench/run_all.py's table).
COMPARISONS = []
SLOW_WARMUP_SECONDS = 120  # a warm-up slower than this is measured once, not three times
# A measurement quicker than this is run again until its runs fill it (at most MAX_RUNS), on
# both sides alike: the median of three runs of a 3 ms search is one scheduler's hiccup away
# from another figure, where that of a hundred is steady.
FILL_SECONDS = 0.5
MAX_RUNS = 1000

AGENTS = 20
TEAMS = ("Billing", "Technical", "Accounts", "Onboarding")
CHANNELS = ("email", "chat", "phone", "web", "social")
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"  # how Puas stores every *_at column


def parse_args():
    """The command line (plus the hidden option the export's child process runs with)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=1_000_000,
        help="tickets (each with one invitation and one response)",
    )
    parser.add_argument(
        "--big",
        action="store_true",
        help=f"then {BIG_ROWS:,} rows in the same run, and print the growth",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="timed runs per measurement, after one warm-up; medians reported",
    )
    parser.add_argument(
        "--no-export",
        action="store_true",
        help="skip the CSV export (it grows with the rows by nature; "
        "for a quicker growth check of the reports)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (databases and CSV files)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="also print one JSON object per comparison (for bench/run_all.py)",
    )
    parser.add_argument("--export-child", metavar="DATABASE", help=argparse.SUPPRESS)
    return parser.parse_args()


# Generating the data: INSERT ... SELECT in SQLite itself, a batch of ids per statement.
# random() is drawn once per row in a MATERIALIZED CTE, so that every column derived from
# one draw (closed_at, closed_day, opened_at ...) sees the same value.

TICKETS_SQL = f"""
WITH RECURSIVE ids(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM ids WHERE i < :last),
drawn AS MATERIALIZED (
    SELECT i,
           -- closures arrive in time order through 2026 (the last by 23:59:59 on 31 December)
           :year_start + (i - 1) * 31535400 / :total + abs(random()) % 600 AS closed_epoch,
           300 + (abs(random()) % 86400) * (1 + abs(random()) % 4) AS resolution_s,
           abs(random()) AS frt_draw, abs(random()) % 100 AS frt_missing,
           1 + abs(random()) % {AGENTS} AS agent_id, abs(random()) % 5 AS channel_index,
           abs(random()) % 100 AS customer_kind, abs(random()) AS customer_draw,
           abs(random()) % 100 AS contacts_draw, abs(random()) % 100 AS escalated_draw,
           abs(random()) % 100 AS reopened_draw
      FROM ids)
INSERT INTO tickets (id, source, ticket_ref, closed_at, closed_day, opened_at,
                     first_response_at, customer_email, customer_name, customer_locale,
                     agent_id, team_id, channel, contacts, escalated, reopened, created_at)
SELECT i, 'bench', 'T-' || i,
       strftime('{ISO_UTC}', closed_epoch, 'unixepoch'),
       strftime('%Y-%m-%d', closed_epoch, 'unixepoch'),
       strftime('{ISO_UTC}', closed_epoch - resolution_s, 'unixepoch'),
       CASE WHEN frt_missing < 3 THEN NULL
            ELSE strftime('{ISO_UTC}', closed_epoch - resolution_s + 60
                                       + frt_draw % (resolution_s / 2), 'unixepoch') END,
       -- one closure in ten is a regular's: 7 regulars per 200 closures, so they come back
       -- within hours (repeat contacts); the rest pick from a pool of 0.6 x N customers
       CASE WHEN customer_kind < 10
            THEN 'regular' || ((i / 200) * 7 + customer_draw % 7) || '@example.com'
            ELSE 'customer' || (customer_draw % (:total * 6 / 10 + 1)) || '@example.com' END,
       'Customer', 'en', agent_id, 1 + (agent_id - 1) % {len(TEAMS)},
       CASE channel_index {
    " ".join(f"WHEN {index} THEN '{name}'" for index, name in enumerate(CHANNELS))
} END,
       CASE WHEN contacts_draw < 70 THEN 1 WHEN contacts_draw < 90 THEN 2 ELSE 3 END,
       escalated_draw < 10, reopened_draw < 5,
       strftime('{ISO_UTC}', closed_epoch, 'unixepoch')
  FROM drawn
"""  # noqa: S608 (fixed constants only)

INVITATIONS_SQL = f"""
INSERT INTO invitations (id, ticket_id, customer_email, agent_id, team_id, channel,
                         closed_day, status, reason, send_at, sent_at, created_at)
SELECT id, id, customer_email, agent_id, team_id, channel, closed_day, 'sent', NULL,
       strftime('{ISO_UTC}', closed_at, '+1 hour'), strftime('{ISO_UTC}', closed_at, '+1 hour'),
       closed_at
  FROM tickets WHERE id BETWEEN :first AND :last
"""  # noqa: S608 (fixed constants only)

# Comments: one response in ten has one, in English or Indonesian, made of phrases. The
# first phrase leans with the response (low or high scores), the second is neutral, and
# one comment in two has a third from either side, so no word is on one side only.
PHRASES = {
    "low": (
        "Pelayanan lambat sekali",
        "Saya menunggu balasan berhari-hari",
        "Refund belum masuk",
        "Paket terlambat dua minggu",
        "Petugas tidak membantu",
        "Aplikasi error terus",
        "Waited days for a reply",
        "Still no refund",
        "The agent was rude",
        "Nobody called me back",
        "My order arrived damaged",
        "Charged twice for one order",
        "The courier lost my parcel",
        "Transaksi gagal tapi saldo terpotong",
        "Kurir tidak datang",
        "Layanan pelanggan tidak responsif",
        "Had to explain my problem again",
        "The app keeps crashing",
        "Pengembalian dana lama",
        "Tagihan salah lagi",
    ),
    "high": (
        "Petugasnya ramah",
        "Pelayanan cepat dan ramah",
        "Masalah selesai dalam sehari",
        "Terima kasih atas bantuannya",
        "Friendly and helpful agent",
        "Quick reply, problem solved",
        "Refund arrived quickly",
        "Very clear explanation",
        "Kurir datang tepat waktu",
        "Respon cepat sekali",
        "Great service, thank you",
        "Solved on the first call",
        "Agen sangat sabar",
        "Penjelasan jelas dan mudah dipahami",
        "Easy to reach on chat",
        "Paket sampai dengan aman",
    ),
    "any": (
        "I contacted support about my order",
        "Saya menghubungi layanan pelanggan",
        "about the invoice",
        "soal pesanan saya",
        "via chat",
        "lewat email",
        "on the phone",
        "untuk pengembalian barang",
        "regarding my account",
        "tentang tagihan bulan ini",
        "=ask, why did it take so long?",
        "the café voucher",
        "for order 12345",
        "mengenai akun saya",
    ),
}
SEARCHED = {"rare": "damaged", "common": "lambat"}  # in about 1 % and 15 % of the comments


def phrase(side, draw):
    """SQL picking a phrase of `side` (an SQL expression) by a random `draw`."""
    return (
        f"(SELECT text FROM temp.bench_phrases AS phrases "  # noqa: S608 (fixed constants)
        f"WHERE phrases.side = {side} AND phrases.idx = {draw} % "
        f"(SELECT count(*) FROM temp.bench_phrases AS counted WHERE counted.side = {side}))"
    )


RESPONSES_SQL = f"""
WITH drawn AS MATERIALIZED (
    SELECT id, sent_at, abs(random()) % 100 AS csat_draw, abs(random()) % 100 AS ces_draw,
           abs(random()) % 100 AS nps_draw, abs(random()) % 100 AS comment_draw,
           abs(random()) AS first_draw, abs(random()) AS second_draw,
           abs(random()) % 6 AS third_side_draw, abs(random()) AS third_draw,
           abs(random()) % 259200 AS delay_s
      FROM invitations WHERE id BETWEEN :first AND :last),
scored AS MATERIALIZED (
    SELECT drawn.*,
       CASE WHEN csat_draw < 4 THEN 1 WHEN csat_draw < 9 THEN 2 WHEN csat_draw < 18 THEN 3
            WHEN csat_draw < 45 THEN 4 ELSE 5 END AS csat,
       CASE WHEN ces_draw < 20 THEN NULL WHEN ces_draw < 25 THEN 1 WHEN ces_draw < 30 THEN 2
            WHEN ces_draw < 38 THEN 3 WHEN ces_draw < 50 THEN 4 WHEN ces_draw < 65 THEN 5
            WHEN ces_draw < 85 THEN 6 ELSE 7 END AS ces,
       CASE WHEN nps_draw < 15 THEN NULL WHEN nps_draw < 40 THEN (nps_draw - 15) * 7 / 25
            WHEN nps_draw < 60 THEN 7 + (nps_draw - 40) / 10 ELSE 9 + (nps_draw - 60) / 20
            END AS nps
      FROM drawn),
leaning AS (
    SELECT scored.*,
           CASE WHEN csat <= 2 OR ces <= 3 OR nps <= 6 THEN 'low'
                WHEN csat >= 4 OR ces >= 5 OR nps >= 9 THEN 'high' ELSE 'any' END AS side
      FROM scored)
INSERT INTO responses (id, invitation_id, csat, ces, nps, comment, created_at, updated_at)
SELECT id, id, csat, ces, nps,
       CASE WHEN comment_draw >= 10 THEN NULL
            ELSE {phrase("leaning.side", "first_draw")} || ', ' || {phrase("'any'", "second_draw")}
                 || CASE third_side_draw WHEN 0 THEN '. ' || {phrase("'low'", "third_draw")}
                                         WHEN 1 THEN '. ' || {phrase("'high'", "third_draw")}
                                         WHEN 2 THEN '. ' || {phrase("leaning.side", "third_draw")}
                                         ELSE '.' END END,
       strftime('{ISO_UTC}', sent_at, '+' || delay_s || ' seconds'),
       strftime('{ISO_UTC}', sent_at, '+' || delay_s || ' seconds')
  FROM leaning
"""  # noqa: S608 (fixed constants only)


LOADED_TABLES = ("tickets", "invitations", "responses")


def generate(path, rows):
    """A migrated Puas database with `rows` closures, invitations and responses; timings."""
    timings = {}
    started = time.perf_counter()
    puas_db.migrate(path)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A one-off bulk load: no WAL and no fsync while loading (WAL again afterwards,
        # as the app's migration set it), and the indexes built once, after the rows.
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")  # 256 MB
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN (?, ?, ?)",
            LOADED_TABLES,
        ).fetchall()
        connection.execute("BEGIN")
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        # Rows loaded in bulk, then counted once: the same rollups the triggers keep.
        puas_rollups.drop_triggers(Database(connection))
        connection.executemany(
            "INSERT INTO teams (id, name) VALUES (?, ?)", enumerate(TEAMS, start=1)
        )
        # Two agents without an email address, known by name (identity "name:...").
        connection.executemany(
            "INSERT INTO agents (id, identity, email, name) VALUES (?, ?, ?, ?)",
            [
                (
                    number,
                    f"email:agent{number}@example.com",
                    f"agent{number}@example.com",
                    f"Agent {number}",
                )
                if number <= AGENTS - 2
                else (number, f"name:Agent {number}", None, f"Agent {number}")
                for number in range(1, AGENTS + 1)
            ],
        )
        year_start = int(datetime.fromisoformat(YEAR["from"]).replace(tzinfo=UTC).timestamp())
        connection.execute(
            "CREATE TEMP TABLE bench_phrases (side TEXT, idx INTEGER, text TEXT, "
            "PRIMARY KEY (side, idx))"
        )
        connection.executemany(
            "INSERT INTO temp.bench_phrases (side, idx, text) VALUES (?, ?, ?)",
            [
                (side, index, text)
                for side, texts in PHRASES.items()
                for index, text in enumerate(texts)
            ],
        )
        for sql, name in (
            (TICKETS_SQL, "tickets"),
            (INVITATIONS_SQL, "invitations"),
            (RESPONSES_SQL, "responses"),
        ):
            step_started = time.perf_counter()
            for first in range(1, rows + 1, BATCH_ROWS):
                connection.execute(
                    sql,
                    {
                        "first": first,
                        "last": min(rows, first + BATCH_ROWS - 1),
                        "total": rows,
                        "year_start": year_start,
                    },
                )
            timings[f"insert {name}"] = time.perf_counter() - step_started
        step_started = time.perf_counter()
        for _, sql in indexes:
            connection.execute(sql)
        timings["build indexes"] = time.perf_counter() - step_started
        step_started = time.perf_counter()
        # The comments' terms, as the survey's submit stores them (stemming is Python);
        # the rebuild below counts them into the term rollups.
        puas_terms.store_missing(Database(connection))
        timings["store comment terms"] = time.perf_counter() - step_started
        step_started = time.perf_counter()
        puas_rollups.rebuild(Database(connection), REPEAT_WINDOW_DAYS)
        timings["build rollups"] = time.perf_counter() - step_started
        connection.execute("COMMIT")
        step_started = time.perf_counter()
        connection.execute("ANALYZE")
        timings["ANALYZE"] = time.perf_counter() - step_started
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()
    timings["total"] = time.perf_counter() - started
    return timings


# Timing


@dataclass
class Timing:
    """Median seconds of a measurement, with the median of each of its steps."""

    seconds: float
    steps: dict = field(default_factory=dict)
    runs: int = 0
    results: dict = field(default_factory=dict)


def timed_steps(steps):
    """Run each (name, function) once: seconds per step, and what each returned."""
    seconds, results = {}, {}
    for name, function in steps:
        started = time.perf_counter()
        results[name] = function()
        seconds[name] = time.perf_counter() - started
    return seconds, results


def measure(steps, runs):
    """One warm-up, then `runs` timed runs (one when the warm-up was very slow, more when
    it was quick: as many as fill FILL_SECONDS); medians."""
    warmup, results = timed_steps(steps)
    warm_seconds = sum(warmup.values())
    if warm_seconds > SLOW_WARMUP_SECONDS:
        runs = 1
    elif warm_seconds * runs < FILL_SECONDS:
        runs = min(MAX_RUNS, math.ceil(FILL_SECONDS / max(warm_seconds, 1e-6)))
    rounds = [timed_steps(steps)[0] for _ in range(runs)]
    return Timing(
        seconds=median(sum(round_.values()) for round_ in rounds),
        steps={name: median(round_[name] for round_ in rounds) for name, _ in steps},
        runs=runs,
        results=results,
    )


# Puas: the app's own functions on a connection made as a request makes it


def year_range(group_by):
    """The report range of every measurement: all of 2026."""
    return parse_range({**YEAR, "group_by": group_by}, TIMEZONE)


def puas_dashboard_steps(db):
    """What GET /reports runs (reports.views.dashboard.dashboard), plus its distribution chart."""
    by_agent = year_range("agent")
    config = {"FRT_TARGET_HOURS": FRT_TARGET_HOURS}
    return [
        ("filter choices", lambda: filter_choices(db)),
        ("scores by agent", lambda: score_groups(db, by_agent)),
        ("targets", lambda: current_targets(db, config)),
        ("scores by month", lambda: score_groups(db, replace(by_agent, group_by="month"))),
        ("ticket KPIs by agent", lambda: kpi_groups(db, by_agent, FRT_TARGET_HOURS)),
        ("answer distribution", lambda: answer_distribution(db, by_agent)),
    ]


def puas_compare_steps(db):
    """What GET /reports?group_by=agent&compare=previous runs for the second half of 2026:
    the dashboard's steps, the scores and ticket KPIs computed for both periods."""
    compared = parse_range({**HALF, "group_by": "agent", "compare": "previous"}, TIMEZONE)
    assert compared.compared().from_day.isoformat() == HALF_BEFORE["from"]
    config = {"FRT_TARGET_HOURS": FRT_TARGET_HOURS}
    return [
        ("filter choices", lambda: filter_choices(db)),
        ("scores by agent, both periods", lambda: score_groups(db, compared)),
        ("targets", lambda: current_targets(db, config)),
        (
            "scores by month",
            lambda: score_groups(db, replace(compared, group_by="month", compare=None)),
        ),
        ("ticket KPIs by agent, both periods", lambda: kpi_groups(db, compared, FRT_TARGET_HOURS)),
        ("answer distribution", lambda: answer_distribution(db, compared)),
    ]


def puas_scores_steps(db):
    """What GET /api/v1/scores?group_by=month runs."""
    by_month = year_range("month")
    return [("scores by month", lambda: score_groups(db, by_month))]


def puas_themes_steps(db):
    """What GET /api/v1/themes runs for the year: every comment, no filter."""
    return [("themes", lambda: themes(db, year_range(None), MIN_COUNT))]


def puas_search_steps(db, word):
    """What GET /reports/comments?q=<word> runs for the year: the best 200 matches."""
    return [("search", lambda: search_comments(db, year_range(None), word, limit=200))]


def puas_export(db, sink):
    """GET /reports/responses.csv for the year, written to `sink`; the rows written."""
    written = 0

    def counted(rows):
        nonlocal written
        for row in rows:
            written += 1
            yield row

    for chunk in csv_lines(counted(response_rows(db, year_range(None))), RESPONSE_FIELDS):
        sink.write(chunk)
    return written


def memory_mb(field_name):
    """A figure of /proc/self/status in MB: VmRSS now, VmHWM the peak (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024  # reported in kB
    raise RuntimeError(f"no {field_name} in /proc/self/status")


def export_child(database):
    """In a fresh process: the export's seconds and peak memory over the process's baseline.

    Not getrusage's ru_maxrss: Linux keeps it across fork and exec, so a child started by
    this (large) process would report the parent's size. VmHWM belongs to the process's
    own memory map, and writing 5 to clear_refs resets it to the current RSS.
    """
    db = puas_db.connect(database)
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # an old kernel: the peak then also covers the imports
        pass
    baseline_mb = memory_mb("VmRSS")
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        rows = puas_export(db, sink)
    seconds = time.perf_counter() - started
    peak_mb = memory_mb("VmHWM")
    db.close()
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "baseline_mb": baseline_mb,
                "peak_mb": peak_mb,
                "delta_mb": peak_mb - baseline_mb,
            }
        )
    )


def measure_export_memory(database):
    """Run the export in a child process (this script, --export-child) and read its report."""
    finished = subprocess.run(
        [sys.executable, __file__, "--export-child", database],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the export's child process failed:\n{finished.stderr}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def measure_puas(database, runs, export=True):
    """The dashboard, /api/v1/scores and (unless not `export`) the export's time, on one
    connection; {name: Timing}."""
    db = puas_db.connect(database)
    try:
        timings = {
            "dashboard": measure(puas_dashboard_steps(db), runs),
            "dashboard_compare": measure(puas_compare_steps(db), runs),
            "scores": measure(puas_scores_steps(db), runs),
            "themes": measure(puas_themes_steps(db), runs),
            **{
                f"search_{kind}": measure(puas_search_steps(db, word), runs)
                for kind, word in SEARCHED.items()
            },
            "calls": measure(puas_call_steps(db), runs),
        }
        if export:
            with open(os.devnull, "w") as sink:
                timings["export"] = measure([("CSV export", lambda: puas_export(db, sink))], runs)
    finally:
        db.close()
    return timings


# DuckDB: the same tables, loaded before timing, and SQL that computes the same figures


def duckdb_type(column, sqlite_type):
    """The DuckDB type of a Puas column: Puas keeps dates and times as ISO text."""
    if column in ("closed_day", "queued_day"):
        return "DATE"
    if column.endswith("_at"):
        return "TIMESTAMP"
    return {"INTEGER": "BIGINT", "REAL": "DOUBLE"}.get(sqlite_type.upper(), "VARCHAR")


def load_duckdb(database, workdir):
    """An in-memory DuckDB with the report tables, via CSV files (no sqlite extension offline)."""
    import duckdb

    connection = duckdb.connect()
    source = sqlite3.connect(database)
    try:
        for table in ("agents", "teams", *LOADED_TABLES, "calls"):
            columns = [(row[1], row[2]) for row in source.execute(f"PRAGMA table_info({table})")]
            csv_path = workdir / f"{table}.csv"
            with open(csv_path, "w", newline="") as csv_file:
                writer = csv.writer(csv_file)
                writer.writerow(name for name, _ in columns)
                cursor = source.execute(f"SELECT * FROM {table}")  # noqa: S608
                while batch := cursor.fetchmany(50_000):
                    writer.writerows(batch)
            types = ", ".join(f"'{name}': '{duckdb_type(name, kind)}'" for name, kind in columns)
            read_csv = (
                f"read_csv('{csv_path}', header = true, columns = {{{types}}}, "
                f"timestampformat = '{ISO_UTC}', dateformat = '%Y-%m-%d')"
            )
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM {read_csv}")  # noqa: S608
            csv_path.unlink()
    finally:
        source.close()
    # The stop words the themes drop, as Puas folds them (not timed, like the tables).
    connection.execute("CREATE TABLE stop_words (word VARCHAR PRIMARY KEY)")
    connection.executemany(
        "INSERT INTO stop_words VALUES (?)", [(word,) for word in sorted(puas_terms.stop_words())]
    )
    return connection


DUCKDB_SCORES_SQL = """
SELECT {group} AS grp,
       count(*) FILTER (WHERE invitations.status = 'sent') AS invitations_sent,
       count(responses.id) AS responses,
       count(responses.csat) AS csat_n,
       count(*) FILTER (WHERE responses.csat >= 4) AS csat_satisfied,
       coalesce(sum(responses.csat), 0) AS csat_sum,
       count(responses.ces) AS ces_n,
       coalesce(sum(responses.ces), 0) AS ces_sum,
       coalesce(sum(responses.ces * responses.ces), 0) AS ces_sum_of_squares,
       count(*) FILTER (WHERE responses.ces >= 5) AS ces_agree,
       count(*) FILTER (WHERE responses.nps >= 9) AS promoters,
       count(*) FILTER (WHERE responses.nps BETWEEN 7 AND 8) AS passives,
       count(*) FILTER (WHERE responses.nps <= 6) AS detractors
  FROM invitations
  LEFT JOIN responses ON responses.invitation_id = invitations.id
  LEFT JOIN agents ON agents.id = invitations.agent_id
  LEFT JOIN teams ON teams.id = invitations.team_id
 WHERE invitations.closed_day BETWEEN $from_day AND $to_day
 {group_by}
"""

DUCKDB_KPIS_SQL = """
WITH closures AS (
    SELECT {group} AS grp, tickets.agent_id,
           epoch(tickets.first_response_at - tickets.opened_at) / 3600 AS frt_h,
           epoch(tickets.closed_at - tickets.opened_at) / 3600 AS resolution_h,
           tickets.contacts, tickets.escalated, tickets.reopened,
           EXISTS (SELECT 1 FROM tickets AS later
                    WHERE later.customer_email = tickets.customer_email
                      AND later.opened_at > tickets.closed_at
                      AND later.opened_at <= tickets.closed_at + to_days($repeat_days)
                  ) AS repeated
      FROM tickets
      LEFT JOIN agents ON agents.id = tickets.agent_id
      LEFT JOIN teams ON teams.id = tickets.team_id
     WHERE tickets.closed_day BETWEEN $from_day AND $to_day)
SELECT grp, count(*) AS tickets, count(DISTINCT agent_id) AS agents,
       count(frt_h) AS frt_n, avg(frt_h) AS frt_mean_h, median(frt_h) AS frt_median_h,
       count(*) FILTER (WHERE frt_h <= $frt_target_h) AS frt_within,
       avg(resolution_h) AS resolution_mean_h, median(resolution_h) AS resolution_median_h,
       count(contacts) AS contacts_n, count(*) FILTER (WHERE contacts = 1) AS first_contact,
       count(escalated) AS escalated_n, count(*) FILTER (WHERE escalated = 1) AS escalations,
       count(reopened) AS reopened_n, count(*) FILTER (WHERE reopened = 1) AS reopens,
       count(*) FILTER (WHERE repeated) AS repeats
  FROM closures {group_by}
"""

DUCKDB_DISTRIBUTION_SQL = """
SELECT responses.{kind} AS score, count(*) AS n
  FROM responses
  JOIN invitations ON invitations.id = responses.invitation_id
 WHERE invitations.closed_day BETWEEN $from_day AND $to_day AND responses.{kind} IS NOT NULL
 GROUP BY responses.{kind}
"""

DUCKDB_EXPORT_SQL = """
COPY (
    SELECT responses.updated_at AS answered_at, invitations.closed_day,
           tickets.ticket_ref AS ticket_id, coalesce(agents.email, agents.name) AS agent,
           teams.name AS team, invitations.channel, responses.csat, responses.ces,
           responses.nps, responses.comment
      FROM responses
      JOIN invitations ON invitations.id = responses.invitation_id
      JOIN tickets ON tickets.id = invitations.ticket_id
      LEFT JOIN agents ON agents.id = invitations.agent_id
      LEFT JOIN teams ON teams.id = invitations.team_id
     WHERE invitations.closed_day BETWEEN $from_day AND $to_day
     ORDER BY invitations.closed_day DESC, responses.id DESC
) TO '/dev/null' (FORMAT csv, HEADER, USE_TMP_FILE false)
"""

DUCKDB_GROUPS = {
    "agent": "coalesce(agents.email, agents.name)",
    "month": "strftime(invitations.closed_day, '%Y-%m')",
}


# The themes' counts from the raw comments: lower-cased, accents stripped, split into runs
# of letters and digits, single letters, numbers and stop words dropped, then each word and
# each pair of adjacent remaining words counted per class. DuckDB has no Sastrawi, so its
# words stay unstemmed: the same number of terms, in more distinct ones than Puas counts.
DUCKDB_TERMS_SQL = r"""
WITH comments AS (
    SELECT responses.id,
           CASE WHEN responses.csat <= 2 OR responses.ces <= 3 OR responses.nps <= 6 THEN 'low'
                WHEN responses.csat >= 4 OR responses.ces >= 5 OR responses.nps >= 9
                THEN 'high' ELSE 'other' END AS class,
           regexp_extract_all(strip_accents(lower(responses.comment)), '[\p{L}\p{N}]+')
               AS words
      FROM responses JOIN invitations ON invitations.id = responses.invitation_id
     WHERE invitations.closed_day BETWEEN $from_day AND $to_day
       AND responses.comment IS NOT NULL),
words AS (
    SELECT id, class, unnest(words) AS word, unnest(range(len(words))) AS position
      FROM comments),
kept AS (
    SELECT id, class, word, position FROM words
     WHERE length(word) > 1 AND regexp_matches(word, '\p{L}')
       AND word NOT IN (SELECT word FROM stop_words)),
terms AS (
    SELECT class, word AS term FROM kept
    UNION ALL
    SELECT class, term FROM (
        SELECT class, word || ' ' || lead(word) OVER (PARTITION BY id ORDER BY position) AS term
          FROM kept)
     WHERE term IS NOT NULL)
SELECT class, term, count(*) AS n FROM terms GROUP BY class, term
"""

# A search as a scan: the newest 200 comments in range holding the text anywhere.
DUCKDB_SEARCH_SQL = """
SELECT responses.id, responses.comment
  FROM responses JOIN invitations ON invitations.id = responses.invitation_id
 WHERE invitations.closed_day BETWEEN $from_day AND $to_day
   AND responses.comment ILIKE $pattern
 ORDER BY invitations.closed_day DESC, responses.id DESC LIMIT 200
"""


def day_params(days):
    """DuckDB's parameters for a range of days ({"from", "to"})."""
    return {"from_day": date.fromisoformat(days["from"]), "to_day": date.fromisoformat(days["to"])}


def duckdb_steps(connection):
    """The dashboard's aggregates in DuckDB, step by step as Puas runs them."""
    params = day_params(YEAR)

    def rows(sql, query_params=params):
        return connection.execute(sql, query_params).fetchall()

    def scores(group_by, days=YEAR):
        grouped = DUCKDB_SCORES_SQL.format(
            group=DUCKDB_GROUPS[group_by], group_by="GROUP BY grp ORDER BY grp"
        )
        overall = DUCKDB_SCORES_SQL.format(group="'all'", group_by="")
        return rows(grouped, day_params(days)), rows(overall, day_params(days))

    def kpis(days=YEAR):
        kpi_params = {
            **day_params(days),
            "repeat_days": REPEAT_WINDOW_DAYS,
            "frt_target_h": FRT_TARGET_HOURS,
        }
        grouped = DUCKDB_KPIS_SQL.format(
            group="coalesce(agents.email, agents.name)", group_by="GROUP BY grp ORDER BY grp"
        )
        overall = DUCKDB_KPIS_SQL.format(group="'all'", group_by="GROUP BY grp")
        return rows(grouped, kpi_params), rows(overall, kpi_params)

    def distribution(days=YEAR):
        return [
            rows(DUCKDB_DISTRIBUTION_SQL.format(kind=kind), day_params(days))
            for kind in ("csat", "ces", "nps")
        ]

    def choices():
        return (
            rows("SELECT DISTINCT coalesce(email, name) FROM agents ORDER BY 1", {}),
            rows("SELECT name FROM teams ORDER BY name", {}),
            rows("SELECT DISTINCT channel FROM tickets WHERE channel IS NOT NULL ORDER BY 1", {}),
        )

    return {
        "dashboard": [
            ("filter choices", choices),
            ("scores by agent", lambda: scores("agent")),
            ("scores by month", lambda: scores("month")),
            ("ticket KPIs by agent", kpis),
            ("answer distribution", distribution),
        ],
        "dashboard_compare": [
            ("filter choices", choices),
            (
                "scores by agent, both periods",
                lambda: (scores("agent", HALF), scores("agent", HALF_BEFORE)),
            ),
            ("scores by month", lambda: scores("month", HALF)),
            ("ticket KPIs by agent, both periods", lambda: (kpis(HALF), kpis(HALF_BEFORE))),
            ("answer distribution", lambda: distribution(HALF)),
        ],
        "scores": [("scores by month", lambda: scores("month"))],
        "themes": [("themes", lambda: rows(DUCKDB_TERMS_SQL))],
        **{
            f"search_{kind}": [
                (
                    "search",
                    lambda word=word: rows(DUCKDB_SEARCH_SQL, {**params, "pattern": f"%{word}%"}),
                )
            ]
            for kind, word in SEARCHED.items()
        },
        "export": [("CSV export", lambda: connection.execute(DUCKDB_EXPORT_SQL, params))],
        "calls": duckdb_call_steps(connection),
    }


def measure_duckdb(connection, runs, names):
    """The same measurements in DuckDB."""
    steps = duckdb_steps(connection)
    return {name: measure(steps[name], runs) for name in names}


# Calls: a call log as large as the tickets, its KPIs beside DuckDB's on the same raw rows

SERVICE_LEVEL_SECONDS = 20

# Waits of about 50 s on average with a long tail (to ~12 minutes); 4 % failed, about 8 %
# abandoned (no agent, no answer); one call in ten on the callback line.
CALLS_SQL = f"""
WITH RECURSIVE ids(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM ids WHERE i < :last),
drawn AS MATERIALIZED (
    SELECT i,
           :year_start + (i - 1) * 31535400 / :total + abs(random()) % 600 AS queued_epoch,
           abs(random()) % 45 + (abs(random()) % 90) * (abs(random()) % 3 = 0)
             + (abs(random()) % 600) * (abs(random()) % 20 = 0) AS wait_s,
           30 + abs(random()) % 600 AS talk_s, abs(random()) % 100 AS outcome_draw,
           1 + abs(random()) % {AGENTS} AS agent_id, abs(random()) % 10 AS line_draw
      FROM ids),
outcomes AS MATERIALIZED (
    SELECT *, CASE WHEN outcome_draw < 4 THEN 'failed'
                   WHEN outcome_draw < 12 THEN 'abandoned' ELSE 'answered' END AS outcome
      FROM drawn)
INSERT INTO calls (id, source, call_ref, queued_at, queued_day, answered_at, ended_at, outcome,
                   agent_id, team_id, channel, created_at)
SELECT i, 'bench', 'C-' || i,
       strftime('{ISO_UTC}', queued_epoch, 'unixepoch'),
       strftime('%Y-%m-%d', queued_epoch, 'unixepoch'),
       CASE WHEN outcome = 'answered'
            THEN strftime('{ISO_UTC}', queued_epoch + wait_s, 'unixepoch') END,
       strftime('{ISO_UTC}', queued_epoch + wait_s
                             + CASE WHEN outcome = 'answered' THEN talk_s ELSE 0 END,
                'unixepoch'),
       outcome,
       CASE WHEN outcome = 'answered' THEN agent_id END,
       1 + (agent_id - 1) % {len(TEAMS)},
       CASE WHEN line_draw = 0 THEN 'callback' ELSE 'phone' END,
       strftime('{ISO_UTC}', queued_epoch, 'unixepoch')
  FROM outcomes
"""  # noqa: S608 (fixed constants only)


def generate_calls(path, rows):
    """`rows` calls through 2026 in the database generate() made, their rollups built once
    as `flask rollups rebuild` builds them; timings."""
    timings = {}
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")
        connection.execute("BEGIN")
        connection.execute("DROP TRIGGER calls_rollup_insert")  # counted once, below
        year_start = int(datetime.fromisoformat(YEAR["from"]).replace(tzinfo=UTC).timestamp())
        started = time.perf_counter()
        for first in range(1, rows + 1, BATCH_ROWS):
            connection.execute(
                CALLS_SQL,
                {
                    "first": first,
                    "last": min(rows, first + BATCH_ROWS - 1),
                    "total": rows,
                    "year_start": year_start,
                },
            )
        timings["insert calls"] = time.perf_counter() - started
        started = time.perf_counter()
        for statement in puas_call_rollups.rebuild_statements():
            connection.execute(statement)
        connection.execute(puas_call_rollups.TRIGGERS)
        timings["build call rollups"] = time.perf_counter() - started
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()
    return timings


def puas_call_steps(db):
    """What GET /api/v1/call-kpis?group_by=agent runs for 2026."""
    return [
        (
            "call KPIs by agent",
            lambda: call_groups(db, year_range("agent"), SERVICE_LEVEL_SECONDS),
        )
    ]


DUCKDB_CALLS_SQL = """
WITH waits AS (
    SELECT {group} AS grp, calls.outcome,
           CASE WHEN calls.outcome = 'answered'
                THEN epoch(calls.answered_at - calls.queued_at) END AS wait_s
      FROM calls
      LEFT JOIN agents ON agents.id = calls.agent_id
     WHERE calls.queued_day BETWEEN $from_day AND $to_day)
SELECT grp, count(*) AS calls,
       count(*) FILTER (WHERE outcome = 'answered') AS answered,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
       count(*) FILTER (WHERE outcome = 'failed') AS failed,
       avg(wait_s) AS asa_s, median(wait_s) AS wait_median_s,
       count(*) FILTER (WHERE wait_s <= $service_level_s) AS within
  FROM waits {group_by}
"""


def duckdb_call_steps(connection):
    """The same figures in DuckDB, from the raw calls: by agent, then overall."""
    params = {**day_params(YEAR), "service_level_s": SERVICE_LEVEL_SECONDS}

    def call_kpis():
        grouped = DUCKDB_CALLS_SQL.format(
            group="coalesce(agents.email, agents.name)", group_by="GROUP BY grp ORDER BY grp"
        )
        overall = DUCKDB_CALLS_SQL.format(group="'all'", group_by="GROUP BY grp")
        return (
            connection.execute(grouped, params).fetchall(),
            connection.execute(overall, params).fetchall(),
        )

    return [("call KPIs by agent", call_kpis)]


def call_agreement(puas_calls, duckdb_calls):
    """The overall call figures in both engines: (name, Puas, DuckDB, same?)."""
    _, ours = puas_calls.results["call KPIs by agent"]
    _, [(_, calls, answered, abandoned, _, asa_s, wait_median_s, within)] = duckdb_calls.results[
        "call KPIs by agent"
    ]
    figures = [
        ("calls", ours["calls"], calls, 0),
        ("abandon %", ours["abandon_pct"], round(100 * abandoned / calls, 1), 0),
        ("ASA s", ours["asa_s"], round(asa_s, 1), 0),
        ("service level %", ours["service_level_pct"], round(100 * within / calls, 1), 0),
        # Puas reads the median from the wait histogram: within 2 s below 10 minutes.
        ("wait median s", ours["wait_median_s"], wait_median_s, 2.05),
    ]
    return [
        (name, mine, theirs, mine is not None and abs(mine - theirs) <= tolerance)
        for name, mine, theirs, tolerance in figures
    ]


def print_calls(puas, duck):
    """The call KPIs' time beside DuckDB's, and whether both engines agree."""
    print(f"\nCall KPIs by agent for 2026 ({SERVICE_LEVEL_SECONDS} s service level):")
    print_table(
        ["measurement", "Puas s", "DuckDB s", "Puas/DuckDB", "target <= 1.0"],
        [ratio_row("/api/v1/call-kpis by agent", puas["calls"].seconds, duck["calls"].seconds)],
    )
    checks = call_agreement(puas["calls"], duck["calls"])
    print(
        "Agreement (overall calls): "
        + ", ".join(f"{name} {ours} / {theirs}" for name, ours, theirs, _ in checks)
    )
    for name, ours, theirs, same in checks:
        if not same:
            print(f"!!! MISMATCH: {name} is {ours} in Puas but {theirs} in DuckDB !!!")


# Checks and report


def agreement(puas_dashboard, duckdb_dashboard):
    """Overall figures both engines computed, side by side: (name, Puas, DuckDB, same?)."""
    _, puas_overall, _ = puas_dashboard.results["scores by month"]
    _, [duck_overall] = duckdb_dashboard.results["scores by month"]
    (_, _, responses, csat_n, csat_satisfied, *_) = duck_overall
    _, kpi_overall, _ = puas_dashboard.results["ticket KPIs by agent"]
    _, [duck_kpis] = duckdb_dashboard.results["ticket KPIs by agent"]
    duck_csat_pct = round(100 * csat_satisfied / csat_n, 1) if csat_n else None
    figures = [
        ("responses", puas_overall["responses"], responses, 0),
        ("CSAT %", puas_overall["csat_pct"], duck_csat_pct, 0),
        ("tickets", kpi_overall["tickets"], duck_kpis[1], 0),
        # Puas reads medians from histograms: within 2.5 % + 30 s, plus rounding.
        (
            "FRT median h",
            kpi_overall["frt_median_h"],
            round(duck_kpis[5], 1),
            0.025 * duck_kpis[5] + 30 / 3600 + 0.1,
        ),
        ("repeat %", kpi_overall["repeat_pct"], round(100 * duck_kpis[-1] / duck_kpis[1], 1), 0.1),
    ]
    return [
        (
            name,
            ours,
            theirs,
            ours is not None and theirs is not None and abs(ours - theirs) <= tolerance,
        )
        for name, ours, theirs, tolerance in figures
    ]


def compare_agreement(puas_compare, duckdb_compare):
    """The compared dashboard's CSAT % now and then, and its change, in both engines."""
    _, puas_overall, _ = puas_compare.results["scores by agent, both periods"]
    (_, [now]), (_, [then]) = duckdb_compare.results["scores by agent, both periods"]
    now_pct, then_pct = (100 * row[4] / row[3] for row in (now, then))
    figures = [
        ("CSAT % now", puas_overall["csat_pct"], round(now_pct, 1)),
        ("CSAT % then", puas_overall["csat_pct_prev"], round(then_pct, 1)),
        ("CSAT change", puas_overall["csat_pct_change"], round(now_pct - then_pct, 1)),
    ]
    return [(name, ours, theirs, ours == theirs) for name, ours, theirs in figures]


def print_table(header, rows):
    """Columns aligned: the first to the left, the others to the right."""
    widths = [
        max(len(str(row[column])) for row in [header, *rows]) for column in range(len(header))
    ]

    def line(cells):
        return "  ".join(
            str(cell).ljust(width) if column == 0 else str(cell).rjust(width)
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def ratio_row(name, ours, theirs, target=TARGET_DUCKDB_RATIO, strict=False):
    """One line of the comparison: seconds, ratio, PASS/FAIL against the target (at most
    the target, or under it when `strict`)."""
    ratio = ours / theirs if theirs else float("inf")
    passed = ratio < target if strict else ratio <= target
    COMPARISONS.append(
        {
            "path": f"report: {name}",
            "puas": round(ours, 4),
            "baseline": round(theirs, 4),
            "ratio": round(ratio, 3),
            "target": f"{'<' if strict else '<='} {target}x",
            "pass": passed,
            "extra": {"unit": "s", "baseline_is": "DuckDB, same rows, in memory"},
        }
    )
    return [
        name,
        f"{ours:.3f}",
        f"{theirs:.3f}",
        f"{ratio:.2f}x",
        "PASS" if passed else "FAIL",
    ]


@dataclass
class SizeResult:
    """Everything measured at one size."""

    rows: int
    puas: dict
    duckdb: dict
    export_memory: dict


def print_size(result):
    """The comparison table, the steps, the export and the agreement check of one size."""
    puas, duck = result.puas, result.duckdb
    runs = min(puas["dashboard"].runs, duck["dashboard"].runs)
    print(
        f"\n{result.rows:,} responses (full year 2026, grouped by agent), median of "
        f"{runs} run(s) after a warm-up:\n"
    )
    print_table(
        ["measurement", "Puas s", "DuckDB s", "Puas/DuckDB", "target <= 1.0"],
        [
            ratio_row(
                "dashboard, all queries", puas["dashboard"].seconds, duck["dashboard"].seconds
            ),
            ratio_row(
                "dashboard, compare=previous",
                puas["dashboard_compare"].seconds,
                duck["dashboard_compare"].seconds,
            ),
            ratio_row("/api/v1/scores by month", puas["scores"].seconds, duck["scores"].seconds),
        ],
    )
    print_steps("Dashboard steps:", puas["dashboard"], duck["dashboard"])
    print_steps(
        "Dashboard steps with compare=previous (Jul-Dec 2026 and the 184 days before):",
        puas["dashboard_compare"],
        duck["dashboard_compare"],
    )
    memory = result.export_memory
    if memory is not None:
        print_export(puas, duck, memory)
    print_calls(puas, duck)
    print_comments(puas, duck)
    checks = agreement(puas["dashboard"], duck["dashboard"]) + compare_agreement(
        puas["dashboard_compare"], duck["dashboard_compare"]
    )
    checks += comment_agreement(puas["themes"], duck["themes"])
    print(
        "\nAgreement (overall, both engines): "
        + ", ".join(f"{name} {ours} / {theirs}" for name, ours, theirs, _ in checks)
    )
    for name, ours, theirs, same in checks:
        if not same:
            print(f"!!! MISMATCH: {name} is {ours} in Puas but {theirs} in DuckDB !!!")


def comment_agreement(puas_themes, duck_themes):
    """How many terms each engine counted in low, high and all comments: stemming groups
    words into fewer distinct terms but never changes how many were written."""
    totals = puas_themes.results["themes"]["totals"]
    duck_counts = {"low": 0, "high": 0, "other": 0}
    for klass, _, count in duck_themes.results["themes"]:
        duck_counts[klass] += count
    figures = [
        ("terms in low comments", totals.low, duck_counts["low"]),
        ("terms in high comments", totals.high, duck_counts["high"]),
        ("terms in all comments", totals.total, sum(duck_counts.values())),
    ]
    return [(name, ours, theirs, ours == theirs) for name, ours, theirs in figures]


def print_comments(puas, duck):
    """Themes beside DuckDB counting the same terms, and searches beside an ILIKE scan."""
    print("\nComments (one response in ten; full year 2026):")
    print_table(
        ["measurement", "Puas s", "DuckDB s", "Puas/DuckDB", "result", "target"],
        [
            ratio_row("/api/v1/themes", puas["themes"].seconds, duck["themes"].seconds)
            + [f"<= {TARGET_DUCKDB_RATIO}x"],
            *(
                ratio_row(
                    f"search {word!r} ({found} of 200 shown)",
                    puas[f"search_{kind}"].seconds,
                    duck[f"search_{kind}"].seconds,
                    target=TARGET_SEARCH_RATIO,
                    strict=True,
                )
                + [f"< {TARGET_SEARCH_RATIO}x"]
                for kind, word in SEARCHED.items()
                for found in [len(puas[f"search_{kind}"].results["search"])]
            ),
        ],
    )
    keys = ["themes", *(f"search_{kind}" for kind in SEARCHED)]
    print(
        f"  Medians of as many runs as fill {FILL_SECONDS} s, Puas's and DuckDB's: "
        + ", ".join(f"{key} {puas[key].runs} and {duck[key].runs}" for key in keys)
        + "; search seconds: "
        + ", ".join(
            f"{puas[key].seconds * 1000:.2f} ms and {duck[key].seconds * 1000:.2f} ms"
            for key in keys[1:]
        )
        + "."
    )
    low, high = (len(puas["themes"].results["themes"][side]) for side in ("low", "high"))
    print(
        f"  Themes: Puas reads the term rollups and ranks every term ({low} listed low, {high}"
        " high); DuckDB counts words and adjacent pairs per class from the raw comments"
        " (lower-cased, accents stripped, stop words dropped) but cannot run Sastrawi, so its"
        " words are not grouped by stem. Search: Puas's best 200 by bm25, read in bm25's"
        " order from its words table (one word);"
        " DuckDB's ILIKE '%word%' scan, newest 200 (it also matches inside longer words)."
    )


def print_steps(title, puas, duck):
    """Each step's median seconds in both engines ("-" where DuckDB has no such step)."""
    print(f"\n{title}")
    print_table(
        ["step", "Puas s", "DuckDB s"],
        [
            [name, f"{seconds:.3f}", f"{duck.steps[name]:.3f}" if name in duck.steps else "-"]
            for name, seconds in puas.steps.items()
        ],
    )


def print_export(puas, duck, memory):
    """The export's time beside DuckDB's COPY, and its peak memory."""
    export_ratio = puas["export"].seconds / duck["export"].seconds
    print(f"\nCSV export of all responses ({memory['rows']:,} rows, to /dev/null):")
    print_table(
        [
            "measurement",
            "Puas s",
            "DuckDB COPY s",
            "Puas/DuckDB",
            "peak MB",
            f"target < {TARGET_EXPORT_MB} MB",
        ],
        [
            [
                "/reports/responses.csv",
                f"{puas['export'].seconds:.3f}",
                f"{duck['export'].seconds:.3f}",
                f"{export_ratio:.2f}x",
                f"{memory['delta_mb']:.1f}",
                "PASS" if memory["delta_mb"] < TARGET_EXPORT_MB else "FAIL",
            ]
        ],
    )
    COMPARISONS.append(
        {
            "path": f"report: CSV export, {memory['rows']:,} rows, peak memory",
            "puas": round(memory["delta_mb"], 1),
            "baseline": None,
            "ratio": None,
            "target": f"< {TARGET_EXPORT_MB} MB",
            "pass": memory["delta_mb"] < TARGET_EXPORT_MB,
            "extra": {"unit": "MB"},
        }
    )
    print(
        f"  peak MB: the export's child process grew from {memory['baseline_mb']:.1f} MB "
        f"(after imports) to {memory['peak_mb']:.1f} MB peak RSS; DuckDB's ratio is for "
        "information only."
    )


def print_growth(small, big):
    """How each measurement grew from the small to the big size."""
    factor = big.rows / small.rows
    print(f"\nGrowth from {small.rows:,} to {big.rows:,} rows ({factor:.0f}x the data):\n")
    rows = []
    for name, label in (
        ("dashboard", "dashboard, all queries"),
        ("dashboard_compare", "dashboard, compare=previous"),
        ("scores", "/api/v1/scores by month"),
        ("themes", "/api/v1/themes"),
        ("search_rare", f"search {SEARCHED['rare']!r}"),
        ("search_common", f"search {SEARCHED['common']!r}"),
        ("calls", "/api/v1/call-kpis by agent"),
        ("export", "CSV export"),
    ):
        if name not in small.puas:
            continue
        growth = big.puas[name].seconds / small.puas[name].seconds
        duck_growth = big.duckdb[name].seconds / small.duckdb[name].seconds
        verdict = (
            ("PASS" if growth <= TARGET_GROWTH else "FAIL")
            if name not in ("export", "search_rare", "search_common")
            else "(no target)"
            if name.startswith("search")
            else "(scales with rows)"
        )
        rows.append(
            [
                label,
                f"{small.puas[name].seconds:.3f}",
                f"{big.puas[name].seconds:.3f}",
                f"{growth:.2f}x",
                f"{duck_growth:.2f}x",
                verdict,
            ]
        )
    print_table(
        [
            "measurement",
            f"{small.rows:,} rows s",
            f"{big.rows:,} rows s",
            "Puas growth",
            "DuckDB growth",
            f"target <= {TARGET_GROWTH}x",
        ],
        rows,
    )
    if small.export_memory is not None:
        memory_growth = big.export_memory["delta_mb"] - small.export_memory["delta_mb"]
        print(
            f"  CSV export peak memory: {small.export_memory['delta_mb']:.1f} MB, then "
            f"{big.export_memory['delta_mb']:.1f} MB ({memory_growth:+.1f} MB)."
        )


def warn_if_busy(when):
    """Other work on the machine skews every figure: say so when the load is high."""
    load = os.getloadavg()[0]
    if load > 0.5:
        print(
            f"Note: 1-minute load average {when} is {load:.1f} on {os.cpu_count()} CPUs; "
            "other processes compete with both engines."
        )


def run_size(rows, args, workdir):
    """Generate, measure Puas, load and measure DuckDB, measure the export's memory."""
    folder = workdir / f"rows-{rows}"
    folder.mkdir()
    database = str(folder / "puas.db")
    print(f"\nGenerating {rows:,} tickets, invitations and responses in {database} ...")
    load = generate(database, rows)
    load.update(generate_calls(database, rows))
    load["total"] += load["insert calls"] + load["build call rollups"]
    size_mb = (
        sum(
            Path(database + suffix).stat().st_size
            for suffix in ("", "-wal")
            if Path(database + suffix).exists()
        )
        / 2**20
    )
    print(
        f"  loaded in {load['total']:.1f} s ("
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in load.items() if name != "total")
        + f"); database {size_mb:,.0f} MB"
    )

    warn_if_busy("before measuring")
    print(
        "Timing Puas (dashboard, dashboard with compare=previous, /api/v1/scores"
        f"{'' if args.no_export else ', CSV export'}) ..."
    )
    puas = measure_puas(database, args.runs, export=not args.no_export)
    export_memory = None
    if not args.no_export:
        print("Measuring the CSV export's peak memory in a child process ...")
        export_memory = measure_export_memory(database)

    print("Loading DuckDB (not timed) ...")
    started = time.perf_counter()
    duck_connection = load_duckdb(database, folder)
    print(f"  loaded in {time.perf_counter() - started:.1f} s; timing DuckDB ...")
    try:
        duck = measure_duckdb(duck_connection, args.runs, tuple(puas))
    finally:
        duck_connection.close()
    result = SizeResult(rows, puas, duck, export_memory)
    print_size(result)
    warn_if_busy("after measuring")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def stop_on_sigterm(signum, frame):
    """Say why the run ended, and unwind so that `finally` removes the temporary folder."""
    print("\nStopped by SIGTERM; removing the temporary folder.", file=sys.stderr, flush=True)
    sys.exit(128 + signum)


def main():
    """Run every size in a temporary folder, removed afterwards unless --keep."""
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows at once, even in a log file
    if args.export_child:
        export_child(args.export_child)
        return 0
    try:
        import duckdb
    except ImportError:
        print(
            "DuckDB is not installed. Install it with: .venv/bin/pip install -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    sizes = [args.rows, BIG_ROWS] if args.big and args.rows < BIG_ROWS else [args.rows]
    if args.big:
        print(
            f"Warning: --big generates {BIG_ROWS:,} rows after the {args.rows:,}-row run: "
            "expect about 7 GB of disk in the temporary folder, several GB of memory "
            "for DuckDB, and an hour or more."
        )
    print(
        f"{os.cpu_count()} CPUs; SQLite {sqlite3.sqlite_version}; DuckDB {duckdb.__version__} "
        f"({duckdb.execute('SELECT current_setting(?)', ['threads']).fetchone()[0]} threads, "
        "in memory); Puas reads with surveys.store.db.connect() (the app's pragmas)."
    )
    workdir = Path(tempfile.mkdtemp(prefix="puas-report-bench-"))
    # A run stopped with SIGTERM still removes its gigabytes of temporary files.
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        results = [run_size(rows, args, workdir) for rows in sizes]
        if len(results) == 2:
            print_growth(*results)
        print(
            f"\nTargets: dashboard (with and without compare), /api/v1/scores and "
            f"/api/v1/call-kpis <= "
            f"{TARGET_DUCKDB_RATIO}x DuckDB's "
            f"time; growth <= {TARGET_GROWTH}x from 1 M to 10 M rows (--big); CSV export "
            f"under {TARGET_EXPORT_MB} MB of peak memory over the process's baseline; "
            f"/api/v1/themes <= {TARGET_DUCKDB_RATIO}x DuckDB counting the terms, and a "
            f"search < {TARGET_SEARCH_RATIO}x DuckDB's ILIKE scan."
        )
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        for comparison in COMPARISONS:
            print(json.dumps(comparison))
    return 0


if __name__ == "__main__":
    sys.exit(main())
