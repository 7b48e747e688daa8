"""--group: the child's own process group, the terminal handed to it, and what it leaves.

The child leads a new process group. When exitwrap is in the foreground of
a controlling terminal, the terminal goes to that group (tcsetpgrp), so
Ctrl-C, Ctrl-Z and reads reach the child directly; exitwrap takes it back
when the child stops or ends, and stops itself when the child is stopped,
so the shell above sees the job stop and can resume it. On Linux exitwrap
becomes a child subreaper, so the group's orphans are its to reap: no
zombie outlives it, and "the group is empty" means what it says.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import os
import sys

from exitwrap.wrap.signals import stop

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from typing import Optional
else:
    import _signal

_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
_STOPS_FOR_THE_TERMINAL = (_signal.SIGTTIN, _signal.SIGTTOU)


def become_subreaper() -> None:
    """Linux only: adopt the group's orphans (as tini -s and dumb-init do)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        return  # no prctl: leftovers go to init, and the group check still works


def signal_group(pgid: int, number: int) -> None:
    try:
        os.killpg(pgid, number)
    except (ProcessLookupError, PermissionError):
        return  # nothing left to signal (or nothing of ours)


def group_alive(pgid: int) -> bool:
    """Whether any process (of ours to signal) is left in the group."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _set_foreground(fd: int, pgid: int) -> None:
    """tcsetpgrp with SIGTTOU blocked: from the background it would stop exitwrap."""
    old = _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGTTOU})
    try:
        os.tcsetpgrp(fd, pgid)
    except OSError:
        pass  # the terminal went away, or the group is gone: nothing to hand over
    finally:
        _signal.pthread_sigmask(_signal.SIG_SETMASK, old)


class Terminal:
    """exitwrap's controlling terminal, when exitwrap is in its foreground."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.own_group = os.getpgrp()
        self.child_group: Optional[int] = None

    @classmethod
    def if_foreground(cls) -> Optional[Terminal]:
        try:
            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            if os.tcgetpgrp(fd) == os.getpgrp():
                return cls(fd)
        except OSError:
            pass
        os.close(fd)
        return None

    def _foreground(self) -> int:
        try:
            return os.tcgetpgrp(self.fd)
        except OSError:
            return -1

    def hand_over(self, pgid: int) -> None:
        self.child_group = pgid
        _set_foreground(self.fd, pgid)

    def child_stopped(self, number: int) -> None:
        """The child's group was stopped by signal number: carry the stop up, then resume it.

        A read or write before the hand-over (SIGTTIN/SIGTTOU while the child
        now owns the terminal) only needs a SIGCONT. Anything else stops
        exitwrap's own group, as the child's stop would have without --group;
        when the shell resumes it (fg), the terminal goes back to the child.
        """
        child = self.child_group
        if child is None:
            return
        if not (number in _STOPS_FOR_THE_TERMINAL and self._foreground() == child):
            if self._foreground() == child:
                _set_foreground(self.fd, self.own_group)
            # exitwrap keeps the stops blocked (it forwards them): unblocked for this one
            stop(number if number in _STOPS_FOR_THE_TERMINAL else _signal.SIGTSTP, self.own_group)
            if self._foreground() == self.own_group:
                _set_foreground(self.fd, child)
        signal_group(child, _signal.SIGCONT)

    def take_back(self) -> None:
        """Give the terminal back to exitwrap's group, unless someone else has it by now."""
        if self.child_group is not None and self._foreground() == self.child_group:
            _set_foreground(self.fd, self.own_group)
        os.close(self.fd)
