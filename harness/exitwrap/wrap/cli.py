"""exitwrap's entry point: parse, run, and turn every failure of its own into 125 and one line.

Kept lean on purpose: this is what every wrapped command pays for at start-up
(bench/bench_exitwrap.py measures it, tests/test_wrap_startup.py guards the
imports).
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import os
import sys

from exitwrap import __version__
from exitwrap.collector import console_entry
from exitwrap.errors import UsageError
from exitwrap.streams import hold_standard_descriptors, write
from exitwrap.wrap.messages import PROG, say
from exitwrap.wrap.options import HELP, OWN_FAILURE, HelpRequested, parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

INTERRUPTED = 130


def main(argv: Optional[Sequence[str]] = None) -> int:
    hold_standard_descriptors()
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        options = parse(words)
    except HelpRequested as request:
        text = f"{PROG} {__version__}\n" if str(request) == "--version" else HELP
        failure = write(text)
        if failure is None:
            return 0
        say(f"write error: {failure}")  # as GNU timeout: the help is all it was asked for
        return OWN_FAILURE
    except UsageError as error:
        say(f"{error} (see {PROG} --help)")
        return OWN_FAILURE
    if not hasattr(os, "posix_spawn"):  # Windows: no signals to forward, no wait statuses
        say(f"wrapping a command needs POSIX (posix_spawn); not on {sys.platform}")
        return OWN_FAILURE
    from exitwrap.wrap.run import run

    try:
        return run(options, os.environ)
    except UsageError as error:
        say(f"{error} (see {PROG} --help)")
    except KeyboardInterrupt:  # only before the command starts: after, SIGINT is forwarded
        say("interrupted before the command started")
        return INTERRUPTED
    except Exception as error:  # a failure of exitwrap's own, never the command's status
        say(f"internal error: {error!r}")
    return OWN_FAILURE


console = console_entry(main)  # the ``exitwrap`` command
