"""``exitcodes show job|step``: a record in ``scontrol -d show job``'s layout.

Slurm's slurm_sprint_job_info prints several ``Key=Value`` pairs a line,
continuation lines indented three spaces, with ``DerivedExitCode`` on its
own line in detail mode; its step printer starts with ``StepId=``. Only the
keys this accounting has are printed, in Slurm's order, with Slurm's
spelling of missing values (``(null)``, ``N/A``, ``Unknown``). Dates follow
SLURM_TIME_FORMAT as scontrol's do. Exit codes are shown unshifted, as
scontrol shows them; a command that could not start shows its exec's errno
with ``slurm_codes``, as slurmstepd exits. A step of a Slurm job adds the
Slurm step and task it ran in (``SlurmStep=``), which scontrol has no key for.
"""

from __future__ import annotations

from exitwrap.accounting import display, states
from exitwrap.accounting.display import View
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


def _code(record: JobRecord | StepRecord, view: View) -> Optional[str]:
    status = record.exit_status
    if status is not None and view.slurm_codes and record.start_errno is not None:
        status = (record.start_errno & 0xFF) << 8
    return display.code(status)


def job_text(job: JobRecord, view: View) -> str:
    reason = _spaceless(display.reason(job.state, job.exit_status, job.reason))
    derived = job.derived_as_slurm if view.slurm_codes else job.derived
    lines = [
        f"JobId={job.shown_id} JobName={job.name}",
        f"UserId={job.user}({job.uid}) GroupId={group_name(job.gid)}({job.gid}) MCS_label=N/A",
        f"Account={job.account or '(null)'}",
        f"JobState={display.state(job.state, job.cancel_uid)} Reason={reason} Dependency=(null)",
        f"Requeue=0 Restarts=0 BatchFlag={int(job.kind == 'batch')} Reboot=0 "
        f"ExitCode={_code(job, view) or '0:0'}",
        f"DerivedExitCode={display.code(derived)}",
        f"RunTime={_run_time(job)} TimeLimit={display.limit(job.time_limit)} TimeMin=N/A",
        f"SubmitTime={display.date(job.submit_time, view)} "
        f"EligibleTime={display.date(job.submit_time, view)}",
        f"StartTime={display.date(job.start_time, view)} "
        f"EndTime={display.date(job.end_time, view)} Deadline=N/A",
        f"Partition={job.partition or '(null)'}",
        f"NodeList={job.node_list or job.node}",
    ]
    if job.kind == "batch":
        lines.append(f"BatchHost={job.node}")
    cpus = job.alloc_cpus if job.alloc_cpus is not None else "N/A"
    lines += [
        f"NumNodes={job.node_count or 1} NumCPUs={cpus} NumTasks=1",
        f"Command={display.command_line(job.command or None) or '(null)'}",
        f"WorkDir={job.workdir}",
    ]
    if job.comment is not None:
        lines.append(f"Comment={job.comment}")
    if job.cluster is not None:
        lines.append(f"Cluster={job.cluster}")
    return _layout(lines)


def step_text(job: JobRecord, step: StepRecord, view: View) -> str:
    reason = _spaceless(display.reason(step.state, step.exit_status, step.reason))
    node = step.slurm_node or step.node
    cpus = step.alloc_cpus if step.alloc_cpus is not None else "N/A"
    lines = [
        f"StepId={step.full_id} UserId={job.uid} StartTime={display.date(step.start_time, view)} "
        f"TimeLimit={display.limit(step.time_limit)}",
        f"State={display.state(step.state, step.cancel_uid)} Reason={reason} "
        f"ExitCode={_code(step, view) or ('0:0' if step.state == states.RUNNING else '(null)')} "
        f"Partition={job.partition or '(null)'} NodeList={node}",
        f"Nodes=1 CPUs={cpus} Tasks=1 Name={step.name}",
        f"EndTime={display.date(step.end_time, view)} RunTime={_run_time(step)}",
        f"Command={display.command_line(step.command) or '(null)'}",
        f"WorkDir={step.workdir or '(null)'}",
        f"SrunHost:Pid={node}:{step.pid if step.pid is not None else 'N/A'}",
    ]
    if step.slurm_step is not None:
        task = "" if step.slurm_task is None else f" SlurmTask={step.slurm_task}"
        lines.append(f"SlurmStep={job.shown_id}.{step.slurm_step}{task}")
    if step.comment is not None:
        lines.append(f"Comment={step.comment}")
    return _layout(lines)


def show(
    database: str,
    job_id: int,
    step_id: Optional[str] = None,
    notices: Optional[list[str]] = None,
    view: Optional[View] = None,
) -> str:
    """The job (step_id None) or one of its steps; an unknown id is Slurm's error. An id that
    names jobs of several clusters (exitwrap's own and a Slurm cluster's) shows each, as
    scontrol -M would show each cluster's; one that names two here is refused."""
    shown = View() if view is None else view
    jobs = query(database, Selection(jobs={job_id: None}), notices)
    if len({job.cluster for job in jobs}) < len(jobs):  # a provisional id and what it became
        the_job(jobs, job_id)
    if step_id is None:
        texts = [job_text(job, shown) for job in jobs]
    else:
        steps = [(job, job.step(step_id)) for job in jobs]
        texts = [step_text(job, step, shown) for job, step in steps if step is not None]
    if not texts:
        raise HarnessFailure(INVALID_JOB)
    return "".join(texts)
