"""Every benchmark, one table: path, Puas, baseline, ratio, target, PASS or FAIL.

Runs each benchmark in bench/ with `--json` at a size that takes minutes rather than
hours, collects the JSON objects each prints ({"path", "puas", "baseline", "ratio",
"target", "pass", "extra"}), and prints one Markdown table with the date, the machine and
its load, ready to paste into docs/development.md. Each script's whole output goes to a
log file in `--logs`.

    .venv/bin/python bench/run_all.py [--rounds 3] [--only http mail] [--logs bench/results]

`make bench` runs it with the defaults. A benchmark, not a test: it exits 0 whatever the
figures (2 when a benchmark could not run at all).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# A benchmark that runs longer than this is stopped and reported as failed.
SCRIPT_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class Benchmark:
    """One script, its arguments at `make bench` size, and how it takes rounds: through
    its own option (measuring in one setup, alternating with its baseline), or, when it
    has none, by being run once per round."""

    name: str
    script: str
    arguments: tuple
    rounds_option: str | None


def benchmarks(args):
    """The benchmarks at the sizes the command line asks for."""
    return [
        Benchmark(
            "report",
            "report_bench.py",
            ("--rows", str(args.report_rows)),
            "--runs",
        ),
        Benchmark(
            "http",
            "http_bench.py",
            ("--duration", str(args.http_duration), "--surveys", "200"),
            "--rounds",
        ),
        Benchmark("import", "import_bench.py", ("--rows", str(args.import_rows)), None),
        Benchmark("calls", "import_bench.py", ("--rows", str(args.import_rows), "--calls"), None),
        Benchmark("mail", "mail_bench.py", ("--count", str(args.mail_count)), "--rounds"),
    ]


def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per benchmark; medians reported"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["report", "http", "import", "calls", "mail"],
        help="run only these benchmarks",
    )
    parser.add_argument("--report-rows", type=int, default=1_000_000)
    parser.add_argument("--http-duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--mail-count", type=int, default=2_000)
    parser.add_argument(
        "--logs",
        default="bench/results",
        help="folder for each benchmark's full output (ignored by git)",
    )
    return parser.parse_args()


def run_script(benchmark, extra_arguments, log_path):
    """Run one benchmark with --json; (its JSON objects, its exit status). Its output goes
    to log_path as it comes (progress shows there), and is read back from it."""
    command = [
        sys.executable,
        str(BENCH_DIR / benchmark.script),
        *benchmark.arguments,
        *extra_arguments,
        "--json",
    ]
    started = time.monotonic()
    with open(log_path, "a") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        offset = log.tell()
        try:
            status = subprocess.run(
                command,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=SCRIPT_TIMEOUT_SECONDS,
            ).returncode
        except subprocess.TimeoutExpired:
            status = f"stopped after {SCRIPT_TIMEOUT_SECONDS} s"
        log.seek(0, os.SEEK_END)
        log.write(f"\n(exit {status}, {time.monotonic() - started:.0f} s)\n")
    with open(log_path) as log:
        log.seek(offset)
        return json_objects(log.read()), status


def json_objects(output):
    """The result objects among a script's output lines (its other lines are for people)."""
    objects = []
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        try:
            candidate = json.loads(line)
        except ValueError:
            continue
        if isinstance(candidate, dict) and "path" in candidate:
            objects.append(candidate)
    return objects


def median_row(rows):
    """Of one path's rows from several runs, the run with the median ratio (Puas, baseline
    and the verdict stay those of one run), noting every run's ratio and verdict."""
    if len(rows) == 1:
        return rows[0]
    measured = [row for row in rows if row.get("ratio") is not None]
    if not measured:
        ordered = sorted(rows, key=lambda row: row.get("puas") or 0)
    else:
        ordered = sorted(measured, key=lambda row: row["ratio"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["runs"] = [(row.get("ratio"), row.get("pass")) for row in rows]
    return chosen


def collect(benchmark, args, log_dir):
    """One benchmark's rows: medians over --rounds, or a failed row when it gave none."""
    log_path = log_dir / f"{benchmark.name}.log"
    log_path.write_text("")
    print(f"Running {benchmark.script} ... (output in {log_path})", flush=True)
    if benchmark.rounds_option or args.rounds == 1:
        extra = [benchmark.rounds_option, str(args.rounds)] if benchmark.rounds_option else []
        objects, status = run_script(benchmark, extra, log_path)
        runs = [objects]
    else:
        runs, status = [], 0
        for _ in range(args.rounds):
            objects, status = run_script(benchmark, [], log_path)
            runs.append(objects)
    paths = list(dict.fromkeys(row["path"] for objects in runs for row in objects))
    if not paths:
        return [
            {
                "path": f"{benchmark.script}: no result ({status}; see {log_path})",
                "puas": None,
                "baseline": None,
                "ratio": None,
                "target": "",
                "pass": False,
                "extra": {},
            }
        ]
    return [
        median_row([row for objects in runs for row in objects if row["path"] == path])
        for path in paths
    ]


def figure(value, unit):
    """A figure with its unit, to a sensible precision."""
    if value is None:
        return "–"
    if unit == "s":
        return f"{value:.3f} s"
    digits = 0 if abs(value) >= 100 else 1
    return f"{value:,.{digits}f} {unit}".strip()


def table_lines(rows):
    """The Markdown table."""
    lines = [
        "| path | Puas | baseline | ratio | target | result |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        unit = row.get("extra", {}).get("unit", "")
        ratio = "–" if row.get("ratio") is None else f"{row['ratio']:.2f}×"
        lines.append(
            f"| {row['path']} | {figure(row.get('puas'), unit)} | "
            f"{figure(row.get('baseline'), unit)} | {ratio} | {row.get('target', '')} | "
            f"{'PASS' if row.get('pass') else 'FAIL'} |"
        )
    return lines


def machine():
    """What the figures were measured on."""
    memory_kb = 0
    try:
        with open("/proc/meminfo") as meminfo:
            memory_kb = int(meminfo.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory_kb / 1024 / 1024:.1f} GiB, {platform.system()}"
    )


def notes(rows):
    """Each round's ratio for the rows measured several times, and what each baseline is."""
    lines = []
    for row in rows:
        if "runs" in row:
            each = ", ".join(
                "–" if ratio is None else f"{ratio:.2f}×{'' if passed else ' (FAIL)'}"
                for ratio, passed in row["runs"]
            )
            lines.append(f"- {row['path']}: each run {each}")
        rates = row.get("extra", {}).get("baselines_rps")
        if rates:
            each = ", ".join(f"{name} {rate:,.0f} req/s" for name, rate in rates.items())
            lines.append(f"- {row['path']}: the baseline is the stronger of {each}")
        extra = row.get("extra", {})
        if "puas_cpu_ms_per_request" in extra:
            lines.append(
                f"- {row['path']}: server CPU {extra['puas_cpu_ms_per_request']:.2f} ms a "
                f"request with the machine {extra['puas_machine_busy']:.0%} busy (Puas), "
                f"{extra['baseline_cpu_ms_per_request']:.2f} ms with it "
                f"{extra['baseline_machine_busy']:.0%} busy (baseline)"
            )
        failures = extra.get("failures")
        if failures:
            lines.append(f"- {row['path']}: {'; '.join(failures)}")
    return lines


def main():
    """Run the benchmarks one after another, then print the table."""
    args = parse_args()
    log_dir = Path(args.logs)
    if not log_dir.is_absolute():
        log_dir = ROOT / log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    load_before = os.getloadavg()[0]
    rows = []
    for benchmark in benchmarks(args):
        if args.only and benchmark.name not in args.only:
            continue
        rows.extend(collect(benchmark, args, log_dir))
    minutes = (datetime.now(UTC) - started).total_seconds() / 60
    print()
    print(
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}; medians of {args.rounds} "
        f"round(s); {minutes:.0f} minutes; 1-minute load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after."
    )
    print()
    print("\n".join(table_lines(rows)))
    extra_lines = notes(rows)
    if extra_lines:
        print()
        print("\n".join(extra_lines))
    print(f"\nEach benchmark's whole output: {log_dir}/<name>.log")
    return 0 if all(row.get("puas") is not None for row in rows) else 2


if __name__ == "__main__":
    sys.exit(main())
