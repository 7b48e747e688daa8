"""Watching the child: forward signals, enforce the timeout, reap it, clean up its group.

The loop sleeps in the signal source until a signal or the next deadline:
SIGCHLD means something to reap, a forwarded signal goes to the child (or
its group), a passed deadline sends the timeout's TERM and later its KILL.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import os
import sys
import time

from exitwrap.wrap.signals import FROM_GROUP, FROM_STEPD, FROM_TERMINAL, STOPS, stop

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from typing import Optional

    from exitwrap.wrap.group import Terminal
    from exitwrap.wrap.signals import SignalSource
else:
    import _signal

LEFTOVER_POLL_S = 0.02  # how often to look whether the group's leftovers are gone
AFTER_KILL_S = 2.0  # how long to wait for leftovers after SIGKILL before giving up
_MAXRSS_UNIT = 1024 if sys.platform == "darwin" else 1  # macOS reports bytes, Linux KiB


class Ended:
    """How the child ended: its raw wait status, its resource use, whether the timeout fired;
    or, for a command that never ran, the status standing for that, why (``error``) and the
    errno of its failed start."""

    __slots__ = ("error", "rusage", "start_errno", "timed_out", "wait_status")

    def __init__(
        self,
        wait_status: int,
        rusage: Optional[tuple[int, float, float]] = None,
        *,
        timed_out: bool = False,
        error: Optional[str] = None,
        start_errno: Optional[int] = None,
    ) -> None:
        self.wait_status = wait_status
        self.rusage = rusage  # (max RSS KiB, user CPU s, system CPU s)
        self.timed_out = timed_out
        self.error = error
        self.start_errno = start_errno


class Supervisor:
    def __init__(
        self,
        pid: int,
        source: SignalSource,
        *,
        group: bool,
        forward_to_group: bool = True,
        timeout_s: float,
        kill_after_s: float,
        terminal: Optional[Terminal] = None,
    ) -> None:
        self.pid = pid
        self.source = source
        self.group = group  # the child leads a process group of its own
        self.forward_to_group = forward_to_group  # passed-on signals go to all of it
        self.timeout_s = timeout_s
        self.kill_after_s = kill_after_s
        self.terminal = terminal
        self.timed_out = False
        self.kill_at: Optional[float] = None  # when the timeout's KILL is due

    def _send(self, number: int, *, whole_group: bool = True) -> None:
        if self.group and whole_group:
            from exitwrap.wrap.group import signal_group

            signal_group(self.pid, number)
        else:
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                return  # reaped already: nothing to signal

    def _forward(self, event: tuple[int, int]) -> None:
        """Pass on a signal, given as the signal source's (number, where it came from)."""
        number, origin = event
        if origin == FROM_STEPD:
            return  # slurmstepd sent it to every process of the step: the child has it
        if origin in (FROM_TERMINAL, FROM_GROUP) and not self.group:
            # sent to exitwrap's whole group: the child has it already; a stop (Ctrl-Z) stops
            # exitwrap too, as it would have unblocked, for the shell's fg (or the CONT after)
            if number in STOPS:
                stop(number)
            return
        self._send(number, whole_group=self.forward_to_group)

    def _deadline_passed(self) -> Optional[float]:
        """Act on the passed deadline; return the next one."""
        if not self.timed_out:
            self.timed_out = True
            self._send(_signal.SIGTERM)
            self._send(_signal.SIGCONT)  # a stopped child must run to act on the TERM
            self.kill_at = time.monotonic() + self.kill_after_s if self.kill_after_s else None
            return self.kill_at
        self._send(_signal.SIGKILL)
        return None

    def _reap(self) -> Optional[Ended]:
        """Reap every child that is done (orphans adopted as a subreaper too)."""
        flags = os.WNOHANG | (os.WUNTRACED if self.terminal else 0)
        ended = None
        while True:
            try:
                pid, status, usage = os.wait3(flags)
            except ChildProcessError:
                return ended
            if pid == 0:
                return ended
            if pid != self.pid:
                continue
            if os.WIFSTOPPED(status):
                if self.terminal is not None:
                    self.terminal.child_stopped(os.WSTOPSIG(status))
                continue
            rusage = (usage.ru_maxrss // _MAXRSS_UNIT, usage.ru_utime, usage.ru_stime)
            ended = Ended(status, rusage, timed_out=self.timed_out)

    def wait(self) -> Ended:
        """Wait for the child to end, doing everything the wait involves; then clean up."""
        deadline = time.monotonic() + self.timeout_s if self.timeout_s else None
        ended = None
        while ended is None:
            remaining = None if deadline is None else deadline - time.monotonic()
            event = self.source.next(remaining)
            if event is None:
                if deadline is not None and time.monotonic() >= deadline:
                    deadline = self._deadline_passed()
            elif event[0] == _signal.SIGCHLD:
                ended = self._reap()
            else:
                self._forward(event)
        if self.group:
            if self.terminal is not None:
                self.terminal.take_back()
            self._clean_up_group()
        return ended

    def _wait_for_leftovers(self, seconds: float) -> bool:
        """Wait up to seconds for the group to be empty, still forwarding; True when it is."""
        from exitwrap.wrap.group import group_alive

        deadline = time.monotonic() + seconds
        while group_alive(self.pid):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            event = self.source.next(min(remaining, LEFTOVER_POLL_S))
            if event is not None and event[0] == _signal.SIGCHLD:
                self._reap()
            elif event is not None:
                self._forward(event)
        return True

    def _clean_up_group(self) -> None:
        """What is left of the group gets TERM, then KILL after --kill-after (as dumb-init);
        after a fired timeout it has had its TERM, and gets the timeout's KILL when due."""
        from exitwrap.wrap.group import group_alive

        if not group_alive(self.pid):
            return
        if self.timed_out:
            kill_at = self.kill_at
        else:
            self._send(_signal.SIGTERM)
            self._send(_signal.SIGCONT)
            kill_at = time.monotonic() + self.kill_after_s if self.kill_after_s else None
        if kill_at is None or self._wait_for_leftovers(max(0.0, kill_at - time.monotonic())):
            return
        self._send(_signal.SIGKILL)
        self._wait_for_leftovers(AFTER_KILL_S)
