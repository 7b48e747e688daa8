"""The embedded store: one SQLite file, its spool ingested by every reader (ingest.py).

The file is its only guard: who may change a job is checked here, by
uid, as its mode lets anyone who may write it change any row.
"""

# ruff: noqa: PLC0415  (lazy imports: a reader of an empty spool pays for no ingest code)

from __future__ import annotations

from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.closing import Closing
from exitwrap.accounting.process import ANOTHER_NAMESPACE
from exitwrap.accounting.records import load
from exitwrap.accounting.store import open_for_reading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional, TypeVar

    from exitwrap.accounting.maintenance import Health
    from exitwrap.accounting.records import JobRecord, Selection
    from exitwrap.accounting.session import Session

    Result = TypeVar("Result")


class SQLiteBackend(Closing):
    """An SQLite file and its spool (``Backend`` in backend.py)."""

    enforces_owners = False

    def __init__(self, database: str) -> None:
        self.database = database

    def catch_up(self) -> Optional[str]:
        try:
            if not Backlog(self.database).entries():
                return None  # the common case: nothing spooled since the last reader
        except PermissionError:
            pass  # the ingest says so
        from exitwrap.accounting.ingest import catch_up

        return catch_up(self.database)

    def read(self, selection: Selection) -> list[JobRecord]:
        db = open_for_reading(self.database)
        if db is None:
            return []
        try:
            return load(db, selection, self.database)
        finally:
            db.close()

    def write(self, body: Callable[[Session], Result]) -> Result:
        from exitwrap.accounting.ingest import write

        return write(self.database, body)

    def settle_slurm(self, jobs: list[JobRecord]) -> bool:
        if not any(job.awaits_slurm for job in jobs):
            return False  # nothing to ask Slurm: its code is not even imported
        from exitwrap.accounting.slurm_settle import settle

        return settle(self.database, jobs)

    def aliases(self, job_id: int) -> list[int]:
        return [job_id]

    def mark_cancelled(self, job_id: int, uid: int) -> None:
        Backlog(self.database).mark_cancelled(job_id, uid)

    def elsewhere(self, job_id: int, place: str) -> str:
        there = "in its PID namespace" if place == ANOTHER_NAMESPACE else place
        return (
            f"job {job_id} runs {place}: recorded as cancelled, but its processes there "
            f"were not signalled (run exitcodes cancel {there})"
        )

    def check(self) -> Health:
        from exitwrap.accounting.maintenance import check

        return check(self.database)
