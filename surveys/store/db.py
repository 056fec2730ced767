"""The SQLite database: a kept connection per thread, pragmas, migrations, write transactions."""

import fcntl
import os
import signal
import sqlite3
import threading
import time
from contextlib import contextmanager
from itertools import islice

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlite_utils import Database

from surveys.store import rollups, terms
from surveys.store.migrations import migrations

BUSY_TIMEOUT_SECONDS = 30
MAX_VARIABLES = 32_766  # SQLite's limit on the values one statement takes (since 3.32)
STATEMENT_CACHE = 512  # prepared statements kept per connection (sqlite3 keeps 128)
# A kept connection, or a group writer, checkpoints the WAL once it has changed this many
# rows (see get_db): about 100 closures, each a ticket, an invitation, an outbox row and a
# rollup.
CHECKPOINT_EVERY_CHANGES = 500


def connect(path):
    """Open the database with the pragmas every Puas connection needs."""
    # Waiting up to 30 s for the single writer beats failing with "database is locked".
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, cached_statements=STATEMENT_CACHE)
    conn.execute("PRAGMA foreign_keys = ON")
    # FULL: a response we thanked a customer for must survive a power cut, not only a crash.
    conn.execute("PRAGMA synchronous = FULL")
    # What is deleted or overwritten is zeroed, so an erased address or comment leaves no
    # copy in the file (surveys/customers/personal_data.py).
    conn.execute("PRAGMA secure_delete = ON")
    # Searches and reports read scattered rows of large tables: up to 16 MiB of pages kept
    # per connection (SQLite's default is 2 MiB), taken only as pages are read.
    conn.execute("PRAGMA cache_size = -16384")
    # sqlite-utils would turn on recursive triggers (the rollup triggers must not fire
    # themselves) and load plugins (Puas has none).
    db = Database(conn, recursive_triggers=False, execute_plugins=False)
    db.writer_lock_path = f"{path}-writer"
    return db


def read_rows(db, sql, params=()):
    """A read's rows as dicts, like db.query() but without the savepoint it opens and
    releases around every read: for reads on every request of a hot path."""
    cursor = db.conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def insert_rows(db, table, columns, rows, conflict=""):
    """Insert `rows` (tuples of `columns`' values, any iterable) in as few statements as
    SQLite's MAX_VARIABLES allows; how many rows were inserted. `conflict` is an upsert
    clause ("ON CONFLICT (call_ref) DO NOTHING"), so a row that breaks a CHECK or NOT NULL
    constraint still fails loudly, as sqlite-utils' insert_all(ignore=True) (INSERT OR
    IGNORE) would not. Many rows per statement: SQLite runs a whole statement, triggers
    included, without Python's lock, which another thread (an import's checking one) uses.
    """
    placeholders = f"({', '.join('?' for _ in columns)})"
    per_statement = MAX_VARIABLES // len(columns)
    rows = iter(rows)
    inserted = 0
    while chunk := list(islice(rows, per_statement)):
        inserted += db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names, not input)
            f"VALUES {', '.join(placeholders for _ in chunk)} {conflict}",
            [value for row in chunk for value in row],
        ).rowcount
    return inserted


def is_busy(error):
    """True when an sqlite3.OperationalError says another connection held the lock past
    the busy timeout ("database is locked", SQLITE_BUSY)."""
    return "locked" in str(error) or "busy" in str(error)


class WriteTurnTimeout(Exception):
    """The write lock did not come within the wait a request allows itself."""


@contextmanager
def write_wait(db, seconds):
    """Within this block, this connection's write transactions wait at most `seconds` for
    their turn, then raise WriteTurnTimeout (instead of waiting out the busy timeout)."""
    db.write_wait = seconds
    try:
        yield db
    finally:
        db.write_wait = None


@contextmanager
def writer_turn(db):
    """Wait for this database's single writer turn in a queue the kernel keeps.

    SQLite's own wait for the write lock sleeps and polls (1, 2, 5 … 100 ms), so under
    load the lock sits idle while writers sleep. An flock on a file beside the database
    wakes the next writer the moment the last one finishes. The kernel releases it when
    the holder closes the file or dies; a stuck holder is bounded by gunicorn's worker
    timeout. Writers that skip it (sqlite3 in a shell, say) still wait on SQLite's lock.
    """
    descriptor = os.open(db.writer_lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        wait = getattr(db, "write_wait", None)
        if wait is None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        else:
            take_turn_within(descriptor, wait)
        yield
    finally:
        os.close(descriptor)


def take_turn_within(descriptor, seconds):
    """The writer's flock within `seconds`; WriteTurnTimeout after.

    The wait sits in the kernel's queue, like an unbounded one, so the turn passes the
    moment it is free: polling every 10 ms left the lock idle between writers and halved
    the API's throughput under load. An interval timer bounds the wait; its signal can
    only be caught in the main thread (gunicorn's sync workers serve requests there), so
    other threads poll, every millisecond, and so does a process whose timer is in use.
    """
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0]
    ):
        poll_for_turn(descriptor, seconds)
        return

    def give_up(signum, frame):
        raise WriteTurnTimeout()

    previous = signal.signal(signal.SIGALRM, give_up)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        # Interrupted by the timer, flock raises WriteTurnTimeout from give_up. Should the
        # timer fire just after the turn came, the caller's `finally` closes the descriptor
        # and so gives the turn back.
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def poll_for_turn(descriptor, seconds):
    """The writer's flock within `seconds`, tried every millisecond; WriteTurnTimeout after."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError as error:
            if time.monotonic() >= deadline:
                raise WriteTurnTimeout() from error
            time.sleep(0.001)


def get_db():
    """This thread's connection to the app's database, opened on first use and kept.

    A new connection makes SQLite parse the schema again and prepare every statement,
    with the rollup triggers it fires, from scratch: about 2 ms of a write request. A
    kept connection also keeps the WAL in place between requests (the last connection to
    close would checkpoint and delete it). Connections are per thread, as sqlite3 wants,
    and opened again after a fork (gunicorn workers); a thread's connection closes when
    the thread ends.

    A kept connection does not checkpoint inside COMMIT, as SQLite does by default every
    1,000 WAL pages: that runs inside the writer's turn, where every other writer waits
    for it, and a closure writes 13 to 14 pages (rows and index entries in five tables),
    so it came every 70 closures. Instead, once it has changed CHECKPOINT_EVERY_CHANGES
    rows, it checkpoints after the response has gone (`checkpoint_after_response`). The
    hot writes go through the group writer, which checkpoints in its own turn, after its
    batch's requests have their answers (surveys/store/group_commit.py).
    """
    kept = current_app.extensions["puas.db"]
    if getattr(kept, "pid", None) != os.getpid():
        kept.db = connect(current_app.config["DATABASE"])
        kept.db.execute("PRAGMA wal_autocheckpoint = 0")
        kept.db.changes_at_checkpoint = 0
        kept.db.group_writer = current_app.extensions.get("puas.group_writer")
        kept.pid = os.getpid()
    return kept.db


def end_request(exception=None):
    """Leave the kept connection as a request found it: no transaction open."""
    kept = current_app.extensions["puas.db"]
    if getattr(kept, "pid", None) == os.getpid() and kept.db.conn.in_transaction:
        kept.db.conn.rollback()


def checkpoint_after_response(response):
    """When the kept connection is due a checkpoint, run it after the response is sent.
    (The group writer checkpoints in its own turn: surveys/store/group_commit.py.)"""
    kept = current_app.extensions["puas.db"]
    if getattr(kept, "pid", None) != os.getpid():
        return response
    if kept.db.conn.total_changes - kept.db.changes_at_checkpoint >= CHECKPOINT_EVERY_CHANGES:
        response.call_on_close(lambda db=kept.db: checkpoint(db))
    return response


def checkpoint(db):
    """Copy the WAL's committed pages into the database file (PASSIVE: it waits for no
    reader or writer); SQLite's (busy, frames in the WAL, frames copied), or None inside a
    transaction."""
    if db.conn.in_transaction:
        return None
    result = db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    db.changes_at_checkpoint = db.conn.total_changes
    return tuple(result)


@contextmanager
def immediate(db):
    """A write transaction that takes the write lock first.

    A deferred transaction that reads and then writes can fail with SQLITE_BUSY when
    another connection wrote in between, and busy_timeout does not retry that case.
    BEGIN IMMEDIATE waits for the lock up front, so what we read stays true until COMMIT.
    Inside an open transaction it becomes a savepoint of that transaction.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with writer_turn(db):
        begin_immediate(db)
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        try:
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise


def write(db, work):
    """work(db) in a write transaction; its result once committed.

    A request's kept connection hands the work to its process's group writer
    (surveys/store/group_commit.py), where it shares one COMMIT with the other requests
    writing at that moment: the work must use the connection it is given, not the
    caller's, and touch nothing else, since it may run twice (when another write of its
    batch fails: group_commit.run_batch). Any other connection, or one inside a
    transaction, runs it in immediate().
    """
    writer = getattr(db, "group_writer", None)
    if writer is None or db.conn.in_transaction:
        with immediate(db):
            return work(db)
    return writer.run(work, getattr(db, "write_wait", None))


def begin_immediate(db):
    """BEGIN IMMEDIATE, waiting the connection's write_wait if one is set (a writer outside
    Puas, such as a shell, holds no flock: SQLite's own lock is the last word)."""
    wait = getattr(db, "write_wait", None)
    if wait is None:
        db.execute("BEGIN IMMEDIATE")
        return
    db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if is_busy(error):
            raise WriteTurnTimeout() from error
        raise
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")


def migrate(path, repeat_window_days=None):
    """Apply pending migrations to the database at path; returns their names.

    With `repeat_window_days` (the REPEAT_WINDOW_DAYS setting), repeat flags and rollups
    kept with another window are rebuilt with this one. Once m016 has run, the terms of
    the comments already stored are stored (surveys/store/terms.py).
    """
    db = connect(path)
    try:
        pending = [migration.name for migration in migrations.pending(db)]
        migrations.apply(db)
        if "m016_comment_terms" in pending:
            # A migration runs SQL only; the comments already stored are stemmed here.
            with immediate(db):
                terms.reindex(db)
        if repeat_window_days is not None and rollups.repeat_window_days(db) != repeat_window_days:
            with immediate(db):
                rollups.rebuild(db, repeat_window_days)
        return pending
    finally:
        db.close()


def init_app(app):
    """Register teardown and the init-db command; warn about stale repeat flags."""
    app.extensions["puas.db"] = threading.local()
    app.teardown_appcontext(end_request)
    app.after_request(checkpoint_after_response)
    app.cli.add_command(init_db_command)
    warn_about_repeat_window(app)


def warn_about_repeat_window(app):
    """Log a warning when the stored repeat flags were kept with another REPEAT_WINDOW_DAYS
    (`flask init-db` rebuilds them: at 10 M tickets that takes minutes, not a request)."""
    path = app.config["DATABASE"]
    if not os.path.exists(path):
        return
    db = connect(path)
    try:
        stored = rollups.repeat_window_days(db)
    except sqlite3.OperationalError:  # not migrated yet
        return
    finally:
        db.close()
    if stored is not None and stored != app.config["REPEAT_WINDOW_DAYS"]:
        app.logger.warning(
            "Repeat flags were kept with a %s-day window but REPEAT_WINDOW_DAYS is %s: "
            "reports show repeats for %s days until `flask init-db` rebuilds them.",
            stored,
            app.config["REPEAT_WINDOW_DAYS"],
            stored,
        )


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database or apply its pending migrations (safe to run again)."""
    applied = migrate(current_app.config["DATABASE"], current_app.config["REPEAT_WINDOW_DAYS"])
    where = current_app.config["DATABASE"]
    if applied:
        click.echo(f"Applied {len(applied)} migration(s) to {where}: {', '.join(applied)}")
    else:
        click.echo(f"{where} is up to date.")
