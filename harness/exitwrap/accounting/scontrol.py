"""``exitcodes show job|step``: a record in ``scontrol -d show job``'s layout.

Slurm's slurm_sprint_job_info prints several ``Key=Value`` pairs a line,
continuation lines indented three spaces, with ``DerivedExitCode`` on its
own line in detail mode; its step printer starts with ``StepId=``. Only the
keys this accounting has are printed, in Slurm's order, with Slurm's
spelling of missing values (``(null)``, ``N/A``, ``Unknown``).
"""

from __future__ import annotations

from exitwrap.accounting import display, states
from exitwrap.accounting.modify import INVALID_JOB, the_job
from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import query
from exitwrap.accounting.users import group_name
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from exitwrap.accounting.records import JobRecord, StepRecord

INDENT = "\n   "


def _spaceless(text: str) -> str:
    """scontrol replaces white space in a reason with '_', for easier parsing."""
    return "".join("_" if c.isspace() else c for c in text)


def _run_time(record: JobRecord | StepRecord) -> str:
    running = record.state == states.RUNNING
    seconds = display.elapsed(record.start_time, record.end_time, running=running)
    return display.duration(seconds) or display.UNKNOWN


def _layout(lines: list[str]) -> str:
    """The first line, then the rest indented three spaces, and a blank line after."""
    return INDENT.join(display.printable(line) for line in lines) + "\n\n"


def job_text(job: JobRecord) -> str:
    reason = _spaceless(display.reason(job.state, job.exit_status, job.reason))
    lines = [
        f"JobId={job.job_id} JobName={job.name}",
        f"UserId={job.user}({job.uid}) GroupId={group_name(job.gid)}({job.gid}) MCS_label=N/A",
        f"Account={job.account or '(null)'}",
        f"JobState={display.state(job.state, job.cancel_uid)} Reason={reason} Dependency=(null)",
        f"Requeue=0 Restarts=0 BatchFlag={int(job.kind == 'batch')} Reboot=0 "
        f"ExitCode={display.code(job.exit_status) or '0:0'}",
        f"DerivedExitCode={display.code(job.derived)}",
        f"RunTime={_run_time(job)} TimeLimit=UNLIMITED TimeMin=N/A",
        f"SubmitTime={display.date(job.submit_time)} EligibleTime={display.date(job.submit_time)}",
        f"StartTime={display.date(job.start_time)} EndTime={display.date(job.end_time)} "
        "Deadline=N/A",
        f"NodeList={job.node}",
    ]
    if job.kind == "batch":
        lines.append(f"BatchHost={job.node}")
    lines += [
        "NumNodes=1 NumCPUs=1 NumTasks=1",
        f"Command={display.command_line(job.command)}",
        f"WorkDir={job.workdir}",
    ]
    if job.comment is not None:
        lines.append(f"Comment={job.comment}")
    return _layout(lines)


def step_text(job: JobRecord, step: StepRecord) -> str:
    cancel_uid = step.cancel_uid if step.cancel_uid is not None else job.cancel_uid
    reason = _spaceless(display.reason(step.state, step.exit_status, step.reason))
    lines = [
        f"StepId={step.full_id} UserId={job.uid} StartTime={display.date(step.start_time)} "
        "TimeLimit=UNLIMITED",
        f"State={display.state(step.state, cancel_uid)} Reason={reason} "
        f"ExitCode={display.code(step.exit_status) or '(null)'} NodeList={step.node}",
        f"Nodes=1 Tasks=1 Name={step.name}",
        f"EndTime={display.date(step.end_time)} RunTime={_run_time(step)}",
        f"Command={display.command_line(step.command) or '(null)'}",
        f"WorkDir={step.workdir or '(null)'}",
        f"SrunHost:Pid={step.node}:{step.pid if step.pid is not None else 'N/A'}",
    ]
    if step.comment is not None:
        lines.append(f"Comment={step.comment}")
    return _layout(lines)


def show(
    database: str,
    job_id: int,
    step_id: Optional[str] = None,
    notices: Optional[list[str]] = None,
) -> str:
    """The job (step_id None) or one of its steps; an unknown id is Slurm's error."""
    job = the_job(query(database, Selection(jobs={job_id: None}), notices), job_id)
    if job is None:
        raise HarnessFailure(INVALID_JOB)
    if step_id is None:
        return job_text(job)
    step = job.step(step_id)
    if step is None:
        raise HarnessFailure(INVALID_JOB)
    return step_text(job, step)
