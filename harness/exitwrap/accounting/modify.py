"""jobexitmod: the derived exit code and the comment, the only fields a job's owner may change.

As sjobexitmod (Slurm's "Job Exit Codes" page) and sacctmgr's ``modify job`` allow: after the job
has ended, its owner (or root) may set the derived exit code (an exit code
0-255, stored as a wait status as sjobexitmod does with ``256 * code``) and
the comment. Anyone else gets a refusal naming the owner.
"""

from __future__ import annotations

from exitwrap.accounting import states
from exitwrap.accounting.backend import open_backend
from exitwrap.accounting.records import Selection, load
from exitwrap.accounting.slurm_settle import show_slurm_ends
from exitwrap.accounting.users import ROOT
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from exitwrap.accounting.records import JobRecord
    from exitwrap.accounting.session import Session

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


def the_job(jobs: list[JobRecord], job_id: int, cluster_option: str = "-c") -> Optional[JobRecord]:
    """The job an id named (None: no such job); an id that names two here is refused (jobs of
    several clusters: cluster_option chooses)."""
    if len(jobs) > 1:
        clusters = sorted(job.cluster or "none" for job in jobs)
        if len(set(clusters)) == len(jobs):  # exitwrap's own job and Slurm clusters' of one id
            raise HarnessFailure(
                f"job {job_id} names {len(jobs)} jobs (clusters: {', '.join(clusters)}): "
                f"give {cluster_option} CLUSTER"
            )
        named = " and ".join(str(job.job_id) for job in jobs)
        raise HarnessFailure(
            f"job id {job_id} is ambiguous on this host (jobs {named}): give the full id"
        )
    return jobs[0] if jobs else None


def modify(
    database: str,
    job_id: int,
    *,
    code: Optional[int],
    comment: Optional[str],
    uid: int,
    clusters: Optional[frozenset[Optional[str]]] = None,
) -> None:
    """Set the derived exit code and/or the comment of an ended job of uid's (any, as root);
    on a server, of a job the server lets this user change (its owner, an administrator).

    job_id is the id as shown (Slurm's, for a Slurm job's record, whose end is asked of
    Slurm first); clusters chooses among jobs that share it. A Slurm job recorded on
    several hosts of a server changes in each part that host has pushed since it ended.
    """
    from exitwrap.accounting.sacct import query  # noqa: PLC0415  (Slurm's end, asked first)

    derived = None if code is None else check_code(code) << 8
    stored = None if comment is None else storable(comment)
    query(database, Selection(jobs={job_id: None}, with_steps=False, clusters=clusters))
    with open_backend(database) as backend:
        wanted = Selection(
            jobs=dict.fromkeys(backend.aliases(job_id)), with_steps=False, clusters=clusters
        )

        def change(db: Session) -> None:
            job = the_job(load(db, wanted, database), job_id)
            if job is None:
                raise HarnessFailure(f"{INVALID_JOB}: {job_id}")
            owner = f"job {job.shown_id} belongs to {job.user} (uid {job.uid})"
            if not backend.enforces_owners and uid not in (ROOT, job.uid):
                raise HarnessFailure(f"{owner}: only its owner or root may modify it")
            show_slurm_ends([job])  # a part another host has not pushed since Slurm ended it
            if job.state == states.RUNNING:
                raise HarnessFailure(f"job {job_id} is still running: modify it once it has ended")
            parts = ",".join("?" * len(job.part_ids))
            changed = db.execute(
                "UPDATE jobs SET derived_status = COALESCE(?, derived_status), "
                f"comment = COALESCE(?, comment) WHERE job_id IN ({parts}) AND state <> ?",
                (derived, stored, *job.part_ids, states.RUNNING),
            )
            if changed.rowcount < 1:  # row-level security: not this user's to change
                raise HarnessFailure(
                    f"{owner}: the server refused (only its owner or an exitwrap "
                    "administrator may modify it)"
                )

        backend.write(change)
