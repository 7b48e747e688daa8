"""exitcodes db: where the accounting lives, whether it is sound, and purging old jobs."""

from __future__ import annotations

import os
import stat

from exitwrap.accounting import display, states
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.ingest import Record, catch_up, write
from exitwrap.accounting.schema import VERSION
from exitwrap.accounting.spool import decode
from exitwrap.accounting.store import (
    DatabaseError,
    SQLiteError,
    explain,
    open_for_reading,
    schema_version,
)
from exitwrap.accounting.users import ROOT, user_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sqlite3 import Connection


class Health:
    """What ``db check`` found: report lines, and whether anything is wrong."""

    __slots__ = ("lines", "problems")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.problems = 0

    def note(self, line: str, *, problem: bool = False) -> None:
        self.lines.append(line)
        self.problems += problem


def _spool_health(path: str, health: Health) -> None:
    """What waits in the spool after an ingest: the records of running jobs, and any that
    could not be read (a newer exitwrap's, or damaged), which stay there, never dropped."""
    spool = Backlog(path)
    try:
        waiting = spool.entries()
    except OSError as error:
        health.note(f"spool: {spool.path}: {error.strerror}", problem=True)
        return
    unreadable = 0
    for found in waiting:
        data = spool.read(found)
        if data is None:
            continue  # ingested meanwhile
        try:
            Record(found, decode(data))
        except ValueError:
            unreadable += 1
    running = sum(1 for e in waiting if e.begins_job)
    health.note(f"spool: {spool.path}: {running} running jobs, {len(waiting) - running} records")
    if unreadable:
        health.note(f"spool: {unreadable} records this exitwrap cannot read", problem=True)


def check(path: str) -> Health:
    """Schema version, SQLite's integrity_check, counts, the spool, and who may read the file."""
    health = Health()
    health.note(f"path: {path}")
    if not os.path.exists(path):
        health.note("database: none yet (nothing has been recorded)")
        return health
    info = os.stat(path)
    shared = " (others may read it)" if info.st_mode & 0o077 else ""
    health.note(f"mode: {stat.S_IMODE(info.st_mode):04o}, owner {user_name(info.st_uid)}{shared}")
    try:
        notice = catch_up(path)
        if notice is not None:
            health.note(f"spool: {notice}")
        _spool_health(path, health)
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
        finally:
            db.close()
    except SQLiteError as error:
        health.note(f"error: {explain(error, path)}", problem=True)
    except DatabaseError as error:
        health.note(f"error: {error}", problem=True)
    return health


def purge(path: str, before: float, uid: int, *, dry_run: bool = False) -> tuple[int, int]:
    """Delete the jobs (and their steps) that ended before ``before``: every user's when run
    as root, else only this user's. Returns (jobs, steps) deleted, or that would be."""
    owned = "" if uid == ROOT else " AND uid = ?"
    args: tuple[object, ...] = (before,) if uid == ROOT else (before, uid)
    chosen = f"SELECT job_id FROM jobs WHERE end_time IS NOT NULL AND end_time < ?{owned}"

    def delete(db: Connection) -> tuple[int, int]:
        jobs = db.execute(f"SELECT count(*) FROM ({chosen})", args).fetchone()[0]
        steps = db.execute(
            f"SELECT count(*) FROM steps WHERE job_id IN ({chosen})", args
        ).fetchone()[0]
        if not dry_run:
            db.execute(f"DELETE FROM steps WHERE job_id IN ({chosen})", args)
            db.execute(f"DELETE FROM jobs WHERE job_id IN ({chosen})", args)
        return int(jobs), int(steps)

    return write(path, delete)


def describe_purge(counts: tuple[int, int], before: float, *, dry_run: bool) -> str:
    verb = "would purge" if dry_run else "purged"
    return f"{verb} {counts[0]} jobs ({counts[1]} steps) that ended before {display.date(before)}"
