"""sacct's fields, as data: name, Slurm 22.05's width, how it prints, how to read it.

Widths are those of the ``fields[]`` table in Slurm's src/sacct/sacct.c (a
negative width is left-aligned, as JobID's -12). The kind decides how a too
long value prints (src/common/print_fields.c): a string is cut to width-1
and ends in ``+``; a date is cut silently; a duration or a number is
printed whole. A job line reads the job; a step line reads the step and,
for what steps do not have, the job (Slurm prints User and DerivedExitCode
only on job lines).
"""

from __future__ import annotations

from exitwrap.accounting import display, states

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional, Union

    from exitwrap.accounting.records import JobRecord, StepRecord

    Reader = Callable[[JobRecord, Optional[StepRecord]], Optional[str]]

TEXT = "text"
DATE = "date"
DURATION = "duration"
NUMBER = "number"


class Field:
    __slots__ = ("kind", "name", "read", "width")

    def __init__(self, name: str, width: int, kind: str, read: Reader) -> None:
        self.name = name
        self.width = width
        self.kind = kind
        self.read = read


def _either(job: JobRecord, step: Optional[StepRecord]) -> Union[JobRecord, StepRecord]:
    return job if step is None else step


def _state(job: JobRecord, step: Optional[StepRecord]) -> str:
    record = _either(job, step)
    cancelled_by = step.cancel_uid if step is not None else None
    return display.state(record.state, job.cancel_uid if cancelled_by is None else cancelled_by)


def _reason(job: JobRecord, step: Optional[StepRecord]) -> str:
    record = _either(job, step)
    return display.reason(record.state, record.exit_status, record.reason)


def _elapsed(job: JobRecord, step: Optional[StepRecord]) -> Optional[str]:
    record = _either(job, step)
    running = record.state == states.RUNNING
    return display.duration(display.elapsed(record.start_time, record.end_time, running=running))


def _total_cpu(job: JobRecord, step: Optional[StepRecord]) -> Optional[str]:
    record = _either(job, step)
    if record.user_cpu is None and record.system_cpu is None:
        return None
    return display.cpu_time((record.user_cpu or 0.0) + (record.system_cpu or 0.0))


FIELDS: tuple[Field, ...] = (
    Field("Account", 10, TEXT, lambda job, step: job.account),
    Field("Comment", 14, TEXT, lambda job, step: _either(job, step).comment),
    Field(
        "DerivedExitCode",
        15,
        TEXT,
        lambda job, step: display.code(job.derived) if step is None else None,
    ),
    Field("Elapsed", 10, DURATION, _elapsed),
    Field("End", 19, DATE, lambda job, step: display.date(_either(job, step).end_time)),
    Field("ExitCode", 8, TEXT, lambda job, step: display.code(_either(job, step).exit_status)),
    Field("JobID", -12, TEXT, lambda job, step: str(job.job_id) if step is None else step.full_id),
    Field("JobName", 10, TEXT, lambda job, step: _either(job, step).name),
    Field(
        "MaxRSS",
        10,
        TEXT,
        lambda job, step: None if step is None else display.size_kib(step.max_rss_kib),
    ),
    Field("NNodes", 8, NUMBER, lambda job, step: "1"),
    Field("NodeList", 15, TEXT, lambda job, step: _either(job, step).node),
    Field("Reason", 22, TEXT, _reason),
    Field("Start", 19, DATE, lambda job, step: display.date(_either(job, step).start_time)),
    Field("State", 10, TEXT, _state),
    Field(
        "Submit",
        19,
        DATE,
        lambda job, step: display.date(job.submit_time if step is None else step.start_time),
    ),
    Field(
        "SubmitLine", 20, TEXT, lambda job, step: display.command_line(_either(job, step).command)
    ),
    Field("SystemCPU", 10, TEXT, lambda job, step: display.cpu_time(_either(job, step).system_cpu)),
    Field("TotalCPU", 10, TEXT, _total_cpu),
    Field("UID", 6, NUMBER, lambda job, step: str(job.uid) if step is None else None),
    Field("User", 9, TEXT, lambda job, step: job.user if step is None else None),
    Field("UserCPU", 10, TEXT, lambda job, step: display.cpu_time(_either(job, step).user_cpu)),
    Field("WorkDir", 20, TEXT, lambda job, step: _either(job, step).workdir),
)
BY_NAME: dict[str, Field] = {field.name.lower(): field for field in FIELDS}
DEFAULT = "JobID,JobName,Account,State,ExitCode"  # Slurm's, less what has no meaning here
