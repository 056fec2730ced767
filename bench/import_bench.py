"""Import benchmark: `flask import-tickets` against `sqlite-utils insert --csv`, same file.

Writes a help desk's export of N closed tickets (default 1,000,000) as CSV, loads it with
`sqlite-utils insert --csv` into a fresh database and with `flask import-tickets` into a
fresh Puas database, one after the other, each in its own process, and prints rows/s,
the ratio, each process's peak memory and PASS or FAIL against the targets: Puas at
>= 0.5x sqlite-utils's rows/s, the import's peak resident memory <= 150 MiB, and the
rollups afterwards equal to a rebuild from the raw rows. With --calls, the same for a
phone system's call log of N calls and `flask import-calls`.

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--calls] [--json] [--keep]

A benchmark, not a test: it exits 0 whatever the figures (2 when it cannot run at all).
"""

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent

TARGET_RATIO = 0.5
TARGET_PEAK_MIB = 150
# The export covers the two years before the benchmark's "now" (closures dated in the
# future are refused), in the business's zone without offsets, as help desks write them.
TIMEZONE = "Asia/Jakarta"
SPAN = timedelta(days=730)
HEADER = (
    "Ticket ID,Requester email,Requester name,Created at,First reply at,Solved at,"
    "Assignee email,Assignee,Group,Channel,Replies,Escalated,Reopened\n"
)
AGENTS = 40
TEAMS = ("Billing", "Technical", "Accounts", "Shipping", "Returns", "Enterprise")
CHANNELS = ("email", "chat", "phone", "web", "whatsapp")
INVALID_EVERY = 500  # one row in 500 has a problem (an address or a time a person typed)
REPEATED_EVERY = 1000  # one row in 1,000 is exported twice
ROLLUP_TABLES = ("ticket_rollups", "duration_rollups", "agent_duration_rollups", "channels")
CALL_HEADER = "UniqueID,Start,Answered,End,Disposition,Agent,Queue\n"
# What a call log writes for each outcome, and how often (of 100 calls).
DISPOSITIONS = {"ANSWERED": 85, "NO ANSWER": 12, "BUSY": 3}


def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="tickets in the file")
    parser.add_argument(
        "--calls",
        action="store_true",
        help="a call log of --rows calls through flask import-calls instead",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (path, puas, baseline, ratio, target, pass, extra) "
        "instead of the table",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args()


def write_export(path, rows, seed=16, calls=False):
    """A help desk's export of `rows` closures, in closing order: a few customers come
    back often, most once or twice (or, with `calls`, a call log of `rows` calls); some
    rows are refused, some appear twice. Returns (lines after the header, rows refused,
    valid rows repeated)."""
    chooser = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) - SPAN - timedelta(days=1)
    step = SPAN.total_seconds() / max(rows, 1)
    customers = max(rows * 6 // 10, 1)
    lines = refused = repeated = 0
    with open(path, "w", encoding="utf-8", newline="") as export:
        export.write(CALL_HEADER if calls else HEADER)
        for number in range(rows):
            at = start + timedelta(seconds=number * step)
            if calls:
                line = call_line(chooser, number, at)
            else:
                line = export_line(chooser, number, at, customers)
            invalid = number % INVALID_EVERY == INVALID_EVERY - 1
            copies = 2 if number % REPEATED_EVERY == REPEATED_EVERY - 1 else 1
            export.write(line * copies)
            lines += copies
            refused += copies if invalid else 0
            repeated += 0 if invalid else copies - 1
    return lines, refused, repeated


def export_line(chooser, number, closed, customers):
    """One row of the export (local times, as a help desk writes them)."""
    opened = closed - timedelta(seconds=chooser.randint(300, 4 * 86_400))
    replied = opened + (closed - opened) * chooser.random() if chooser.random() > 0.03 else None
    customer = chooser.randrange(40) if chooser.random() < 0.1 else chooser.randrange(customers)
    agent = chooser.randrange(AGENTS)
    email = f"customer{customer}@example.com"
    solved = local(closed)
    if number % INVALID_EVERY == INVALID_EVERY - 1:
        email, solved = ("not-an-address", solved) if number % 2 else (email, "yesterday")
    return (
        f"{100_000 + number},{email},Customer {customer},{local(opened)},"
        f"{local(replied) if replied else ''},{solved},agent{agent}@acme-support.com,Agent {agent},"
        f"{TEAMS[agent % len(TEAMS)]},{chooser.choice(CHANNELS)},{chooser.randint(1, 3)},"
        f"{'yes' if chooser.random() < 0.1 else 'no'},"
        f"{'true' if chooser.random() < 0.05 else 'false'}\n"
    )


def call_line(chooser, number, queued):
    """One row of a call log (local times, the phone system's own words)."""
    disposition = chooser.choices(list(DISPOSITIONS), list(DISPOSITIONS.values()))[0]
    wait = timedelta(seconds=chooser.randint(0, 600))
    answered = queued + wait if disposition == "ANSWERED" else None
    ended = (answered or queued + wait) + timedelta(seconds=chooser.randint(20, 1800))
    agent = chooser.randrange(AGENTS)
    start = local(queued)
    if number % INVALID_EVERY == INVALID_EVERY - 1:
        disposition, start = ("maybe", start) if number % 2 else (disposition, "yesterday")
    return (
        f"L-{100_000 + number},{start},{local(answered) if answered else ''},{local(ended)},"
        f"{disposition},{f'agent{agent}@acme-support.com' if answered else ''},"
        f"{TEAMS[agent % len(TEAMS)]}\n"
    )


def local(instant):
    """An instant as the business's wall-clock time, without an offset (UTC+7, no DST)."""
    return (instant + timedelta(hours=7)).strftime("%Y-%m-%d %H:%M:%S")


def run_child(command, env=None, stdout=None, stderr=None):
    """Run a command; (seconds, CPU seconds, peak resident MiB, exit status) of that
    process alone.

    wait4 reads the child's own rusage. On Linux a child's ru_maxrss starts from the size
    of the process that forked it, so this script keeps itself small (it never holds the
    file) and prints its own peak beside the children's.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode


def puas_env(folder):
    """The settings `flask` reads from the environment, for a Puas of its own."""
    return dict(
        os.environ,
        FLASK_DATABASE=str(folder / "puas.db"),
        FLASK_SECRET_KEY="import-bench",
        FLASK_TIMEZONE=TIMEZONE,
        FLASK_MAIL_DIR=str(folder / "mail"),
    )


def counted_rollups(path):
    """Every rollup row that counts something, and the repeat flags (a rebuild also
    writes cells that count nothing)."""
    connection = sqlite3.connect(path)
    try:
        snapshot = {}
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND (name LIKE '%rollups' OR name = 'channels') ORDER BY name"
        ).fetchall()
        for (table,) in tables:
            columns = connection.execute(f"PRAGMA table_info({table})").fetchall()
            counts = [index for index, column in enumerate(columns) if not column[5]]
            snapshot[table] = sorted(
                row
                for row in connection.execute(f"SELECT * FROM {table}")  # noqa: S608
                if not counts or any(row[index] for index in counts)
            )
        snapshot["repeated"] = connection.execute(
            "SELECT id FROM tickets WHERE repeated = 1 ORDER BY id"
        ).fetchall()
        return snapshot
    finally:
        connection.close()


def rollups_equal_a_rebuild(folder):
    """True when `flask rollups rebuild` leaves every counted rollup as the import did."""
    kept = counted_rollups(folder / "puas.db")
    rebuilt = subprocess.run(
        [BIN / "flask", "rollups", "rebuild"],
        cwd=ROOT,
        env=puas_env(folder),
        capture_output=True,
        text=True,
        check=False,
    )
    if rebuilt.returncode != 0:
        print(rebuilt.stderr, file=sys.stderr)
        return False
    return counted_rollups(folder / "puas.db") == kept


def measure(folder, rows, calls=False):
    """Write the export (a call log with `calls`), load it with both tools; a dict of
    what was measured."""
    export = folder / "export.csv"
    lines, refused, repeated = write_export(export, rows, calls=calls)
    table, command = ("calls", "import-calls") if calls else ("tickets", "import-tickets")
    log(f"{lines:,} rows written ({export.stat().st_size / 2**20:.0f} MiB)")
    bench_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    log("sqlite-utils insert --csv ...")
    baseline_seconds, baseline_cpu, baseline_peak, status = run_child(
        [BIN / "sqlite-utils", "insert", folder / "baseline.db", table, export, "--csv"]
    )
    if status != 0:
        raise SystemExit("sqlite-utils failed")

    env = puas_env(folder)
    subprocess.run([BIN / "flask", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    log(f"flask {command} ...")
    with open(folder / "import.out", "w") as out, open(folder / "import.err", "w") as err:
        seconds, cpu, peak, status = run_child(
            [BIN / "flask", command, export], env=env, stdout=out, stderr=err
        )
    last = (folder / "import.out").read_text().strip().splitlines()[-1:]
    expected = (
        f"{lines - refused - repeated:,} new, {repeated:,} already stored, {refused:,} refused"
    )
    # The file holds refused rows on purpose: the import then ends with status 3.
    counts_ok = status == (3 if refused else 0) and bool(last) and last[0].startswith(expected)
    if not counts_ok:
        log(f"!!! the import ended with {status} and {last}, expected {expected!r}")
    log("flask rollups rebuild, to compare ...")
    return {
        "command": command,
        "rows": lines,
        "seconds": seconds,
        "baseline_seconds": baseline_seconds,
        "cpu_seconds": cpu,
        "baseline_cpu_seconds": baseline_cpu,
        "peak_mib": peak,
        "baseline_peak_mib": baseline_peak,
        "bench_peak_mib": bench_peak,
        "counts_ok": counts_ok,
        "rollups_equal_rebuild": rollups_equal_a_rebuild(folder),
    }


def result(measured):
    """The JSON object `make bench` collects."""
    puas = measured["rows"] / measured["seconds"]
    baseline = measured["rows"] / measured["baseline_seconds"]
    ratio = puas / baseline
    passed = (
        ratio >= TARGET_RATIO
        and measured["peak_mib"] <= TARGET_PEAK_MIB
        and measured["counts_ok"]
        and measured["rollups_equal_rebuild"]
    )
    extra = {key: value for key, value in measured.items() if key not in ("rows", "command")}
    extra["peak_target_mib"] = TARGET_PEAK_MIB
    extra["unit"] = "rows/s"
    if not passed:
        extra["failures"] = [
            failure
            for failure, failed in (
                (f"ratio {ratio:.2f} < {TARGET_RATIO}", ratio < TARGET_RATIO),
                (
                    f"peak {measured['peak_mib']:.0f} MiB > {TARGET_PEAK_MIB}",
                    measured["peak_mib"] > TARGET_PEAK_MIB,
                ),
                ("wrong last line", not measured["counts_ok"]),
                ("rollups differ from a rebuild", not measured["rollups_equal_rebuild"]),
            )
            if failed
        ]
    return {
        "path": f"flask {measured['command']}, {measured['rows']:,} rows",
        "puas": round(puas),
        "baseline": round(baseline),
        "ratio": round(ratio, 2),
        "target": f">= {TARGET_RATIO}x",
        "pass": passed,
        "extra": {
            key: round(value, 2) if isinstance(value, float) else value
            for key, value in extra.items()
        },
    }


def print_table(outcome):
    """One table row, as `make bench` prints every benchmark, then the details."""
    extra = outcome["extra"]
    print("| path | Puas | baseline | ratio | target | result |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {outcome['path']} | {outcome['puas']:,} rows/s | {outcome['baseline']:,} rows/s "
        f"(sqlite-utils insert --csv) | {outcome['ratio']:.2f}x | {outcome['target']}, "
        f"peak <= {TARGET_PEAK_MIB} MiB | {'PASS' if outcome['pass'] else 'FAIL'} |"
    )
    for failure in extra.get("failures", ()):
        print(f"FAIL: {failure}")
    print()
    print(
        f"seconds: Puas {extra['seconds']:.1f}, sqlite-utils {extra['baseline_seconds']:.1f} "
        f"(CPU seconds: {extra['cpu_seconds']:.1f} and {extra['baseline_cpu_seconds']:.1f}); "
        f"peak resident memory: Puas {extra['peak_mib']:.0f} MiB (target <= {TARGET_PEAK_MIB}), "
        f"sqlite-utils {extra['baseline_peak_mib']:.0f} MiB, this script "
        f"{extra['bench_peak_mib']:.0f} MiB"
    )
    print(
        f"last line as expected: {'yes' if extra['counts_ok'] else 'NO'}; "
        f"rollups equal a rebuild: {'yes' if extra['rollups_equal_rebuild'] else 'NO'}"
    )
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(f"load average {load:.1f} on {os.cpu_count()} CPUs: other work moves every figure")


def log(message):
    """Progress, on stderr (stdout holds the table or the JSON)."""
    print(message, file=sys.stderr, flush=True)


def main():
    """Measure, print, exit 0 whatever the figures."""
    arguments = parse_args()
    if not (BIN / "sqlite-utils").exists():
        log(f"sqlite-utils is not installed in {BIN}: make install")
        return 2
    folder = Path(tempfile.mkdtemp(prefix="puas-import-bench-"))
    try:
        outcome = result(measure(folder, arguments.rows, arguments.calls))
    finally:
        if arguments.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if arguments.json:
        print(json.dumps(outcome))
    else:
        print_table(outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
