"""exitcodes db path|check|init|push|purge: the accounting's store itself."""

from __future__ import annotations

import os
import sys
import time

from exitwrap.accounting import users
from exitwrap.accounting.backend import open_backend
from exitwrap.accounting.initialise import initialise
from exitwrap.accounting.location import (
    DATABASE_ENV,
    Queue,
    configured_database,
    database_path,
    is_server,
)
from exitwrap.accounting.purge import describe_purge, purge
from exitwrap.accounting.pushing import push_now
from exitwrap.accounting.timespec import FORMS, parse_time
from exitwrap.cli.common import EXIT_FAILURE, EXIT_OK
from exitwrap.cli.options import Option, Parsed, help_text, parse
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "exitcodes db"
OPTIONS = (
    Option("", "--before", "purge: the jobs that ended before TIME", "TIME"),
    Option("-n", "--dry-run", "purge: only say how many jobs would go"),
    Option("", "--private", "init, on a server: users read only their own jobs"),
    Option("", "--public", "init, on a server: users read every job (the default)"),
    Option("", "--background", "push: quietly, joining a push already running (exitwrap's)"),
)
USAGE = (
    f"{PROG} path | check | init [--private|--public] | push [--background]\n"
    f"       {PROG} purge --before TIME [--dry-run]"
)
ABOUT = (
    "path: where the accounting is ($EXITWRAP_DB: an SQLite file, else "
    "$XDG_DATA_HOME/exitwrap/accounting.db; or postgresql://... for a server, with this "
    "host's queue for it). check: schema version, integrity, counts, what waits. init: create "
    "or migrate the schema (on a server, as a privileged role). push: bring what waits on "
    "this host in now. purge: delete the jobs that ended before TIME, with their steps (yours; "
    "everyone's as root, or as a server's exitwrap administrator)."
)
FOOTER = f"TIME: {FORMS}.\nExit status: 0 done, 1 a database problem, 2 bad usage."
ACTIONS = ("path", "check", "init", "push", "purge")
# action -> the options it takes
ACCEPTS = {
    "path": (),
    "check": (),
    "init": ("private", "public"),
    "push": ("background",),
    "purge": ("before", "dry_run"),
}


def _checked(argv: Sequence[str]) -> tuple[str, Parsed]:
    """The action and its options, each checked to go with it."""
    parsed = parse(argv, OPTIONS)
    if parsed.flag("help"):
        return "help", parsed
    if len(parsed.operands) != 1 or parsed.operands[0] not in ACTIONS:
        raise UsageError(f"usage: {USAGE.splitlines()[0]}")
    action = parsed.operands[0]
    stray = [name for name in parsed.values if name not in ACCEPTS[action]]
    if stray:
        raise UsageError(f"--{stray[0].replace('_', '-')} does not go with {action}")
    if action == "purge" and parsed.value("before") is None:
        raise UsageError("purge needs --before TIME")
    if parsed.flag("private") and parsed.flag("public"):
        raise UsageError("--private or --public, not both")
    return action, parsed


def run(argv: Sequence[str]) -> int:
    action, values = _checked(argv)
    if action == "help":
        sys.stdout.write(help_text(USAGE, ABOUT, OPTIONS, FOOTER))
        return EXIT_OK
    if action == "path":
        path = database_path(os.environ)
        if path is None:
            print(f"off ({DATABASE_ENV}={os.environ[DATABASE_ENV]})")
        elif is_server(path):
            print(f"{path}\nqueue: {Queue(path, os.environ).directory}")
        else:
            print(path)
        return EXIT_OK
    database = configured_database(os.environ)
    if action == "check":
        with open_backend(database) as backend:
            health = backend.check()
        print("\n".join(health.lines))
        return EXIT_FAILURE if health.problems else EXIT_OK
    if action == "init":
        private = True if values.flag("private") else False if values.flag("public") else None
        print(initialise(database, private=private))
        return EXIT_OK
    if action == "push":
        said = push_now(database, background=values.flag("background"))
        if said and not values.flag("background"):
            print(said)
        return EXIT_OK
    cutoff = parse_time(str(values.value("before")), time.time())
    dry_run = values.flag("dry_run")
    counts = purge(database, cutoff, users.uid(), dry_run=dry_run)
    print(describe_purge(counts, cutoff, dry_run=dry_run))
    return EXIT_OK
