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
"""

from __future__ import annotations

import time

from exitwrap.accounting.store import job_floor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from sqlite3 import Connection

    from exitwrap.accounting.spool import Value

IDENTITY = ("start_time", "node", "pid")  # what every record of a job or step repeats
_MATCH = " AND ".join(f"{column} IS ?" for column in IDENTITY)
NOTED = "SELECT job_id, step_index, spooled_as FROM renumbered ORDER BY noticed, job_id"


def _identity(values: Mapping[str, Value]) -> list[Value]:
    return [values.get(column) for column in IDENTITY]


def _note(db: Connection, job_id: int, step_index: int | None, spooled_as: str) -> None:
    db.execute(
        "INSERT INTO renumbered (job_id, step_index, spooled_as, noticed) VALUES (?, ?, ?, ?)",
        (job_id, step_index, spooled_as, time.time()),
    )


def job_id_for(db: Connection, job_id: int, job: Mapping[str, Value], above: int) -> int:
    """The database id of the job run a job record (``J.job``, ``J.end``) belongs to; above
    is one past the highest id the spool holds."""
    wanted = _identity(job)
    row = db.execute(f"SELECT {', '.join(IDENTITY)} FROM jobs WHERE job_id = ?", (job_id,))
    found = row.fetchone()
    if found is None or list(found) == wanted:
        return job_id
    kept = db.execute(
        f"SELECT job_id FROM jobs WHERE {_MATCH} AND job_id > ? ORDER BY job_id", (*wanted, job_id)
    ).fetchone()
    if kept is not None:
        return int(kept[0])
    new = max(job_floor(db), above)
    _note(db, new, None, str(job_id))
    return new


def step_for(
    db: Connection,
    job_id: int,
    index: int,
    step: Mapping[str, Value],
    *,
    ending: bool,
    above: int,
) -> tuple[int, int]:
    """The database's (job id, index) of the step run a step record belongs to; above is one
    past the highest index the spool holds for that job.

    An end whose begin is not where its id says (its job was renumbered and is over, so no
    job record of it is left in the spool) is looked for in this job and the ones after it.
    A step with no process of its own (a matrix cell, recorded whole) is known by its id.
    """
    wanted = _identity(step)
    found = db.execute(
        f"SELECT {', '.join(IDENTITY)} FROM steps WHERE job_id = ? AND step_index = ?",
        (job_id, index),
    ).fetchone()
    if found is not None and list(found) == wanted:
        return job_id, index
    if step.get("pid") is not None and (ending or found is not None):
        kept = db.execute(
            f"SELECT job_id, step_index FROM steps WHERE job_id >= ? AND {_MATCH} ORDER BY job_id",
            (job_id, *wanted),
        ).fetchone()
        if kept is not None:
            return int(kept[0]), int(kept[1])
    if found is None:
        return job_id, index
    last = db.execute("SELECT MAX(step_index) FROM steps WHERE job_id = ?", (job_id,)).fetchone()
    new = max(int(last[0]) + 1, above)
    _note(db, job_id, new, f"{job_id}.{index}")
    return job_id, new
