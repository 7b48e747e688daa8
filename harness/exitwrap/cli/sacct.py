"""exitcodes sacct: the recorded jobs and steps, as Slurm 22.05's sacct prints them."""

# ruff: noqa: PLC0415  (lazy imports: start-up is measured; -S/-E and --help pay for theirs)

from __future__ import annotations

import os
import sys
import time

from exitwrap.accounting import field_catalog, users
from exitwrap.accounting.display import make_view
from exitwrap.accounting.location import configured_database
from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import (
    json_document,
    lines,
    parsable,
    parse_clusters,
    parse_format,
    parse_jobs,
    parse_names,
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
    Option("-b", "--brief", "the fields JobID,State,ExitCode (instead of -o's)"),
    Option("-D", "--duplicates", "accepted: exitwrap never requeues a job, so has no duplicates"),
    Option("", "--delimiter", "what -p and -P put between values (default '|')", "TEXT"),
    Option("-E", "--endtime", "jobs that ran before TIME (default: now)", "TIME"),
    Option("-e", "--helpformat", "list the fields -o takes and exit"),
    Option("-j", "--jobs", "these jobs or steps: 12,13.batch,14.2", "LIST"),
    Option("", "--json", "print Slurm's JSON (dbv0.0.38 shape) instead of a table"),
    Option("-L", "--allclusters", "jobs of every cluster (the default)"),
    Option("-l", "--long", "sacct -l's fields (instead of -o's)"),
    Option("-M", "--clusters", "only these Slurm clusters' jobs ('none': exitwrap's own)", "LIST"),
    Option("", "--name", "only jobs of these names", "LIST"),
    Option("-n", "--noheader", "no header lines"),
    Option("-o", "--format", "fields to show, Name%N to set a width, %-N left-aligned", "LIST"),
    Option("-p", "--parsable", "values delimited by '|', with a '|' at the end"),
    Option("-P", "--parsable2", "values delimited by '|', without one at the end"),
    Option("-S", "--starttime", "jobs that ran after TIME (default: midnight)", "TIME"),
    Option("", "--slurm-exitcodes", "ExitCode exactly as Slurm 22.05's sacct prints it"),
    Option("-s", "--state", "only jobs in these states (names or CD, F, CA, TO, NF, R)", "LIST"),
    Option("-T", "--truncate", "cut start and end times to the -S/-E window"),
    Option("-u", "--user", "only these users' jobs (names or uids)", "LIST"),
)
ABOUT = (
    "Show the jobs and steps exitwrap and the matrix recorded. Without -j: the jobs that ran "
    "since midnight, your own unless -u or -a (root sees everyone's). Without -o: "
    + field_catalog.DEFAULT
    + " (or $SACCT_FORMAT). Every field of Slurm 22.05's sacct is taken (-e lists them); "
    "those exitwrap has no value for print empty, as Slurm prints an unset value. Dates "
    "follow $SLURM_TIME_FORMAT (standard, relative, or a strftime format)."
)
FOOTER = (
    "TIME: {forms}.\n"
    "--slurm-exitcodes: a code of 128 or more less 128, and a command that could not start "
    "by its exec's errno (2, 13), as 22.05's sacct shows what srun ran; without it exitwrap "
    "shows what the command exited with (137:0, 127:0).\n"
    "Exit status: 0 done (an unknown job id prints the header alone), 1 a database error, "
    "2 bad usage."
)


def _time(text: Optional[str], now: float) -> Optional[float]:
    if text is None:
        return None
    from exitwrap.accounting.timespec import parse_time

    return parse_time(text, now)


def _window(parsed: Parsed, now: float) -> tuple[float, float]:
    return window(
        by_job=parsed.value("jobs") is not None,
        by_state=parsed.value("state") is not None,
        start=_time(parsed.value("starttime"), now),
        end=_time(parsed.value("endtime"), now),
        now=now,
    )


def selection(parsed: Parsed, now: float) -> Selection:
    jobs_text, states_text = parsed.value("jobs"), parsed.value("state")
    start, end = _window(parsed, now)
    user_list = parsed.value("user")
    uids: Optional[frozenset[int]] = None if user_list is None else parse_users(user_list)
    mine_only = not (parsed.flag("allusers") or jobs_text is not None or users.uid() == users.ROOT)
    if uids is None and mine_only:
        uids = frozenset({users.uid()})
    names, clusters = parsed.value("name"), parsed.value("clusters")
    return Selection(
        jobs=None if jobs_text is None else parse_jobs(jobs_text),
        uids=uids,
        states=None if states_text is None else parse_states(states_text),
        start=start,
        end=end,
        with_steps=not parsed.flag("allocations"),
        names=None if names is None else parse_names(names),
        clusters=None if clusters is None else parse_clusters(clusters),
    )


def format_spec(parsed: Parsed) -> str:
    """The fields to show: -o's (else $SACCT_FORMAT's, else the default), then -b's and -l's,
    which replace $SACCT_FORMAT and the default, as 22.05 does."""
    given = parsed.value("format")
    extra = [field_catalog.BRIEF] if parsed.flag("brief") else []
    extra += [field_catalog.LONG] if parsed.flag("long") else []
    if given is None and not extra:
        given = os.environ.get("SACCT_FORMAT") or field_catalog.DEFAULT
    return ",".join(spec for spec in (given, *extra) if spec)


def run(argv: Sequence[str]) -> int:
    parsed = parse(argv, OPTIONS)
    if parsed.flag("help"):
        from exitwrap.accounting.timespec import FORMS

        footer = FOOTER.format(forms=FORMS)
        sys.stdout.write(help_text(f"{PROG} [OPTIONS]", ABOUT, OPTIONS, footer))
        return EXIT_OK
    if parsed.flag("helpformat"):
        sys.stdout.write(field_catalog.helpformat())
        return EXIT_OK
    if parsed.operands:
        raise UsageError(f"unexpected argument {parsed.operands[0]!r}")
    columns = parse_format(format_spec(parsed))
    now = time.time()
    chosen = selection(parsed, now)
    truncate = _window(parsed, now) if parsed.flag("truncate") else None
    view, warning = make_view(
        os.environ, slurm_codes=parsed.flag("slurm_exitcodes"), truncate=truncate
    )
    if warning is not None:
        fail(PROG, f"warning: {warning}")
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
        delimiter = parsed.value("delimiter")
        text = parsable(
            rows,
            columns,
            view,
            trailing=trailing,
            header=header,
            delimiter="|" if delimiter is None else delimiter,
        )
        sys.stdout.write(text)
    else:
        sys.stdout.write(table(rows, columns, view, header=header))
    return EXIT_OK
