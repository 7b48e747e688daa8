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
3. The spool is ingested into the queue's file (ingest.py), by the rules
   of any spool: a record's owner is its file's owner, and a record that
   is not the queue's user's stays in the spool; an id the server holds
   for another run (a counter rewound by hand) is renumbered
   (renumber.py: the server's runs are ``Held``). Slurm's ends of the
   Slurm jobs' records there are stored (slurm_settle.py). Every row there
   goes to the server in one transaction through its record functions,
   keyed by (job, step): sending a row again does no harm; so do the
   notes of what was renumbered.
4. Once the server has committed, the jobs and steps that are over leave
   the file, then the ingested records leave the spool. A failure
   anywhere before leaves both as they were, for the next push.

Liveness is judged here, on the one host that can see the processes (in
their PID namespace): a RUNNING record whose exitwrap is gone goes to the
server as NODE_FAIL (CANCELLED when a cancel was asked for); readers
elsewhere show it RUNNING until this host's push says otherwise. A cancel
request for processes in another PID namespace is left for a push from
there.

A push in the background (``--background``) holds ``<node>.push`` while it
runs and goes round again while ``<node>.again`` appears; one that fails
leaves ``<node>.failed`` (once per outage), for exitwrap to warn about.
"""

from __future__ import annotations

import contextlib
import os
import time

import psycopg

from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.files import FLAGS, PRIVATE_FILE
from exitwrap.accounting.ingest import ingest
from exitwrap.accounting.location import Ids
from exitwrap.accounting.process import Identity, is_alive, uid
from exitwrap.accounting.records import settled_state
from exitwrap.accounting.renumber import JOB_IDENTITY, NOTED, Held
from exitwrap.accounting.server.connection import command_bytes
from exitwrap.accounting.server.connection import explain as server_error
from exitwrap.accounting.server.schema import JOB_FIELDS, STEP_FIELDS
from exitwrap.accounting.signalling import terminate
from exitwrap.accounting.slurm import JOB_KIND as SLURM_KIND
from exitwrap.accounting.slurm_settle import settle_queue
from exitwrap.accounting.spool import RecordingError, discard
from exitwrap.accounting.states import RUNNING
from exitwrap.accounting.store import (
    DatabaseBusy,
    SQLiteError,
    Transaction,
    explain,
    job_floor,
    open_for_writing,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sqlite3 import Connection
    from typing import Any, Callable, Optional

    from exitwrap.accounting.location import Queue
    from exitwrap.accounting.server.database import Server

_ORIGIN_TABLE = """CREATE TABLE IF NOT EXISTS queue_origin (
    number INTEGER NOT NULL, provisional INTEGER NOT NULL, token TEXT NOT NULL)"""
_PROCESS = ("pid", "pgid", "node", "boot_id", "proc_start", "pid_ns")  # an Identity's columns


class Sent:
    """The columns of one table that go to the server (its record function's arguments, in
    order), then the cancel request: where each is in a row read with ``columns``."""

    __slots__ = ("arguments", "cancel", "columns", "command", "function", "process", "state")

    def __init__(
        self, function: str, fields: tuple[tuple[str, str], ...], prefix: str, cancel: str
    ) -> None:
        self.function = function
        names = [name for name, _ in fields]
        self.columns = ", ".join([*(prefix + name for name in names), cancel])
        self.arguments = ", ".join(["%s"] * len(names))  # psycopg's markers
        self.state = names.index("state")
        self.command = names.index("command")
        first = names.index(_PROCESS[0])
        self.process = slice(first, first + len(_PROCESS))
        self.cancel = len(names)

    def call(self) -> str:
        return f"SELECT {self.function}({self.arguments})"

    def sendable(self, row: tuple[Any, ...], ids: Ids) -> tuple[Any, ...]:
        """The row as the record function takes it: the id everyone sees, the command as bytes,
        not the cancel request read to judge the state (a user's own change, never a push's;
        a job's cancel_uid field is who Slurm says cancelled a Slurm job)."""
        fields = list(row[: self.cancel])
        fields[0] = ids.public(fields[0])
        fields[self.command] = command_bytes(fields[self.command])
        return tuple(fields)


_JOBS = Sent("record_job", JOB_FIELDS, "", "cancel_uid")
_JOB_KIND = [name for name, _ in JOB_FIELDS].index("kind")
_STEPS = Sent("record_step", STEP_FIELDS, "s.", "COALESCE(s.cancel_uid, j.cancel_uid)")
_SPOOLED_STEPS = """SELECT s.job_id, s.step_index, s.start_time, s.node, s.pid
    FROM steps s JOIN unnest(?::bigint[], ?::integer[]) AS w(job_id, step_index)
    ON s.job_id = w.job_id AND s.step_index = w.step_index"""


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
    pid, pgid, node, boot_id, start, pid_ns = process
    return Identity(pid or 0, pgid, node, boot_id, start, pid_ns)


def _publish(path: str, text: bytes, *, replace: bool) -> bool:
    """Give path the text whole (a reader never sees it half written), through a temporary
    file: replacing what path holds, or (replace False) only where there is no path yet.
    Whether path now holds the text."""
    temporary = f"{path}.{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | FLAGS, PRIVATE_FILE)
    try:
        try:
            os.write(fd, text)
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        discard(temporary)


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
    _publish(path, text, replace=True)


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


def _visible(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows whose recording process this process can judge (its PID namespace's)."""
    return [row for row in rows if is_alive(_identity(row[-len(_PROCESS) :])) is not None]


def take_cancel_requests(local: Connection, queue: Queue, server: Server, ids: Ids) -> None:
    """Cancels asked for elsewhere: into the queue's file (so that the ends show CANCELLED),
    the spool's mark (so that no step joins), and TERM to the processes here. Those of
    processes this push cannot see (another PID namespace) are left for a push from there."""
    columns = ", ".join(_PROCESS)
    with Transaction(local):
        jobs = _visible(
            local.execute(
                f"SELECT job_id, {columns} FROM jobs WHERE state = ? AND cancel_uid IS NULL",
                (RUNNING,),
            ).fetchall()
        )
        steps = _visible(
            local.execute(
                f"SELECT job_id, step_index, {columns} FROM steps "
                "WHERE state = ? AND cancel_uid IS NULL",
                (RUNNING,),
            ).fetchall()
        )
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
            (job_id, index): asker
            for job_id, index, asker in session.execute(
                "SELECT job_id, step_index, cancel_uid FROM steps WHERE job_id = ANY(?) "
                "AND cancel_uid IS NOT NULL",
                (running,),
            )
        }
        if not (asked or asked_steps):
            return
        leaders: list[Identity] = []  # the jobs' own exitwraps, signalled before their steps
        processes: list[Identity] = []
        marks: list[tuple[int, int]] = []
        for job_id, *process in jobs:
            asker = asked.get(ids.public(job_id))
            if asker is not None:
                local.execute("UPDATE jobs SET cancel_uid = ? WHERE job_id = ?", (asker, job_id))
                marks.append((job_id, asker))
                leaders.append(_identity(tuple(process)))
        for job_id, index, *process in steps:
            asker = asked_steps.get((ids.public(job_id), index))
            if asker is not None:
                local.execute(
                    "UPDATE steps SET cancel_uid = ? WHERE job_id = ? AND step_index = ?",
                    (asker, job_id, index),
                )
            if asker is not None or ids.public(job_id) in asked:
                processes.append(_identity(tuple(process)))
    spool = Backlog(queue.database)
    for job_id, asker in marks:
        spool.mark_cancelled(job_id, asker)
    # the queue's jobs are this user's
    terminate(processes, job_owner=uid(), uid=uid(), leaders=leaders)


def _judged(row: tuple[Any, ...], sent: Sent) -> tuple[Any, ...]:
    """The row with its state as this host judges it (NODE_FAIL when its process is gone)."""
    fields = list(row)
    process = _identity(row[sent.process])
    fields[sent.state] = settled_state(row[sent.state], process, row[sent.cancel])
    return tuple(fields)


def send(local: Connection, server: Server, ids: Ids) -> Pushed:
    """Every row of the queue's file to the server in one transaction, with the notes of what
    was renumbered; then, the server having committed, the rows of what is over and the notes
    leave the file (in the caller's transaction)."""
    jobs = [
        # a Slurm job's record has no process of exitwrap's: Slurm says when it ends
        row if row[_JOB_KIND] == SLURM_KIND else _judged(row, _JOBS)
        for row in local.execute(f"SELECT {_JOBS.columns} FROM jobs")
    ]
    steps = [
        _judged(row, _STEPS)
        for row in local.execute(
            f"SELECT {_STEPS.columns} FROM steps s LEFT JOIN jobs j ON j.job_id = s.job_id"
        )
    ]
    notes = [
        (ids.public(job), step, ids.public(spooled_job), spooled_step, noticed)
        for job, step, spooled_job, spooled_step, noticed in local.execute(NOTED)
    ]
    connection = server.connection
    try:
        with connection.transaction(), connection.cursor() as cursor:
            if jobs:
                cursor.executemany(_JOBS.call(), [_JOBS.sendable(r, ids) for r in jobs])
            if steps:
                cursor.executemany(_STEPS.call(), [_STEPS.sendable(r, ids) for r in steps])
            if notes:
                cursor.executemany("SELECT note_renumbered(%s, %s, %s, %s, %s)", notes)
    except psycopg.Error as error:
        raise server_error(error, server.where) from None
    over = [(r[0],) for r in jobs if r[_JOBS.state] != RUNNING]
    local.executemany("DELETE FROM steps WHERE job_id = ?", over)
    local.executemany("DELETE FROM jobs WHERE job_id = ?", over)
    local.executemany(
        "DELETE FROM steps WHERE job_id = ? AND step_index = ?",
        [(r[0], r[1]) for r in steps if r[_STEPS.state] != RUNNING],
    )
    local.execute("DELETE FROM renumbered")
    return Pushed(len(jobs), len(steps))


def held_on_server(server: Server, spool: Backlog, ids: Ids) -> Held:
    """The runs the server holds under the ids the spool holds records of (in the queue's
    ids): those that left the queue's file once pushed, whose ids a rewound counter may hand
    out again."""
    held = Held()
    found = spool.entries()
    if not found:
        return held
    public = {ids.public(entry.job_id): entry.job_id for entry in found}
    pairs = sorted({(ids.public(e.job_id), e.step) for e in found if e.step is not None})
    session = server.session()
    wanted = sorted(public)
    for job_id, *identity in session.execute(
        f"SELECT job_id, {', '.join(JOB_IDENTITY)} FROM jobs WHERE job_id = ANY(?)", (wanted,)
    ):
        held.jobs[public[job_id]] = identity
    for job_id, last in session.execute(
        "SELECT job_id, MAX(step_index) FROM steps WHERE job_id = ANY(?) GROUP BY job_id",
        (wanted,),
    ):
        held.last_steps[public[job_id]] = last
    if pairs:
        chosen = ([job for job, _ in pairs], [step for _, step in pairs])
        for job_id, index, *identity in session.execute(_SPOOLED_STEPS, chosen):
            held.steps[public[job_id], index] = identity
    return held


def push(queue: Queue, server: Server) -> Pushed:
    """One push of the queue (nothing when nothing was ever recorded on this host)."""
    if not os.path.exists(queue.database):
        return Pushed()
    local = open_for_writing(queue.database)
    try:
        ids = origin(local, queue, server)
        take_cancel_requests(local, queue, server, ids)
        spool = Backlog(queue.database)
        untrusted = spool.untrusted()
        if untrusted is not None:
            raise RecordingError(untrusted)
        with Transaction(local):
            held = held_on_server(server, spool, ids)
            batch = ingest(local, spool, held=held, owner=uid())
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
    note = f"not pushed since {time.strftime('%Y-%m-%dT%H:%M:%S')}: {reason}\n".encode()
    # whole or not at all: an exitwrap that took the note while it was being written warned
    # with an empty reason
    with contextlib.suppress(OSError):
        _publish(queue.file("failed"), note, replace=False)


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
