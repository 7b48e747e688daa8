"""Which signals exitwrap forwards, what the child starts with, and where each signal came from.

exitwrap forwards every signal it can catch but SIGCHLD, as tini does:
whatever kills a process by default (ALRM, PWR, a real-time signal, SEGV
sent with kill) would otherwise kill exitwrap and orphan the child. It
blocks them (and SIGCHLD) before the child exists, so none is lost, and
takes them one at a time. On Linux, sigwaitinfo(2) tells a terminal's
signal (si_code SI_KERNEL: the kernel sent it to the whole foreground
process group, the child included) from a kill(2) aimed at exitwrap
(SI_USER), so that Ctrl-C reaches the child exactly once; and a SIGPIPE or
SIGXFSZ that exitwrap's own write raised (si_pid is exitwrap's) is not the
child's business. Elsewhere (macOS has no sigwaitinfo) sigwait(2) gives no
origin: INT, QUIT, HUP, WINCH, TSTP, TTIN and TTOU count as the terminal's
while exitwrap's process group is the terminal's foreground group, ALRM is
the timeout's own, and PIPE and XFSZ stay ignored, as Python leaves them.

Imports ``_signal``, not ``signal``: the latter builds its enums at import,
which costs more than everything else here together.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from typing import Optional
else:
    import _signal

# what cannot be caught, and the one signal that is exitwrap's own (its child ended)
_NEVER = (_signal.SIGKILL, _signal.SIGSTOP, _signal.SIGCHLD)
FORWARDED = tuple(sorted(n for n in _signal.valid_signals() if n not in _NEVER))
# the stops: from the terminal, they stop the child and, without --group, exitwrap itself
STOPS = (_signal.SIGTSTP, _signal.SIGTTIN, _signal.SIGTTOU)
# the ones a terminal sends to its foreground process group
FROM_TERMINAL = (_signal.SIGINT, _signal.SIGQUIT, _signal.SIGHUP, _signal.SIGWINCH, *STOPS)
# what does not end a process by default: arriving before the command starts, it cancels nothing
HARMLESS = (_signal.SIGCONT, _signal.SIGURG, _signal.SIGWINCH, *STOPS)
# Python sets these to SIG_IGN itself: whatever exitwrap's parent left, the child gets SIG_DFL
PYTHONS_OWN = (_signal.SIGPIPE, getattr(_signal, "SIGXFSZ", _signal.SIGPIPE))
SI_KERNEL = 0x80  # Linux <asm-generic/siginfo.h>


def ignored_on_entry() -> frozenset[int]:
    """Signals exitwrap's parent set to SIG_IGN (nohup's HUP, a background job's INT, QUIT).

    They stay ignored in the child, as a shell and env(1) keep them; everything
    else starts at its default.
    """
    return frozenset(
        number
        for number in _signal.valid_signals()
        if number not in PYTHONS_OWN and _signal.getsignal(number) == _signal.SIG_IGN
    )


def stop(number: int, group: Optional[int] = None) -> None:
    """Stop exitwrap (with its process group, given one) by a stop signal it keeps blocked:
    unblocked just long enough to arrive, which it does before kill returns (POSIX)."""
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {number})
    try:
        if group is None:
            os.kill(os.getpid(), number)
        else:
            os.killpg(group, number)
    except OSError:
        pass  # no such group any more: nothing to stop
    finally:
        _signal.pthread_sigmask(_signal.SIG_BLOCK, {number})


def child_defaults(ignored: frozenset[int]) -> frozenset[int]:
    """The signals posix_spawn resets to SIG_DFL in the child."""
    unchangeable = (_signal.SIGKILL, _signal.SIGSTOP)
    return frozenset(
        n for n in _signal.valid_signals() if n not in unchangeable and n not in ignored
    )


def _foreground_terminal_group() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


class SignalSource:
    """The blocked signals, taken one at a time: (number, sent by the terminal) or None.

    Python's SIG_IGN for PIPE and XFSZ is set back to the default once they are
    blocked, so that one sent to exitwrap waits to be forwarded instead of
    vanishing; one exitwrap's own write raised is dropped.
    """

    def __init__(self, forwarded: tuple[int, ...]) -> None:
        self.forwarded = forwarded
        self.waited = {*forwarded, _signal.SIGCHLD}
        _signal.pthread_sigmask(_signal.SIG_BLOCK, self.waited)
        for number in PYTHONS_OWN:
            if number in self.waited:
                _signal.signal(number, _signal.SIG_DFL)

    def next(self, timeout: Optional[float]) -> Optional[tuple[int, bool]]:
        """The next signal; None when timeout seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        while True:
            if deadline is None:
                info = _signal.sigwaitinfo(self.waited)
            else:
                found = _signal.sigtimedwait(self.waited, max(deadline - time.monotonic(), 0.0))
                if found is None:
                    return None
                info = found
            if info.si_signo in PYTHONS_OWN and info.si_pid == os.getpid():
                continue  # exitwrap's own write to a closed pipe, or past a size limit
            return info.si_signo, info.si_code == SI_KERNEL

    def take_pending(self) -> list[tuple[int, bool]]:
        """The signals that arrived so far, consumed, in order."""
        taken = []
        while _signal.sigpending() & self.waited:
            event = self.next(0.0)
            if event is None:
                break
            taken.append(event)
        return taken


class PortableSignalSource(SignalSource):
    """sigwait(2) with an interval timer for the timeout, where sigwaitinfo is missing."""

    def __init__(self, forwarded: tuple[int, ...]) -> None:
        kept = (_signal.SIGALRM, *PYTHONS_OWN)  # the timer's; ignored, as Python left them
        super().__init__(tuple(n for n in forwarded if n not in kept))
        self.waited.add(_signal.SIGALRM)
        _signal.pthread_sigmask(_signal.SIG_BLOCK, self.waited)

    def next(self, timeout: Optional[float]) -> Optional[tuple[int, bool]]:
        if timeout is not None:
            if timeout <= 0 and not (_signal.sigpending() & self.waited - {_signal.SIGALRM}):
                return None
            _signal.setitimer(_signal.ITIMER_REAL, max(timeout, 1e-6))
        number = _signal.sigwait(self.waited)
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        if number == _signal.SIGALRM:
            return None
        return number, number in FROM_TERMINAL and _foreground_terminal_group()


def signal_source(forwarded: tuple[int, ...]) -> SignalSource:
    """The best source this platform has (SI_KERNEL is Linux's)."""
    if sys.platform.startswith("linux") and hasattr(_signal, "sigwaitinfo"):
        return SignalSource(forwarded)
    return PortableSignalSource(forwarded)
