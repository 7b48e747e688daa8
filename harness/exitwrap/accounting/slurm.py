"""Inside a Slurm allocation: which job, step, task and node this process runs in, from the
variables slurmstepd sets.

Every process of a Slurm job has ``SLURM_JOB_ID``, ``SLURMD_NODENAME`` and
``SLURM_CLUSTER_NAME``; the tasks of an ``srun`` step also have
``SLURM_STEP_ID`` and ``SLURM_PROCID`` (a batch script and an ``salloc``
shell have no step id). exitwrap records its steps under that Slurm job
(recorder.py), and a task's exitwrap whose parent is slurmstepd itself ends
as the bare command would have ended, so that Slurm's own record is the same
(harness/exitwrap/wrap/).

On exitwrap's start-up path: imports nothing beyond os.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Optional

JOB_KIND = "slurm"  # the kind of a Slurm job's own record in the accounting
JOB_ID = "SLURM_JOB_ID"
STEP_ID = "SLURM_STEP_ID"
BATCH_STEP = "batch"  # Slurm's name for the step a batch script runs in
STEPD = b"slurmstepd"  # its command name, /proc/PID/comm
STEP_BLOCK = 10**6  # on a server, a host's steps of a Slurm job: node index * this + k


def _number(text: Optional[str]) -> Optional[int]:
    return int(text) if text and text.isascii() and text.isdigit() else None


class Allocation:
    """The Slurm job (and step) a process runs in, as its environment says."""

    __slots__ = (
        "account",
        "cluster",
        "cpus",
        "job_id",
        "job_name",
        "node",
        "node_count",
        "node_index",
        "node_list",
        "partition",
        "step",
        "task",
    )

    def __init__(self, job_id: int, environ: Mapping[str, str]) -> None:
        get = environ.get
        self.job_id = job_id
        self.cluster = get("SLURM_CLUSTER_NAME", "")
        step = get(STEP_ID)
        self.step = step if _number(step) is not None else None  # None: the batch script's
        self.task = _number(get("SLURM_PROCID")) if self.step is not None else None
        self.node = get("SLURMD_NODENAME") or None
        self.job_name = get("SLURM_JOB_NAME") or None
        self.account = get("SLURM_JOB_ACCOUNT") or None
        self.partition = get("SLURM_JOB_PARTITION") or None
        self.cpus = _number(get("SLURM_CPUS_ON_NODE"))
        self.node_count = _number(get("SLURM_JOB_NUM_NODES"))
        self.node_list = get("SLURM_JOB_NODELIST") or None
        self.node_index = _number(get("SLURM_NODEID")) or 0  # this node's, in the job

    @property
    def slurm_step(self) -> str:
        """Slurm's id of the step this process is in: its number, or batch."""
        return self.step if self.step is not None else BATCH_STEP


def allocation(environ: Mapping[str, str]) -> Optional[Allocation]:
    """The allocation this process runs in; None outside one (or with a malformed job id)."""
    job_id = _number(environ.get(JOB_ID))
    return None if job_id is None else Allocation(job_id, environ)


def is_stepd(pid: int) -> bool:
    """Whether process pid is a slurmstepd (Linux /proc; False where there is none)."""
    try:
        fd = os.open(f"/proc/{pid}/comm", os.O_RDONLY)
    except OSError:
        return False
    try:
        return os.read(fd, 64).strip() == STEPD
    except OSError:
        return False
    finally:
        os.close(fd)


def task_of_step(environ: Mapping[str, str]) -> bool:
    """Whether this process is a task slurmstepd started for an srun step, so that Slurm
    records how it ends as the step's task (not a process further down, nor the batch
    script's)."""
    return _number(environ.get(STEP_ID)) is not None and is_stepd(os.getppid())
