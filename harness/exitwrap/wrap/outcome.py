"""exitwrap's own exit: the status it returns for how the child ended, or the signal it dies of.

The order is fixed: a fired timeout is 124; otherwise the child's code, or
128+N for a death by signal N (a command that could not start: 127 or 126,
or with --start-failure=errno the errno of its exec); then --remap rewrites
the number. With
--signal-style=reraise a signal death that no remap matched is raised again
on exitwrap itself, so its parent sees a true signal death (as GNU timeout
does): the default disposition back, core dumps off, the signal unblocked.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import os
import sys

from exitwrap.status import Termination
from exitwrap.streams import flush_all

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from collections.abc import Sequence
    from typing import Optional
else:
    import _signal

TIMED_OUT = 124
SIGNAL_BASE = 128
_PR_SET_DUMPABLE = 4  # <linux/prctl.h>


class Exit:
    """exitwrap's own ending: the status it exits with, or the signal it dies of instead."""

    __slots__ = ("death", "status")

    def __init__(self, status: int, death: Optional[int] = None) -> None:
        self.status = status
        self.death = death


def decide(
    termination: Termination,
    *,
    timed_out: bool,
    remaps: Sequence[tuple[int, int]],
    reraise: bool,
    start_errno: Optional[int] = None,
) -> Exit:
    """The exit for how the child ended; a remapped status is exited with, never re-raised."""
    status = TIMED_OUT if timed_out else termination.shell_status(SIGNAL_BASE)
    if start_errno is not None:
        status = start_errno & 0xFF
    mapped = dict(remaps).get(status)
    if mapped is not None:
        return Exit(mapped)
    signaled = reraise and not timed_out and termination.signaled
    return Exit(status, termination.value if signaled else None)


def _no_core_dump() -> None:
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    if sys.platform.startswith("linux"):
        # a piped core_pattern (systemd-coredump, apport) ignores RLIMIT_CORE; this it does not
        import ctypes

        try:
            ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
        except (OSError, AttributeError):
            return  # RLIMIT_CORE is all there is


def die_of(number: int) -> None:
    """End exitwrap by signal number; returns only if that signal does not end a process."""
    _no_core_dump()
    flush_all()  # what cannot be written is dropped
    if number not in (_signal.SIGKILL, _signal.SIGSTOP):  # these have no disposition to set
        _signal.signal(number, _signal.SIG_DFL)
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {number})
    os.kill(os.getpid(), number)
    _signal.pthread_sigmask(_signal.SIG_BLOCK, {number})
