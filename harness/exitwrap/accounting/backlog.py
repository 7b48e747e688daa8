"""The readers' side of the spool: what waits in it, and its upkeep once ingested.

exitwrap writes the spool (spool.py) and reads nothing back but its
parent job's record. Readers list what waits, read it, and once ingest.py
has committed it to the database, raise the counters and remove it. Kept
apart from spool.py so that exitwrap's hot path does not pay for it.
"""

from __future__ import annotations

import os
import stat

from exitwrap.accounting.files import (
    Refused,
    kind,
    owner,
    read_untrusted,
    refuse_untrusted,
    refuse_world_writable,
)
from exitwrap.accounting.spool import (
    CANCEL,
    END,
    JOB,
    NEXT_JOB,
    NEXT_STEP,
    STALE_TEMPORARY_S,
    TEMPORARY,
    Locked,
    Spool,
    discard,
)
from exitwrap.accounting.spool_batch import step_record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Optional


class Entry:
    """A record file's place in the spool: its job, its step (None: the job's own), begin or end."""

    __slots__ = ("end", "job_id", "name", "step")

    def __init__(self, name: str, job_id: int, step: Optional[int], *, end: bool) -> None:
        self.name = name
        self.job_id = job_id
        self.step = step
        self.end = end

    @property
    def begins_job(self) -> bool:
        """The job's begin record (``J.job``), which stays while the job runs."""
        return self.step is None and not self.end


def entry(name: str) -> Optional[Entry]:
    """The record a file name stands for; None for anything else (counters, marks, temporaries)."""
    parts = name.split(".")
    if not parts[0].isdigit() or not parts[0].isascii() or len(parts) > 3:
        return None
    job_id = int(parts[0])
    suffixes = ["." + part for part in parts[1:]]
    if suffixes in ([JOB], [END]):
        return Entry(name, job_id, None, end=suffixes == [END])
    step = parts[1] if len(parts) >= 2 else ""
    if step.isdigit() and step.isascii() and suffixes[1:] in ([], [END]):
        return Entry(name, job_id, int(step), end=len(parts) == 3)
    return None


class Backlog(Spool):
    """A database's spool as its readers see it."""

    __slots__ = ()

    def entries(self) -> list[Entry]:
        """The record files waiting, in no particular order (none when there is no spool)."""
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return []
        return [found for found in map(entry, names) if found is not None]

    def untrusted(self) -> Optional[str]:
        """Why this process leaves the spool alone (root, and a spool another user owns or
        may change); None when it may use it (or there is none). Refused when it is no
        directory or every user may write it: no reader uses that."""
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return None
        if not stat.S_ISDIR(info.st_mode):
            raise Refused(f"{self.path}: {kind(info.st_mode)}, not a spool")
        refuse_world_writable(self.path, info.st_mode)
        try:
            refuse_untrusted(self.path, info)
        except Refused as refusal:
            return str(refusal)
        return None

    def read_owned(self, found: Entry) -> Optional[tuple[bytes, int]]:
        """A record's bytes (a step's own out of a batch file) and its file's owner; None when
        it has gone meanwhile. NotRegular when a FIFO, a directory or a link stands in its
        place; ValueError when a batch holds no record of the step."""
        read = read_untrusted(self.file(found.name))
        if read is None:
            return None
        data = read[0] if found.step is None or found.end else step_record(read[0], found.step)
        return data, owner(read[1])

    def remove(self, names: Iterable[str]) -> None:
        for name in names:
            discard(self.file(name))

    def mark_cancelled(self, job_id: int, uid: int) -> None:
        """Refuse new steps to a job being cancelled (while the spool holds it, and this
        process may use the spool)."""
        if self.untrusted() is not None:
            return
        try:
            with Locked(self):
                if os.path.lexists(self.file(f"{job_id}{JOB}")):
                    self._write_number(f"{job_id}{CANCEL}", uid)
        except OSError as error:
            raise self.failure(error) from None

    def settle(self, job_floor: int, step_floors: dict[int, int], retired: Iterable[int]) -> None:
        """After an ingest has committed: raise the counters to the database's floors, durably,
        before any claim that kept an id taken goes (the step counters of jobs still running
        here); drop the running-job files of jobs that are over. Call before removing the
        ingested records."""
        over = set(retired)
        try:
            with Locked(self):
                counters = {NEXT_JOB: job_floor}
                for job_id, floor in step_floors.items():
                    if job_id not in over and os.path.lexists(self.file(f"{job_id}{JOB}")):
                        counters[f"{job_id}{NEXT_STEP}"] = floor
                for name, floor in counters.items():
                    current = self._read_number(name)
                    if current is None or current < floor:
                        self._write_number(name, floor)
                for job_id in over:
                    self.remove(f"{job_id}{suffix}" for suffix in (JOB, NEXT_STEP, CANCEL))
        except OSError as error:
            raise self.failure(error) from None

    def raise_job_counter(self, floor: int) -> None:
        """Make the next job id at least floor (as Slurm's FirstJobId sets where ids start)."""
        self.settle(floor, {}, ())

    def sweep(self, now: float) -> None:
        """Remove temporary files a crashed writer left behind (a day old)."""
        try:
            with os.scandir(self.path) as found:
                stale = [
                    item.path
                    for item in found
                    if item.name.startswith(TEMPORARY)
                    and now - item.stat(follow_symlinks=False).st_mtime > STALE_TEMPORARY_S
                ]
        except FileNotFoundError:
            return
        for path in stale:
            discard(path)
