"""The step recorder exitwrap calls around every command it wraps.

Contract (exitwrap's side in harness/exitwrap/wrap/): open a ``Recorder`` on
``database_path(os.environ)`` (location.py) unless that is None, ``begin`` before
starting the command (export ``EXITWRAP_JOB_ID``/``EXITWRAP_STEP_ID`` from
the ticket), ``finish`` with the raw wait status once it is reaped (a
command that could not be started finishes with ``code << 8``), ``close``.
Any failure to record raises ``RecordingError``; exitwrap then warns once
and returns the command's status unchanged.

- Records go to the database's spool (harness/exitwrap/accounting/spool.py), never
  to SQLite: readers ingest them before every query. Opening a Recorder
  refuses a database that is obviously unusable (not SQLite, not writable
  for this user) and a spool that cannot be written. A server's records
  go to this user's queue on this host for it (location.py), whose spool
  hands out the queue's own ids; tickets carry the ids everyone sees
  (``Ids``), and ``push_in_background`` starts a push when a job ends.
- No parent job and not batch: a one-step job N with step N.0, whose state
  and exit code are the step's. ``batch``: a new job N and its step
  N.batch, which decides the job's state. A parent job: step N.k of it, if
  it is a running job of this user whose leader is alive and that is not
  being cancelled; otherwise a new one-step job and a warning.
- Each record keeps the recording process's identity (pid, process group,
  node, boot id, start time, PID namespace) so that ``exitcodes cancel`` signals the right
  process and readers can tell a crashed exitwrap (NODE_FAIL). States are
  decided when the end is ingested (a cancel is known only there).

On exitwrap's hot path: imports the spool and process modules, nothing heavier.
"""

# ruff: noqa: PLC0415  (lazy imports: the hot path pays for every import)

from __future__ import annotations

import os
import time

from exitwrap.accounting.location import Ids, Queue, is_server
from exitwrap.accounting.process import Identity, gid, identify, is_alive, node_name, uid
from exitwrap.accounting.slurm import JOB_KIND as SLURM_KIND
from exitwrap.accounting.slurm_spool import SlurmSpool, binding_name
from exitwrap.accounting.spool import BATCH_STEP, OWNER, RecordingError, any_job, encode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Callable, Optional

    from exitwrap.accounting.slurm import Allocation
    from exitwrap.accounting.spool import Value

__all__ = [
    "Recorder",
    "RecordingError",
    "StepTicket",
]

BATCH = "batch"
SINGLE = "single"


class StepTicket:
    """The step ``begin`` recorded: its job id and step id ("0", "1", ... or "batch")."""

    __slots__ = ("ends_job", "in_slurm", "job_id", "shown_job", "step")

    def __init__(
        self, job_id: int, step: str, *, ends_job: bool = False, shown_job: Optional[int] = None
    ) -> None:
        self.job_id = job_id
        self.step = step
        self.ends_job = ends_job  # finishing this step finishes its job (N.0 alone, N.batch)
        self.shown_job = job_id if shown_job is None else shown_job  # Slurm's id, for its job
        self.in_slurm = shown_job is not None

    @property
    def pushes(self) -> bool:
        """Whether a server's queue goes to it once this step has ended: at a job's end, and
        at each step of a Slurm job's (whose end is Slurm's to say)."""
        return self.ends_job or self.in_slurm

    @property
    def shown(self) -> str:
        """``N.0``, ``N.batch``: the step as sacct shows it."""
        return f"{self.shown_job}.{self.step}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StepTicket) and (self.job_id, self.step) == (
            other.job_id,
            other.step,
        )

    def __hash__(self) -> int:
        return hash((self.job_id, self.step))

    def __repr__(self) -> str:
        return f"StepTicket(job_id={self.job_id}, step={self.step!r})"


def _process(prefix: str, identity: Identity) -> dict[str, Value]:
    return {
        f"{prefix}pid": identity.pid,
        f"{prefix}pgid": identity.pgid,
        f"{prefix}node": identity.node,
        f"{prefix}boot_id": identity.boot_id,
        f"{prefix}proc_start": identity.start_ticks,
        f"{prefix}pid_ns": identity.pid_ns,
    }


def _number(value: Value) -> Optional[int]:
    return value if isinstance(value, int) else None


def _leader(job: Mapping[str, Value]) -> Identity:
    """The process that leads a spooled job (its batch step, or its only step)."""
    boot_id = job.get("job.boot_id")
    return Identity(
        _number(job.get("job.pid")) or 0,
        _number(job.get("job.pgid")),
        str(job.get("job.node")),
        boot_id if isinstance(boot_id, str) else None,
        _number(job.get("job.proc_start")),
        _number(job.get("job.pid_ns")),
    )


def _joinable(slurm: Optional[Allocation]) -> Callable[[dict[str, Value]], bool]:
    """Admits a step to a job of this user (its record's owner) that is not being cancelled,
    whose leader has not gone away (a Slurm job's record has none: Slurm says when it ends).
    Inside a Slurm job only a job begun inside that same Slurm job qualifies: an
    EXITWRAP_JOB_ID from outside (sbatch passes the submitter's environment on) does not."""

    def admits(job: dict[str, Value]) -> bool:
        if job.get(OWNER) != uid() or job.get("cancel_uid") is not None:
            return False
        if slurm is not None and (
            job.get("job.slurm_job_id") != slurm.job_id or job.get("job.cluster") != slurm.cluster
        ):
            return False
        return job.get("job.kind") == SLURM_KIND or is_alive(_leader(job)) is not False

    return admits


def _cpus() -> Optional[int]:
    """How many CPUs this process may run on (its affinity mask, where the host has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def _slurm_job(slurm: Allocation, name: str, cwd: str, now: float) -> dict[str, Value]:
    """The fields of a Slurm job's own record, as far as its environment tells them."""
    return {
        "job.kind": SLURM_KIND,
        "job.name": slurm.job_name or name,
        "job.gid": gid(),
        "job.account": slurm.account,
        "job.command": "",
        "job.workdir": cwd,
        "job.submit_time": now,
        "job.start_time": now,
        "job.node": slurm.node or node_name(),
        "job.cluster": slurm.cluster,
        "job.slurm_job_id": slurm.job_id,
        "job.partition": slurm.partition,
        "job.alloc_cpus": slurm.cpus,
        "job.node_count": slurm.node_count,
        "job.node_list": slurm.node_list,
    }


class Recorder:
    """Records the steps of one exitwrap run (or one matrix run) in a database's spool.

    Nothing stays open between calls: ``close`` is there so that callers need
    not know that.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._queue = Queue(path, os.environ) if is_server(path) else None
        self._spool = SlurmSpool.for_writing(path if self._queue is None else self._queue.database)
        self._ids = Ids() if self._queue is None else self._queue.ids()
        self._begun: dict[StepTicket, dict[str, Value]] = {}

    def begin(
        self,
        *,
        argv: Sequence[str],
        redact: bool,
        cwd: str,
        batch: bool,
        parent_job: Optional[int],
        job_name: Optional[str],
        account: Optional[str],
        comment: Optional[str],
        pid: int,
        step_name: Optional[str] = None,
        time_limit: Optional[float] = None,
        slurm: Optional[Allocation] = None,
    ) -> tuple[StepTicket, Optional[str]]:
        """Record the start of a step; returns its ticket and a warning to print, if any.

        Inside a Slurm job (slurm) a step that joins no exitwrap job of that Slurm job records
        into the Slurm job's own record; --batch still starts an exitwrap job of its own.
        """
        program = argv[0] if argv else ""
        command = program if redact else "\0".join(argv)
        name = os.path.basename(program) or program
        identity = identify(pid)
        now = time.time()
        step: dict[str, Value] = {
            "step.name": step_name or (BATCH if batch else name),
            "step.command": command,
            "step.workdir": cwd,
            "step.start_time": now,
            **_process("step.", identity),
            "step.alloc_cpus": _cpus() if slurm is None else slurm.cpus,
            "step.time_limit": time_limit,
        }
        if slurm is not None:
            step.update({
                "step.slurm_step": slurm.slurm_step,
                "step.slurm_task": slurm.task,
                "step.slurm_node": slurm.node,
            })  # fmt: skip
        warning = None if self._queue is None else self._queue.take_failure()
        if parent_job is not None and not batch:
            own = self._ids.local(parent_job)
            indexes = None
            if own is not None:
                indexes = self._spool.join(own, [encode(step)], _joinable(slurm), durable=False)
            if indexes is not None:
                shown = None if slurm is None else slurm.job_id
                ticket = StepTicket(parent_job, str(indexes[0]), shown_job=shown)
                self._begun[ticket] = step
                return ticket, warning
            if slurm is None:
                stale = (
                    f"job {parent_job} (EXITWRAP_JOB_ID) is not a running job of this user; "
                    "recording a new job"
                )
                warning = stale if warning is None else f"{stale}; {warning}"
        if slurm is not None and not batch:
            return self._begin_in_slurm_job(slurm, step, name, cwd, now), warning
        record: dict[str, Value] = {
            "job.kind": BATCH if batch else SINGLE,
            "job.name": job_name or step_name or name,
            "job.gid": gid(),
            "job.account": account,
            "job.comment": comment,
            "job.command": command,
            "job.workdir": cwd,
            "job.submit_time": now,
            "job.start_time": now,
            **_process("job.", identity),
            "job.time_limit": time_limit,
            "job.alloc_cpus": step["step.alloc_cpus"],
            "job.cluster": None if slurm is None else slurm.cluster,
            "job.slurm_job_id": None if slurm is None else slurm.job_id,
            "step_index": BATCH_STEP if batch else 0,
            **step,
        }
        job_id = self._ids.public(self._spool.new_job(encode(record)))
        ticket = StepTicket(job_id, BATCH if batch else "0", ends_job=True)
        self._begun[ticket] = record
        return ticket, warning

    def _begin_in_slurm_job(
        self, slurm: Allocation, step: dict[str, Value], name: str, cwd: str, now: float
    ) -> StepTicket:
        """The next step of the Slurm job's own record, which the first such step starts."""
        record = {**_slurm_job(slurm, name, cwd, now), "step_index": 0, **step}
        if self._queue is not None:  # a server's: this host's part of it (records.py)
            record["job.slurm_node_index"] = slurm.node_index
        job_id, index = self._spool.join_bound(
            binding_name(slurm.cluster, slurm.job_id),
            encode(record),
            encode(step),
            _joinable(slurm),
        )
        ticket = StepTicket(self._ids.public(job_id), str(index), shown_job=slurm.job_id)
        begun = {key: value for key, value in record.items() if key != "step_index"}
        self._begun[ticket] = begun if index == 0 else step  # an end names its step itself
        return ticket

    def begin_own_job(
        self,
        argv: Sequence[str],
        name: Optional[str] = None,
        *,
        warn: Optional[Callable[[str], None]] = None,
    ) -> StepTicket:
        """A new job whose batch step is this very process (a matrix run, a benchmark);
        ``warn`` hears begin's warning (else it is dropped)."""
        ticket, warning = self.begin(
            argv=argv,
            redact=False,
            cwd=os.getcwd(),
            batch=True,
            parent_job=None,
            job_name=name,
            account=None,
            comment=None,
            pid=os.getpid(),
        )
        if warning is not None and warn is not None:
            warn(warning)
        return ticket

    def finish(
        self,
        ticket: StepTicket,
        *,
        wait_status: int,
        timed_out: bool,
        rusage: Optional[tuple[int, float, float]],
        start_errno: Optional[int] = None,
    ) -> None:
        """Record how the step ended: its raw wait status and resource use from wait4 (or,
        for a command that could not start, the errno of that)."""
        begun = self._begun.pop(ticket, None)
        if begun is None:
            raise RecordingError(
                f"{self.path}: step {ticket.job_id}.{ticket.step} was not begun by this recorder"
            )
        max_rss, user_cpu, system_cpu = rusage if rusage is not None else (None, None, None)
        now = time.time()
        record: dict[str, Value] = {
            **begun,
            "step.end_time": now,
            "step.exit_status": wait_status,
            "step.max_rss_kib": max_rss,
            "step.user_cpu": user_cpu,
            "step.system_cpu": system_cpu,
            "step.start_errno": start_errno,
            "timed_out": int(timed_out),
        }
        if ticket.ends_job:
            record.update({"job.end_time": now, "job.exit_status": wait_status})
        step = None if ticket.ends_job else int(ticket.step)
        self._spool.publish_end(self._own(ticket.job_id), step, encode(record))

    def _own(self, job_id: int) -> int:
        """The spool's id for a job id this recorder handed out."""
        own = self._ids.local(job_id)
        if own is None:
            raise RecordingError(f"{self.path}: job {job_id} is not one of this host's")
        return own

    def push_in_background(self) -> Optional[str]:
        """Start a push of a server's queue (nothing for SQLite, whose readers ingest); a
        warning when none could be started."""
        if self._queue is None:
            return None
        from exitwrap.accounting.background import start_push

        return start_push(self._queue, os.environ)

    def add_finished(
        self, job_id: int, steps: Sequence[Mapping[str, Value]], *, durable: bool = True
    ) -> list[StepTicket]:
        """Record steps that already ended (matrix cells: no process of their own), each given
        as its step row's columns, in a running job; several go in batch files, their ids
        taken a batch at a time (spool_batch.py).

        ``durable=False`` leaves the fsyncs to ``make_durable``, for a caller that has the
        records ingested first (a commit that makes them all durable at once).
        """
        node = node_name()
        records = [
            encode({"step.node": node, **{f"step.{k}": v for k, v in step.items()}})
            for step in steps
        ]
        own = self._own(job_id)
        if len(records) > 1:
            from exitwrap.accounting.spool_batch import publish_batches

            indexes = publish_batches(self._spool, own, records, any_job, durable=durable)
        else:
            indexes = self._spool.join(own, records, any_job, durable=durable)
        if indexes is None:
            raise RecordingError(f"{self.path}: job {job_id} is not running")
        return [StepTicket(job_id, str(index)) for index in indexes]

    def make_durable(self, tickets: Sequence[StepTicket]) -> None:
        """fsync what is left in the spool of steps added with ``durable=False``."""
        self._spool.make_durable((self._own(t.job_id), int(t.step)) for t in tickets)

    def close(self) -> None:
        self._begun.clear()
