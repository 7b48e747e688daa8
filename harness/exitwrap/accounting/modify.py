"""jobexitmod: the derived exit code and the comment, the only fields a job's owner may change.

As sjobexitmod (Slurm's "Job Exit Codes" page) and sacctmgr's ``modify job`` allow: after the job
has ended, its owner (or root) may set the derived exit code (an exit code
0-255, stored as a wait status as sjobexitmod does with ``256 * code``) and
the comment. Anyone else gets a refusal naming the owner.
"""

from __future__ import annotations

from exitwrap.accounting import states
from exitwrap.accounting.ingest import write
from exitwrap.accounting.records import Selection, load
from exitwrap.accounting.users import ROOT
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sqlite3 import Connection
    from typing import Optional

LIST_FORMAT = "JobID,Account,NNodes,NodeList,State,ExitCode,DerivedExitCode,Comment"
INVALID_JOB = "Invalid job id specified"  # slurm_strerror(ESLURM_INVALID_JOB_ID)


def success_message(job_id: int) -> str:
    """What sjobexitmod prints when sacctmgr succeeded: a blank line, the message, a blank line."""
    return f"\n Modification of job {job_id} was successful.\n\n"


def storable(text: str) -> str:
    """Text as the database keeps it: an argument's bytes that are not UTF-8 become ``\\xNN``
    escapes, as the spool's do."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no argument can carry
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "backslashreplace")


def check_code(code: int) -> int:
    if not 0 <= code <= 255:
        raise HarnessFailure(f"exit code {code} is out of range (0-255)")
    return code


def modify(
    path: str, job_id: int, *, code: Optional[int], comment: Optional[str], uid: int
) -> None:
    """Set the derived exit code and/or the comment of an ended job of uid's (any, as root)."""

    def change(db: Connection) -> None:
        jobs = load(db, Selection(jobs={job_id: None}, with_steps=False), path)
        if not jobs:
            raise HarnessFailure(f"{INVALID_JOB}: {job_id}")
        job = jobs[0]
        if uid not in (ROOT, job.uid):
            raise HarnessFailure(
                f"job {job_id} belongs to {job.user} (uid {job.uid}): "
                "only its owner or root may modify it"
            )
        if job.state == states.RUNNING:
            raise HarnessFailure(f"job {job_id} is still running: modify it once it has ended")
        if code is not None:
            db.execute(
                "UPDATE jobs SET derived_status = ? WHERE job_id = ?",
                (check_code(code) << 8, job_id),
            )
        if comment is not None:
            db.execute("UPDATE jobs SET comment = ? WHERE job_id = ?", (storable(comment), job_id))

    write(path, change)
