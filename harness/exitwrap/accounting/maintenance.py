"""exitcodes db check of an SQLite file: whether it is sound, and what waits in its spool.

A server's check (server/backend.py) reports its own, and this host's
queue through ``spool_health``.
"""

from __future__ import annotations

import os
import stat

from exitwrap.accounting import display, states
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.files import NotRegular
from exitwrap.accounting.ingest import Record, catch_up
from exitwrap.accounting.renumber import NOTED
from exitwrap.accounting.schema import VERSION
from exitwrap.accounting.spool import BATCH_STEP, decode
from exitwrap.accounting.store import (
    SQLiteError,
    explain,
    open_for_reading,
    schema_version,
)
from exitwrap.accounting.users import user_name
from exitwrap.errors import HarnessFailure

_SHOWN = 5  # renumbered runs named in db check's line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from exitwrap.accounting.session import Session


class Health:
    """What ``db check`` found: report lines, and whether anything is wrong."""

    __slots__ = ("lines", "problems")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.problems = 0

    def note(self, line: str, *, problem: bool = False) -> None:
        self.lines.append(line)
        self.problems += problem


class SpoolCensus:
    """What waits in a spool after an ingest, by kind."""

    __slots__ = ("foreign", "records", "running", "strays", "unreadable")

    def __init__(self, spool: Backlog, owners: dict[int, int], owner: Optional[int]) -> None:
        self.running = self.records = self.strays = self.unreadable = self.foreign = 0
        for found in spool.entries():
            try:
                got = spool.read_owned(found)
                if got is None:
                    continue  # ingested meanwhile
                Record(found, decode(got[0]), got[1])
            except NotRegular:
                self.strays += 1
                continue
            except (PermissionError, ValueError):
                self.unreadable += 1
                continue
            if found.begins_job:
                self.running += 1
            else:
                self.records += 1
            if owners.get(found.job_id, got[1]) != got[1] or owner not in (None, got[1]):
                self.foreign += 1


def _owners(path: str, spool: Backlog) -> dict[int, int]:
    """The owner of each spooled job, as the database or its record file says."""
    owners: dict[int, int] = {}
    db = open_for_reading(path)
    if db is not None:
        try:
            ids = sorted({found.job_id for found in spool.entries()})
            for job_id in ids:
                row = db.execute("SELECT uid FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
                if row is not None:
                    owners[job_id] = int(row[0])
        finally:
            db.close()
    return owners


def spool_health(path: str, health: Health, *, owner: Optional[int] = None) -> None:
    """What waits in the spool after an ingest: the records of running jobs, and any that
    could not be read (a newer exitwrap's, or damaged), that are not their job owner's (nor
    ``owner``'s, for a queue), or that are no records at all (a FIFO, a directory, a link):
    they stay there, never dropped, never opened as records."""
    spool = Backlog(path)
    untrusted = spool.untrusted()
    if untrusted is not None:
        health.note(f"spool: not read ({untrusted})")
        return
    try:
        census = SpoolCensus(spool, _owners(path, spool), owner)
    except OSError as error:
        health.note(f"spool: {spool.path}: {error.strerror}", problem=True)
        return
    health.note(
        f"spool: {display.printable(spool.path)}: {census.running} running jobs, "
        f"{census.records} records"
    )
    for count, what in (
        (census.unreadable, "records this exitwrap cannot read (or may not)"),
        (census.foreign, "records not written by their job's owner (not ingested)"),
        (census.strays, "files that are no regular files (a FIFO, a directory, a link)"),
    ):
        if count:
            health.note(f"spool: {count} {what}", problem=True)


def _named(job_id: int, step_index: Optional[int]) -> str:
    if step_index is None:
        return str(job_id)
    return f"{job_id}.{'batch' if step_index == BATCH_STEP else step_index}"


def renumbered(db: Session, health: Health) -> None:
    """Runs an ingest kept under a new id, because the spool had handed out a taken one."""
    kept = db.execute(NOTED).fetchall()
    if not kept:
        return
    shown = ", ".join(
        f"{_named(job, step)} (spooled as {_named(spooled_job, spooled_step)})"
        for job, step, spooled_job, spooled_step, _ in kept[:_SHOWN]
    )
    more = f" and {len(kept) - _SHOWN} more" if len(kept) > _SHOWN else ""
    health.note(
        f"ids: {len(kept)} runs were spooled under an id already taken (a spool counter "
        f"rewound or lost) and kept as {shown}{more}",
        problem=True,
    )


def _database_file(path: str, health: Health) -> bool:
    """Whether there is a database file to check; what stands in its way is a problem."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        health.note("database: none yet (nothing has been recorded)")
        return False
    except OSError as error:
        health.note(f"database: {error.strerror or error} (for this user)", problem=True)
        return False
    shared = " (others may read it)" if info.st_mode & 0o077 else ""
    health.note(f"mode: {stat.S_IMODE(info.st_mode):04o}, owner {user_name(info.st_uid)}{shared}")
    return True


def check(path: str) -> Health:
    """Schema version, SQLite's integrity_check, counts, the spool, and who may read the file."""
    health = Health()
    health.note(f"path: {display.printable(path)}")
    if not _database_file(path, health):
        return health
    try:
        notice = catch_up(path)
        if notice is not None:
            health.note(f"spool: {notice}")
        spool_health(path, health)
        db = open_for_reading(path)
        if db is None:
            health.note("schema: empty (nothing has been recorded)")
            return health
        try:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            health.note(f"schema: version {schema_version(db)} (this exitwrap writes {VERSION})")
            health.note(f"integrity: {verdict}", problem=verdict != "ok")
            jobs, running = db.execute(
                "SELECT count(*), coalesce(sum(state = ?), 0) FROM jobs", (states.RUNNING,)
            ).fetchone()
            steps = db.execute("SELECT count(*) FROM steps").fetchone()[0]
            health.note(f"jobs: {jobs} ({running} recorded as running)")
            health.note(f"steps: {steps}")
            renumbered(db, health)
        finally:
            db.close()
    except SQLiteError as error:
        health.note(f"error: {explain(error, path)}", problem=True)
    except HarnessFailure as error:
        health.note(f"error: {error}", problem=True)
    return health
