"""exitcodes cancel [-s SIGNAL] [-n NAME] [-u USER] [JOBID[.STEP]...]: as scancel does."""

from __future__ import annotations

import os
import sys

from exitwrap.accounting import users
from exitwrap.accounting.cancel import CancelError, Request, cancel, parse_signal, running_jobs
from exitwrap.accounting.location import configured_database
from exitwrap.accounting.sacct import parse_clusters, parse_job_step, parse_names, parse_users
from exitwrap.cli.common import EXIT_FAILURE, EXIT_OK, fail
from exitwrap.cli.options import Option, help_text, parse
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

PROG = "exitcodes cancel"
OPTIONS = (
    Option("-M", "--clusters", "the job of this Slurm cluster ('none': exitwrap's own)", "NAME"),
    Option("-n", "--name", "only jobs of these names (all running ones without ids)", "LIST"),
    Option("-s", "--signal", "only send this signal (any but KILL, STOP, CHLD)", "NAME"),
    Option("-u", "--user", "only these users' jobs (all running ones without ids)", "LIST"),
)
USAGE = f"{PROG} [-s SIGNAL] [-n NAMES] [-u USERS] [-M CLUSTER] [JOBID[.STEP]...]"
ABOUT = (
    "Mark each job (or step) as cancelled by you, then send TERM to the exitwrap processes "
    "running it; they pass it on to their commands and record the end. sacct then shows "
    "CANCELLED by UID. With -s, only send that signal. -n and -u choose running jobs by "
    "name and user, and narrow the ids given. A Slurm job is cancelled with Slurm's scancel. "
    "Only a job's owner or root may cancel it (on a server: its owner or an exitwrap "
    "administrator, as the server decides; a job running on another host is signalled there "
    "at that host's next push)."
)
FOOTER = (
    "Exit status: 0 all cancelled, 1 some could not be (unknown, not yours, already ended), "
    "2 bad usage."
)


def _targets(
    given: list[tuple[int, Optional[str]]], chosen: Optional[list[int]]
) -> list[tuple[int, Optional[str]]]:
    """The ids given (those of the chosen jobs only, with -n or -u), else the chosen jobs."""
    if not given:
        return [(job_id, None) for job_id in chosen or []]
    if chosen is None:
        return given
    return [(job_id, step) for job_id, step in given if job_id in chosen]


def run(argv: Sequence[str]) -> int:
    parsed = parse(argv, OPTIONS)
    if parsed.flag("help"):
        sys.stdout.write(help_text(USAGE, ABOUT, OPTIONS, FOOTER))
        return EXIT_OK
    names_text, users_text = parsed.value("name"), parsed.value("user")
    if not parsed.operands and names_text is None and users_text is None:
        raise UsageError("no job id given (nor -n or -u)")
    given = [parse_job_step(operand) for operand in parsed.operands]
    signal_text, clusters_text = parsed.value("signal"), parsed.value("clusters")
    request = Request(
        users.uid(),
        signal=None if signal_text is None else parse_signal(signal_text),
        clusters=None if clusters_text is None else parse_clusters(clusters_text),
    )
    path = configured_database(os.environ)
    chosen: Optional[list[int]] = None
    if names_text is not None or users_text is not None:
        chosen = running_jobs(
            path,
            names=None if names_text is None else parse_names(names_text),
            uids=None if users_text is None else parse_users(users_text),
            clusters=request.clusters,
        )
    status = EXIT_OK
    for job_id, step_id in _targets(given, chosen):
        try:
            warnings = cancel(path, job_id, step_id, request.uid, request)
        except CancelError as error:
            fail(PROG, str(error))
            status = EXIT_FAILURE
            continue
        for warning in warnings:
            fail(PROG, f"warning: {warning}")
    return status
