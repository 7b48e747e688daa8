"""exitcodes db check of an SQLite file: whether it is sound, and what waits in its spool.

A server's check (server/backend.py) reports its own, and this host's
queue through ``spool_health``.
"""

from __future__ import annotations

import os
import stat

from exitwrap.accounting import states
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.ingest import Record, catch_up
from exitwrap.accounting.schema import VERSION
from exitwrap.accounting.spool import decode
from exitwrap.accounting.store import (
    DatabaseError,
    SQLiteError,
    explain,
    open_for_reading,
    schema_version,
)
from exitwrap.accounting.users import user_name


class Health:
    """What ``db check`` found: report lines, and whether anything is wrong."""

    __slots__ = ("lines", "problems")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.problems = 0

    def note(self, line: str, *, problem: bool = False) -> None:
        self.lines.append(line)
        self.problems += problem


def spool_health(path: str, health: Health) -> None:
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
        finally:
            db.close()
    except SQLiteError as error:
        health.note(f"error: {explain(error, path)}", problem=True)
    except DatabaseError as error:
        health.note(f"error: {error}", problem=True)
    return health
