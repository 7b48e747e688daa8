"""The accounting calls exitwrap makes: one before the command starts, one after it is reaped.

Each writes one record to the spool beside the database (no SQLite on this
path: harness/exitwrap/accounting/spool.py); with a server, the end of a job
starts a push of this host's queue in the background. Recording is a side effect and never
decides a status: any failure becomes one warning on stderr
(``exitwrap: warning: not recorded: <reason>``) and recording stops there
for this run.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import os

from exitwrap.wrap.messages import line, shown, warn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Optional

    from exitwrap.accounting.recorder import Recorder, StepTicket
    from exitwrap.wrap.options import Options
    from exitwrap.wrap.supervise import Ended

JOB_ID_ENV = "EXITWRAP_JOB_ID"
STEP_ID_ENV = "EXITWRAP_STEP_ID"


def _parent_job(environ: Mapping[str, str]) -> Optional[int]:
    """The job this run is a step of; a malformed id is warned about and ignored."""
    text = environ.get(JOB_ID_ENV)
    if text is None:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    warn(f"{JOB_ID_ENV}={shown(text)} is not a job id; recording a new job")
    return None


class Recording:
    """One step being recorded, or nothing at all once recording is off or has failed."""

    def __init__(self, options: Options, environ: Mapping[str, str]) -> None:
        self.options = options
        self.environ = environ
        self.recorder: Optional[Recorder] = None
        self.ticket: Optional[StepTicket] = None
        if not options.record:
            return
        try:
            from exitwrap.accounting.location import database_path
            from exitwrap.accounting.recorder import Recorder

            path = database_path(environ)
            if path is not None:
                self.recorder = Recorder(path)
        except Exception as error:  # whatever it is, the command still runs
            self._failed(error)

    def _failed(self, error: BaseException) -> None:
        warn(f"not recorded: {error}")
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        try:
            recorder.close()
        except Exception:
            return  # already warned once for this run

    @property
    def step(self) -> Optional[str]:
        """``N.0``, ``N.batch``: the recorded step as sacct shows it, once begun."""
        return None if self.ticket is None else self.ticket.shown

    def begin(self, argv: Sequence[str]) -> dict[str, str]:
        """Record the start; returns what the child's environment gains (the job and step ids)."""
        if self.recorder is None:
            return {}
        options = self.options
        try:
            from exitwrap.accounting.slurm import allocation

            self.ticket, warning = self.recorder.begin(
                argv=argv,
                redact=options.redact,
                cwd=os.getcwd(),
                batch=options.batch,
                parent_job=None if options.batch else _parent_job(self.environ),
                job_name=options.job_name,
                account=options.account,
                comment=options.comment,
                pid=os.getpid(),
                step_name=None if options.batch else options.job_name,
                time_limit=options.timeout_s or None,
                slurm=allocation(self.environ),
            )
        except Exception as error:
            self._failed(error)
            return {}
        if warning:
            warn(warning)
        job_id = str(self.ticket.job_id)
        if options.batch:
            if not options.quiet:
                line(f"Submitted batch job {job_id}")
            return {JOB_ID_ENV: job_id}
        return {JOB_ID_ENV: job_id, STEP_ID_ENV: self.ticket.step}

    def finish(self, ended: Ended) -> None:
        if self.recorder is None or self.ticket is None:
            return
        try:
            self.recorder.finish(
                self.ticket,
                wait_status=ended.wait_status,
                timed_out=ended.timed_out,
                rusage=ended.rusage,
                start_errno=ended.start_errno,
            )
            # a job (or a Slurm job's step) has ended: a server's queue goes to it now, in the
            # background
            unpushed = self.recorder.push_in_background() if self.ticket.pushes else None
            self.recorder.close()
        except Exception as error:
            self._failed(error)
        else:
            if unpushed:
                warn(unpushed)
        self.recorder = None
