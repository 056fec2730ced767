"""Mail benchmark: a burst of invitations from `flask outbox send-due` beside a plain smtplib loop.

Starts an aiosmtpd sink on 127.0.0.1 whose handler parses every message with the standard
`email` package (as a real server does work per message), creates a Puas database with N
invitations due (closures stored the way the API stores them), then sends, to the same
sink and in the same run:

- the baseline: a plain smtplib loop on one connection (a process of its own), sending N
  messages of the size Puas sends (a real Puas invitation, its recipient and Message-ID
  changed for each);
- Puas: `flask outbox send-due` as a subprocess, the real command.

Speed is read at the sink, from the first message to the last. It prints mails/s for
each, the ratio (target >= 0.8x) and PASS or FAIL, and checks that every invitation was
delivered exactly once and recorded as sent.

    .venv/bin/python bench/mail_bench.py [--count 2000] [--rounds 1] [--json] [--profile]

With --json it prints one JSON object (path, puas, baseline, ratio, target, pass, extra)
for `make bench` to collect. A benchmark, not a test: it exits 0 whatever the figures (2
when it cannot run at all).
"""

import argparse
import json
import os
import pstats
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import closing
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from statistics import median

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 0.8
PATH_NAME = "flask outbox send-due"
SECRET_KEY = "mail-bench-secret"
WORKER_TIMEOUT_SECONDS = 600
LANGUAGES = ("en", "en", "en", "en", "id-ID")  # one customer in five reads Bahasa Indonesia


class BenchError(Exception):
    """The benchmark cannot run (a command failed, the set-up came out wrong)."""


def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="invitations (and messages)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure both this many times; report medians"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the table"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run the worker once under cProfile and print where its time goes",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--smtplib-loop", nargs=3, metavar=("PORT", "COUNT", "TEMPLATE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.count < 2 or args.rounds < 1:
        parser.error("--count must be at least 2 and --rounds at least 1")
    return args


# The sink


class ParsingSink:
    """An aiosmtpd handler that parses each message as a real server would, and notes when
    it came, its recipients, its Message-ID and which connection carried it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = 0
        self.reset()

    def reset(self):
        """Forget what came before: a new measurement starts."""
        with self.lock:
            # (perf_counter, recipients, Message-ID, message, connection)
            self.arrivals = []

    async def handle_DATA(self, server, session, envelope):
        """Parse the message, read its headers and bodies, and accept it."""
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        for name in ("From", "To", "Subject", "Date"):
            str(message[name])
        for part in message.walk():
            if part.get_content_maintype() == "text":
                part.get_content()
        with self.lock:
            if not hasattr(session, "number"):  # one session per connection
                self.sessions += 1
                session.number = self.sessions
            self.arrivals.append(
                (
                    time.perf_counter(),
                    tuple(envelope.rcpt_tos),
                    str(message["Message-ID"]),
                    envelope.original_content,
                    session.number,
                )
            )
        return "250 Message accepted for delivery"

    def measurement(self):
        """Mails per second from the first message to the last, and what arrived."""
        with self.lock:
            arrivals = list(self.arrivals)
        if len(arrivals) < 2:
            return 0.0, arrivals
        seconds = arrivals[-1][0] - arrivals[0][0]
        return (len(arrivals) - 1) / seconds if seconds > 0 else float("inf"), arrivals


def start_sink():
    """The sink on a free port of 127.0.0.1, in a thread of this process."""
    from aiosmtpd.controller import Controller

    handler = ParsingSink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, handler


def free_port():
    """A port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Puas


def puas_config(workdir, port):
    """The settings of the Puas under test: SMTP to the sink, mail due at once."""
    return {
        "DATABASE": str(workdir / "puas.db"),
        "SECRET_KEY": SECRET_KEY,
        "MAIL_DIR": str(workdir / "mail"),
        "SEND_DELAY_MINUTES": 0,
        "THROTTLE_DAYS": 0,
        "COMPANY_NAME": "Acme Support",
        "BASE_URL": "https://surveys.example.com",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
    }


def puas_env(config):
    """The settings as FLASK_* variables, the way a deployment passes them."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    for key, value in config.items():
        env[f"FLASK_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def create_invitations(config, count):
    """A fresh database with `count` invitations due, each stored as the API stores a
    closed ticket (parse_closure, then record_closure)."""
    from app import create_app
    from surveys import clock
    from surveys.helpdesk.closures import parse_closure, record_closure
    from surveys.store.db import connect, immediate, migrate

    migrate(config["DATABASE"])
    app = create_app(dict(config, TESTING=False))
    closed_at = clock.now() - timedelta(hours=1)
    with app.app_context():
        db = connect(config["DATABASE"])
        try:
            # One transaction for the set-up only: how fast closures arrive is not measured.
            with immediate(db):
                for number in range(count):
                    closure, errors = parse_closure(
                        {
                            "ticket_id": f"T-{number:06d}",
                            "closed_at": clock.to_iso(closed_at + timedelta(seconds=number)),
                            "customer": {
                                "email": f"customer{number}@example.com",
                                "name": f"Customer {number}",
                                "locale": LANGUAGES[number % len(LANGUAGES)],
                            },
                            "agent": {"email": "dewi@example.com", "name": "Dewi Lestari"},
                            "team": "Billing",
                            "channel": "email",
                        }
                    )
                    assert not errors, errors
                    record_closure(db, closure, app.config)
        finally:
            db.close()
    due = count_where(config["DATABASE"], "outbox", "status = 'pending'")
    if due != count:
        raise BenchError(f"expected {count} invitations due, found {due}")


def count_where(path, table, condition):
    """Rows of a table matching a fixed condition (never user input)."""
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(
            f"SELECT count(*) FROM {table} WHERE {condition}"  # noqa: S608 (constants)
        ).fetchone()[0]


def copy_database(source, target):
    """A consistent copy of a database file (SQLite's backup), for a fresh round."""
    for suffix in ("", "-wal", "-shm", "-writer"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)
        copy.execute("PRAGMA journal_mode = WAL")


def run_worker(config, workdir, profile_path=None):
    """`flask outbox send-due` as a subprocess; its output."""
    command = [sys.executable]
    if profile_path:
        command += ["-m", "cProfile", "-o", str(profile_path)]
    command += ["-m", "flask", "outbox", "send-due"]
    finished = subprocess.run(
        command,
        cwd=ROOT,
        env=puas_env(config),
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT_SECONDS,
    )
    if finished.returncode != 0:
        raise BenchError(f"flask outbox send-due failed:\n{finished.stdout}{finished.stderr}")
    return finished.stdout.strip()


def check_puas_delivery(config, arrivals, count):
    """Problems with a Puas run: an invitation not delivered exactly once, or not recorded
    as sent."""
    problems = []
    recipients = Counter(recipient for _, rcpts, _, _, _ in arrivals for recipient in rcpts)
    expected = {f"customer{number}@example.com" for number in range(count)}
    missing = expected - set(recipients)
    twice = [address for address, seen in recipients.items() if seen > 1]
    if missing:
        problems.append(f"{len(missing)} invitations never arrived")
    if twice:
        problems.append(f"{len(twice)} invitations arrived more than once")
    message_ids = Counter(message_id for _, _, message_id, _, _ in arrivals)
    if any(seen > 1 for seen in message_ids.values()):
        problems.append("a Message-ID arrived more than once")
    sent = count_where(config["DATABASE"], "outbox", "status = 'sent'")
    invitations = count_where(config["DATABASE"], "invitations", "status = 'sent'")
    if (sent, invitations) != (count, count):
        problems.append(f"recorded sent: {sent} outbox rows, {invitations} invitations")
    return problems


# The baseline


def smtplib_loop(port, count, template_path):
    """The baseline, in a process of its own: one connection, `count` messages of the
    template's size, each to its own recipient with its own Message-ID."""
    import smtplib

    template = Path(template_path).read_bytes()
    recipient = message_from_bytes(template, policy=policy.default)["To"].addresses[0]
    message_id = str(message_from_bytes(template, policy=policy.default)["Message-ID"])
    address = recipient.addr_spec.encode()
    connection = smtplib.SMTP("127.0.0.1", port, timeout=30)
    try:
        for number in range(count):
            mail = f"base{number:06d}@example.com".encode()
            body = template.replace(address, mail).replace(
                message_id.encode(), f"<base-{number:06d}@example.com>".encode()
            )
            connection.sendmail("surveys@localhost", [mail.decode()], body)
    finally:
        connection.quit()


def run_baseline(port, count, template_path):
    """The smtplib loop as a subprocess of this script."""
    finished = subprocess.run(
        [sys.executable, __file__, "--smtplib-loop", str(port), str(count), str(template_path)],
        cwd=ROOT,
        timeout=WORKER_TIMEOUT_SECONDS,
    )
    if finished.returncode != 0:
        raise BenchError("the smtplib loop failed")


# Measuring


def cpu_seconds():
    """(CPU seconds of this process, which runs the sink; of its finished children)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


def cpu_per_mail(before, count):
    """Milliseconds of CPU per mail since `before`: (the sink's, the sender's)."""
    after = cpu_seconds()
    return tuple(
        round(1000 * (end - start) / count, 2) for start, end in zip(before, after, strict=True)
    )


def measure_puas(sink, template_db, config, workdir, count):
    """One Puas run on a fresh copy of the database: (mails/s, arrivals, output, problems,
    CPU per mail)."""
    copy_database(template_db, config["DATABASE"])
    sink.reset()
    before = cpu_seconds()
    output = run_worker(config, workdir)
    cpu = cpu_per_mail(before, count)
    rate, arrivals = sink.measurement()
    return rate, arrivals, output, check_puas_delivery(config, arrivals, count), cpu


def measure_baseline(sink, port, count, template_path):
    """One baseline run: (mails/s, arrivals, CPU per mail)."""
    sink.reset()
    before = cpu_seconds()
    run_baseline(port, count, template_path)
    cpu = cpu_per_mail(before, count)
    rate, arrivals = sink.measurement()
    return rate, arrivals, cpu


def connections_used(arrivals):
    """How many SMTP connections carried the messages."""
    return len({connection for *_, connection in arrivals})


def profile_worker(sink, template_db, config, workdir):
    """Run the worker once more, under cProfile; print (on standard error, so that --json
    stays one object) its top functions by total and by own time."""
    copy_database(template_db, config["DATABASE"])
    sink.reset()
    profile_path = workdir / "worker.prof"
    run_worker(config, workdir, profile_path=profile_path)
    stats = pstats.Stats(str(profile_path), stream=sys.stderr)
    print("\nThe worker under cProfile (cumulative, then own time):", file=sys.stderr)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(20)


def run(args, workdir, sink, port):
    """Set up, then measure both in alternating order; the results as a dict."""
    config = puas_config(workdir, port)
    template_db = workdir / "template.db"
    create_invitations(dict(config, DATABASE=str(template_db)), args.count)
    puas_rates, baseline_rates, problems, connections, outputs = [], [], [], [], []
    cpu_puas, cpu_baseline = [], []
    template_path = workdir / "puas-message.eml"
    size = None
    for round_number in range(args.rounds):
        order = ("puas", "baseline") if round_number % 2 == 0 else ("baseline", "puas")
        for which in order:
            if which == "puas":
                rate, arrivals, output, found, cpu = measure_puas(
                    sink, template_db, config, workdir, args.count
                )
                puas_rates.append(rate)
                cpu_puas.append(cpu)
                problems.extend(found)
                connections.append(connections_used(arrivals))
                outputs.append(output)
                if size is None:
                    # The baseline sends a real Puas message, one of median size.
                    messages = sorted((arrival[3] for arrival in arrivals), key=len)
                    template_path.write_bytes(messages[len(messages) // 2])
                    size = template_path.stat().st_size
            else:
                rate, arrivals, cpu = measure_baseline(sink, port, args.count, template_path)
                baseline_rates.append(rate)
                cpu_baseline.append(cpu)
                if len(arrivals) != args.count:
                    problems.append(f"baseline delivered {len(arrivals)} of {args.count}")
    if args.profile:
        profile_worker(sink, template_db, config, workdir)
    puas, baseline = median(puas_rates), median(baseline_rates)
    return {
        "load_average": round(os.getloadavg()[0], 1),
        "puas": puas,
        "baseline": baseline,
        "ratio": puas / baseline if baseline else 0.0,
        "size": size,
        "connections": connections,
        "problems": problems,
        "outputs": outputs,
        "puas_rates": puas_rates,
        "baseline_rates": baseline_rates,
        "cpu_puas": cpu_puas,
        "cpu_baseline": cpu_baseline,
    }


def result_json(args, result):
    """The one JSON object bench/run_all.py collects."""
    failures = list(result["problems"])
    if result["ratio"] < TARGET_RATIO:
        failures.append(f"{result['ratio']:.2f}x < {TARGET_RATIO}x")
    return {
        "path": f"{PATH_NAME}, {args.count:,} invitations",
        "puas": round(result["puas"], 1),
        "baseline": round(result["baseline"], 1),
        "ratio": round(result["ratio"], 3),
        "target": f">= {TARGET_RATIO}x",
        "pass": not failures,
        "extra": {
            "unit": "mails/s",
            "baseline_is": "plain smtplib loop, one connection, same sink, same size",
            "message_bytes": result["size"],
            "rounds": args.rounds,
            "puas_rates": [round(rate, 1) for rate in result["puas_rates"]],
            "baseline_rates": [round(rate, 1) for rate in result["baseline_rates"]],
            "puas_connections": result["connections"],
            "worker_said": result["outputs"][0],
            "load_average_after": result["load_average"],
            # CPU milliseconds per mail, per round: (the sink's, the sender process's,
            # the latter including its start-up).
            "puas_cpu_ms_per_mail": result["cpu_puas"],
            "baseline_cpu_ms_per_mail": result["cpu_baseline"],
            "failures": failures,
        },
    }


def print_table(summary):
    """One row: path, Puas, baseline, ratio, target, PASS or FAIL, and the checks."""
    header = ["path", "Puas mails/s", "baseline mails/s", "ratio", "target", "result"]
    row = [
        summary["path"],
        f"{summary['puas']:.0f}",
        f"{summary['baseline']:.0f}",
        f"{summary['ratio']:.2f}x",
        summary["target"],
        "PASS" if summary["pass"] else "FAIL",
    ]
    widths = [max(len(a), len(b)) for a, b in zip(header, row, strict=True)]
    print()
    print("  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    extra = summary["extra"]
    print()
    print(
        f"Baseline: {extra['baseline_is']} ({extra['message_bytes']} bytes a message). "
        f"Rounds: {extra['rounds']}; Puas {extra['puas_rates']}, "
        f"baseline {extra['baseline_rates']} mails/s; Puas used "
        f"{extra['puas_connections']} SMTP connections."
    )
    print(
        "CPU ms per mail (sink, sender): Puas "
        f"{extra['puas_cpu_ms_per_mail']}, baseline {extra['baseline_cpu_ms_per_mail']}."
    )
    print(
        f"The worker said: {extra['worker_said']!r}. 1-minute load average after the run: "
        f"{extra['load_average_after']} on {os.cpu_count()} CPUs (other work skews the figures)."
    )
    for failure in extra["failures"]:
        print(f"  FAIL: {failure}")


def main():
    """Run in a temporary folder; always stop the sink."""
    args = parse_args()
    if args.smtplib_loop:
        port, count, template = args.smtplib_loop
        smtplib_loop(int(port), int(count), template)
        return 0
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        print("aiosmtpd is missing: make install-test", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="puas-mail-bench-"))
    controller, sink = start_sink()
    try:
        result = run(args, workdir, sink, controller.port)
    except (BenchError, subprocess.TimeoutExpired) as error:
        print(f"mail_bench: {error}", file=sys.stderr)
        return 2
    finally:
        controller.stop()
        if args.keep:
            print(f"Kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = result_json(args, result)
    if args.json:
        print(json.dumps(summary))
    else:
        print_table(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
