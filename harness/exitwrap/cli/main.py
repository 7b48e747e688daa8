"""exitcodes: the toolbox (matrix, report, explain, and the accounting commands).

The top level only dispatches: a subcommand's module is imported when it is
asked for, so ``exitcodes sacct`` never pays for the matrix's imports.
"""

from __future__ import annotations

import sys

from exitwrap import __version__
from exitwrap.cli.common import EXIT_OK, EXIT_USAGE, fail, guarded
from exitwrap.collector import console_entry
from exitwrap.streams import hold_standard_descriptors, refuse_closed_streams

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

# name -> (module with PROG and run(argv) -> int, one-line summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "matrix": (
        "exitwrap.cli.matrix",
        "run scenarios under shells and write the conformance matrix",
    ),
    "explain": ("exitwrap.cli.explain", "decode one status under every convention, with sources"),
    "report": ("exitwrap.cli.report", "reports from matrix files: conventions, merge, diff"),
    "sacct": ("exitwrap.cli.sacct", "recorded jobs and steps, as Slurm's sacct shows them"),
    "jobexitmod": ("exitwrap.cli.jobexitmod", "list or set a job's derived exit code and comment"),
    "show": ("exitwrap.cli.show", "one job or step in scontrol show's layout"),
    "cancel": ("exitwrap.cli.cancel", "cancel running jobs or steps, as scancel does"),
    "db": ("exitwrap.cli.db", "the accounting's store: path, check, init, push, purge"),
}

USAGE = "usage: exitcodes [--version] [--help] COMMAND [ARGS...]"


def _help() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [USAGE, "", "commands:"]
    lines += [f"  {name.ljust(width)}  {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += [
        "",
        "Run 'exitcodes COMMAND --help' for a command's options.",
        "Exit status: 0 done, 1 a runtime failure (unknown job, database error, refusal,",
        "error cells), 2 bad usage.",
    ]
    return "\n".join(lines)


def _top(args: list[str]) -> int:
    """exitcodes without a command, --help or --version."""
    if not args or args[0] in ("-h", "--help"):
        print(_help())
        return EXIT_OK if args else EXIT_USAGE
    print(f"exitcodes {__version__}")
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    hold_standard_descriptors()
    refuse_closed_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "--version"):
        return guarded("exitcodes", lambda: _top(args))
    entry = COMMANDS.get(args[0])
    if entry is None:
        fail("exitcodes", f"unknown command {args[0]!r} (see exitcodes --help)")
        return EXIT_USAGE
    module = __import__(entry[0], fromlist=["run"])  # importlib would cost warnings' import
    return guarded(module.PROG, lambda: int(module.run(args[1:])))


console = console_entry(main)  # the ``exitcodes`` command
