"""exitcodes db path|check|purge: the accounting database itself."""

from __future__ import annotations

import os
import sys
import time

from exitwrap.accounting import users
from exitwrap.accounting.maintenance import check, describe_purge, purge
from exitwrap.accounting.recorder import DATABASE_ENV, configured_database, database_path
from exitwrap.accounting.timespec import FORMS, parse_time
from exitwrap.cli.common import EXIT_FAILURE, EXIT_OK
from exitwrap.cli.options import Option, help_text, parse
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "exitcodes db"
OPTIONS = (
    Option("", "--before", "purge: the jobs that ended before TIME", "TIME"),
    Option("-n", "--dry-run", "purge: only say how many jobs would go"),
)
USAGE = f"{PROG} path | check | purge --before TIME [--dry-run]"
ABOUT = (
    "path: print where the accounting database is ($EXITWRAP_DB, else "
    "$XDG_DATA_HOME/exitwrap/accounting.db). check: schema version, SQLite's integrity check, "
    "counts and file mode. purge: delete the jobs that ended before TIME, with their steps "
    "(yours; everyone's as root)."
)
FOOTER = f"TIME: {FORMS}.\nExit status: 0 done, 1 a database problem, 2 bad usage."
ACTIONS = ("path", "check", "purge")


def run(argv: Sequence[str]) -> int:
    parsed = parse(argv, OPTIONS)
    if parsed.flag("help"):
        sys.stdout.write(help_text(USAGE, ABOUT, OPTIONS, FOOTER))
        return EXIT_OK
    if len(parsed.operands) != 1 or parsed.operands[0] not in ACTIONS:
        raise UsageError(f"usage: {USAGE}")
    action = parsed.operands[0]
    before = parsed.value("before")
    if (action == "purge") != (before is not None) or (parsed.flag("dry_run") and not before):
        raise UsageError("--before TIME goes with purge, and purge needs it")
    if action == "path":
        path = database_path(os.environ)
        print(path if path is not None else f"off ({DATABASE_ENV}={os.environ[DATABASE_ENV]})")
        return EXIT_OK
    path = configured_database(os.environ)
    if action == "check":
        health = check(path)
        print("\n".join(health.lines))
        return EXIT_FAILURE if health.problems else EXIT_OK
    assert before is not None
    cutoff = parse_time(before, time.time())
    dry_run = parsed.flag("dry_run")
    counts = purge(path, cutoff, users.uid(), dry_run=dry_run)
    print(describe_purge(counts, cutoff, dry_run=dry_run))
    return EXIT_OK
