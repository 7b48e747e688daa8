"""exitcodes jobexitmod: list or set a job's derived exit code and comment, as sjobexitmod does."""

from __future__ import annotations

import os
import sys

from exitwrap.accounting import users
from exitwrap.accounting.display import make_view
from exitwrap.accounting.location import configured_database
from exitwrap.accounting.modify import LIST_FORMAT, modify, success_message
from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import (
    lines,
    number,
    parse_clusters,
    parse_format,
    parse_job_id,
    query,
    table,
)
from exitwrap.cli.common import EXIT_OK, fail
from exitwrap.cli.options import Option, help_text, parse
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

PROG = "exitcodes jobexitmod"
LARGEST_CODE = 2**31  # said to be out of range (1) rather than malformed (2), up to this
OPTIONS = (
    Option("-c", "--cluster", "the job of this Slurm cluster ('none': exitwrap's own)", "NAME"),
    Option("-e", "--exit-code", "set the derived exit code (0-255)", "CODE"),
    Option("-r", "--reason", "set the job's comment", "TEXT"),
    Option("-l", "--list", "show the job's exit codes and comment"),
)
USAGE = f"{PROG} [-e CODE] [-r REASON] JOBID\n       {PROG} -l JOBID"
ABOUT = (
    "Show, or change after the job has ended, the two fields of a job record its owner may "
    "change: the derived exit code (initially the highest exit code among its steps) and the "
    "comment. Only the job's owner or root may change them (on a server: its owner or an "
    "exitwrap administrator, as the server decides)."
)
FOOTER = (
    "Exit status: 0 done (-l of an unknown job prints the header alone, as sjobexitmod "
    "does), 1 an unknown job to change, a code out of range or a refusal, 2 bad usage."
)


def _job_id(operands: Sequence[str]) -> int:
    if len(operands) != 1:
        raise UsageError("a job id is needed" if not operands else "give exactly one job id")
    return parse_job_id(operands[0])


def _code(text: Optional[str]) -> Optional[int]:
    """The code as given (one out of range is the accounting's refusal, exit status 1)."""
    if text is None:
        return None
    digits = text[1:] if text[:1] in "+-" else text
    value = number(digits, LARGEST_CODE)
    if value is None:
        raise UsageError(f"invalid exit code {text!r}: want a number from 0 to 255")
    return -value if text.startswith("-") else value


def run(argv: Sequence[str]) -> int:
    parsed = parse(argv, OPTIONS)
    if parsed.flag("help"):
        sys.stdout.write(help_text(USAGE, ABOUT, OPTIONS, FOOTER))
        return EXIT_OK
    job_id = _job_id(parsed.operands)
    code, reason = _code(parsed.value("exit_code")), parsed.value("reason")
    path = configured_database(os.environ)
    cluster = parsed.value("cluster")
    clusters = None if cluster is None else parse_clusters(cluster)
    if parsed.flag("list"):
        if code is not None or reason is not None:
            raise UsageError(f"-l lists only: {PROG} -l JOBID")
        selection = Selection(jobs={job_id: None}, with_steps=False, clusters=clusters)
        notices: list[str] = []
        jobs = query(path, selection, notices)
        view, warning = make_view(os.environ)
        if warning is not None:
            notices.append(warning)
        sys.stdout.write(table(lines(jobs, selection), parse_format(LIST_FORMAT), view))
        for notice in notices:
            fail(PROG, f"warning: {notice}")
        return EXIT_OK
    if code is None and reason is None:
        raise UsageError("either a reason string (-r) or an exit code (-e) is required")
    modify(path, job_id, code=code, comment=reason, uid=users.uid(), clusters=clusters)
    sys.stdout.write(success_message(job_id))
    return EXIT_OK
