"""exitcodes cancel JOBID[.STEP]...: cancel running jobs or steps, as scancel does."""

from __future__ import annotations

import os
import sys

from exitwrap.accounting import users
from exitwrap.accounting.cancel import CancelError, cancel
from exitwrap.accounting.recorder import configured_database
from exitwrap.accounting.sacct import parse_job_step
from exitwrap.cli.common import EXIT_FAILURE, EXIT_OK, fail
from exitwrap.cli.options import help_text, parse
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "exitcodes cancel"
ABOUT = (
    "Mark each job (or step) as cancelled by you, then send TERM to the exitwrap processes "
    "running it; they pass it on to their commands and record the end. sacct then shows "
    "CANCELLED by UID. Only a job's owner or root may cancel it (on a server: its owner or "
    "an exitwrap administrator, as the server decides; a job running on another host is "
    "signalled there at that host's next push)."
)
FOOTER = (
    "Exit status: 0 all cancelled, 1 some could not be (unknown, not yours, already ended), "
    "2 bad usage."
)


def run(argv: Sequence[str]) -> int:
    parsed = parse(argv, ())
    if parsed.flag("help"):
        sys.stdout.write(help_text(f"{PROG} JOBID[.STEP]...", ABOUT, (), FOOTER))
        return EXIT_OK
    if not parsed.operands:
        raise UsageError("no job id given")
    targets = [parse_job_step(operand) for operand in parsed.operands]
    path = configured_database(os.environ)
    status = EXIT_OK
    for job_id, step_id in targets:
        try:
            warnings = cancel(path, job_id, step_id, users.uid())
        except CancelError as error:
            fail(PROG, str(error))
            status = EXIT_FAILURE
            continue
        for warning in warnings:
            fail(PROG, f"warning: {warning}")
    return status
