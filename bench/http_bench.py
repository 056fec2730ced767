"""HTTP benchmark: Puas's two write endpoints against the strongest simple Flask + SQLite app.

Starts gunicorn on 127.0.0.1 three times: Puas with its own gunicorn.conf.py (threaded
workers), and bench/baseline_app.py twice with the same number of workers, once with
gunicorn's sync workers and once with the same threaded workers as Puas. Every app listens
as Puas does, on a socket per worker (reuse_port), which lifted the baselines 5 to 8 %. It
sends each app the very same requests with wrk for the same time and connections, one
endpoint after another, and prints requests/s and p99 beside the stronger baseline's (the higher
requests/s of the two), with the targets: ticket ingest at >= 0.8x and survey submit at
>= 0.9x the baseline's requests/s, p99 <= 3x its p99, no errors.

Beside each figure it prints where the machine went: the CPU the app's gunicorn (master and
workers, every thread, user and system) used per request, and how busy both CPUs were (wrk
included). An app that uses more CPU per request while the machine is fully busy is bound
by its own work; one that leaves CPU idle waits on the disk or a lock (docs/development.md).

    .venv/bin/python bench/http_bench.py [--duration 10] [--connections 16] [--workers 4]
                                         [--worker-threads 4] [--rounds 1] [--json]

A benchmark, not a test: it exits 0 whatever the figures (2 when it cannot run at all).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

import requests

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN_DIR = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

from baseline_app import connect as connect_baseline  # noqa: E402
from baseline_app import init_db as init_baseline_db  # noqa: E402

from surveys.staff.accounts import create_api_key  # noqa: E402
from surveys.store import db as puas_db  # noqa: E402

TARGET_P99_RATIO = 3.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STARTUP_SECONDS = 30
SURVEY_ANSWERS = {"csat": "4", "ces": "6", "nps": "9", "comment": "Quick and friendly, thank you."}


def parse_args():
    """The command line; wrk never gets more threads than connections."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before each")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (every app)")
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=4,
        help="threads per threaded worker (Puas, and the threaded baseline)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every endpoint this many times; report the medians",
    )
    parser.add_argument(
        "--surveys", type=int, default=200, help="survey links prepared for POST /s/<token>"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=10,
        help="wrk timeout per request, seconds (slower counts as an error)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="also print one JSON object per endpoint (for bench/run_all.py)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary folder (databases, mail, server logs)",
    )
    args = parser.parse_args()
    args.threads = max(1, min(args.threads, args.connections))
    return args


# Servers


def free_port():
    """A port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """One gunicorn master we started, on 127.0.0.1, logging to a file."""

    def __init__(self, name, app_spec, chdir, env, workers, log_dir, port, options=()):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_dir) / f"{name}-gunicorn.log"
        self.command = [
            str(BIN_DIR / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(chdir),
            *options,
            app_spec,
        ]
        self.env = env
        self.process = None

    def start(self):
        """Spawn the master in its own session, output to the log file."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self):
        """Until the port answers HTTP (any status), for at most STARTUP_SECONDS."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(self.url + "/", timeout=5)
                return
            except requests.RequestException:  # not listening yet, or a worker still booting
                time.sleep(0.2)
        raise RuntimeError(
            f"{self.name} did not start; see {self.log_path}:\n" + self.log_path.read_text()[-2000:]
        )

    def cpu_seconds(self):
        """The CPU time (user and system, every thread) the master and its current workers
        have used so far, from /proc. A worker that died takes its time with it."""
        master = self.process.pid
        pids = [master]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if parent_pid(entry) == master:
                        pids.append(int(entry.name))
                except OSError:  # ended while we looked
                    continue
        total = 0.0
        for pid in pids:
            try:
                total += stat_cpu_seconds(f"/proc/{pid}/stat")
            except OSError:
                continue
        return total

    def stop(self):
        """SIGTERM to the master (it stops its workers); SIGKILL to the group if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def proc_stat_fields(stat_path):
    """The fields of a /proc stat file (a process's or a thread's) after the command's
    name, which may hold spaces."""
    return Path(stat_path).read_text().rsplit(")", 1)[1].split()


def parent_pid(proc_entry):
    """The parent's pid of the process behind a /proc entry."""
    return int(proc_stat_fields(proc_entry / "stat")[1])


def stat_cpu_seconds(stat_path):
    """User and system time so far (utime + stime) from a /proc stat file: a process's
    counts all its threads, /proc/<pid>/task/<tid>/stat one thread's."""
    fields = proc_stat_fields(stat_path)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_times():
    """(busy, idle) clock ticks of all CPUs since boot, from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values[:8]) - idle, idle


# Preparing the survey submissions, as a customer's browser would


class CsrfFieldParser(HTMLParser):
    """Finds the value of <input name="csrf_token">."""

    def __init__(self):
        super().__init__()
        self.csrf_token = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") == "csrf_token":
            self.csrf_token = attributes.get("value")


@dataclass
class SurveyTarget:
    """One prepared browser submission: where, with which cookie, what body."""

    path: str
    cookie: str
    body: str


def report_tickets(base_url, api_key, count, closed_at):
    """Close `count` tickets through the API, so the outbox has invitations to send."""
    with requests.Session() as client:
        client.headers["Authorization"] = f"Bearer {api_key}"
        for number in range(count):
            response = client.post(
                f"{base_url}/api/v1/tickets/closed",
                timeout=30,
                json={
                    "ticket_id": f"prep-{number}",
                    "closed_at": closed_at,
                    "customer": {"email": f"prep{number}@example.com", "name": "C"},
                    "agent": {"email": "a@example.com", "name": "A"},
                    "team": "Billing",
                    "channel": "email",
                },
            )
            if response.status_code != 201:
                raise RuntimeError(f"preparing tickets: {response.status_code} {response.text}")


def survey_tokens(mail_dir, base_url):
    """The link token of every invitation mail written by the mailbox sender."""
    link = re.compile(re.escape(base_url) + r"/s/([A-Za-z0-9_-]{43})")
    tokens = []
    for path in sorted(Path(mail_dir).glob("*.eml")):
        with open(path, "rb") as eml_file:
            message = BytesParser(policy=policy.default).parse(eml_file)
        text = message.get_body(preferencelist=("plain",)).get_content()
        found = set(link.findall(text))
        if len(found) != 1:
            raise RuntimeError(f"{path.name}: expected one survey token, found {len(found)}")
        tokens.extend(found)
    return tokens


def open_survey(base_url, token):
    """GET the survey page in a fresh 'browser': its session cookie and the form's CSRF token."""
    with requests.Session() as browser:
        page = browser.get(f"{base_url}/s/{token}?csat=4", timeout=30)
        if page.status_code != 200:
            raise RuntimeError(f"GET /s/<token> answered {page.status_code}")
        parser = CsrfFieldParser()
        parser.feed(page.text)
        cookie = browser.cookies.get("session")
    if not parser.csrf_token or not cookie:
        raise RuntimeError("the survey page gave no CSRF token or no session cookie")
    return SurveyTarget(
        path=f"/s/{token}",
        cookie=f"session={cookie}",
        body=urlencode({"csrf_token": parser.csrf_token, **SURVEY_ANSWERS}),
    )


def prepare_survey_targets(base_url, api_key, count, closed_at, env, mail_dir):
    """Tickets through the API, one outbox pass, links from the mails, then one GET each."""
    report_tickets(base_url, api_key, count, closed_at)
    subprocess.run(
        [str(BIN_DIR / "flask"), "outbox", "send-due"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    tokens = survey_tokens(mail_dir, base_url)
    if len(tokens) != count:
        raise RuntimeError(f"expected {count} invitation mails, found {len(tokens)}")
    return [open_survey(base_url, token) for token in tokens]


def check_survey_post(base_url, target):
    """One submission as the browser sends it (303), and one without its cookie (400)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    accepted = requests.post(
        base_url + target.path,
        data=target.body,
        timeout=30,
        headers={**headers, "Cookie": target.cookie},
        allow_redirects=False,
    )
    refused = requests.post(
        base_url + target.path, data=target.body, timeout=30, headers=headers, allow_redirects=False
    )
    if accepted.status_code != 303:
        raise RuntimeError(f"a prepared survey POST answered {accepted.status_code}, not 303")
    return refused.status_code


def write_lua_targets(targets, path):
    """The targets as a Lua file that returns a table (read by lua/survey.lua)."""

    def quoted(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = ["return {"]
    for target in targets:
        lines.append(
            f"  {{path = {quoted(target.path)}, cookie = {quoted(target.cookie)}, "
            f"body = {quoted(target.body)}}},"
        )
    lines.append("}")
    Path(path).write_text("\n".join(lines) + "\n")


# Load


@dataclass
class Measurement:
    """What one wrk run measured for one endpoint."""

    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bad_status: int
    socket_errors: int
    statuses: dict
    cpu_ms_per_request: float  # the server's CPU (all its processes and threads)
    machine_busy: float  # the share of all CPUs busy during the run, wrk's included

    @property
    def errors(self):
        """Refused or failed requests: a status outside 2xx/3xx, or a socket error."""
        return self.bad_status + self.socket_errors


def run_wrk(url, script, script_args, seconds, args):
    """One wrk run; returns the RESULT figures printed by lua/common.lua's done()."""
    command = [
        "wrk",
        "--threads",
        str(args.threads),
        "--connections",
        str(args.connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        f"{args.timeout}s",
        "--script",
        str(script),
        url,
        "--",
        *script_args,
    ]
    finished = subprocess.run(
        command, cwd=BENCH_DIR, capture_output=True, text=True, timeout=seconds + args.timeout + 60
    )
    figures = {}
    for line in finished.stdout.splitlines():
        if line.startswith("RESULT "):
            _, key, value = line.split()
            figures[key] = float(value)
    if finished.returncode != 0 or "requests" not in figures:
        raise RuntimeError(
            f"wrk failed ({finished.returncode}):\n{finished.stdout}\n{finished.stderr}"
        )
    return figures


def measure(name, server, path, script, script_args, args):
    """Warm up, then measure; script_args is a function of the run's label."""
    url = server.url + path
    run_wrk(url, script, script_args(f"warm{time.monotonic_ns()}"), args.warmup, args)
    cpu_before, machine_before = server.cpu_seconds(), machine_times()
    figures = run_wrk(url, script, script_args(f"run{time.monotonic_ns()}"), args.duration, args)
    cpu_used = server.cpu_seconds() - cpu_before
    (busy_after, idle_after), (busy_before, idle_before) = machine_times(), machine_before
    busy, idle = busy_after - busy_before, idle_after - idle_before
    statuses = {
        int(key.removeprefix("status_")): int(value)
        for key, value in figures.items()
        if key.startswith("status_")
    }
    return Measurement(
        name=name,
        requests_per_second=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        bad_status=int(figures["bad_status"]),
        socket_errors=int(figures["socket_errors"]),
        statuses=statuses,
        cpu_ms_per_request=cpu_used * 1000 / max(figures["requests"], 1),
        machine_busy=busy / max(busy + idle, 1),
    )


def combine(measurements):
    """Several rounds of one endpoint: median req/s and latencies, errors and statuses added."""
    if len(measurements) == 1:
        return measurements[0]
    statuses = {}
    for measurement in measurements:
        for status, count in measurement.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Measurement(
        name=measurements[0].name,
        requests_per_second=median(m.requests_per_second for m in measurements),
        p50_ms=median(m.p50_ms for m in measurements),
        p99_ms=median(m.p99_ms for m in measurements),
        max_ms=max(m.max_ms for m in measurements),
        bad_status=sum(m.bad_status for m in measurements),
        socket_errors=sum(m.socket_errors for m in measurements),
        statuses=statuses,
        cpu_ms_per_request=median(m.cpu_ms_per_request for m in measurements),
        machine_busy=median(m.machine_busy for m in measurements),
    )


# Report


@dataclass(frozen=True)
class Endpoint:
    """One write endpoint: both apps answer it at the same path, with the same requests."""

    name: str
    path: str
    script: str
    target_rps_ratio: float


ENDPOINTS = (
    Endpoint("POST /api/v1/tickets/closed", "/api/v1/tickets/closed", "tickets.lua", 0.8),
    Endpoint("POST /s/<token>", "", "survey.lua", 0.9),
)


def target_text(endpoint):
    """The endpoint's targets, in words."""
    return f">= {endpoint.target_rps_ratio}x req/s, p99 <= {TARGET_P99_RATIO}x, no errors"


def verdict(endpoint, measurement, baseline):
    """(req/s ratio, p99 ratio, failures) of Puas's measurement against the baseline's."""
    rps_ratio = measurement.requests_per_second / baseline.requests_per_second
    p99_ratio = measurement.p99_ms / baseline.p99_ms if baseline.p99_ms else float("inf")
    failures = []
    if rps_ratio < endpoint.target_rps_ratio:
        failures.append(f"req/s {rps_ratio:.2f}x < {endpoint.target_rps_ratio}x")
    if p99_ratio > TARGET_P99_RATIO:
        failures.append(f"p99 {p99_ratio:.2f}x > {TARGET_P99_RATIO}x")
    if measurement.errors:
        failures.append(f"{measurement.errors} Puas errors")
    if baseline.errors:
        failures.append(f"{baseline.errors} baseline errors: the comparison is not valid")
    return rps_ratio, p99_ratio, failures


def print_table(results):
    """Each endpoint's baseline and Puas rows, the ratios, the targets and status counts."""
    header = [
        "endpoint",
        "app",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "CPU ms/req",
        "busy",
        "req/s",
        "p99",
        "result",
    ]
    rows, notes = [], []
    for endpoint, baselines, puas in results:
        baseline = strongest(baselines)
        rps_ratio, p99_ratio, failures = verdict(endpoint, puas, baseline)
        for number, (app, measurement, ratios) in enumerate(
            (
                *(
                    (name + (" *" if measured is baseline else ""), measured, ["", "", ""])
                    for name, measured in baselines.items()
                ),
                (
                    "Puas",
                    puas,
                    [f"{rps_ratio:.2f}x", f"{p99_ratio:.2f}x", "FAIL" if failures else "PASS"],
                ),
            )
        ):
            rows.append(
                [
                    endpoint.name if number == 0 else "",
                    app,
                    f"{measurement.requests_per_second:.0f}",
                    f"{measurement.p50_ms:.1f}",
                    f"{measurement.p99_ms:.1f}",
                    str(measurement.errors),
                    f"{measurement.cpu_ms_per_request:.2f}",
                    f"{measurement.machine_busy:.0%}",
                    *ratios,
                ]
            )
        if failures:
            notes.append(f"  {endpoint.name}: FAIL ({'; '.join(failures)})")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]

    def line(cells):
        return "  ".join(
            cell.ljust(width) if column < 2 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    print()
    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))
    print()
    print(
        "The ratios are Puas's figure over the stronger baseline's (marked *) for the same "
        "endpoint. CPU ms/req: the app's gunicorn (every process and thread, user and "
        "system) per request; busy: both CPUs, wrk's share included. Targets:"
    )
    for endpoint in ENDPOINTS:
        print(f"  {endpoint.name}: {target_text(endpoint)}")
    print("An error is a status outside 2xx/3xx, a socket error or a timeout.")
    for endpoint, baselines, puas in results:
        for app, measurement in (*baselines.items(), ("Puas", puas)):
            statuses = ", ".join(
                f"{status}: {count}" for status, count in sorted(measurement.statuses.items())
            )
            print(
                f"  {endpoint.name}, {app}: statuses {{{statuses}}}, socket errors "
                f"{measurement.socket_errors}, max {measurement.max_ms:.0f} ms"
            )
    for note in notes:
        print(note)


def print_json(results):
    """One JSON object per endpoint, in the shape bench/run_all.py collects."""
    for endpoint, baselines, puas in results:
        baseline = strongest(baselines)
        rps_ratio, p99_ratio, failures = verdict(endpoint, puas, baseline)
        print(
            json.dumps(
                {
                    "path": endpoint.name,
                    "puas": round(puas.requests_per_second, 1),
                    "baseline": round(baseline.requests_per_second, 1),
                    "ratio": round(rps_ratio, 3),
                    "target": target_text(endpoint),
                    "pass": not failures,
                    "extra": {
                        "unit": "req/s",
                        "puas_p99_ms": round(puas.p99_ms, 1),
                        "baseline_p99_ms": round(baseline.p99_ms, 1),
                        "p99_ratio": round(p99_ratio, 2),
                        "puas_errors": puas.errors,
                        "baseline_errors": baseline.errors,
                        "puas_cpu_ms_per_request": round(puas.cpu_ms_per_request, 3),
                        "baseline_cpu_ms_per_request": round(baseline.cpu_ms_per_request, 3),
                        "puas_machine_busy": round(puas.machine_busy, 3),
                        "baseline_machine_busy": round(baseline.machine_busy, 3),
                        "baseline_server": baseline.name.rsplit(" ", 1)[-1],
                        "baselines_rps": {
                            name: round(measured.requests_per_second, 1)
                            for name, measured in baselines.items()
                        },
                        "failures": failures,
                    },
                }
            )
        )


def warn_if_busy(when):
    """Other work on the machine skews every figure: say so when the load is high."""
    load = os.getloadavg()[0]
    if load > 0.5:
        print(
            f"Note: 1-minute load average {when} is {load:.1f} on {os.cpu_count()} CPUs; "
            "other processes compete with the servers and wrk."
        )


def count_rows(path, table):
    """Rows in a table, to show the load really wrote."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    finally:
        connection.close()


def main():
    """Check for wrk, run in a temporary folder, always stop the servers."""
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed. Install it with: apt-get install wrk", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="puas-bench-"))
    servers = []
    try:
        return run(args, workdir, servers)
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def start_servers(args, workdir, servers):
    """The apps' databases, then their gunicorns; (baselines, puas, puas_env, api_key)."""
    puas_database = workdir / "puas.db"
    puas_db.migrate(str(puas_database))
    connection = puas_db.connect(str(puas_database))
    try:
        api_key = create_api_key(connection, "bench")
    finally:
        connection.close()
    init_baseline_db(str(workdir / "baseline.db"))
    # The same listening sockets as Puas's gunicorn.conf.py: one per worker (reuse_port).
    threaded = ["--reuse-port", "--worker-class", "gthread", "--threads", str(args.worker_threads)]
    baselines = [
        Gunicorn(
            name,
            "baseline_app:create_app()",
            BENCH_DIR,
            {**os.environ, "BASELINE_DATABASE": str(workdir / "baseline.db")},
            args.workers,
            workdir,
            free_port(),
            options,
        )
        # gunicorn reads ./gunicorn.conf.py (Puas's, threaded) when run from the repository.
        for name, options in (
            ("baseline-sync", ["--reuse-port", "--worker-class", "sync"]),
            ("baseline-threads", threaded),
        )
    ]
    puas_port = free_port()
    puas_env = {
        **os.environ,
        "FLASK_DATABASE": str(puas_database),
        "FLASK_SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "FLASK_MAIL_DIR": str(workdir / "mail"),
        "FLASK_SEND_DELAY_MINUTES": "0",
        "FLASK_THROTTLE_DAYS": "0",
        "FLASK_BASE_URL": f"http://127.0.0.1:{puas_port}",
    }
    # Puas as it ships (gunicorn.conf.py: threaded workers), with the benchmark's counts.
    puas = Gunicorn(
        "Puas",
        "app:create_app()",
        ROOT,
        puas_env,
        args.workers,
        workdir,
        puas_port,
        ["--config", str(ROOT / "gunicorn.conf.py"), "--threads", str(args.worker_threads)],
    )
    for server in (*baselines, puas):
        servers.append(server)
        server.start()
    for server in (*baselines, puas):
        server.wait_ready()
    return baselines, puas, puas_env, api_key


def prepare_surveys(args, workdir, puas, puas_env, api_key, closed_at):
    """The survey submissions as a Lua file, checked to be counted right; its path."""
    print(f"Preparing {args.surveys} survey links (API, outbox, mailbox, one GET each)...")
    started = time.monotonic()
    targets = prepare_survey_targets(
        puas.url, api_key, args.surveys, closed_at, puas_env, workdir / "mail"
    )
    refused_status = check_survey_post(puas.url, targets[0])
    targets_path = workdir / "survey_targets.lua"
    write_lua_targets(targets, targets_path)
    print(
        f"  ready in {time.monotonic() - started:.1f} s; a POST without the session "
        f"cookie answers {refused_status}"
    )
    # The Lua scripts must count such a refusal as an error, or a broken run would pass.
    self_check = run_wrk(
        puas.url, BENCH_DIR / "lua" / "survey.lua", [str(targets_path), "nocookie"], 1, args
    )
    if self_check["bad_status"] == 0 or self_check["bad_status"] != self_check["requests"]:
        raise RuntimeError(
            f"self-check: refused POSTs were not all counted as errors: {self_check}"
        )
    return targets_path


def measure_rounds(args, baselines, puas, script_args):
    """Every endpoint on every app, `--rounds` times; [(endpoint, {baseline: median},
    puas median)].

    The order of the apps turns from round to round, so that none always meets a database
    another has just grown (both baselines write the same file).
    """
    servers = [*baselines, puas]
    measured = {(endpoint.name, server.name): [] for endpoint in ENDPOINTS for server in servers}
    for number in range(1, args.rounds + 1):
        for endpoint in ENDPOINTS:
            shift = (number - 1) % len(servers)
            for server in servers[shift:] + servers[:shift]:
                print(f"Round {number}/{args.rounds}: {endpoint.name} on {server.name}...")
                measured[(endpoint.name, server.name)].append(
                    measure(
                        f"{endpoint.name} {server.name}",
                        server,
                        endpoint.path,
                        BENCH_DIR / "lua" / endpoint.script,
                        lambda label, endpoint=endpoint: script_args[endpoint.script](label),
                        args,
                    )
                )
    results = [
        (
            endpoint,
            {server.name: combine(measured[(endpoint.name, server.name)]) for server in baselines},
            combine(measured[(endpoint.name, puas.name)]),
        )
        for endpoint in ENDPOINTS
    ]
    if args.rounds > 1:
        print(f"\nMedians over {args.rounds} rounds; each round's ratios to the stronger baseline:")
        for index in range(args.rounds):
            ratios = ", ".join(
                f"{endpoint.name} "
                + "{:.2f}x req/s {:.2f}x p99".format(
                    *verdict(
                        endpoint,
                        measured[(endpoint.name, puas.name)][index],
                        strongest(
                            {
                                server.name: measured[(endpoint.name, server.name)][index]
                                for server in baselines
                            }
                        ),
                    )[:2]
                )
                for endpoint in ENDPOINTS
            )
            print(f"  round {index + 1}: {ratios}")
    return results


def strongest(baselines):
    """The baseline measurement with the most requests per second."""
    return max(baselines.values(), key=lambda measurement: measurement.requests_per_second)


def run(args, workdir, servers):
    """Set up both apps, prepare the survey submissions, measure, print."""
    baselines, puas, puas_env, api_key = start_servers(args, workdir, servers)
    closed_at = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    targets_path = prepare_surveys(args, workdir, puas, puas_env, api_key, closed_at)
    # Read back what each app's own connection sets, rather than trust the docstrings.
    settings = []
    for connection in (
        connect_baseline(workdir / "baseline.db"),
        puas_db.connect(workdir / "puas.db").conn,
    ):
        settings.append(
            tuple(
                connection.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "synchronous")
            )
        )
        connection.close()
    print(
        f"gunicorn: {args.workers} workers per app (sync for baseline-sync, "
        f"{args.worker_threads} threads each for the others); wrk: {args.threads} threads, "
        f"{args.connections} connections, {args.warmup} s warm-up + {args.duration} s "
        f"per endpoint and app, {args.rounds} round(s); {os.cpu_count()} CPUs; "
        f"SQLite {sqlite3.sqlite_version}; journal_mode and synchronous (2 = FULL): "
        f"baseline {settings[0]}, Puas {settings[1]}; one kept connection per worker"
    )
    warn_if_busy("before measuring")
    script_args = {
        "tickets.lua": lambda label: [api_key, label, closed_at],
        "survey.lua": lambda label: [str(targets_path)],
    }
    results = measure_rounds(args, baselines, puas, script_args)
    print_table(results)
    warn_if_busy("after measuring")
    print(
        "Rows after the run: baseline closures "
        f"{count_rows(workdir / 'baseline.db', 'closures')}, answers "
        f"{count_rows(workdir / 'baseline.db', 'answers')}; Puas tickets "
        f"{count_rows(workdir / 'puas.db', 'tickets')}, responses "
        f"{count_rows(workdir / 'puas.db', 'responses')}"
    )
    if args.json:
        print_json(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
