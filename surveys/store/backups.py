"""Backups: a consistent copy of the live database, checked, and a restore that checks first.

A backup is taken with SQLite's online backup API in one step: it reads one snapshot of the
database inside a single read transaction, so it is consistent while Puas keeps serving
(in WAL mode readers never block the writer, nor it them). The copy is written beside its
final name, switched to a self-contained rollback journal, checked with
`PRAGMA integrity_check`, and only then given its name, so a file with a backup's name is
always a whole, checked copy.

A restore refuses a file that is not a sound Puas database, and refuses to run while any
process has the live database open (Puas must be stopped: its workers would go on with
pages that no longer exist). It copies the backup in through SQLite as well, then turns
WAL back on, so the result is exactly the backup's data with Puas's journal mode.
"""

import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from surveys import clock

# The tables whose row counts a backup reports: what a person checks first.
COUNTED_TABLES = ("tickets", "invitations", "responses", "users", "ratings", "outbox")
MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils records applied migrations here
DAILY_NAME = re.compile(r"puas-([0-9]{4}-[0-9]{2}-[0-9]{2})\.db")


class BackupRefused(Exception):
    """A file that cannot be used as a backup, or a restore that must not run now."""


@dataclass(frozen=True)
class BackupReport:
    """What a checked backup holds: its path, size in bytes and row counts."""

    path: Path
    size: int
    row_counts: dict

    def lines(self):
        """The report as a person reads it."""
        counts = ", ".join(f"{count} {table}" for table, count in self.row_counts.items())
        return [f"{self.path}: {self.size:,} bytes, integrity ok", counts]


def take_backup(database, target):
    """Write a checked copy of the database at `target` (which must not exist yet)."""
    target = Path(target)
    if target.exists():
        raise BackupRefused(f"{target} already exists: choose a new name")
    # A name of its own beside the target, so several workers never share a partial file.
    descriptor, partial_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
    )
    os.close(descriptor)
    partial = Path(partial_name)
    try:
        copy_database(database, partial)
        report = check_backup(partial)
        # link, not rename: if another worker made the same file meanwhile, keep theirs.
        os.link(partial, target)
    except FileExistsError as error:
        raise BackupRefused(f"{target} already exists: choose a new name") from error
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(target, report.size, report.row_counts)


def copy_database(database, partial):
    """One consistent snapshot of the database into a new file, fsynced."""
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages=-1: every page in one step, from one snapshot
        copy.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
        copy.commit()
    finally:
        copy.close()
        source.close()
    with open(partial, "rb") as written:
        os.fsync(written.fileno())


def check_backup(path):
    """The report of a sound Puas database at `path`; BackupRefused saying why otherwise."""
    path = Path(path)
    if not path.is_file():
        raise BackupRefused(f"{path} is not a file")
    with open(path, "rb") as file:
        if file.read(16) != b"SQLite format 3\x00":
            raise BackupRefused(f"{path} is not an SQLite database")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupRefused(f"{path} fails the integrity check: {'; '.join(problems[:5])}")
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if MIGRATIONS_TABLE not in tables or "tickets" not in tables:
            raise BackupRefused(f"{path} is not a Puas database (no migrations, no tickets)")
        counts = {
            table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 (names from COUNTED_TABLES)
            for table in COUNTED_TABLES
            if table in tables
        }
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{path} cannot be read as a database: {error}") from error
    finally:
        connection.close()
    return BackupReport(path, path.stat().st_size, counts)


def restore_backup(backup, database):
    """Replace the database with a checked backup; BackupRefused while Puas has it open."""
    report = check_backup(backup)
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    live = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        # Exclusive locking mode: refused while any other connection has the database open.
        live.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            live.execute("BEGIN EXCLUSIVE")
            live.execute("COMMIT")
        except sqlite3.OperationalError as error:
            raise BackupRefused(
                f"{database} is in use: stop Puas (its server and mail worker) first"
            ) from error
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            source.backup(live)
        finally:
            source.close()
        live.execute("PRAGMA journal_mode = WAL")
        live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        live.close()
    return report


def daily_backup(config, now=None):
    """Today's backup in BACKUP_DIR (TIMEZONE's day), unless one exists; then keep only the
    newest BACKUP_KEEP. The report of a new backup, or None."""
    folder = Path(config["BACKUP_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    day = clock.local_day(now or clock.now(), config["TIMEZONE"])
    target = folder / f"puas-{day}.db"
    if target.exists():
        return None
    try:
        report = take_backup(config["DATABASE"], target)
    except BackupRefused:
        if target.exists():  # another worker took today's backup a moment ago
            return None
        raise
    prune(folder, config["BACKUP_KEEP"])
    return report


def prune(folder, keep):
    """Delete the daily backups in folder beyond the newest `keep` (other files stay)."""
    daily = sorted(path for path in folder.iterdir() if DAILY_NAME.fullmatch(path.name))
    for path in daily[: max(0, len(daily) - keep)]:
        path.unlink(missing_ok=True)
