"""m001_wal: write-ahead logging, so readers work while one writer writes.

The journal mode persists in the file. sqlite-utils' enable_wal() ran this statement when
the mode was not WAL already; on a WAL database it changes nothing.
"""

STATEMENTS = ("PRAGMA journal_mode=wal;",)
