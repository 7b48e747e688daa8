"""Pushing this host's queue to the server: slurmdbd's agent queue, for exitwrap.

exitwrap spools into this user's queue on this host (location.py); every
``exitcodes`` command, ``exitcodes db push``, and a push exitwrap starts in
the background when a job ends bring it to the server:

1. The origin: the server gives the queue one at its first push
   (``register_origin``), kept in the queue's SQLite file (a new file gets
   a new origin, so its ids never collide with what was pushed before)
   and written to ``<node>.origin`` for exitwrap (location.py, ``Ids``).
2. Cancel requests the server holds for this queue's running jobs and
   steps (asked for on another host) are taken: marked here, so that no
   step joins the job and its end shows CANCELLED, and TERM goes to the
   processes.
3. The spool is ingested into the queue's file (ingest.py), Slurm's ends of
   the Slurm jobs' records there are stored (slurm_settle.py), and every
   row goes to the server in one transaction through its record
   functions, keyed by (job, step): sending a row again does no harm.
4. Once the server has committed, the jobs and steps that are over leave
   the file, then the ingested records leave the spool. A failure
   anywhere before leaves both as they were, for the next push.

Liveness is judged here, on the one host that can see the processes: a
RUNNING record whose exitwrap is gone goes to the server as NODE_FAIL
(CANCELLED when a cancel was asked for); readers elsewhere show it
RUNNING until this host's push says otherwise.

A push in the background (``--background``) holds ``<node>.push`` while it
runs and goes round again while ``<node>.again`` appears; one that fails
leaves ``<node>.failed`` (once per outage), for exitwrap to warn about.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Callable, Optional

import psycopg

from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.files import FLAGS, PRIVATE_FILE
from exitwrap.accounting.ingest import ingest
from exitwrap.accounting.location import Ids
from exitwrap.accounting.process import Identity
from exitwrap.accounting.records import settled_state
from exitwrap.accounting.server.connection import command_bytes
from exitwrap.accounting.server.connection import explain as server_error
from exitwrap.accounting.server.schema import JOB_PARAMETERS, STEP_PARAMETERS
from exitwrap.accounting.signalling import terminate
from exitwrap.accounting.slurm import JOB_KIND as SLURM_KIND
from exitwrap.accounting.slurm_settle import settle_queue
from exitwrap.accounting.spool import discard
from exitwrap.accounting.states import RUNNING
from exitwrap.accounting.store import (
    DatabaseBusy,
    SQLiteError,
    Transaction,
    explain,
    job_floor,
    open_for_writing,
)

if TYPE_CHECKING:
    from sqlite3 import Connection

    from exitwrap.accounting.location import Queue
    from exitwrap.accounting.server.database import Server

_ORIGIN_TABLE = """CREATE TABLE IF NOT EXISTS queue_origin (
    number INTEGER NOT NULL, provisional INTEGER NOT NULL, token TEXT NOT NULL)"""
# the record functions' parameters, in order (the job's cancel_uid last); a step's cancel is
# its own or its job's, sent to judge its state only
_JOB_SENT = ", ".join(name for name, _ in JOB_PARAMETERS)
_STEP_SENT = ", ".join(f"s.{name}" for name, _ in STEP_PARAMETERS)
_STEP_SENT += ", COALESCE(s.cancel_uid, j.cancel_uid)"
_RECORD_JOB = f"SELECT record_job({', '.join(['%s'] * len(JOB_PARAMETERS))})"
_RECORD_STEP = f"SELECT record_step({', '.join(['%s'] * len(STEP_PARAMETERS))})"
_JOB_KIND, _JOB_STATE, _JOB_PROCESS, _JOB_CANCEL = 1, 12, slice(16, 21), len(JOB_PARAMETERS) - 1
_STEP_STATE, _STEP_PROCESS, _STEP_CANCEL = 7, slice(12, 17), len(STEP_PARAMETERS)


class Pushed:
    """What one push sent: job and step rows (those still running are sent each time)."""

    __slots__ = ("jobs", "steps")

    def __init__(self, jobs: int = 0, steps: int = 0) -> None:
        self.jobs = jobs
        self.steps = steps

    def add(self, other: Pushed) -> None:
        self.jobs += other.jobs
        self.steps += other.steps


def _identity(process: tuple[Any, ...]) -> Identity:
    pid, pgid, node, boot_id, start = process
    return Identity(pid or 0, pgid, node, boot_id, start)


def _write_origin_file(queue: Queue, ids: Ids) -> None:
    """``<node>.origin`` for exitwrap: replaced whole, never seen half written."""
    text = f"{ids.origin} {ids.provisional}\n".encode()
    path = queue.file("origin")
    try:
        with open(path, "rb") as current:
            if current.read() == text:
                return
    except FileNotFoundError:
        pass
    temporary = f"{path}.{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | FLAGS, PRIVATE_FILE)
    try:
        os.write(fd, text)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def _next_local_id(local: Connection, spool: Backlog) -> int:
    """One past every id this queue has handed out (the database's and the spool's)."""
    return max([job_floor(local), *(entry.job_id + 1 for entry in spool.entries())])


def origin(local: Connection, queue: Queue, server: Server) -> Ids:
    """The queue's origin, registered with the server the first time (under the queue's lock,
    so two pushes register once)."""
    with Transaction(local):
        local.execute(_ORIGIN_TABLE)
        row = local.execute("SELECT number, provisional FROM queue_origin").fetchone()
        if row is None:
            token = os.urandom(16).hex()
            number = int(server.value("SELECT register_origin(?, ?)", queue.node, token))
            provisional = _next_local_id(local, Backlog(queue.database))
            local.execute("INSERT INTO queue_origin VALUES (?, ?, ?)", (number, provisional, token))
            row = (number, provisional)
    ids = Ids(int(row[0]), int(row[1]))
    _write_origin_file(queue, ids)
    return ids


def take_cancel_requests(local: Connection, queue: Queue, server: Server, ids: Ids) -> None:
    """Cancels asked for elsewhere: into the queue's file (so that the ends show CANCELLED),
    the spool's mark (so that no step joins), and TERM to the processes here."""
    with Transaction(local):
        jobs = local.execute(
            "SELECT job_id, pid, pgid, node, boot_id, proc_start FROM jobs "
            "WHERE state = ? AND cancel_uid IS NULL",
            (RUNNING,),
        ).fetchall()
        steps = local.execute(
            "SELECT job_id, step_index, pid, pgid, node, boot_id, proc_start FROM steps "
            "WHERE state = ? AND cancel_uid IS NULL",
            (RUNNING,),
        ).fetchall()
        running = sorted({ids.public(row[0]) for row in (*jobs, *steps)})
        if not running:
            return
        session = server.session()
        asked = dict(
            session.execute(
                "SELECT job_id, cancel_uid FROM jobs WHERE job_id = ANY(?) "
                "AND cancel_uid IS NOT NULL",
                (running,),
            ).fetchall()
        )
        asked_steps = {
            (job_id, index): uid
            for job_id, index, uid in session.execute(
                "SELECT job_id, step_index, cancel_uid FROM steps WHERE job_id = ANY(?) "
                "AND cancel_uid IS NOT NULL",
                (running,),
            )
        }
        if not (asked or asked_steps):
            return
        processes: list[Identity] = []
        marks: list[tuple[int, int]] = []
        for job_id, *process in jobs:
            uid = asked.get(ids.public(job_id))
            if uid is not None:
                local.execute("UPDATE jobs SET cancel_uid = ? WHERE job_id = ?", (uid, job_id))
                marks.append((job_id, uid))
                processes.append(_identity(tuple(process)))
        for job_id, index, *process in steps:
            uid = asked_steps.get((ids.public(job_id), index))
            if uid is not None:
                local.execute(
                    "UPDATE steps SET cancel_uid = ? WHERE job_id = ? AND step_index = ?",
                    (uid, job_id, index),
                )
            if uid is not None or ids.public(job_id) in asked:
                processes.append(_identity(tuple(process)))
    spool = Backlog(queue.database)
    for job_id, uid in marks:
        spool.mark_cancelled(job_id, uid)
    terminate(processes)


def _judged(row: tuple[Any, ...], state: int, process: slice, cancel: int) -> tuple[Any, ...]:
    """The row with its state as this host judges it (NODE_FAIL when its process is gone)."""
    fields = list(row)
    fields[state] = settled_state(row[state], _identity(row[process]), row[cancel])
    return tuple(fields)


def send(local: Connection, server: Server, ids: Ids) -> Pushed:
    """Every row of the queue's file to the server in one transaction; then, the server having
    committed, the rows of what is over leave the file (in the caller's transaction)."""
    jobs = [
        # a Slurm job's record has no process of exitwrap's: Slurm says when it ends
        row if row[_JOB_KIND] == SLURM_KIND else _judged(row, _JOB_STATE, _JOB_PROCESS, _JOB_CANCEL)
        for row in local.execute(f"SELECT {_JOB_SENT} FROM jobs")
    ]
    steps = [
        _judged(row, _STEP_STATE, _STEP_PROCESS, _STEP_CANCEL)
        for row in local.execute(
            f"SELECT {_STEP_SENT} FROM steps s LEFT JOIN jobs j ON j.job_id = s.job_id"
        )
    ]
    job_rows = [(ids.public(r[0]), *r[1:7], command_bytes(r[7]), *r[8:]) for r in jobs]
    step_rows = [
        (ids.public(r[0]), r[1], r[2], command_bytes(r[3]), *r[4:_STEP_CANCEL]) for r in steps
    ]
    connection = server.connection
    try:
        with connection.transaction(), connection.cursor() as cursor:
            if job_rows:
                cursor.executemany(_RECORD_JOB, job_rows)
            if step_rows:
                cursor.executemany(_RECORD_STEP, step_rows)
    except psycopg.Error as error:
        raise server_error(error, server.where) from None
    over = [(r[0],) for r in jobs if r[_JOB_STATE] != RUNNING]
    local.executemany("DELETE FROM steps WHERE job_id = ?", over)
    local.executemany("DELETE FROM jobs WHERE job_id = ?", over)
    local.executemany(
        "DELETE FROM steps WHERE job_id = ? AND step_index = ?",
        [(r[0], r[1]) for r in steps if r[_STEP_STATE] != RUNNING],
    )
    return Pushed(len(job_rows), len(step_rows))


def push(queue: Queue, server: Server) -> Pushed:
    """One push of the queue (nothing when nothing was ever recorded on this host)."""
    if not os.path.exists(queue.database):
        return Pushed()
    local = open_for_writing(queue.database)
    try:
        ids = origin(local, queue, server)
        take_cancel_requests(local, queue, server, ids)
        spool = Backlog(queue.database)
        with Transaction(local):
            batch = ingest(local, spool)
            settle_queue(local, queue.database)
            pushed = send(local, server, ids)
        batch.settle(spool)
    except SQLiteError as error:
        raise explain(error, queue.database) from None
    finally:
        local.close()
    for name in ("failed", "warned"):
        discard(queue.file(name))
    return pushed


def note_failure(queue: Queue, reason: str) -> None:
    """Why records wait: written once per outage (until a push succeeds), for exitwrap to
    warn about once."""
    if os.path.exists(queue.file("failed")) or os.path.exists(queue.file("warned")):
        return
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    try:
        fd = os.open(queue.file("failed"), os.O_WRONLY | os.O_CREAT | os.O_EXCL | FLAGS, 0o600)
    except OSError:
        return
    try:
        os.write(fd, f"not pushed since {stamp}: {reason}\n".encode())
    finally:
        os.close(fd)


def _try_lock(path: str) -> Optional[int]:
    """The push lock's descriptor, held; None when another push holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | FLAGS, PRIVATE_FILE)
    try:
        os.lockf(fd, os.F_TLOCK, 0)
    except OSError:
        os.close(fd)
        return None
    return fd


def push_while_asked(queue: Queue, one_push: Callable[[], Pushed]) -> Optional[Pushed]:
    """A background push: rounds while ``<node>.again`` appears; None when another push holds
    the lock (whoever asked left ``<node>.again`` before looking, so that one goes round)."""
    again = queue.file("again")
    total: Optional[Pushed] = None
    while True:
        fd = _try_lock(queue.file("push"))
        if fd is None:
            return total
        total = total or Pushed()
        try:
            while True:
                discard(again)
                total.add(one_push())
                if not os.path.exists(again):
                    break
        except DatabaseBusy:
            return total  # a push of another process has the queue: it takes the rest
        finally:
            os.close(fd)
        if not os.path.exists(again):  # asked for just as this one let go
            return total
