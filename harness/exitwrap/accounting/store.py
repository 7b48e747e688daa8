"""Opening the accounting database safely: many writers, NFS homes, bounded waits.

- Rollback journal (SQLite's default DELETE mode), never WAL: WAL needs
  shared memory that NFS cannot provide, and home directories on clusters
  are often NFS. Synchronous FULL (SQLite's default there): a commit is on
  disk when it returns.
- Every write is one ``BEGIN IMMEDIATE`` transaction: the write lock is taken
  up front, so two writers never deadlock upgrading a read lock.
- A bounded, fair wait: a writer polls for the lock every few milliseconds
  for up to ``BUSY_TIMEOUT_S``, then fails with a clear message instead of
  hanging. (SQLite's own busy handler backs off to 100 ms sleeps, and under
  sixteen busy writers some of them starve past any sensible timeout.)
- A database file this module creates is 0600 in a 0700 directory, and
  SQLite gives its journal the database's mode; an existing database (say a
  shared one an administrator set up) keeps its mode.
- Schema versions move forward only (harness/exitwrap/accounting/schema.py).

exitwrap itself never opens the database (it writes to the spool, see
spool.py); the writers here are the ingesters and the accounting commands.
Only SQLite's C module (``_sqlite3``, which every ``sqlite3`` from 3.9 to
3.13 is built on) is imported: the ``sqlite3`` package adds nothing this
accounting uses but its datetime adapters, whose import alone costs about
a tenth of an interpreter's start, and ``exitcodes sacct`` is measured.
"""

from __future__ import annotations

import _sqlite3 as sqlite
import os
import time

from exitwrap.accounting import files
from exitwrap.accounting.files import (
    NotRegular,
    database_status,
    open_creating,
    refuse_world_writable,
)
from exitwrap.accounting.schema import MIGRATIONS, VERSION
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sqlite3 import Connection, Cursor
    from types import TracebackType
    from typing import Optional

_PAUSE_S = 0.002  # a new waiter's polling interval (with jitter)
_AGEING = 10.0  # per second waited, the interval shrinks by this factor...
_SHORTEST_PAUSE_S = 0.00025  # ...down to this: a waiter must not burn the lock holder's CPU

# what SQLite's message means for the user, by a fragment of the message
_HINTS: tuple[tuple[str, str], ...] = (
    ("locked", "another process kept the database locked for more than {timeout:g} s"),
    ("busy", "another process kept the database busy for more than {timeout:g} s"),
    ("not a database", "not a database (corrupt, or some other file)"),
    ("malformed", "the database is corrupt"),
    ("readonly", "the database is read-only for this user"),
    ("full", "the disk is full"),
    ("unable to open", "cannot open the database file"),
)


SQLiteError = sqlite.Error  # what every sqlite3 failure is an instance of
ConstraintError = sqlite.IntegrityError  # a row the schema refuses (NOT NULL, a duplicate key)


class DatabaseError(HarnessFailure):
    """The accounting database could not be read or written (exitcodes exits 1)."""


class DatabaseBusy(DatabaseError):
    """Another process held the database's lock for longer than the bounded wait."""


def explain(error: BaseException, path: str) -> DatabaseError:
    """One line naming the database and what went wrong, from an SQLite or OS error."""
    if isinstance(error, DatabaseError):
        return error
    if isinstance(error, OSError):
        detail = error.strerror or str(error)
    else:
        text = str(error)
        lowered = text.lower()
        hint = next((hint for key, hint in _HINTS if key in lowered), None)
        detail = f"{hint.format(timeout=files.BUSY_TIMEOUT_S)} ({text})" if hint else text
        if isinstance(error, sqlite.OperationalError) and _is_busy(error):
            return DatabaseBusy(f"{path}: {detail}")
    return DatabaseError(f"{path}: {detail}")


def _read_only_uri(path: str) -> str:
    absolute = "/" + os.path.abspath(path).lstrip("/")
    for char, escape in (("%", "%25"), ("?", "%3f"), ("#", "%23")):
        absolute = absolute.replace(char, escape)
    return f"file:{absolute}?mode=ro"


def _is_busy(error: sqlite.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text


def patiently(connection: Connection, statement: str) -> Cursor:
    """Run a statement that must take a lock, polling while other processes hold it.

    Gives up after files.BUSY_TIMEOUT_S with SQLite's own "database is locked".
    """
    started = time.monotonic()
    while True:
        try:
            return connection.execute(statement)
        except sqlite.OperationalError as error:
            waited = time.monotonic() - started
            if not _is_busy(error) or waited >= files.BUSY_TIMEOUT_S:
                raise
        # the longer a writer has waited, the faster it polls: no one starves for long
        jitter = 0.5 + (time.perf_counter_ns() % 997) / 997  # waiters must not poll in step
        time.sleep(max(_PAUSE_S * jitter / (1 + waited * _AGEING), _SHORTEST_PAUSE_S))


def schema_version(connection: Connection) -> int:
    version: int = patiently(connection, "PRAGMA user_version").fetchone()[0]
    return version


class Transaction:
    """``with Transaction(db):`` runs the block as one BEGIN IMMEDIATE ... COMMIT."""

    __slots__ = ("connection",)

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def __enter__(self) -> Connection:
        patiently(self.connection, "BEGIN IMMEDIATE")
        return self.connection

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        if kind is None:
            patiently(self.connection, "COMMIT")
        elif self.connection.in_transaction:
            self.connection.execute("ROLLBACK")


def migrate(connection: Connection, path: str) -> None:
    """Bring the schema up to VERSION (a no-op when it is there already)."""
    if schema_version(connection) == VERSION:
        return
    with Transaction(connection):
        version = schema_version(connection)
        if version > VERSION:
            raise DatabaseError(
                f"{path}: schema version {version} is newer than this exitwrap reads "
                f"({VERSION}); upgrade exitwrap"
            )
        for migration in MIGRATIONS[version:]:
            for statement in migration:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {VERSION}")


def open_for_writing(path: str) -> Connection:
    """Open (creating it private when missing) and migrate; raises DatabaseError."""
    try:
        fd, info = open_creating(path, os.O_RDONLY)
        os.close(fd)
        refuse_world_writable(path, info.st_mode)
        # no SQLite busy handler: patiently() does the waiting, at a fair pace
        connection = sqlite.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        try:
            migrate(connection, path)
        except BaseException:
            connection.close()
            raise
    except NotRegular as error:
        raise DatabaseError(f"{path}: {error.strerror}") from None
    except (SQLiteError, OSError) as error:
        raise explain(error, path) from None
    return connection


def read_only(path: str) -> Connection:
    """A read-only connection, whatever the schema's version (SQLiteError when it fails)."""
    return sqlite.connect(
        _read_only_uri(path),
        uri=True,
        timeout=files.BUSY_TIMEOUT_S,
        isolation_level=None,
        check_same_thread=False,
    )


def open_for_reading(path: str) -> Optional[Connection]:
    """A read-only connection, or None when there is no database (nothing recorded yet).

    A database an older exitwrap wrote is migrated first, when this user may write it.
    One that is no regular file, or that every user may write, is refused.
    """
    try:
        if database_status(path) is None:
            return None
    except OSError as error:  # another user's private directory, say
        raise explain(error, path) from None
    try:
        connection = read_only(path)
        version = schema_version(connection)
    except SQLiteError as error:
        raise explain(error, path) from None
    if version == 0:
        connection.close()
        return None
    if version != VERSION:
        connection.close()
        open_for_writing(path).close()
        return open_for_reading(path)
    return connection


# the next step index a job may hand out: its counter, or past its highest recorded step
STEP_FLOOR = (
    "MAX(next_step, (SELECT COALESCE(MAX(step_index) + 1, 0) FROM steps WHERE job_id = :job))"
)


def job_floor(db: Connection) -> int:
    """One past the highest job id the database holds or ever held (purged ones too)."""
    row = db.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0), "
        "COALESCE((SELECT MAX(job_id) FROM jobs), 0))"
    ).fetchone()
    return int(row[0]) + 1


def database_floor(path: str, job_id: Optional[int]) -> int:
    """One past the highest job id the database holds (job_id None), or job_id's next step:
    where a lost counter starts again. Read as it is, whatever its schema's version."""
    try:
        db = read_only(path)
        try:
            if job_id is None:
                return job_floor(db)
            row = db.execute(
                f"SELECT {STEP_FLOOR} FROM jobs WHERE job_id = :job", {"job": job_id}
            ).fetchone()
            return 0 if row is None else int(row[0])
        finally:
            db.close()
    except SQLiteError as error:
        if "no such table" in str(error):
            return 0  # an empty database: no schema yet
        raise explain(error, path) from None
