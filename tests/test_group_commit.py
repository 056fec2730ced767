"""The writes a process's request threads make at one moment share one COMMIT; each still
answers only once its own write is on disk, fails alone, and never runs past its wait."""

import fcntl
import os
import sqlite3
import threading
import time

import pytest

from surveys.store import db as store_db
from surveys.store import group_commit
from surveys.store.db import WriteTurnTimeout, connect
from tests.helpers import csrf_token, invite
from tests.test_inbox import HeldLock

DEADLINE_SECONDS = 10


def wait_until(condition, what):
    """Poll `condition` until it holds, for at most DEADLINE_SECONDS."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def team_names(path):
    """The teams stored, as another connection reads them."""
    db = connect(path)
    try:
        return sorted(row[0] for row in db.execute("SELECT name FROM teams"))
    finally:
        db.close()


def add_team(name, fail=False):
    """A write: add a team, then say how many teams this transaction sees (or fail)."""

    def work(db):
        db.execute("INSERT INTO teams (name) VALUES (?)", [name])
        if fail:
            raise ValueError(f"{name} fails after its insert")
        return db.execute("SELECT count(*) FROM teams").fetchone()[0]

    return work


class Writers:
    """Threads that each hand one write to the group writer, and what each got back."""

    def __init__(self, writer):
        self.writer = writer
        self.outcomes = {}
        self.threads = []

    def start(self, name, work, wait_seconds=None):
        def run():
            try:
                self.outcomes[name] = self.writer.run(work, wait_seconds)
            except Exception as error:  # the test reads the error itself
                self.outcomes[name] = error

        thread = threading.Thread(target=run)
        self.threads.append(thread)
        thread.start()

    def join(self):
        for thread in self.threads:
            thread.join(DEADLINE_SECONDS)
            assert not thread.is_alive()
        return self.outcomes


@pytest.fixture
def path(app):
    return app.config["DATABASE"]


@pytest.fixture
def writer(path):
    return group_commit.GroupWriter(path)


def test_writes_waiting_together_share_one_commit_and_answer_after_it(path, writer):
    lock = HeldLock(path)  # as another process's batch holds the write turn
    writers = Writers(writer)
    try:
        for number in range(8):
            writers.start(f"team {number}", add_team(f"team {number}"))
        wait_until(lambda: writer.pending == 8, "eight waiting writes")
        assert writers.outcomes == {}  # nobody answered before a COMMIT
    finally:
        lock.release()
    outcomes = writers.join()
    # One transaction: each write saw the ones before it, in the order they came.
    assert sorted(outcomes.values()) == list(range(1, 9))
    assert (writer.batches, writer.largest_batch) == (1, 8)
    assert team_names(path) == [f"team {number}" for number in range(8)]


def temporary_files():
    """The temporary files SQLite has open in this process (it deletes each as it opens
    it, so only /proc still names them)."""
    folder = "/proc/self/fd"
    names = []
    for descriptor in os.listdir(folder):
        try:
            names.append(os.readlink(os.path.join(folder, descriptor)))
        except FileNotFoundError:  # closed since the listing
            continue
    return [name for name in names if os.path.basename(name).startswith("etilqs_")]


def test_a_batchs_statement_journal_stays_in_memory(path, writer):
    # Forty rows of a page each, stored before the batch: the batch rewrites all of them,
    # so its savepoint keeps forty original pages (160 KiB, past SQLite's 64 KiB spill).
    db = connect(path)
    try:
        db.execute("CREATE TABLE pages (id INTEGER PRIMARY KEY, filler TEXT)")
        with store_db.immediate(db):
            for number in range(40):
                db.execute("INSERT INTO pages (id, filler) VALUES (?, ?)", [number, "a" * 3000])
    finally:
        db.close()

    def rewrite(first):
        def work(db):
            for number in range(first, first + 10):
                db.execute("UPDATE pages SET filler = ? WHERE id = ?", ["b" * 3000, number])

        return work

    lock = HeldLock(path)
    writers = Writers(writer)
    try:
        for first in range(0, 40, 10):
            writers.start(f"rows from {first}", rewrite(first))
        wait_until(lambda: writer.pending == 4, "four waiting writes")
        writers.start("look", lambda db: temporary_files())
        wait_until(lambda: writer.pending == 5, "the fifth write")
    finally:
        lock.release()
    outcomes = writers.join()
    assert (writer.batches, writer.largest_batch) == (1, 5)
    assert outcomes["look"] == []


def test_a_failing_write_rolls_back_alone(path, writer):
    runs = []

    def first(db):
        runs.append("first")
        return add_team("first")(db)

    lock = HeldLock(path)
    writers = Writers(writer)
    try:
        writers.start("first", first)
        wait_until(lambda: writer.pending == 1, "the first write")
        writers.start("failing", add_team("failing", fail=True))
        wait_until(lambda: writer.pending == 2, "the failing write")
        writers.start("last", add_team("last"))
        wait_until(lambda: writer.pending == 3, "the last write")
    finally:
        lock.release()
    outcomes = writers.join()
    assert outcomes["first"] == 1
    assert isinstance(outcomes["failing"], ValueError)
    assert outcomes["last"] == 2  # the failing write's row was gone before it ran
    assert writer.largest_batch == 3
    assert team_names(path) == ["first", "last"]
    # The batch ran in one savepoint: the write before the failing one ran again, once.
    assert runs == ["first", "first"]


def test_a_write_after_a_failing_one_may_fail_alone_too(path, writer):
    lock = HeldLock(path)
    writers = Writers(writer)
    try:
        for number, fail in enumerate([False, True, False, True, False]):
            name = f"team {number}"
            writers.start(name, add_team(name, fail=fail))
            wait_until(lambda number=number: writer.pending == number + 1, name)
    finally:
        lock.release()
    outcomes = writers.join()
    assert [type(outcomes[f"team {number}"]) for number in range(5)] == [
        int,
        ValueError,
        int,
        ValueError,
        int,
    ]
    assert [outcomes[f"team {number}"] for number in (0, 2, 4)] == [1, 2, 3]
    assert writer.largest_batch == 5
    assert team_names(path) == ["team 0", "team 2", "team 4"]


def test_a_lone_failing_write_stores_nothing_and_the_next_one_goes_on(path, writer):
    # A batch of one runs without a savepoint: its failure rolls back the whole
    # transaction (the outcome a savepoint gave too), and counts no change.
    with pytest.raises(ValueError, match="fails after its insert"):
        writer.run(add_team("lonely", fail=True))
    assert writer.changes_since_checkpoint == 0
    assert writer.run(add_team("next")) == 1
    assert (writer.batches, writer.largest_batch) == (2, 1)
    assert team_names(path) == ["next"]


def test_a_write_without_its_turn_in_time_never_runs(path, writer):
    ran = threading.Event()

    def work(db):
        ran.set()
        return add_team("late")(db)

    lock = HeldLock(path)
    try:
        with pytest.raises(WriteTurnTimeout):
            writer.run(work, wait_seconds=0.2)
        assert writer.pending == 0
    finally:
        lock.release()
    assert writer.run(add_team("after")) == 1  # the writer goes on with the next write
    assert not ran.is_set()
    assert team_names(path) == ["after"]


def test_the_writer_thread_closes_its_connection_and_ends_when_idle(path, writer, monkeypatch):
    monkeypatch.setattr(group_commit, "IDLE_SECONDS", 0.1)
    assert writer.run(add_team("one")) == 1
    wait_until(lambda: not writer.serving, "the idle writer to end")
    wait_until(
        lambda: not any(thread.name == "puas-group-writer" for thread in threading.enumerate()),
        "the writer thread to exit",
    )
    assert writer.run(add_team("two")) == 2  # a new thread for the next write
    assert team_names(path) == ["one", "two"]


def test_a_survey_answer_without_a_write_turn_is_503_and_nothing_is_stored(
    app, client, db, api_headers, monkeypatch
):
    token = invite(app, client, api_headers)
    monkeypatch.setattr(group_commit, "BUSY_TIMEOUT_SECONDS", 0.2)
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    lock = HeldLock(app.config["DATABASE"])
    try:
        answered = client.post(
            f"/s/{token}",
            data={"csrf_token": csrf_token(page.text), "csat": "2", "ces": "3", "nps": "4"},
        )
    finally:
        lock.release()
    assert answered.status_code == 503
    assert answered.headers["Retry-After"] == "5"
    assert db.execute("SELECT count(*) FROM responses").fetchone() == (0,)


def test_a_write_behind_a_writer_outside_puas_times_out_and_never_runs(path, writer):
    ran = threading.Event()

    def work(db):
        ran.set()
        return add_team("late")(db)

    shell = sqlite3.connect(path, isolation_level=None)  # holds SQLite's lock, not Puas's flock
    shell.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(WriteTurnTimeout):
            writer.run(work, wait_seconds=0.2)
    finally:
        shell.execute("ROLLBACK")
        shell.close()
    assert writer.run(add_team("after")) == 1
    assert not ran.is_set()
    assert team_names(path) == ["after"]


def test_a_requests_write_runs_in_the_writer_threads_transaction(app, path):
    with app.app_context():
        kept = store_db.get_db()

        def work(db):
            db.execute("INSERT INTO teams (name) VALUES ('by the writer')")
            return db is kept

        assert store_db.write(kept, work) is False  # the writer thread's own connection
        assert kept.group_writer.batches == 1
    assert team_names(path) == ["by the writer"]


def test_the_writer_checkpoints_in_its_turn_and_copies_the_whole_wal(path, writer, monkeypatch):
    monkeypatch.setattr(store_db, "CHECKPOINT_EVERY_CHANGES", 10)
    checkpoints = []
    real_checkpoint = store_db.checkpoint

    def checkpoint(db):
        probe = os.open(db.writer_lock_path, os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            turn_held = False
        except BlockingIOError:
            turn_held = True
        finally:
            os.close(probe)
        checkpoints.append((turn_held, real_checkpoint(db)))

    monkeypatch.setattr(store_db, "checkpoint", checkpoint)

    # Two group writers, as two worker processes have, each fed by two threads writing
    # without pause: a checkpoint run outside the turn would have the other's commits
    # appended behind it.
    writers = [writer, group_commit.GroupWriter(path)]
    # Each writer thread opens its connection first: a new connection reads the schema,
    # which holds a snapshot for a moment, outside the turn, and may keep a checkpoint
    # from copying the last frames.
    for number, started in enumerate(writers):
        started.run(add_team(f"first {number}"))
    checkpoints.clear()

    def steady(thread):
        for number in range(40):
            writers[thread % 2].run(add_team(f"team {thread}-{number}"))

    threads = [threading.Thread(target=steady, args=(thread,)) for thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS)
        assert not thread.is_alive()
    assert len(team_names(path)) == 162
    assert len(checkpoints) >= 10  # one every 10 changed rows, a batch at a time
    for turn_held, (busy, frames, copied) in checkpoints:
        assert turn_held
        assert busy == 0
        assert copied == frames  # every frame (no reader held an older snapshot)


def test_a_failing_checkpoint_fails_no_write(path, writer, monkeypatch, caplog):
    monkeypatch.setattr(store_db, "CHECKPOINT_EVERY_CHANGES", 1)
    in_checkpoint, second_waiting = threading.Event(), threading.Event()

    def checkpoint(db):
        in_checkpoint.set()
        second_waiting.wait(DEADLINE_SECONDS)  # a write is queued behind the checkpoint
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store_db, "checkpoint", checkpoint)
    writers = Writers(writer)
    writers.start("first", add_team("first"))
    assert in_checkpoint.wait(DEADLINE_SECONDS)
    writers.start("second", add_team("second"))
    wait_until(lambda: writer.pending == 1, "the second write to queue")
    second_waiting.set()
    assert writers.join() == {"first": 1, "second": 2}
    assert team_names(path) == ["first", "second"]
    # The second checkpoint runs after its batch has answered: wait for its warning.
    wait_until(lambda: caplog.text.count("WAL checkpoint failed") == 2, "the second warning")
