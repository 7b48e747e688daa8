"""Statuses that shells report as words: rc's signal names and Plan 9 rc's wait messages.

Byron Rakitzis's rc sets ``$status`` to a signal's name after a death by
signal (``sigkill``, ``sigquit+core`` when a core was dumped) and to a list,
one entry per process, after a pipeline (``0 1`` as ``$"status`` prints it).
Plan 9's rc sets it to the child's wait message: the null string for
success, else what the child passed to ``exits()``; on Unix, 9base and
plan9port make that the exit code in decimal (``3``) or, after a signal,
``signal: `` and the note for it (``signal: sys: kill``), with
`` (core dumped)`` appended when a core was dumped; a pipeline's statuses are
joined with ``|`` (``|1``). The note names are 9base's table (lib9/await.c),
by signal name, since the numbers differ between systems.

Reading one gives the wait status it stands for, so reports, ``exitcodes
explain`` and the accounting read these words the same way.
"""

from __future__ import annotations

import signal

from exitwrap.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

RC_CORE_SUFFIX = "+core"
PLAN9_SIGNAL_PREFIX = "signal: "
PLAN9_CORE_SUFFIX = " (core dumped)"
PLAN9_SEPARATOR = "|"

# 9base's lib9/await.c: the note a Unix signal becomes in a Plan 9 wait message
PLAN9_NOTES: dict[str, str] = {
    "SIGHUP": "hangup",
    "SIGINT": "interrupt",
    "SIGQUIT": "quit",
    "SIGILL": "sys: illegal instruction",
    "SIGTRAP": "sys: breakpoint",
    "SIGABRT": "sys: abort",
    "SIGEMT": "sys: emulate instruction executed",
    "SIGFPE": "sys: fp: trap",
    "SIGKILL": "sys: kill",
    "SIGBUS": "sys: bus error",
    "SIGSEGV": "sys: segmentation violation",
    "SIGALRM": "alarm",
    "SIGTERM": "kill",
    "SIGURG": "sys: urgent condition on socket",
    "SIGSTOP": "sys: stop",
    "SIGTSTP": "sys: tstp",
    "SIGCONT": "sys: cont",
    "SIGCHLD": "sys: child",
    "SIGTTIN": "sys: ttin",
    "SIGTTOU": "sys: ttou",
    "SIGIO": "sys: i/o possible on fd",
    "SIGXCPU": "sys: cpu time limit exceeded",
    "SIGXFSZ": "sys: file size limit exceeded",
    "SIGVTALRM": "sys: virtual time alarm",
    "SIGPROF": "sys: profiling timer alarm",
    "SIGWINCH": "sys: window size change",
    "SIGINFO": "sys: status request",
    "SIGUSR1": "sys: usr1",
    "SIGUSR2": "sys: usr2",
    "SIGPIPE": "sys: write on closed pipe",
}
_BY_NOTE = {note: name for name, note in PLAN9_NOTES.items()}
_PLAN9_NUMBERED = "sys: signal "  # a signal the table does not name: "sys: signal 35"

RC = "rc"
PLAN9 = "plan9"
_MAX_EXIT_CODE = 255  # what a wait status keeps of an exit: a bigger number is no status word


def _exit_code(text: str) -> Optional[int]:
    return int(text) if text.isdigit() and int(text) <= _MAX_EXIT_CODE else None


class Word(Record):
    """One process's status as a shell spelled it, read back."""

    text: str
    spelling: str  # RC or PLAN9
    exit_code: Optional[int] = None  # set when the process exited
    signal_name: Optional[str] = None  # "SIGKILL" when it died of a signal
    core: bool = False
    signal_number: Optional[int] = None  # when the word gives the number ("sys: signal 40")

    def wait_status(self, numbers: dict[str, int]) -> Optional[int]:
        """The POSIX wait status it stands for, given a name -> number table; None if unknown."""
        if self.exit_code is not None:
            return (self.exit_code & 0xFF) << 8
        number = self.signal_number or numbers.get(self.signal_name or "")
        return None if number is None else number | (0x80 if self.core else 0)


def plan9_note(signal_name: str) -> str:
    """The note 9base writes for a signal (``sys: kill`` for SIGKILL)."""
    return PLAN9_NOTES.get(signal_name, signal_name)


def host_numbers() -> dict[str, int]:
    """This host's signal numbers by name."""
    return {s.name: int(s) for s in signal.Signals}


def _signal_name(name: str, numbers: dict[str, int]) -> Optional[str]:
    return name if name in numbers or name in PLAN9_NOTES else None


def _plan9_word(text: str, numbers: dict[str, int]) -> Optional[Word]:
    if text in ("", "''"):
        return Word(text, PLAN9, exit_code=0)
    if not text.startswith(PLAN9_SIGNAL_PREFIX):
        code = _exit_code(text)
        return None if code is None else Word(text, PLAN9, exit_code=code)
    note = text[len(PLAN9_SIGNAL_PREFIX) :]
    core = note.endswith(PLAN9_CORE_SUFFIX)
    note = note.removesuffix(PLAN9_CORE_SUFFIX)
    name = _BY_NOTE.get(note)
    if name is not None:
        return Word(text, PLAN9, signal_name=name, core=core)
    digits = note.removeprefix(_PLAN9_NUMBERED)
    if not (note.startswith(_PLAN9_NUMBERED) and digits.isdigit()):
        return None
    number = int(digits)
    name = next((n for n, v in numbers.items() if v == number), f"SIG{number}")
    return Word(text, PLAN9, signal_name=name, core=core, signal_number=number)


def _rc_word(text: str, numbers: dict[str, int]) -> Optional[Word]:
    code = _exit_code(text)
    if code is not None:
        return Word(text, RC, exit_code=code)
    core = text.endswith(RC_CORE_SUFFIX)
    name = text.removesuffix(RC_CORE_SUFFIX).upper()  # sigkill -> SIGKILL
    if not text.startswith("sig") or _signal_name(name, numbers) is None:
        return None
    return Word(text, RC, signal_name=name, core=core)


def read(text: str, numbers: Optional[dict[str, int]] = None) -> Optional[list[Word]]:
    """The statuses a shell's status text lists, in order; None when it is no such text.

    ``numbers`` is the signal table to know names by (the host's by default).
    A Plan 9 wait message, or a list of them joined with ``|``, is read as
    Plan 9 rc spells it; anything else as rc's space-separated list.
    """
    table = numbers if numbers is not None else host_numbers()
    text = text.strip()
    if PLAN9_SEPARATOR in text or text.startswith(PLAN9_SIGNAL_PREFIX) or text in ("", "''"):
        words = [_plan9_word(part, table) for part in text.split(PLAN9_SEPARATOR)]
    else:
        words = [_rc_word(part, table) for part in text.split()]
    if not words or any(word is None for word in words):
        return None
    return [word for word in words if word is not None]
