"""exitcodes cancel: mark a job (or step) as being cancelled, then send TERM to its processes.

As scancel does: the request is recorded first (who asked, so that sacct
shows ``CANCELLED by UID``; the spool marks the job too, so that no new
step joins it), then TERM goes to each recording exitwrap still running
the job (the batch or only step, and every running step), which forwards
it to its command and records the step's end; the state becomes CANCELLED
when that end is ingested. A process is signalled only when its pid, boot
id and start time all still match what was recorded, so a reused pid is
never hit. Errors use scancel's words.
"""

from __future__ import annotations

import os
import signal

from exitwrap.accounting import states
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.ingest import write
from exitwrap.accounting.modify import INVALID_JOB
from exitwrap.accounting.process import Identity, is_alive
from exitwrap.accounting.records import Selection, load
from exitwrap.accounting.users import ROOT
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sqlite3 import Connection
    from typing import Optional

    from exitwrap.accounting.records import JobRecord, StepRecord

DENIED = "Access/permission denied"
ENDED = "Job/step already completing or completed"


class CancelError(HarnessFailure):
    """One id could not be cancelled: scancel's ``Kill job error on job id N: why``."""

    def __init__(self, target: str, why: str) -> None:
        super().__init__(f"Kill job error on job id {target}: {why}")


def _identity(record: JobRecord | StepRecord) -> Identity:
    return Identity(record.pid or 0, record.pgid, record.node, record.boot_id, record.proc_start)


def _running(records: list[JobRecord] | list[StepRecord]) -> list[Identity]:
    return [_identity(r) for r in records if r.state == states.RUNNING]


def _mark(
    db: Connection, path: str, job_id: int, step_id: Optional[str], uid: int
) -> list[Identity]:
    """Record the request; return the processes to signal."""
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
        return _running([step])
    if job.state != states.RUNNING:
        raise CancelError(target, ENDED)
    db.execute("UPDATE jobs SET cancel_uid = ? WHERE job_id = ?", (uid, job_id))
    return _running([job]) + _running(job.steps)


def cancel(path: str, job_id: int, step_id: Optional[str], uid: int) -> list[str]:
    """Cancel one job or step; returns the other hosts whose processes could not be signalled
    from here (the request is recorded all the same)."""
    processes = write(path, lambda db: _mark(db, path, job_id, step_id, uid))
    if step_id is None:
        Backlog(path).mark_cancelled(job_id, uid)
    elsewhere: list[str] = []
    signalled: set[int] = set()
    for process in processes:
        alive = is_alive(process)
        if alive is None and process.node not in elsewhere:
            elsewhere.append(process.node)
        if process.pid in signalled or alive is not True:
            continue
        try:
            os.kill(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        signalled.add(process.pid)
    return elsewhere
