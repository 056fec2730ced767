"""Group commit: the writes a process's request threads make at one moment share a COMMIT.

With `synchronous = FULL` a COMMIT returns only once the disk holds the WAL (an
fdatasync), and that wait is most of a write request's time under the database's single
write lock: in one process, a closure's SQL takes about 0.15 ms and its COMMIT 0.25 ms more
(bench/profile_writes.py), both longer under load, and every other writer waits for both.
gunicorn's threaded workers (gunicorn.conf.py) serve several requests at once in each
process. Each hands its write (a function of a connection) to the process's writer thread,
which takes the write turn once for every write waiting by then, runs them in one
transaction, and commits them with one fsync.

Nothing is promised earlier than before: a request answers only after its own write is
on disk, and a write that fails is rolled back without touching the others (run_batch).
A write that did not get its turn within its wait is never run (the API keeps the closure
in the inbox instead). Measured by bench/http_bench.py (docs/development.md).
"""

import logging
import os
import queue
import sqlite3
import threading

from surveys.store import db as store_db
from surveys.store.db import (
    BUSY_TIMEOUT_SECONDS,
    WriteTurnTimeout,
    connect,
    is_busy,
    writer_turn,
)

# The writer thread has no app context, so no app.logger: a module logger.
log = logging.getLogger(__name__)

# The most writes one COMMIT carries: a batch holds the write lock for about 0.2 ms a write.
MAX_BATCH = 64
# A writer thread with nothing to do for this long closes its connection and ends; the next
# write starts another (about 2 ms: the connection reads the schema again).
IDLE_SECONDS = 5.0
# Once its batch has begun, a write ends with the batch's COMMIT; a stuck disk is the only
# reason to wait this long.
FINISH_SECONDS = BUSY_TIMEOUT_SECONDS


class Write:
    """One request's write: the function to run, and what it gave."""

    __slots__ = ("work", "begun", "abandoned", "done", "result", "error")

    def __init__(self, work):
        self.work = work
        self.begun = False  # taken into a batch: it will end with the batch's COMMIT
        self.abandoned = False  # its request stopped waiting first: never run
        # Held until the write has ended; the request waits to acquire it. A plain lock is
        # the cheapest hand-off Python has (an Event is a Condition and a lock).
        self.done = threading.Lock()
        self.done.acquire()
        self.result = None
        self.error = None


class GroupWriter:
    """One process's writer thread for one database, started when a write comes."""

    def __init__(self, path):
        self.path = path
        self.queue = queue.SimpleQueue()
        # Guards `serving`, `pending` and each write's begun/abandoned.
        self.state = threading.Lock()
        self.serving = False
        self.pending = 0  # writes handed over and not yet begun or abandoned
        self.pid = os.getpid()
        # How many batches were committed, and the largest (read by tests and benchmarks).
        self.batches = 0
        self.largest_batch = 0
        self.changes_since_checkpoint = 0  # the writer thread's own count

    def run(self, work, wait_seconds=None):
        """work(db) on the writer's connection, in a transaction shared with this
        process's other writes; its result once COMMIT is on disk, or its exception.

        WriteTurnTimeout when the write turn did not come within `wait_seconds` (the busy
        timeout when None); the work then never runs.
        """
        write = Write(work)
        with self.state:
            if self.pid != os.getpid():  # a forked child: the parent's thread is not here
                self.queue = queue.SimpleQueue()
                self.serving = False
                self.pending = 0
                self.pid = os.getpid()
            self.queue.put(write)
            self.pending += 1
            if not self.serving:
                self.serving = True
                threading.Thread(target=self.serve, name="puas-group-writer", daemon=True).start()
        turn_wait = BUSY_TIMEOUT_SECONDS if wait_seconds is None else wait_seconds
        if not write.done.acquire(timeout=turn_wait):
            with self.state:
                if not write.begun:
                    write.abandoned = True
                    self.pending -= 1
                    raise WriteTurnTimeout()
            if not write.done.acquire(timeout=FINISH_SECONDS):
                raise WriteTurnTimeout()
        if write.error is not None:
            raise write.error
        return write.result

    def serve(self):
        """The writer thread: batches while writes come, then ends after IDLE_SECONDS."""
        try:
            db = connect(self.path)
        except BaseException as error:
            self.fail_waiting(error)
            raise
        try:
            # The thread checkpoints in its own turn instead (commit_batch).
            db.execute("PRAGMA wal_autocheckpoint = 0")
            # A batch keeps a statement journal: the pages its savepoint, or a statement
            # that fires the rollup triggers, may have to restore. Past 64 KiB (a batch of
            # two closures) SQLite moves it into a new temporary file, created, written and
            # deleted in the turn, batch after batch. Kept in memory (at most a batch's
            # pages), ingest under load rose 16 % (docs/internals.md).
            # The writer runs no big sort, which temp_store would also keep in memory.
            db.execute("PRAGMA temp_store = MEMORY")
            while (first := self.next_write()) is not None:
                self.commit_batch(db, first)
        except BaseException as error:
            self.fail_waiting(error)
            raise
        finally:
            db.close()

    def next_write(self):
        """The next write handed over; None after IDLE_SECONDS without one (the thread ends)."""
        while True:
            try:
                return self.queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self.state:  # run() hands over under this lock: none slips past
                    if self.queue.empty():
                        self.serving = False
                        return None

    def fail_waiting(self, error):
        """The thread cannot go on: every waiting write gets its error, and the next write
        starts a new thread."""
        with self.state:
            while not self.queue.empty():
                end(self.queue.get_nowait(), error=error)
            self.pending = 0
            self.serving = False

    def commit_batch(self, db, first):
        """Take the write turn, then run `first` and every write handed over by then (up
        to MAX_BATCH), in one transaction (run_batch), and COMMIT them together.

        Once the batches since the last checkpoint changed CHECKPOINT_EVERY_CHANGES rows, a
        PASSIVE checkpoint follows, still in the turn (the batch's requests have their
        answers already). No Puas writer appends to the WAL meanwhile, so it copies every
        frame no reader still needs, and when no reader holds an older snapshot (Litestream
        keeps one while it copies) the next write starts the WAL again from its beginning:
        checkpoints run beside the writers never caught up under steady load, and the WAL
        grew without end.
        """
        waiting = [first]
        try:
            with writer_turn(db):
                if not begin(db):
                    return
                batch = self.take_batch(waiting)
                waiting = []
                self.commit(db, batch)
                if self.changes_since_checkpoint >= store_db.CHECKPOINT_EVERY_CHANGES:
                    self.changes_since_checkpoint = 0
                    checkpoint_in_turn(db)
        finally:
            # Writes that did not begin wait their turn again, each with its own deadline
            # (or get the thread's error from fail_waiting).
            self.put_back(waiting)

    def commit(self, db, batch):
        """Run the batch's writes in the open transaction and COMMIT; end every write."""
        try:
            changes_before = db.conn.total_changes
            run_batch(db, batch)
            db.conn.execute("COMMIT")
            self.changes_since_checkpoint += db.conn.total_changes - changes_before
        except BaseException as error:
            # The transaction is lost (COMMIT failed, or an error SQLite answers by rolling
            # everything back): no write of the batch is stored.
            db.rollback()
            for write in batch:
                write.result, write.error = None, write.error or error
        finally:
            for write in batch:
                end(write)

    def put_back(self, writes):
        """Writes taken from the queue that did not begin: back in it, to wait their turn."""
        for write in writes:
            self.queue.put(write)

    def take_batch(self, waiting):
        """`waiting` and the writes handed over since (up to MAX_BATCH), marked begun: past
        their turn wait. Writes whose requests stopped waiting are dropped."""
        while len(waiting) < MAX_BATCH:
            try:
                waiting.append(self.queue.get_nowait())
            except queue.Empty:
                break
        with self.state:
            batch = [write for write in waiting if not write.abandoned]
            for write in batch:
                write.begun = True
            self.pending -= len(batch)
        if batch:
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
        return batch


def checkpoint_in_turn(db):
    """The in-turn checkpoint. One that fails (a full disk, say) loses nothing, since the
    WAL still holds every commit: it is logged, the next one tries again, and the writes
    waiting behind it go on."""
    try:
        store_db.checkpoint(db)
    except sqlite3.Error:
        log.warning("WAL checkpoint failed; the next one tries again", exc_info=True)


def begin(db):
    """BEGIN IMMEDIATE; False when a writer outside Puas (a shell, say) held SQLite's lock
    past the busy timeout."""
    try:
        # The writer's transaction statements go to sqlite3 directly: sqlite-utils' execute
        # looks at each to see whether it opened a transaction it should commit.
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if is_busy(error):
            return False
        raise
    return True


def end(write, error=None):
    """The write has ended: its request stops waiting (with `error`, if given)."""
    if error is not None:
        write.error = error
    write.done.release()


def run_batch(db, batch):
    """Run the batch's writes in the open transaction, each seeing the ones before it.

    They run one after another in a single savepoint. Should one raise, that savepoint is
    rolled back and the others run again, in their order, each in a savepoint of its own;
    the failing one keeps its error. Two statements a write (SAVEPOINT and RELEASE) are
    then paid only when a write fails: in the writer's turn each statement gives up the GIL
    and may wait for it, and under load a batch ran 12 to 18 % faster without them
    (docs/internals.md). So a write's work must touch nothing but its connection: it may
    run twice. A batch of one write needs no savepoint at all: should it raise, the whole
    transaction is rolled back (GroupWriter.commit).
    """
    if len(batch) == 1:
        batch[0].result = batch[0].work(db)
        return
    failed = run_in_savepoint(db, batch)
    if failed is not None:
        for other in batch[:failed] + batch[failed + 1 :]:
            run_in_savepoint(db, [other])


def run_in_savepoint(db, writes):
    """Run writes one after another in one savepoint. The first that raises keeps its
    error, the savepoint is rolled back (with the changes of the writes before it), and its
    position is returned; None when every write ran.

    Should SQLite have ended the whole transaction (a full disk, say), the error goes up
    and fails the batch, since the writes before it are gone too.
    """
    db.conn.execute("SAVEPOINT puas_write")
    for index, write in enumerate(writes):
        try:
            write.result = write.work(db)
        except Exception as error:
            if not db.conn.in_transaction:
                raise
            db.conn.execute("ROLLBACK TO puas_write")
            db.conn.execute("RELEASE puas_write")
            write.result, write.error = None, error
            return index
    db.conn.execute("RELEASE puas_write")
    return None


def init_app(app):
    """Give the app its group writer; get_db hands it to each request thread's connection."""
    app.extensions["puas.group_writer"] = GroupWriter(app.config["DATABASE"])
