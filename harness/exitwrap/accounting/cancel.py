"""exitcodes cancel: mark a job (or step) as being cancelled, then send TERM to its processes.

As scancel does: the request is recorded first (who asked, so that sacct
shows ``CANCELLED by UID``; the spool marks the job too, so that no new
step joins it), then TERM goes to each recording exitwrap still running
the job (the batch or only step, and every running step), which forwards
it to its command and records the step's end; the state becomes CANCELLED
when that end is ingested. A process is signalled only when its pid, boot
id and start time all still match what was recorded, so a reused pid is
never hit, and only when the kernel (/proc) says it belongs to the job's
owner, so a record that names someone else's process (written into a
shared spool by hand) gets nobody signalled. Errors use scancel's words.
"""

from __future__ import annotations

import os
import signal

from exitwrap.accounting import states
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.ingest import write
from exitwrap.accounting.modify import INVALID_JOB
from exitwrap.accounting.process import Identity, is_alive, node_name, owner
from exitwrap.accounting.records import Selection, identity_of, load
from exitwrap.accounting.users import ROOT
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sqlite3 import Connection
    from typing import Optional

    from exitwrap.accounting.records import JobRecord, StepRecord

DENIED = "Access/permission denied"
ENDED = "Job/step already completing or completed"
ELSEWHERE_HERE = "in another PID namespace"  # where a process this node cannot see runs


class CancelError(HarnessFailure):
    """One id could not be cancelled: scancel's ``Kill job error on job id N: why``."""

    def __init__(self, target: str, why: str) -> None:
        super().__init__(f"Kill job error on job id {target}: {why}")


def _running(records: list[JobRecord] | list[StepRecord]) -> list[Identity]:
    return [identity_of(r) for r in records if r.state == states.RUNNING]


def _mark(
    db: Connection, path: str, job_id: int, step_id: Optional[str], uid: int
) -> tuple[int, list[Identity]]:
    """Record the request; return the job's owner and the processes to signal."""
    target = str(job_id) if step_id is None else f"{job_id}.{step_id}"
    jobs = load(db, Selection(jobs={job_id: None}), path)
    job = jobs[0] if jobs else None
    step = None if job is None or step_id is None else job.step(step_id)
    if job is None or (step_id is not None and step is None):
        raise CancelError(target, INVALID_JOB)
    if uid not in (ROOT, job.uid):
        raise CancelError(target, DENIED)
    if step is not None:
        if step.state != states.RUNNING:
            raise CancelError(target, ENDED)
        db.execute(
            "UPDATE steps SET cancel_uid = ? WHERE job_id = ? AND step_index = ?",
            (uid, job_id, step.step_index),
        )
        return job.uid, _running([step])
    if job.state != states.RUNNING:
        raise CancelError(target, ENDED)
    db.execute("UPDATE jobs SET cancel_uid = ? WHERE job_id = ?", (uid, job_id))
    return job.uid, _running([job]) + _running(job.steps)


def _owned(process: Identity, job_owner: int, uid: int) -> bool:
    """Whether the kernel says the process belongs to the job's owner. Without /proc, only a
    job's owner signals, and the kernel's own check stops a signal to anyone else's."""
    found = owner(process.pid)
    return found == job_owner if found is not None else uid == job_owner != ROOT


def cancel(path: str, job_id: int, step_id: Optional[str], uid: int) -> list[str]:
    """Cancel one job or step; returns where its processes could not be signalled from here
    ("on NODE", "in another PID namespace"): the request is recorded all the same."""
    job_owner, processes = write(path, lambda db: _mark(db, path, job_id, step_id, uid))
    if step_id is None:
        Backlog(path).mark_cancelled(job_id, uid)
    elsewhere: list[str] = []
    signalled: set[int] = set()
    for process in processes:
        alive = is_alive(process)
        if alive is None:
            where = f"on {process.node}" if process.node != node_name() else ELSEWHERE_HERE
            if where not in elsewhere:
                elsewhere.append(where)
        if process.pid in signalled or alive is not True or not _owned(process, job_owner, uid):
            continue
        try:
            os.kill(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        signalled.add(process.pid)
    return elsewhere
