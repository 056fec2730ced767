"""Where a write request's time goes: Puas's two write endpoints beside the baseline app.

In one process, with no server and no network: builds a Puas database and the baseline's
(bench/baseline_app.py), prepares survey links as http_bench.py does (closures through the
API, one outbox pass, a GET of each page for its cookie and CSRF token), then for each
endpoint

1. the CPU time per request (user + system, so the fsync's own work counts) of the
   baseline and of Puas, over the same requests, medians of three rounds;
2. Puas's time per SQL statement on the request's own connection (the statements it runs,
   and how often; the group writer's are in that thread's CPU);
3. cProfile over Puas's requests: the functions that take the most time.

    .venv/bin/python bench/profile_writes.py [--requests 2000] [--endpoint tickets survey]
                                             [--synchronous FULL] [--top 30]

`--synchronous OFF` leaves the fsync out, to see the CPU alone (on the request's kept
connection and on the group writer's). Puas's CPU is also split by thread: the request's
own, and the group writer's, which runs the request's SQL. A benchmark's companion,
not a test: the lead's figures come from http_bench.py under wrk.
"""

import argparse
import cProfile
import pstats
import re
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

import baseline_app  # noqa: E402
from http_bench import stat_cpu_seconds  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from app import create_app  # noqa: E402
from surveys.staff.accounts import create_api_key  # noqa: E402
from surveys.store import db as puas_db  # noqa: E402
from surveys.store import group_commit  # noqa: E402

SURVEYS = 50
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"/s/([A-Za-z0-9_-]{43})")


def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument(
        "--endpoint", nargs="+", choices=["tickets", "survey"], default=["tickets", "survey"]
    )
    parser.add_argument("--synchronous", choices=["FULL", "OFF"], default="FULL")
    parser.add_argument("--top", type=int, default=30, help="functions shown from cProfile")
    return parser.parse_args()


class TimedConnection:
    """An sqlite3 connection that adds up the time of each statement it executes."""

    def __init__(self, connection):
        self._connection = connection
        self.seconds = defaultdict(float)
        self.calls = Counter()

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def execute(self, sql, *parameters):
        """The connection's execute, timed, keyed by the statement's first 70 characters."""
        started = time.perf_counter()
        cursor = self._connection.execute(sql, *parameters)
        key = " ".join(sql.split())[:70]
        self.seconds[key] += time.perf_counter() - started
        self.calls[key] += 1
        return cursor


def writer_connections_with(synchronous):
    """The group writer opens a connection of its own (surveys/store/group_commit.py): give
    it the synchronous the kept connections get, before its thread starts."""
    opened = group_commit.connect

    def connect(path):
        db = opened(path)
        db.execute(f"PRAGMA synchronous = {synchronous}")
        return db

    group_commit.connect = connect


def thread_cpu_seconds():
    """{thread name: CPU seconds so far} for this process's Python threads, from /proc."""
    seconds = {}
    for thread in threading.enumerate():
        try:
            seconds[thread.name] = stat_cpu_seconds(f"/proc/self/task/{thread.native_id}/stat")
        except OSError:  # ended meanwhile
            continue
    return seconds


class Setup:
    """Both apps on fresh databases, an API key, and prepared survey submissions."""

    def __init__(self, workdir, synchronous):
        writer_connections_with(synchronous)
        path = str(Path(workdir) / "puas.db")
        puas_db.migrate(path)
        connection = puas_db.connect(path)
        self.api_key = create_api_key(connection, "profile")
        connection.close()
        self.puas = create_app(
            {
                "DATABASE": path,
                "SECRET_KEY": "profile",
                "MAIL_DIR": str(Path(workdir) / "mail"),
                "SEND_DELAY_MINUTES": 0,
                "THROTTLE_DAYS": 0,
                "BASE_URL": "http://127.0.0.1",
            }
        )
        baseline_path = str(Path(workdir) / "baseline.db")
        baseline_app.init_db(baseline_path)
        self.baseline = baseline_app.create_app(baseline_path)
        self.closed_at = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
        self.tickets = 0
        self.surveys = self.prepare_surveys(Path(workdir) / "mail")
        for app in (self.puas, self.baseline):
            self.call(app, self.ticket_environ())  # each opens its kept connection
        with self.puas.app_context():
            kept = puas_db.get_db()
            kept.execute(f"PRAGMA synchronous = {synchronous}")
        self.baseline_connection(synchronous)

    def baseline_connection(self, synchronous):
        """Set the baseline's kept connection's synchronous, as Puas's is set."""
        view = self.baseline.view_functions["ticket_closed"]
        kept = next(
            cell.cell_contents
            for cell in view.__closure__
            if isinstance(cell.cell_contents, baseline_app.KeptConnection)
        )
        kept.get().execute(f"PRAGMA synchronous = {synchronous}")

    def ticket_environ(self):
        """A new closure, as lua/tickets.lua sends it."""
        self.tickets += 1
        ticket = f"profile-{self.tickets}"
        body = (
            f'{{"ticket_id": "{ticket}", "closed_at": "{self.closed_at}", '
            f'"customer": {{"email": "c{ticket}@example.com", "name": "C"}}, '
            '"agent": {"email": "a@example.com", "name": "A"}, '
            '"team": "Billing", "channel": "email"}'
        )
        return EnvironBuilder(
            path="/api/v1/tickets/closed",
            method="POST",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
        ).get_environ()

    def prepare_surveys(self, mail_dir):
        """(path, cookie, CSRF token) of SURVEYS survey links, as a browser holds them."""
        for _ in range(SURVEYS):
            self.call(self.puas, self.ticket_environ())
        self.puas.test_cli_runner().invoke(args=["outbox", "send-due"])
        tokens = sorted(
            {token for mail in mail_dir.glob("*.eml") for token in LINK.findall(mail.read_text())}
        )
        surveys = []
        for token in tokens:
            browser = self.puas.test_client()
            page = browser.get(f"/s/{token}")
            surveys.append(
                (
                    f"/s/{token}",
                    browser.get_cookie("session").value,
                    CSRF_FIELD.search(page.text)[1],
                )
            )
        return surveys

    def survey_environ(self, number):
        """A survey submission, as lua/survey.lua sends it."""
        path, cookie, csrf_token = self.surveys[number % len(self.surveys)]
        body = urlencode(
            {"csrf_token": csrf_token, "csat": "4", "ces": "6", "nps": "9", "comment": "Quick."}
        )
        return EnvironBuilder(
            path=path,
            method="POST",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"session={cookie}",
            },
        ).get_environ()

    def environs(self, endpoint, count):
        """`count` requests to one endpoint."""
        if endpoint == "tickets":
            return [self.ticket_environ() for _ in range(count)]
        return [self.survey_environ(number) for number in range(count)]

    @staticmethod
    def call(app, environ):
        """One request, its body read and closed as a server does; its status."""
        status = []
        body = app.wsgi_app(environ, lambda code, headers, exc_info=None: status.append(code))
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
        return status[0]


def cpu_per_request(setup, app, endpoint, count):
    """CPU milliseconds per request over `count` requests (after they were built), and
    {thread name: milliseconds per request} for the threads that used any."""
    environs = setup.environs(endpoint, count)
    threads_before = thread_cpu_seconds()
    started = time.process_time()
    statuses = Counter(setup.call(app, environ)[:3] for environ in environs)
    elapsed = time.process_time() - started
    threads = {
        name: (seconds - threads_before.get(name, 0.0)) / count * 1000
        for name, seconds in thread_cpu_seconds().items()
    }
    if set(statuses) - {"201", "303"}:
        raise RuntimeError(f"unexpected statuses: {statuses}")
    return elapsed / count * 1000, {name: ms for name, ms in threads.items() if ms > 0}


def profile_endpoint(setup, endpoint, args):
    """Print the CPU per request of both apps, Puas's SQL, and Puas's hottest functions."""
    rounds = {"baseline": [], "Puas": []}
    puas_threads = defaultdict(list)
    for _ in range(3):
        rounds["baseline"].append(
            cpu_per_request(setup, setup.baseline, endpoint, args.requests)[0]
        )
        puas_ms, threads = cpu_per_request(setup, setup.puas, endpoint, args.requests)
        rounds["Puas"].append(puas_ms)
        for name, ms in threads.items():
            puas_threads[name].append(ms)
    baseline_ms, puas_ms = median(rounds["baseline"]), median(rounds["Puas"])
    print(f"\n== {endpoint}, synchronous={args.synchronous}, {args.requests} requests x 3")
    print(
        f"CPU per request (median of 3): baseline {baseline_ms:.3f} ms, Puas {puas_ms:.3f} ms "
        f"({puas_ms / baseline_ms:.2f}x); rounds: "
        + ", ".join(
            f"{name} {' '.join(f'{v:.3f}' for v in values)}" for name, values in rounds.items()
        )
    )
    print(
        "Puas's CPU by thread (median of 3): "
        + ", ".join(
            f"{name} {median(values):.3f} ms"
            for name, values in sorted(puas_threads.items(), key=lambda item: -median(item[1]))
        )
    )
    with setup.puas.app_context():
        kept = puas_db.get_db()
        timed = kept.conn = TimedConnection(kept.conn)
    try:
        environs = setup.environs(endpoint, args.requests)
        for environ in environs:
            setup.call(setup.puas, environ)
    finally:
        kept.conn = timed._connection
    total = sum(timed.seconds.values()) / args.requests * 1000
    print(f"Puas's SQL per request, on the request's own connection: {total:.3f} ms")
    for key, seconds in sorted(timed.seconds.items(), key=lambda item: -item[1]):
        print(
            f"  {seconds / args.requests * 1000:7.4f} ms  x{timed.calls[key] / args.requests:.1f}"
            f"  {key}"
        )
    environs = setup.environs(endpoint, args.requests)
    profile = cProfile.Profile()
    profile.enable()
    for environ in environs:
        setup.call(setup.puas, environ)
    profile.disable()
    print(f"Puas under cProfile (which slows Python calls more than SQLite's), top {args.top}:")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


def main():
    """Profile each endpoint asked for."""
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="puas-profile-") as workdir:
        setup = Setup(workdir, args.synchronous)
        for endpoint in args.endpoint:
            profile_endpoint(setup, endpoint, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
