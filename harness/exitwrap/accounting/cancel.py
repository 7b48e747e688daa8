"""exitcodes cancel: mark a job (or step) as being cancelled, then send TERM to its processes.

As scancel does: the request is recorded first (who asked, so that sacct
shows ``CANCELLED by UID``; the spool marks the job too, so that no new
step joins it), then TERM goes to each recording exitwrap still running
the job (the batch or only step, and every running step), which forwards
it to its command and records the step's end; the state becomes CANCELLED
when that end is ingested. A process is signalled only when its pid, boot
id and start time all still match what was recorded, so a reused pid is
never hit, and only when the kernel (/proc) says it belongs to the job's
owner (signalling.py). Errors use scancel's words.

``-s SIGNAL`` (scancel's --signal) only sends that signal, to the job's steps
(not to its batch script, as scancel without --batch): nothing is marked,
and how the job then ends decides its state. exitwrap passes on every
signal but KILL and STOP (which it cannot catch: they would end or stop
exitwrap, not its command) and CHLD (its own), so those are refused. A
Slurm job's own record is Slurm's
job: cancelling it runs Slurm's ``scancel`` (with the signal), and Slurm's
accounting then says how it ended; its steps, exitwrap's own, are cancelled
here as any step.

On a server (server/backend.py) the server decides who may cancel (the
owner, an exitwrap administrator: a refused request touches no row), and a
job whose processes run on another host (or in another PID namespace) is
left to the next push from there, which takes the request and signals them.
"""

from __future__ import annotations

import signal

from exitwrap.accounting import states
from exitwrap.accounting.backend import open_backend
from exitwrap.accounting.modify import INVALID_JOB, the_job
from exitwrap.accounting.records import Selection, identity_of, load
from exitwrap.accounting.signalling import terminate
from exitwrap.accounting.users import ROOT
from exitwrap.errors import HarnessFailure, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from exitwrap.accounting.backend import Backend
    from exitwrap.accounting.process import Identity
    from exitwrap.accounting.records import JobRecord, StepRecord
    from exitwrap.accounting.session import Session

DENIED = "Access/permission denied"
ENDED = "Job/step already completing or completed"
# what a recording exitwrap cannot pass on to its command (harness/exitwrap/wrap/signals.py
# forwards every other signal)
NOT_PASSED_ON = ("KILL", "STOP", "CHLD")
SCANCEL_TIMEOUT_S = 30.0


class CancelError(HarnessFailure):
    """One id could not be cancelled: scancel's ``Kill job error on job id N: why``."""

    def __init__(self, target: str, why: str) -> None:
        super().__init__(f"Kill job error on job id {target}: {why}")


def parse_signal(text: str) -> int:
    """``-s USR1``, ``SIGUSR1`` or ``10``: a signal exitwrap passes on to its command."""
    name = text.strip().upper().removeprefix("SIG")
    try:
        if name.isascii() and name.isdigit():
            found = signal.Signals(int(name))
        else:
            found = signal.Signals[f"SIG{name}"]
    except (KeyError, ValueError):
        raise UsageError(f"invalid signal {text!r}") from None
    if found.name.removeprefix("SIG") in NOT_PASSED_ON:
        raise UsageError(
            f"signal {text!r} is not one exitwrap passes on to its command (it passes on "
            f"every signal but {', '.join(NOT_PASSED_ON)})"
        )
    return int(found)


class Request:
    """What one cancel asks: the signal (None: cancel, TERM after the mark), and who asks."""

    __slots__ = ("clusters", "signal", "uid")

    def __init__(
        self,
        uid: int,
        *,
        signal: Optional[int] = None,
        clusters: Optional[frozenset[Optional[str]]] = None,
    ) -> None:
        self.uid = uid
        self.signal = signal
        self.clusters = clusters


def _running(records: list[JobRecord] | list[StepRecord]) -> list[Identity]:
    return [identity_of(r) for r in records if r.state == states.RUNNING]


def _the_job(
    db: Session, backend: Backend, target: str, job_id: int, request: Request
) -> JobRecord:
    """The one job the id names (Slurm's id for a Slurm job's record, among -M's clusters)."""
    wanted = Selection(jobs=dict.fromkeys(backend.aliases(job_id)), clusters=request.clusters)
    try:
        job = the_job(load(db, wanted, backend.database), job_id, "-M")
    except HarnessFailure as error:
        raise CancelError(target, str(error)) from None
    if job is None:
        raise CancelError(target, INVALID_JOB)
    if not backend.enforces_owners and request.uid not in (ROOT, job.uid):
        raise CancelError(target, DENIED)
    return job


def _mark(
    db: Session, backend: Backend, job_id: int, step_id: Optional[str], request: Request
) -> tuple[list[Identity], JobRecord]:
    """Record the request (unless it only sends a signal, or the job is Slurm's); return the
    processes to signal, and the job."""
    target = str(job_id) if step_id is None else f"{job_id}.{step_id}"
    job = _the_job(db, backend, target, job_id, request)
    step = None if step_id is None else job.step(step_id)
    if step_id is not None and step is None:
        raise CancelError(target, INVALID_JOB)
    record = job if step is None else step
    if record.state != states.RUNNING:
        raise CancelError(target, ENDED)
    if step is None and job.slurm:
        return [], job
    if request.signal is not None:  # as scancel -s: the steps' processes, not a batch script's
        if request.uid not in (ROOT, job.uid):  # no row changes, so no server rule refuses
            raise CancelError(target, DENIED)
        if step is not None:
            return _running([step]), job
        steps = [s for s in job.steps if s.step_id != "batch"]
        return _running(steps) if steps else _running([job]), job
    if step is not None:
        marked = db.execute(
            "UPDATE steps SET cancel_uid = ? WHERE job_id = ? AND step_index = ?",
            (request.uid, step.job_id, step.step_index),
        )
        processes = _running([step])
    else:
        marked = db.execute(
            "UPDATE jobs SET cancel_uid = ? WHERE job_id = ?", (request.uid, job.job_id)
        )
        processes = _running([job]) + _running(job.steps)
    if marked.rowcount != 1:  # row-level security: not this user's to cancel
        raise CancelError(target, DENIED)
    return processes, job


def _scancel(job: JobRecord, request: Request) -> None:
    """Hand a Slurm job to Slurm's scancel."""
    import subprocess  # noqa: PLC0415  (only a Slurm job's cancel needs it)

    target = str(job.shown_id)
    argv = ["scancel", "-M", job.cluster or "", target]
    if request.signal is not None:
        argv[1:1] = ["-s", signal.Signals(request.signal).name.removeprefix("SIG")]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=SCANCEL_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise CancelError(target, "a Slurm job, and scancel is not installed here") from None
    except subprocess.TimeoutExpired:
        raise CancelError(target, "scancel did not answer") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise CancelError(target, f"scancel: {said.removeprefix('scancel: error: ')}")


def cancel(
    database: str,
    job_id: int,
    step_id: Optional[str],
    uid: int,
    request: Optional[Request] = None,
) -> list[str]:
    """Cancel (or signal) one job or step; returns warnings about where its processes could
    not be signalled from here (another host, another PID namespace): the request is recorded
    all the same."""
    asked = Request(uid) if request is None else request
    with open_backend(database) as backend:
        processes, job = backend.write(lambda db: _mark(db, backend, job_id, step_id, asked))
        if step_id is None and job.slurm:
            _scancel(job, asked)
            return []
        if step_id is None and asked.signal is None:
            backend.mark_cancelled(job.job_id, uid)
        number = signal.SIGTERM if asked.signal is None else asked.signal
        # a job's cancel: the job's own exitwrap first (processes[0], from _mark)
        leaders = processes[:1] if step_id is None and asked.signal is None else []
        rest = processes[len(leaders) :]
        unreached = terminate(rest, number, job_owner=job.uid, uid=uid, leaders=leaders)
        return [backend.elsewhere(job.job_id, place) for place in unreached]


def running_jobs(
    database: str,
    *,
    names: Optional[frozenset[str]],
    uids: Optional[frozenset[int]],
    clusters: Optional[frozenset[Optional[str]]],
) -> list[int]:
    """scancel -n/-u without ids: the running jobs of those names and users (shown ids)."""
    selection = Selection(names=names, uids=uids, clusters=clusters, with_steps=False)
    with open_backend(database) as backend:
        jobs = backend.write(lambda db: load(db, selection, database))
    return [job.shown_id for job in jobs if job.state == states.RUNNING]
