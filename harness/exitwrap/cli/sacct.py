"""exitcodes sacct: the recorded jobs and steps, as Slurm 22.05's sacct prints them."""

# ruff: noqa: PLC0415  (lazy imports: start-up is measured; -S/-E and --help pay for theirs)

from __future__ import annotations

import os
import sys
import time

from exitwrap.accounting import fields, users
from exitwrap.accounting.recorder import configured_database
from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import (
    json_document,
    lines,
    parsable,
    parse_format,
    parse_jobs,
    parse_states,
    parse_users,
    query,
    table,
    window,
)
from exitwrap.cli.common import EXIT_OK, fail
from exitwrap.cli.options import Option, Parsed, help_text, parse
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

PROG = "exitcodes sacct"
OPTIONS = (
    Option("-a", "--allusers", "show every user's jobs (the default for root)"),
    Option("-X", "--allocations", "show jobs only, not their steps"),
    Option("-E", "--endtime", "jobs that ran before TIME (default: now)", "TIME"),
    Option("-e", "--helpformat", "list the fields -o takes and exit"),
    Option("-j", "--jobs", "these jobs or steps: 12,13.batch,14.2", "LIST"),
    Option("", "--json", "print Slurm's JSON (dbv0.0.38 shape) instead of a table"),
    Option("-n", "--noheader", "no header lines"),
    Option("-o", "--format", "fields to show, Name%N to set a width, %-N left-aligned", "LIST"),
    Option("-p", "--parsable", "values delimited by '|', with a '|' at the end"),
    Option("-P", "--parsable2", "values delimited by '|', without one at the end"),
    Option("-S", "--starttime", "jobs that ran after TIME (default: midnight)", "TIME"),
    Option("-s", "--state", "only jobs in these states (names or CD, F, CA, TO, NF, R)", "LIST"),
    Option("-u", "--user", "only these users' jobs (names or uids)", "LIST"),
)
ABOUT = (
    "Show the jobs and steps exitwrap and the matrix recorded. Without -j: the jobs that ran "
    "since midnight, your own unless -u or -a (root sees everyone's). Without -o: "
    + fields.DEFAULT
    + " (or $SACCT_FORMAT)."
)
FOOTER = (
    "TIME: {forms}.\n"
    "Exit status: 0 done (an unknown job id prints the header alone), 1 a database error, "
    "2 bad usage."
)


def _time(text: Optional[str], now: float) -> Optional[float]:
    if text is None:
        return None
    from exitwrap.accounting.timespec import parse_time

    return parse_time(text, now)


def selection(parsed: Parsed, now: float) -> Selection:
    jobs_text, states_text = parsed.value("jobs"), parsed.value("state")
    start_text, end_text = parsed.value("starttime"), parsed.value("endtime")
    start, end = window(
        by_job=jobs_text is not None,
        by_state=states_text is not None,
        start=_time(start_text, now),
        end=_time(end_text, now),
        now=now,
    )
    user_list = parsed.value("user")
    uids: Optional[frozenset[int]] = None if user_list is None else parse_users(user_list)
    mine_only = not (parsed.flag("allusers") or jobs_text is not None or users.uid() == users.ROOT)
    if uids is None and mine_only:
        uids = frozenset({users.uid()})
    return Selection(
        jobs=None if jobs_text is None else parse_jobs(jobs_text),
        uids=uids,
        states=None if states_text is None else parse_states(states_text),
        start=start,
        end=end,
        with_steps=not parsed.flag("allocations"),
    )


def run(argv: Sequence[str]) -> int:
    parsed = parse(argv, OPTIONS)
    if parsed.flag("help"):
        from exitwrap.accounting.timespec import FORMS

        footer = FOOTER.format(forms=FORMS)
        sys.stdout.write(help_text(f"{PROG} [OPTIONS]", ABOUT, OPTIONS, footer))
        return EXIT_OK
    if parsed.flag("helpformat"):
        print(" ".join(field.name for field in fields.FIELDS))
        return EXIT_OK
    if parsed.operands:
        raise UsageError(f"unexpected argument {parsed.operands[0]!r}")
    spec = parsed.value("format")
    if spec is None:
        spec = os.environ.get("SACCT_FORMAT") or fields.DEFAULT
    columns = parse_format(spec)
    chosen = selection(parsed, time.time())
    notices: list[str] = []
    jobs = query(configured_database(os.environ), chosen, notices)
    for notice in notices:
        fail(PROG, f"warning: {notice}")
    if parsed.flag("json"):
        sys.stdout.write(json_document(jobs))
        return EXIT_OK
    rows = lines(jobs, chosen)
    header = not parsed.flag("noheader")
    if parsed.flag("parsable") or parsed.flag("parsable2"):
        trailing = parsed.flag("parsable")
        sys.stdout.write(parsable(rows, columns, trailing=trailing, header=header))
    else:
        sys.stdout.write(table(rows, columns, header=header))
    return EXIT_OK
