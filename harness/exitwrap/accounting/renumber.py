"""Which database row a spooled record belongs to, when its id may have been handed out twice.

The spool's counters are floors that every ingest raises (spool.py), so an
id is handed out once. A counter rewritten by hand, or one lost while the
records below it were gone already, lets the spool hand out an id the
database holds: the new run must not be merged into the old record, nor
lost. Every record repeats the identity of its run (start time, node and
the recording process's pid; a step with no process of its own is known by
its id alone), so an ingest keeps each record with its
run: under its own id when that is free or holds the same run; else where
that run was kept before; else under a new id, above every id the database
and the spool hold, noted in the ``renumbered`` table for ``db check``.
A Slurm job's own record (slurm.py) is known by its Slurm job (cluster and
id) instead: once Slurm's end of it is stored, its times are Slurm's
(slurm_settle.py), while its begin record may still wait in the spool.

The ids taken are the database's, and ``Held``'s: the runs a store beyond
it holds under ids the spool hands out (a server that a queue pushed them
to and that are gone from the queue's file: server/push.py). A file's own
database holds every run it ingested (purged ones are gone for good).
"""

from __future__ import annotations

import time

from exitwrap.accounting.slurm import JOB_KIND as SLURM_KIND
from exitwrap.accounting.store import job_floor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from sqlite3 import Connection
    from typing import Optional

    from exitwrap.accounting.spool import Value

IDENTITY = ("start_time", "node", "pid")  # what every record of a job or step repeats
SLURM_IDENTITY = ("cluster", "slurm_job_id")  # a Slurm job's record's instead
JOB_IDENTITY = (*IDENTITY, *SLURM_IDENTITY)  # what is read of a job that holds an id
# the runs kept under a new id: where, and the id they were spooled under
NOTED = (
    "SELECT job_id, step_index, spooled_job, spooled_step, noticed FROM renumbered "
    "ORDER BY noticed, job_id"
)


class Held:
    """Runs held beyond the database, by the ids the spool gave them: each job's and step's
    identity (JOB_IDENTITY's and IDENTITY's values), and each job's highest step index
    there."""

    __slots__ = ("jobs", "last_steps", "steps")

    def __init__(self) -> None:
        self.jobs: dict[int, list[Value]] = {}
        self.steps: dict[tuple[int, int], list[Value]] = {}
        self.last_steps: dict[int, int] = {}


NOTHING_HELD = Held()


def _identity(values: Mapping[str, Value]) -> list[Value]:
    return [values.get(column) for column in IDENTITY]


def _match(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{column} IS ?" for column in columns)


def _note(
    db: Connection, kept: tuple[int, Optional[int]], spooled: tuple[int, Optional[int]]
) -> None:
    db.execute(
        "INSERT INTO renumbered (job_id, step_index, spooled_job, spooled_step, noticed) "
        "VALUES (?, ?, ?, ?, ?)",
        (*kept, *spooled, time.time()),
    )


def _held(found: object, elsewhere: Optional[list[Value]]) -> Optional[list[Value]]:
    """The identity of the run an id is taken by: the database's row, else what is held."""
    return list(found) if isinstance(found, tuple) else elsewhere


def job_id_for(
    db: Connection, job_id: int, job: Mapping[str, Value], above: int, held: Held = NOTHING_HELD
) -> int:
    """The database id of the job run a job record (``J.job``, ``J.end``) belongs to; above
    is one past the highest id the spool holds."""
    columns = SLURM_IDENTITY if job.get("kind") == SLURM_KIND else IDENTITY
    wanted = [job.get(column) for column in columns]
    row = db.execute(f"SELECT {', '.join(JOB_IDENTITY)} FROM jobs WHERE job_id = ?", (job_id,))
    taken = _held(row.fetchone(), held.jobs.get(job_id))
    found = None if taken is None else [taken[JOB_IDENTITY.index(c)] for c in columns]
    if found is None or found == wanted:
        return job_id
    kept = db.execute(
        f"SELECT job_id FROM jobs WHERE {_match(columns)} AND job_id > ? ORDER BY job_id",
        (*wanted, job_id),
    ).fetchone()
    if kept is not None:
        return int(kept[0])
    new = max(job_floor(db), above)
    _note(db, (new, None), (job_id, None))
    return new


def step_for(
    db: Connection,
    job_id: int,
    index: int,
    step: Mapping[str, Value],
    *,
    ending: bool,
    above: int,
    held: Held = NOTHING_HELD,
) -> tuple[int, int]:
    """The database's (job id, index) of the step run a step record belongs to; above is one
    past the highest index the spool holds for that job.

    An end whose begin is not where its id says (its job was renumbered and is over, so no
    job record of it is left in the spool) is looked for in this job and the ones after it.
    A step with no process of its own (a matrix cell, recorded whole) is known by its id.
    """
    wanted = _identity(step)
    row = db.execute(
        f"SELECT {', '.join(IDENTITY)} FROM steps WHERE job_id = ? AND step_index = ?",
        (job_id, index),
    )
    found = _held(row.fetchone(), held.steps.get((job_id, index)))
    if found is not None and found == wanted:
        return job_id, index
    if step.get("pid") is not None and (ending or found is not None):
        kept = db.execute(
            f"SELECT job_id, step_index FROM steps WHERE job_id >= ? AND {_match(IDENTITY)} "
            "ORDER BY job_id",
            (job_id, *wanted),
        ).fetchone()
        if kept is not None:
            return int(kept[0]), int(kept[1])
    if found is None:
        return job_id, index
    last = db.execute("SELECT MAX(step_index) FROM steps WHERE job_id = ?", (job_id,)).fetchone()
    new = max(-1 if last[0] is None else int(last[0]), held.last_steps.get(job_id, -1)) + 1
    new = max(new, above)
    _note(db, (job_id, new), (job_id, index))
    return job_id, new
