"""Bringing the spool into SQLite: what every reader of the accounting does first.

exitwrap writes its records to the spool (harness/exitwrap/accounting/spool.py);
the database stays the store of record, and every query reads it. An
ingest applies every spooled record in one transaction, keyed by (job,
step): a begin inserts its job and step unless they are there; an end,
which repeats its begin's fields, inserts them or updates how they ended.
So two ingesters at once do no harm, and a record leaves the spool only
after the transaction that holds it has committed. States are decided
here, where a cancel is known: an end's state follows its wait status, as
states.py decides it, unless the job or step was being cancelled.

After the commit, the spool's counters are raised to the database's
highest ids (so that no id is handed out twice, whatever a crash lost),
and the running-job files of jobs that ended, or whose leader is gone,
are dropped.

A reader that may not write the database (another user's shared one)
reads what has been ingested: ``catch_up`` then says in one line how many
spooled records wait.
"""

from __future__ import annotations

import os
import time

from exitwrap.accounting import states, users
from exitwrap.accounting.backlog import Backlog, Entry
from exitwrap.accounting.process import Identity, is_alive
from exitwrap.accounting.records import JOB_COLUMNS, STEP_COLUMNS
from exitwrap.accounting.slurm import JOB_KIND as SLURM_KIND
from exitwrap.accounting.spool import RecordingError, decode
from exitwrap.accounting.store import (
    STEP_FLOOR,
    ConstraintError,
    DatabaseBusy,
    SQLiteError,
    Transaction,
    explain,
    job_floor,
    open_for_reading,
    open_for_writing,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sqlite3 import Connection
    from typing import Callable, Optional, TypeVar

    from exitwrap.accounting.spool import Value

    Result = TypeVar("Result")

_JOB_KEYS = frozenset(JOB_COLUMNS) - {"job_id", "user", "state", "derived_status", "cancel_uid"}
_STEP_KEYS = frozenset(STEP_COLUMNS) - {"job_id", "step_index", "cancel_uid"}
_JOB_ENDING = ("end_time", "state", "exit_status")  # what an end may change in a recorded job
_STEP_ENDING = (
    "end_time",
    "state",
    "exit_status",
    "max_rss_kib",
    "user_cpu",
    "system_cpu",
    "start_errno",
)
_LEADER = "SELECT end_time, pid, pgid, node, boot_id, proc_start, kind FROM jobs WHERE job_id = ?"


class Record:
    """One spooled record, read and checked: its job's fields and its step's (ValueError when
    a field is not one of theirs)."""

    __slots__ = ("job", "step", "step_index", "timed_out")

    def __init__(self, found: Entry, fields: dict[str, Value]) -> None:
        self.job: dict[str, Value] = {}
        self.step: dict[str, Value] = {}
        index = found.step if found.step is not None else fields.pop("step_index", None)
        if not isinstance(index, int):
            raise ValueError("no step index")
        self.step_index = index
        self.timed_out = bool(fields.pop("timed_out", 0))
        for key, value in fields.items():
            table, _, column = key.partition(".")
            if table == "job" and column in _JOB_KEYS:
                self.job[column] = value
            elif table == "step" and column in _STEP_KEYS:
                self.step[column] = value
            else:
                raise ValueError(f"unknown field {key!r}")


class Batch:
    """What one ingest applied, and what the spool is to do once it has committed."""

    __slots__ = ("applied", "job_floor", "retired", "step_floors")

    def __init__(self) -> None:
        self.applied: list[Entry] = []
        self.job_floor = 1
        self.step_floors: dict[int, int] = {}
        self.retired: list[int] = []

    def settle(self, spool: Backlog) -> None:
        """After the commit: counters up, ended jobs' files out, then the ingested records."""
        if not self.applied:
            return
        spool.settle(self.job_floor, self.step_floors, self.retired)
        spool.remove(e.name for e in self.applied if not e.begins_job)
        spool.sweep(time.time())


def _upsert(
    db: Connection, table: str, key: dict[str, int], values: dict[str, Value], *, ending: bool
) -> None:
    """Insert the row unless its key is there; an ending record updates how it ended."""
    columns = [*key, *values]
    changed = [c for c in (_JOB_ENDING if table == "jobs" else _STEP_ENDING) if c in values]
    action = "NOTHING"
    if ending and changed:
        action = "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in changed)
    db.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO {action}",
        [*key.values(), *values.values()],
    )


def _cancel_uid(db: Connection, query: str, key: tuple[int, ...]) -> Optional[int]:
    row = db.execute(query, key).fetchone()
    return None if row is None else row[0]


def _status(values: dict[str, Value]) -> int:
    status = values.get("exit_status")
    return status if isinstance(status, int) else 0


def _apply(db: Connection, job_id: int, record: Record, names: dict[int, str]) -> None:
    step, job = record.step, record.job
    ending = "end_time" in step
    job_cancel = _cancel_uid(db, "SELECT cancel_uid FROM jobs WHERE job_id = ?", (job_id,))
    if job:
        uid = job.get("uid")
        if isinstance(uid, int):
            if uid not in names:
                names[uid] = users.user_name(uid)
            job["user"] = names[uid]
        job["next_step"] = record.step_index + 1
        job["state"] = states.RUNNING
        if "end_time" in job:
            cancelled = job_cancel is not None
            job["state"] = states.job_state(
                _status(job), timed_out=record.timed_out, cancelled=cancelled
            )
        _upsert(db, "jobs", {"job_id": job_id}, job, ending="end_time" in job)
    if "state" not in step:
        step["state"] = states.RUNNING
        if ending:
            step_cancel = _cancel_uid(
                db,
                "SELECT cancel_uid FROM steps WHERE job_id = ? AND step_index = ?",
                (job_id, record.step_index),
            )
            cancelled = job_cancel is not None or step_cancel is not None
            step["state"] = states.step_state(
                _status(step), timed_out=record.timed_out, cancelled=cancelled
            )
    _upsert(db, "steps", {"job_id": job_id, "step_index": record.step_index}, step, ending=ending)


def _leader_gone(row: tuple[object, ...]) -> bool:
    """Whether the job's leading process is gone (a Slurm job's record has none: it runs
    until Slurm's end of it is stored)."""
    pid, pgid, node, boot_id, start, kind = row[1:]
    if kind == SLURM_KIND:
        return False
    leader = Identity(
        pid if isinstance(pid, int) else 0,
        pgid if isinstance(pgid, int) else None,
        str(node),
        boot_id if isinstance(boot_id, str) else None,
        start if isinstance(start, int) else None,
    )
    return is_alive(leader) is False


def _floors(db: Connection, batch: Batch) -> None:
    """The counters' floors, and which spooled jobs are over, from what the database now holds."""
    touched = sorted({found.job_id for found in batch.applied})
    for job_id in touched:
        db.execute(f"UPDATE jobs SET next_step = {STEP_FLOOR} WHERE job_id = :job", {"job": job_id})
        row = db.execute("SELECT next_step FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is not None:
            batch.step_floors[job_id] = int(row[0])
    batch.job_floor = job_floor(db)
    for found in batch.applied:
        if found.begins_job:
            row = db.execute(_LEADER, (found.job_id,)).fetchone()
            if row is not None and (row[0] is not None or _leader_gone(row)):
                batch.retired.append(found.job_id)


def ingest(db: Connection, spool: Backlog) -> Batch:
    """Apply every spooled record inside the caller's transaction. A record that cannot be
    read, or that the schema refuses, stays in the spool (``db check`` reports it)."""
    batch = Batch()
    names: dict[int, str] = {}
    found = spool.entries()
    found.sort(key=lambda e: (e.job_id, e.step is not None, e.end))  # jobs before their steps
    for item in found:
        data = spool.read(item)
        if data is None:
            continue  # another ingester has just taken it
        try:
            record = Record(item, decode(data))
        except ValueError:
            continue
        db.execute("SAVEPOINT record")
        try:
            _apply(db, item.job_id, record, names)
        except ConstraintError:
            db.execute("ROLLBACK TO record")
            continue
        finally:
            db.execute("RELEASE record")
        batch.applied.append(item)
    if batch.applied:
        _floors(db, batch)
    return batch


def write(path: str, body: Callable[[Connection], Result]) -> Result:
    """Run body in one write transaction on the database, once the spool is ingested in it;
    the ingested records leave the spool when it has committed."""
    spool = Backlog(path)
    db = open_for_writing(path)
    try:
        with Transaction(db):
            batch = ingest(db, spool)
            result = body(db)
        batch.settle(spool)
    except SQLiteError as error:
        raise explain(error, path) from None
    finally:
        db.close()
    return result


def _nothing_more(db: Connection) -> None:
    return None


def _waiting(path: str, found: list[Entry]) -> list[Entry]:
    """The entries an ingest would change something for: all but the begin records of running
    jobs that the database already holds."""
    begun = [e.job_id for e in found if e.begins_job]
    if not begun:
        return found
    db = open_for_reading(path)
    if db is None:
        return found
    known: set[int] = set()
    try:
        for job_id in begun:
            row = db.execute(_LEADER, (job_id,)).fetchone()
            if row is not None and row[0] is None and not _leader_gone(row):
                known.add(job_id)
    except SQLiteError as error:
        raise explain(error, path) from None
    finally:
        db.close()
    return [e for e in found if not e.begins_job or e.job_id not in known]


def _cannot_write(path: str, spool: Backlog) -> Optional[str]:
    """Why this user may not ingest (the database, its directory or the spool is read-only)."""
    directory = os.path.dirname(os.path.abspath(path))
    for where, what in ((path, "the database"), (directory, "its directory"), (spool.path, "")):
        if os.path.exists(where) and not os.access(where, os.W_OK):
            return f"{what or 'the spool'} is read-only for this user"
    return None


def catch_up(path: str) -> Optional[str]:
    """Ingest whatever waits in the spool. Instead, when this user may not write the database
    or the ingest could not take a lock in time, a one-line notice of what waits: a reader
    shows what is ingested rather than fail for a chore. Other failures (a corrupt database,
    a newer schema) raise DatabaseError, as reading would."""
    spool = Backlog(path)
    try:
        waiting = _waiting(path, spool.entries())
    except PermissionError:
        return f"{spool.path}: the spool is not readable for this user: its records not shown"
    if not waiting:
        return None
    reason = _cannot_write(path, spool)
    if reason is None:
        try:
            write(path, _nothing_more)
        except (DatabaseBusy, RecordingError) as error:
            reason = str(error)
        else:
            return None
    return f"{len(waiting)} spooled records not ingested ({reason}): what is shown may be behind"
