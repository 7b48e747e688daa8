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
Inside a Slurm job, a signal whose sender (si_pid) is a slurmstepd was sent
to every process of the step (scancel, a time limit, srun passing on a
Ctrl-C): the child has it already, in whatever process group it is.
Likewise a signal from the exitwrap named in ``EXITWRAP_GROUP_SENDER`` (an
exitwrap above that runs its command in a process group of its own, as
--group and --batch do, and signals that whole group: its timeout, the
leftovers' clean-up) reached every process of the group.

Imports ``_signal``, not ``signal``: the latter builds its enums at import,
which costs more than everything else here together.
"""

from __future__ import annotations

import os
import sys
import time

from exitwrap.accounting.slurm import is_stepd

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
TERMINAL_SIGNALS = (_signal.SIGINT, _signal.SIGQUIT, _signal.SIGHUP, _signal.SIGWINCH, *STOPS)
# what does not end a process by default: arriving before the command starts, it cancels nothing
HARMLESS = (_signal.SIGCONT, _signal.SIGURG, _signal.SIGWINCH, *STOPS)
# Python sets these to SIG_IGN itself: whatever exitwrap's parent left, the child gets SIG_DFL
PYTHONS_OWN = (_signal.SIGPIPE, getattr(_signal, "SIGXFSZ", _signal.SIGPIPE))
SI_USER = 0  # Linux <asm-generic/siginfo.h>: sent by kill(2)
SI_KERNEL = 0x80  # sent by the kernel: a terminal's signal to its foreground group
# where a signal came from, as SignalSource.next tells it
FROM_KILL = 0  # kill(2) aimed at exitwrap: only exitwrap has it
FROM_TERMINAL = 1  # the terminal's foreground group has it (the child too, unless --group)
FROM_STEPD = 2  # slurmstepd sent it to every process of the Slurm step: the child has it
FROM_GROUP = (
    3  # the exitwrap above sent it to exitwrap's whole group (the child too, unless --group)
)
GROUP_SENDER_ENV = "EXITWRAP_GROUP_SENDER"  # that exitwrap's pid, set for its command


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
    """The blocked signals, taken one at a time: (number, where it came from) or None.

    Python's SIG_IGN for PIPE and XFSZ is set back to the default once they are
    blocked, so that one sent to exitwrap waits to be forwarded instead of
    vanishing; one exitwrap's own write raised is dropped.

    in_slurm: exitwrap runs inside a Slurm job, where slurmstepd may be the sender;
    group_sender: the pid of the exitwrap above that signals exitwrap's group as a whole.
    """

    extra_waited: tuple[int, ...] = ()  # what a subclass waits for besides
    not_forwarded: tuple[int, ...] = ()  # what a subclass keeps out of the forwarded ones

    def __init__(
        self,
        forwarded: tuple[int, ...],
        *,
        in_slurm: bool = False,
        group_sender: Optional[int] = None,
    ) -> None:
        self.forwarded = tuple(n for n in forwarded if n not in self.not_forwarded)
        self.in_slurm = in_slurm
        self.group_sender = group_sender
        self.waited = {*self.forwarded, _signal.SIGCHLD, *self.extra_waited}
        _signal.pthread_sigmask(_signal.SIG_BLOCK, self.waited)
        for number in PYTHONS_OWN:
            if number in self.waited:
                _signal.signal(number, _signal.SIG_DFL)

    def next(self, timeout: Optional[float]) -> Optional[tuple[int, int]]:
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
            if info.si_code == SI_KERNEL:
                return info.si_signo, FROM_TERMINAL
            if info.si_code == SI_USER and info.si_pid == self.group_sender:
                return info.si_signo, FROM_GROUP
            if self.in_slurm and info.si_code == SI_USER and is_stepd(info.si_pid):
                return info.si_signo, FROM_STEPD
            return info.si_signo, FROM_KILL

    def take_pending(self) -> list[tuple[int, int]]:
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

    extra_waited = (_signal.SIGALRM,)
    not_forwarded = (_signal.SIGALRM, *PYTHONS_OWN)  # the timer's; ignored, as Python left them

    def next(self, timeout: Optional[float]) -> Optional[tuple[int, int]]:
        if timeout is not None:
            if timeout <= 0 and not (_signal.sigpending() & self.waited - {_signal.SIGALRM}):
                return None
            _signal.setitimer(_signal.ITIMER_REAL, max(timeout, 1e-6))
        number = _signal.sigwait(self.waited)
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        if number == _signal.SIGALRM:
            return None
        terminal = number in TERMINAL_SIGNALS and _foreground_terminal_group()
        return number, FROM_TERMINAL if terminal else FROM_KILL


def signal_source(
    forwarded: tuple[int, ...], *, in_slurm: bool = False, group_sender: Optional[int] = None
) -> SignalSource:
    """The best source this platform has (SI_KERNEL and si_pid are Linux's: elsewhere a
    group's signal from the exitwrap above reaches a same-group child twice)."""
    if sys.platform.startswith("linux") and hasattr(_signal, "sigwaitinfo"):
        return SignalSource(forwarded, in_slurm=in_slurm, group_sender=group_sender)
    return PortableSignalSource(forwarded, in_slurm=in_slurm, group_sender=group_sender)
