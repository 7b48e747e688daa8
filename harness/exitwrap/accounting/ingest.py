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
are dropped. Should an id be handed out twice all the same (a counter
rewound by hand), both runs are kept: renumber.py.

Nothing a record says about whose it is counts: a job belongs to the owner
of its record file (fstat), and a record whose owner is not its job's (one
written into a shared spool by another user) is not ingested: it stays in
the spool, and ``db check`` reports it, as it does a FIFO, a directory or a
link standing where a record should be (never opened, never waited for).

A reader that may not write the database (another user's shared one)
reads what has been ingested: ``catch_up`` then says in one line how many
spooled records wait.
"""

from __future__ import annotations

import os
import time

from exitwrap.accounting import states, users
from exitwrap.accounting.backlog import Backlog, Entry
from exitwrap.accounting.files import NotRegular
from exitwrap.accounting.process import Identity, is_alive
from exitwrap.accounting.records import JOB_COLUMNS, STEP_COLUMNS
from exitwrap.accounting.renumber import NOTHING_HELD, Held, job_id_for, step_for
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
_LEADER = (
    "SELECT end_time, pid, pgid, node, boot_id, proc_start, pid_ns, kind FROM jobs WHERE job_id = ?"
)


class Record:
    """One spooled record, read and checked: its job's fields and its step's (ValueError when
    a field is not one of theirs), and who wrote it (its file's owner)."""

    __slots__ = ("job", "owner", "step", "step_index", "timed_out")

    def __init__(self, found: Entry, fields: dict[str, Value], owner: int) -> None:
        self.job: dict[str, Value] = {}
        self.step: dict[str, Value] = {}
        self.owner = owner
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
        if self.job:
            self.job["uid"] = owner  # whatever the record says


class Batch:
    """What one ingest applied, and what the spool is to do once it has committed."""

    __slots__ = ("applied", "job_floor", "moved", "names", "retired", "step_floors")

    def __init__(self) -> None:
        self.applied: list[Entry] = []
        self.job_floor = 1
        self.step_floors: dict[int, int] = {}
        self.retired: list[int] = []
        self.moved: dict[int, int] = {}  # a spooled job id -> where its run is kept
        self.names: dict[int, str] = {}

    def user_name(self, uid: int) -> str:
        if uid not in self.names:
            self.names[uid] = users.user_name(uid)
        return self.names[uid]

    def kept_as(self, job_id: int) -> int:
        return self.moved.get(job_id, job_id)

    def settle(self, spool: Backlog) -> None:
        """After the commit: counters up, ended jobs' files out, then the ingested records."""
        if not self.applied:
            return
        spool.settle(self.job_floor, self.step_floors, self.retired)
        spool.remove(e.name for e in self.applied if not e.begins_job)
        spool.sweep(time.time())


class Ceilings:
    """One past the highest ids the spool holds: a renumbered run goes above them."""

    __slots__ = ("job", "steps")

    def __init__(self, found: list[Entry]) -> None:
        self.job = max((e.job_id for e in found), default=0) + 1
        self.steps: dict[int, int] = {}
        for entry in found:
            if entry.step is not None:
                self.steps[entry.job_id] = max(self.steps.get(entry.job_id, 0), entry.step + 1)


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


def _owner(db: Connection, job_id: int) -> Optional[int]:
    row = db.execute("SELECT uid FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    return None if row is None else int(row[0])


def _apply(
    db: Connection,
    found: Entry,
    record: Record,
    batch: Batch,
    ceilings: Ceilings,
    held: Held,
) -> bool:
    """Apply one record; False when it is not its job owner's (it stays in the spool)."""
    step, job = record.step, record.job
    if job:
        job_id = job_id_for(db, found.job_id, job, ceilings.job, held)
        batch.moved[found.job_id] = job_id
    else:
        job_id = batch.kept_as(found.job_id)
    owner = _owner(db, job_id)
    if owner != record.owner and not (job and owner is None):
        return False
    ending = "end_time" in step
    job_id, step_index = step_for(
        db,
        job_id,
        record.step_index,
        step,
        ending=ending,
        above=ceilings.steps.get(found.job_id, 0),
        held=held,
    )
    job_cancel = _cancel_uid(db, "SELECT cancel_uid FROM jobs WHERE job_id = ?", (job_id,))
    if job:
        job["user"] = batch.user_name(record.owner)
        job["next_step"] = step_index + 1
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
                (job_id, step_index),
            )
            cancelled = job_cancel is not None or step_cancel is not None
            step["state"] = states.step_state(
                _status(step), timed_out=record.timed_out, cancelled=cancelled
            )
    _upsert(db, "steps", {"job_id": job_id, "step_index": step_index}, step, ending=ending)
    return True


def _leader_gone(row: tuple[object, ...]) -> bool:
    """Whether the job's leading process is gone (a Slurm job's record has none: it runs
    until Slurm's end of it is stored)."""
    pid, pgid, node, boot_id, start, pid_ns, kind = row[1:]
    if kind == SLURM_KIND:
        return False
    leader = Identity(
        pid if isinstance(pid, int) else 0,
        pgid if isinstance(pgid, int) else None,
        str(node),
        boot_id if isinstance(boot_id, str) else None,
        start if isinstance(start, int) else None,
        pid_ns if isinstance(pid_ns, int) else None,
    )
    return is_alive(leader) is False


def _floors(db: Connection, batch: Batch) -> None:
    """The counters' floors, and which spooled jobs are over, from what the database now holds
    (a spooled job's counters follow the run it is kept as)."""
    touched = sorted({found.job_id for found in batch.applied})
    for spooled in touched:
        job = {"job": batch.kept_as(spooled)}
        db.execute(f"UPDATE jobs SET next_step = {STEP_FLOOR} WHERE job_id = :job", job)
        row = db.execute("SELECT next_step FROM jobs WHERE job_id = :job", job).fetchone()
        if row is not None:
            batch.step_floors[spooled] = int(row[0])
    batch.job_floor = job_floor(db)
    for found in batch.applied:
        if found.begins_job:
            row = db.execute(_LEADER, (batch.kept_as(found.job_id),)).fetchone()
            if row is not None and (row[0] is not None or _leader_gone(row)):
                batch.retired.append(found.job_id)


def ingest(
    db: Connection, spool: Backlog, *, held: Held = NOTHING_HELD, owner: Optional[int] = None
) -> Batch:
    """Apply every spooled record inside the caller's transaction. A record that cannot be
    read, that the schema refuses or that is not its job owner's (nor ``owner``'s, when
    given: a queue is one user's) stays in the spool (``db check`` reports it). ``held``: the
    ids taken beyond the database (renumber.py)."""
    batch = Batch()
    found = spool.entries()
    found.sort(key=lambda e: (e.job_id, e.step is not None, e.end))  # jobs before their steps
    ceilings = Ceilings(found)
    for item in found:
        try:
            got = spool.read_owned(item)
            record = None if got is None else Record(item, decode(got[0]), got[1])
        except (NotRegular, PermissionError, ValueError):
            continue  # not a record, or not one this user may read: left where it is
        if record is None:
            continue  # another ingester has just taken it
        if owner is not None and record.owner != owner:
            continue
        db.execute("SAVEPOINT record")
        try:
            applied = _apply(db, item, record, batch, ceilings, held)
        except ConstraintError:
            db.execute("ROLLBACK TO record")
            applied = False
        # anything else (a full disk) has rolled back the whole transaction: it propagates,
        # and releasing a savepoint that is gone would only hide it
        db.execute("RELEASE record")
        if applied:
            batch.applied.append(item)
    if batch.applied:
        _floors(db, batch)
    return batch


def write(path: str, body: Callable[[Connection], Result]) -> Result:
    """Run body in one write transaction on the database, once the spool is ingested in it
    (unless this process leaves the spool alone); the ingested records leave the spool when
    it has committed."""
    spool = Backlog(path)
    trusted = spool.untrusted() is None
    db = open_for_writing(path)
    try:
        with Transaction(db):
            batch = ingest(db, spool) if trusted else Batch()
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
    """Why this user may not ingest (the database, its directory or the spool is read-only,
    or root does not use a spool others may change)."""
    untrusted = spool.untrusted()
    if untrusted is not None:
        return untrusted
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
