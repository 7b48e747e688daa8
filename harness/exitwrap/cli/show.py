"""exitcodes show job JOBID | show step JOBID.STEP: one record in scontrol show's layout."""

from __future__ import annotations

import os
import sys

from exitwrap.accounting.display import make_view
from exitwrap.accounting.location import configured_database
from exitwrap.accounting.sacct import parse_job_step
from exitwrap.accounting.scontrol import show
from exitwrap.cli.common import EXIT_OK, fail
from exitwrap.cli.options import Option, help_text, parse
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "exitcodes show"
USAGE = f"{PROG} job JOBID\n       {PROG} step JOBID.STEP"
ABOUT = (
    "Print one job, or one step (JOBID.0, JOBID.batch, ...), as scontrol -d show job and "
    "scontrol show step lay them out: JobState, Reason, ExitCode, DerivedExitCode and the rest."
)
FOOTER = (
    "Exit status: 0 done, 1 an unknown id (Invalid job id specified), 2 bad usage. Dates "
    "follow $SLURM_TIME_FORMAT, as scontrol's do."
)
OPTIONS = (Option("", "--slurm-exitcodes", "a command that could not start by its exec's errno"),)


def run(argv: Sequence[str]) -> int:
    parsed = parse(argv, OPTIONS)
    if parsed.flag("help"):
        sys.stdout.write(help_text(USAGE, ABOUT, OPTIONS, FOOTER))
        return EXIT_OK
    if len(parsed.operands) != 2 or parsed.operands[0] not in ("job", "step"):
        raise UsageError(f"usage: {PROG} job JOBID | {PROG} step JOBID.STEP")
    entity, ident = parsed.operands
    job_id, step_id = parse_job_step(ident)
    if (step_id is None) != (entity == "job"):
        wanted = "JOBID" if entity == "job" else "JOBID.STEP"
        raise UsageError(f"show {entity} wants {wanted}, got {ident!r}")
    view, warning = make_view(os.environ, slurm_codes=parsed.flag("slurm_exitcodes"))
    notices: list[str] = [] if warning is None else [warning]
    sys.stdout.write(show(configured_database(os.environ), job_id, step_id, notices, view))
    for notice in notices:
        fail(PROG, f"warning: {notice}")
    return EXIT_OK
