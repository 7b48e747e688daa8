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

On a server (server/backend.py) the server decides who may cancel (the
owner, an exitwrap administrator: a refused request touches no row), and a
job whose processes run on another host (or in another PID namespace) is
left to the next push from there, which takes the request and signals them.
"""

from __future__ import annotations

from exitwrap.accounting import states
from exitwrap.accounting.backend import open_backend
from exitwrap.accounting.modify import INVALID_JOB, the_job
from exitwrap.accounting.records import Selection, identity_of, load
from exitwrap.accounting.signalling import terminate
from exitwrap.accounting.users import ROOT
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from exitwrap.accounting.backend import Backend
    from exitwrap.accounting.process import Identity
    from exitwrap.accounting.records import JobRecord, StepRecord
    from exitwrap.accounting.session import Session

DENIED = "Access/permission denied"
ENDED = "Job/step already completing or completed"


class CancelError(HarnessFailure):
    """One id could not be cancelled: scancel's ``Kill job error on job id N: why``."""

    def __init__(self, target: str, why: str) -> None:
        super().__init__(f"Kill job error on job id {target}: {why}")


def _running(records: list[JobRecord] | list[StepRecord]) -> list[Identity]:
    return [identity_of(r) for r in records if r.state == states.RUNNING]


def _mark(
    db: Session, backend: Backend, job_id: int, step_id: Optional[str], uid: int
) -> tuple[JobRecord, list[Identity]]:
    """Record the request; return the job and the processes to signal."""
    target = str(job_id) if step_id is None else f"{job_id}.{step_id}"
    wanted = Selection(jobs=dict.fromkeys(backend.aliases(job_id)))
    job = the_job(load(db, wanted, backend.database), job_id)
    step = None if job is None or step_id is None else job.step(step_id)
    if job is None or (step_id is not None and step is None):
        raise CancelError(target, INVALID_JOB)
    if not backend.enforces_owners and uid not in (ROOT, job.uid):
        raise CancelError(target, DENIED)
    if step is not None:
        if step.state != states.RUNNING:
            raise CancelError(target, ENDED)
        marked = db.execute(
            "UPDATE steps SET cancel_uid = ? WHERE job_id = ? AND step_index = ?",
            (uid, job.job_id, step.step_index),
        )
        processes = _running([step])
    else:
        if job.state != states.RUNNING:
            raise CancelError(target, ENDED)
        marked = db.execute("UPDATE jobs SET cancel_uid = ? WHERE job_id = ?", (uid, job.job_id))
        processes = _running([job]) + _running(job.steps)
    if marked.rowcount != 1:  # row-level security: not this user's to cancel
        raise CancelError(target, DENIED)
    return job, processes


def cancel(database: str, job_id: int, step_id: Optional[str], uid: int) -> list[str]:
    """Cancel one job or step; returns warnings about where its processes could not be
    signalled from here (another host, another PID namespace): the request is recorded all
    the same."""
    with open_backend(database) as backend:
        job, processes = backend.write(lambda db: _mark(db, backend, job_id, step_id, uid))
        if step_id is None:
            backend.mark_cancelled(job.job_id, uid)
        unreached = terminate(processes, job_owner=job.uid, uid=uid)
        return [backend.elsewhere(job.job_id, place) for place in unreached]
