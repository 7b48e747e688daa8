"""sacct's fields: every name of Slurm 22.05's catalog (field_catalog.py), and how each is
read from a record.

A job line reads the job; a step line reads the step and, for what steps do
not have, the job. What Slurm prints only on job lines (User, Group,
Partition, Timelimit, WorkDir, Reason, DerivedExitCode, ...) is empty on
step lines, as there. A field this accounting has no value for (energy,
TRES, QOS, reservations, ...) prints what Slurm prints for an unset value:
nothing. Partition, AllocCPUS, NodeList, Timelimit, ElapsedRaw, CPUTime,
Group and Cluster have values where they are known: from the Slurm job a
record ran in, from exitwrap's own --timeout, from the CPUs its process
could run on (its affinity mask).
"""

from __future__ import annotations

from exitwrap.accounting import display, states
from exitwrap.accounting.field_catalog import CATALOG, DATE, DEFAULT, DURATION, NUMBER, TEXT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional, Union

    from exitwrap.accounting.display import View
    from exitwrap.accounting.records import JobRecord, StepRecord

    Record = Union[JobRecord, StepRecord]
    Reader = Callable[[JobRecord, Optional[StepRecord], View], Optional[str]]

__all__ = ["BY_NAME", "DATE", "DEFAULT", "DURATION", "FIELDS", "NUMBER", "TEXT", "Field"]


class Field:
    __slots__ = ("kind", "name", "read", "width")

    def __init__(self, name: str, width: int, kind: str, read: Reader) -> None:
        self.name = name
        self.width = width
        self.kind = kind
        self.read = read


def _either(job: JobRecord, step: Optional[StepRecord]) -> Record:
    return job if step is None else step


def _unset(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
    return None


def _job_only(read: Callable[[JobRecord, View], Optional[str]]) -> Reader:
    """A field Slurm prints on job lines only."""
    return lambda job, step, view: read(job, view) if step is None else None


def _text(read: Callable[[Record], object]) -> Reader:
    """The record's own value, as text (None stays unset)."""

    def reader(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
        value = read(_either(job, step))
        return None if value is None else str(value)

    return reader


def _state(job: JobRecord, step: Optional[StepRecord], view: View) -> str:
    """``CANCELLED by UID`` for what that user cancelled itself (a job's steps show plain
    CANCELLED when the job was cancelled, as in Slurm)."""
    record = _either(job, step)
    return display.state(record.state, record.cancel_uid)


def _running(record: Record) -> bool:
    return record.state == states.RUNNING


def _exit_code(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
    record = _either(job, step)
    status = record.exit_status
    if status is None:
        return "0:0" if _running(record) else None  # Slurm shows a running job's as 0:0
    if view.slurm_codes:
        status = display.as_sacct(status, _either(job, step).start_errno)
    return display.code(status)


def _derived(job: JobRecord, view: View) -> Optional[str]:
    return display.code(job.derived_as_slurm if view.slurm_codes else job.derived)


def _seconds(record: Record, view: View) -> Optional[int]:
    """Elapsed whole seconds, from start and end as -T cuts them to its window."""
    start, end = record.start_time, record.end_time
    if view.truncate is not None:
        low, high = view.truncate
        start = max(start, low)
        end = min(end, high) if end is not None else (high if not _running(record) else None)
    return display.elapsed(start, end, running=_running(record))


def _time(attribute: str) -> Reader:
    """Start or End, as -T cuts them to its window."""

    def reader(job: JobRecord, step: Optional[StepRecord], view: View) -> str:
        record = _either(job, step)
        value: Optional[float] = getattr(record, attribute)
        if view.truncate is not None and value is not None:
            low, high = view.truncate
            value = min(max(value, low), high)
        return display.date(value, view)

    return reader


def _elapsed(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
    return display.duration(_seconds(_either(job, step), view))


def _elapsed_raw(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
    seconds = _seconds(_either(job, step), view)
    return None if seconds is None else str(seconds)


def _cpu_seconds(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[int]:
    """CPUTime's seconds: Elapsed times the allocated CPUs (sacct(1): "Time used (Elapsed
    time * CPU count)"), not the CPU time used (that is TotalCPU)."""
    record = _either(job, step)
    seconds = _seconds(record, view)
    if seconds is None or record.alloc_cpus is None:
        return None
    return seconds * record.alloc_cpus


def _cpu_time(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
    return display.duration(_cpu_seconds(job, step, view))


def _cpu_time_raw(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
    seconds = _cpu_seconds(job, step, view)
    return None if seconds is None else str(seconds)


def _total_cpu(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
    record = _either(job, step)
    if record.user_cpu is None and record.system_cpu is None:
        return None
    return display.cpu_time((record.user_cpu or 0.0) + (record.system_cpu or 0.0))


def _node_list(job: JobRecord, step: Optional[StepRecord], view: View) -> str:
    if step is None:
        return job.node_list or job.node
    return step.slurm_node or step.node


def _nodes(job: JobRecord, step: Optional[StepRecord], view: View) -> str:
    return str(job.node_count or 1) if step is None else "1"


def _max_rss(read: Callable[[StepRecord], str]) -> Reader:
    """MaxRSS and where it was: what wait4 reported for a step's command (one task, task 0)."""

    def reader(job: JobRecord, step: Optional[StepRecord], view: View) -> Optional[str]:
        if step is None or step.max_rss_kib is None:
            return None
        return read(step)

    return reader


def _submit(job: JobRecord, step: Optional[StepRecord], view: View) -> str:
    return display.date(job.submit_time if step is None else step.start_time, view)


def _job_id(job: JobRecord, step: Optional[StepRecord], view: View) -> str:
    return str(job.shown_id) if step is None else step.full_id


def _reason(job: JobRecord, view: View) -> str:
    return display.reason(job.state, job.exit_status, job.reason)


def _group(job: JobRecord, view: View) -> str:
    from exitwrap.accounting.users import group_name  # noqa: PLC0415  (pwd/grp when asked)

    return group_name(job.gid)


_READERS: dict[str, Reader] = {
    "Account": lambda job, step, view: job.account,
    "AllocCPUS": _text(lambda record: record.alloc_cpus),
    "AllocNodes": _nodes,
    "Cluster": lambda job, step, view: job.cluster,
    "Comment": _text(lambda record: record.comment),
    "CPUTime": _cpu_time,
    "CPUTimeRAW": _cpu_time_raw,
    "DerivedExitCode": _job_only(_derived),
    "Elapsed": _elapsed,
    "ElapsedRaw": _elapsed_raw,
    "Eligible": _submit,
    "End": _time("end_time"),
    "ExitCode": _exit_code,
    "GID": _job_only(lambda job, view: str(job.gid)),
    "Group": _job_only(_group),
    "JobID": _job_id,
    "JobIDRaw": _job_id,
    "JobName": _text(lambda record: record.name),
    "MaxRSS": _max_rss(lambda step: display.size_kib(step.max_rss_kib) or ""),
    "MaxRSSNode": _max_rss(lambda step: step.slurm_node or step.node),
    "MaxRSSTask": _max_rss(lambda step: str(step.slurm_task or 0)),
    "NCPUS": _text(lambda record: record.alloc_cpus),
    "NNodes": _nodes,
    "NodeList": _node_list,
    "NTasks": lambda job, step, view: None if step is None else "1",
    "Partition": _job_only(lambda job, view: job.partition),
    "Reason": _job_only(_reason),
    "Start": _time("start_time"),
    "State": _state,
    "Submit": _submit,
    "SubmitLine": _text(lambda record: display.command_line(record.command or None)),
    "SystemCPU": _text(lambda record: display.cpu_time(record.system_cpu)),
    "Timelimit": _job_only(lambda job, view: display.limit(job.time_limit)),
    "TimelimitRaw": _job_only(lambda job, view: display.limit_minutes(job.time_limit)),
    "TotalCPU": _total_cpu,
    "UID": _job_only(lambda job, view: str(job.uid)),
    "User": _job_only(lambda job, view: job.user),
    "UserCPU": _text(lambda record: display.cpu_time(record.user_cpu)),
    "WorkDir": _job_only(lambda job, view: job.workdir),
}

FIELDS: tuple[Field, ...] = tuple(
    Field(name, width, kind, _READERS.get(name, _unset)) for name, width, kind in CATALOG
)
BY_NAME: dict[str, Field] = {field.name.lower(): field for field in FIELDS}
