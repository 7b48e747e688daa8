"""The step recorder exitwrap calls around every command it wraps.

Contract (exitwrap's side in harness/wrap/): open a ``Recorder`` on
``database_path(os.environ)`` unless that is None, ``begin`` before
starting the command (export ``EXITWRAP_JOB_ID``/``EXITWRAP_STEP_ID`` from
the ticket), ``finish`` with the raw wait status once it is reaped (a
command that could not be started finishes with ``code << 8``), ``close``.
Any failure to record raises ``RecordingError``; exitwrap then warns once
and returns the command's status unchanged.

- ``begin`` allocates ids inside one ``BEGIN IMMEDIATE`` transaction, so
  step ids stay dense and unique under any number of concurrent writers.
- No parent job and not batch: a one-step job N with step N.0, whose state
  and exit code are the step's. ``batch``: a new job N and its step
  N.batch, which decides the job's state. A parent job: step N.k of it, if
  it is still running on this host; a stale or unknown one gives a new
  one-step job and a warning.
- Each record keeps the recording process's identity (pid, process group,
  node, boot id, start time) so that ``exitcodes cancel`` signals the right
  process and readers can tell a crashed exitwrap (NODE_FAIL).

This is on exitwrap's hot path: it imports os, time, SQLite's C module, and pwd and grp.
"""

from __future__ import annotations

import os
import time

from harness.accounting import states, users
from harness.accounting.process import Identity, identify, is_alive, node_name
from harness.accounting.schema import BATCH_STEP
from harness.accounting.store import (
    DatabaseError,
    SQLiteError,
    Transaction,
    explain,
    open_for_writing,
)
from harness.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from sqlite3 import Connection
    from typing import Optional

DATABASE_ENV = "EXITWRAP_DB"
DISABLED = "off"
DATABASE_FILE = "accounting.db"
BATCH = "batch"


class RecordingError(DatabaseError):
    """The step could not be recorded (unwritable, corrupt, locked too long, disk full)."""


def database_path(environ: Mapping[str, str]) -> Optional[str]:
    """$EXITWRAP_DB; "off" disables recording (None); unset: the per-user default.

    The default is $XDG_DATA_HOME/exitwrap/accounting.db (the XDG base
    directory spec: an unset or relative XDG_DATA_HOME means
    ~/.local/share); the recorder creates it 0600 in a 0700 directory.
    """
    configured = environ.get(DATABASE_ENV, "")
    if configured.lower() == DISABLED:
        return None
    if configured:
        return configured
    data_home = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data_home):
        home = environ.get("HOME") or users.home()
        data_home = os.path.join(home, ".local", "share")
    return os.path.join(data_home, "exitwrap", DATABASE_FILE)


def configured_database(environ: Mapping[str, str]) -> str:
    """The database the accounting commands read and change; an error when recording is off."""
    path = database_path(environ)
    if path is None:
        raise HarnessFailure(f"accounting is off ({DATABASE_ENV}={environ[DATABASE_ENV]})")
    return path


class StepTicket:
    """The step ``begin`` recorded: its job id and step id ("0", "1", ... or "batch")."""

    __slots__ = ("ends_job", "job_id", "step")

    def __init__(self, job_id: int, step: str, ends_job: bool = False) -> None:
        self.job_id = job_id
        self.step = step
        self.ends_job = ends_job  # finishing this step finishes its job (N.0 alone, N.batch)

    @property
    def step_index(self) -> int:
        return BATCH_STEP if self.step == BATCH else int(self.step)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StepTicket) and (self.job_id, self.step) == (
            other.job_id,
            other.step,
        )

    def __hash__(self) -> int:
        return hash((self.job_id, self.step))

    def __repr__(self) -> str:
        return f"StepTicket(job_id={self.job_id}, step={self.step!r})"


# FinishedStep's fields, in _INSERT_FINISHED's column order
_FINISHED: tuple[str, ...] = ("name", "command", "workdir", "start", "end", "state")
_FINISHED += ("reason", "wait_status", "comment", "extra")


class FinishedStep:
    """A step recorded after the fact, with no process of its own (a matrix cell)."""

    __slots__ = _FINISHED

    def __init__(
        self,
        *,
        name: str,
        command: Optional[str],
        workdir: Optional[str],
        start: float,
        end: float,
        state: str,
        reason: Optional[str],
        wait_status: Optional[int],
        comment: Optional[str],
        extra: Optional[str],  # JSON
    ) -> None:
        self.name, self.command, self.workdir = name, command, workdir
        self.start, self.end, self.state, self.reason = start, end, state, reason
        self.wait_status, self.comment, self.extra = wait_status, comment, extra

    def row(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _FINISHED)


def _identity_values(identity: Identity) -> tuple[object, ...]:
    return (identity.pid, identity.pgid, identity.node, identity.boot_id, identity.start_ticks)


_INSERT_JOB = """INSERT INTO jobs (kind, name, uid, user, gid, account, comment, command,
    workdir, submit_time, start_time, state, next_step, pid, pgid, node, boot_id, proc_start)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_STEP = """INSERT INTO steps (job_id, step_index, name, command, workdir, start_time,
    state, pid, pgid, node, boot_id, proc_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_FINISHED = """INSERT INTO steps (job_id, step_index, name, command, workdir, start_time,
    end_time, state, reason, exit_status, comment, extra, node)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_PARENT = """SELECT state, uid, cancel_uid, next_step, pid, pgid, node, boot_id, proc_start
    FROM jobs WHERE job_id = ?"""


class Recorder:
    """One connection to the accounting database, for one exitwrap run."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._db = open_for_writing(path)
        except DatabaseError as error:
            raise RecordingError(str(error)) from None

    def begin(
        self,
        *,
        argv: Sequence[str],
        redact: bool,
        cwd: str,
        batch: bool,
        parent_job: Optional[int],
        job_name: Optional[str],
        account: Optional[str],
        comment: Optional[str],
        pid: int,
    ) -> tuple[StepTicket, Optional[str]]:
        """Record the start of a step; returns its ticket and a warning to print, if any."""
        program = argv[0] if argv else ""
        command = program if redact else "\0".join(argv)
        name = os.path.basename(program) or program
        process = _identity_values(identify(pid))
        now = time.time()
        warning: Optional[str] = None
        try:
            with Transaction(self._db) as db:
                if parent_job is not None and not batch:
                    index = self._take_step_index(db, parent_job)
                    if index is not None:
                        db.execute(
                            _INSERT_STEP,
                            (parent_job, index, name, command, cwd, now, states.RUNNING, *process),
                        )
                        return StepTicket(parent_job, str(index)), None
                    warning = (
                        f"job {parent_job} (EXITWRAP_JOB_ID) is not a running job of this user; "
                        "recording a new job"
                    )
                uid = users.uid()
                job = (BATCH if batch else "single", job_name or name, uid, users.user_name(uid))
                texts = (account, comment, command, cwd)
                times = (now, now, states.RUNNING, 0 if batch else 1)
                cursor = db.execute(_INSERT_JOB, (*job, users.gid(), *texts, *times, *process))
                job_id = int(cursor.lastrowid or 0)
                step_index, step_name = (BATCH_STEP, BATCH) if batch else (0, name)
                db.execute(
                    _INSERT_STEP,
                    (job_id, step_index, step_name, command, cwd, now, states.RUNNING, *process),
                )
        except (SQLiteError, OSError) as error:
            raise RecordingError(str(explain(error, self.path))) from None
        return StepTicket(job_id, BATCH if batch else "0", ends_job=True), warning

    def begin_own_job(self, argv: Sequence[str], name: Optional[str] = None) -> StepTicket:
        """A new job whose batch step is this very process (a matrix run, a benchmark)."""
        ticket, _ = self.begin(
            argv=argv,
            redact=False,
            cwd=os.getcwd(),
            batch=True,
            parent_job=None,
            job_name=name,
            account=None,
            comment=None,
            pid=os.getpid(),
        )
        return ticket

    @staticmethod
    def _take_step_index(db: Connection, job_id: int) -> Optional[int]:
        """The next step index of a running job of this user, or None (stale or unknown)."""
        row = db.execute(_PARENT, (job_id,)).fetchone()
        if row is None:
            return None
        state, uid, cancel_uid, next_step = row[:4]
        leader = Identity(*row[4:])
        stale = state != states.RUNNING or cancel_uid is not None or is_alive(leader) is False
        if stale or uid != users.uid():
            return None
        db.execute("UPDATE jobs SET next_step = next_step + 1 WHERE job_id = ?", (job_id,))
        index: int = next_step
        return index

    def finish(
        self,
        ticket: StepTicket,
        *,
        wait_status: int,
        timed_out: bool,
        rusage: Optional[tuple[int, float, float]],
    ) -> None:
        """Record how the step ended: its raw wait status and resource use from wait4."""
        max_rss, user_cpu, system_cpu = rusage if rusage is not None else (None, None, None)
        key = (ticket.job_id, ticket.step_index)
        now = time.time()
        try:
            with Transaction(self._db) as db:
                row = db.execute(
                    "SELECT j.cancel_uid, s.cancel_uid FROM jobs j JOIN steps s "
                    "ON s.job_id = j.job_id WHERE j.job_id = ? AND s.step_index = ?",
                    key,
                ).fetchone()
                if row is None:
                    raise RecordingError(
                        f"{self.path}: step {ticket.job_id}.{ticket.step} is no longer recorded"
                    )
                job_cancelled = row[0] is not None
                step = states.step_state(
                    wait_status, timed_out=timed_out, cancelled=job_cancelled or row[1] is not None
                )
                db.execute(
                    "UPDATE steps SET end_time = ?, state = ?, exit_status = ?, max_rss_kib = ?, "
                    "user_cpu = ?, system_cpu = ? WHERE job_id = ? AND step_index = ?",
                    (now, step, wait_status, max_rss, user_cpu, system_cpu, *key),
                )
                if ticket.ends_job:
                    job = states.job_state(
                        wait_status, timed_out=timed_out, cancelled=job_cancelled
                    )
                    db.execute(
                        "UPDATE jobs SET end_time = ?, state = ?, exit_status = ? WHERE job_id = ?",
                        (now, job, wait_status, ticket.job_id),
                    )
        except (SQLiteError, OSError) as error:
            raise RecordingError(str(explain(error, self.path))) from None

    def add_finished(self, job_id: int, steps: Sequence[FinishedStep]) -> list[StepTicket]:
        """Record steps that already ended (matrix cells: no process of their own) in a
        running job, with dense ids taken in one transaction."""
        node = node_name()
        try:
            with Transaction(self._db) as db:
                row = db.execute(
                    "SELECT state, next_step FROM jobs WHERE job_id = ?", (job_id,)
                ).fetchone()
                if row is None or row[0] != states.RUNNING:
                    raise RecordingError(f"{self.path}: job {job_id} is not running")
                first = int(row[1])
                db.execute(
                    "UPDATE jobs SET next_step = next_step + ? WHERE job_id = ?",
                    (len(steps), job_id),
                )
                db.executemany(
                    _INSERT_FINISHED,
                    [(job_id, first + n, *step.row(), node) for n, step in enumerate(steps)],
                )
        except (SQLiteError, OSError) as error:
            raise RecordingError(str(explain(error, self.path))) from None
        return [StepTicket(job_id, str(first + n)) for n in range(len(steps))]

    def close(self) -> None:
        self._db.close()
