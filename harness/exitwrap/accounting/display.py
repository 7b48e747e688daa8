"""Slurm 22.05's text forms of times, durations, sizes, exit codes, states and reasons.

Each function names the Slurm routine whose output it reproduces:
slurm_make_time_str (dates, in the form $SLURM_TIME_FORMAT asks for),
secs2time_str (Elapsed, RunTime, Timelimit), sacct's _elapsed_time (CPU
times), convert_num_unit (MaxRSS), and the ``code:signal`` pair scontrol and
sacct print. A ``View`` carries what the caller's environment and options
say about the form. Imports stay lean: sacct's start-up is measured against
a bare interpreter.
"""

# ruff: noqa: PLC0415  (lazy imports: only the outputs that need them pay for them)

from __future__ import annotations

import time

from exitwrap.accounting import states
from exitwrap.status import Termination

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Optional

UNKNOWN = "Unknown"
UNLIMITED = "UNLIMITED"
TIME_FORMAT_ENV = "SLURM_TIME_FORMAT"
STANDARD = "%Y-%m-%dT%H:%M:%S"  # Slurm's %FT%T
_FORMAT_SIZE = 32  # slurm_make_time_str's buffer for a format of one's own
_SIGNAL_BASE = 128  # sacct's PRINT_EXITCODE: "if (tmp_int >= 128) tmp_int -= 128"
_UNITS = "KMGTP"  # convert_num_unit's suffixes from kibibytes up
_ENDING_REASONS = {
    states.TIMEOUT: states.REASON_TIME_LIMIT,
    states.NODE_FAIL: states.REASON_NODE_DOWN,
}
_SAFE_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")


def printable(text: str) -> str:
    """What a terminal would act on shown as '?', as ls -q does: control characters (a
    newline in a comment, C1's CSI and OSC), bidirectional overrides (U+202E), line and
    paragraph separators, any character that is not printable: a value must never change
    a table's shape, nor what the lines around it look like. --json keeps every byte."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else "?" for char in text)


class View:
    """How records are shown: the dates' form (SLURM_TIME_FORMAT's), exit codes as Slurm
    22.05 prints them (``slurm_codes``), and sacct -T's window that start and end are cut to."""

    __slots__ = ("slurm_codes", "time_format", "truncate")

    def __init__(
        self,
        *,
        time_format: str = STANDARD,
        slurm_codes: bool = False,
        truncate: Optional[tuple[float, float]] = None,
    ) -> None:
        self.time_format = time_format  # a strftime format, or "relative"
        self.slurm_codes = slurm_codes
        self.truncate = truncate


def make_view(
    environ: Mapping[str, str],
    *,
    slurm_codes: bool = False,
    truncate: Optional[tuple[float, float]] = None,
) -> tuple[View, Optional[str]]:
    """The view the caller's environment asks for, and a warning about it, if any."""
    form, warning = time_format(environ.get(TIME_FORMAT_ENV))
    return View(time_format=form, slurm_codes=slurm_codes, truncate=truncate), warning


def time_format(setting: Optional[str]) -> tuple[str, Optional[str]]:
    """SLURM_TIME_FORMAT as slurm_make_time_str reads it: ``standard`` (or unset),
    ``relative``, or a strftime format with a %; anything else is standard with a warning."""
    if not setting or setting == "standard":
        return STANDARD, None
    if setting == "relative":
        return setting, None
    if "%" not in setting or len(setting) >= _FORMAT_SIZE:
        return STANDARD, f"invalid {TIME_FORMAT_ENV} = '{setting}'"
    return setting, None


def _relative(moment: time.struct_time, now: float) -> str:
    """_relative_date_fmt: the form by the distance in days from today."""
    today = time.localtime(now)
    distance = (moment.tm_year - today.tm_year) * 1000 + moment.tm_yday - today.tm_yday
    if distance == -1:
        return "Ystday %H:%M"
    if distance == 0:
        return "%H:%M:%S"
    if distance == 1:
        return "Tomorr %H:%M"
    if abs(distance) > 365:
        return "%-d %b %Y"
    if distance < -1 or distance > 6:
        return "%-d %b %H:%M"
    return "%a %H:%M"


def date(epoch: Optional[float], view: Optional[View] = None) -> str:
    """slurm_make_time_str: local time in the view's form (``YYYY-MM-DDTHH:MM:SS``), or
    Unknown."""
    if not epoch:
        return UNKNOWN
    moment = time.localtime(epoch)
    form = STANDARD if view is None else view.time_format
    if form == "relative":
        form = _relative(moment, time.time())
    return time.strftime(form, moment)


def duration(seconds: Optional[int]) -> Optional[str]:
    """secs2time_str: ``[D-]HH:MM:SS``."""
    if seconds is None:
        return None
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{days}-{clock}" if days else clock


def elapsed(start: float, end: Optional[float], *, running: bool) -> Optional[int]:
    """Whole seconds from start to end (to now while running); None when the end is unknown."""
    if end is None:
        if not running:
            return None
        end = time.time()
    return int(end) - int(start)


def cpu_time(seconds: Optional[float]) -> Optional[str]:
    """sacct's _elapsed_time: ``[D-]HH:MM:SS``, or ``MM:SS.mmm`` under an hour."""
    if seconds is None:
        return None
    whole = int(seconds)
    millis = round((seconds - whole) * 1_000_000) // 1000
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}-{hours:02d}:{minutes:02d}:{secs:02d}"
    if hours:
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if millis:
        return f"{minutes:02d}:{secs:02d}.{millis:03d}"
    return f"00:{minutes:02d}:{secs:02d}"


def size_kib(kib: Optional[int]) -> Optional[str]:
    """convert_num_unit from kibibytes: ``900K``, ``2.72M``, ``1G``."""
    if kib is None:
        return None
    if kib == 0:
        return "0"
    value, unit = float(kib), 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    text = f"{int(value)}" if value == int(value) else f"{value:.2f}"
    return text + _UNITS[unit]


def code(wait_status: Optional[int]) -> Optional[str]:
    """``code:signal`` (``7:0``, ``0:9``), or None when nothing was observed."""
    if wait_status is None:
        return None
    return Termination.from_wait_status(wait_status).slurm


def as_sacct(wait_status: int, start_errno: Optional[int]) -> int:
    """The wait status Slurm 22.05's sacct shows for an ExitCode: a command that could not
    start exited with its exec's errno (slurmstepd's _exit(errno)), and 128 is taken off a
    code of 128 or more (print.c, PRINT_EXITCODE)."""
    if start_errno is not None:
        return (start_errno & 0xFF) << 8
    if not states.is_signaled(wait_status) and wait_status >> 8 >= _SIGNAL_BASE:
        return wait_status - (_SIGNAL_BASE << 8)
    return wait_status


def limit(seconds: Optional[float]) -> str:
    """A time limit as sacct's Timelimit prints it: UNLIMITED, or whole seconds as
    secs2time_str does (Slurm's own limits are whole minutes)."""
    if not seconds:
        return UNLIMITED
    return duration(-(-int(seconds * 1000) // 1000)) or UNLIMITED


def limit_minutes(seconds: Optional[float]) -> str:
    """TimelimitRaw: the limit in minutes (rounded up, as Slurm rounds a -t), or UNLIMITED."""
    if not seconds:
        return UNLIMITED
    return str(-(-int(seconds) // 60))


def state(name: str, cancel_uid: Optional[int]) -> str:
    """The State column: ``CANCELLED by UID`` names who cancelled (sacct cuts it to CANCELLED+)."""
    if name == states.CANCELLED and cancel_uid is not None:
        return f"{name} by {cancel_uid}"
    return name


def reason(name: str, wait_status: Optional[int], stored: Optional[str]) -> str:
    """Why a job ended so: Slurm's job_reason_string, with the signal's strsignal text."""
    if stored:
        return stored
    if name == states.FAILED and wait_status is not None:
        if states.is_signaled(wait_status):
            from exitwrap.signal_names import description

            number = wait_status & 0x7F
            return f"RaisedSignal:{number}({description(number)})"
        return states.REASON_NON_ZERO
    return _ENDING_REASONS.get(name, states.REASON_NONE)


def _plain(word: str) -> bool:
    return bool(word) and set(word) <= _SAFE_WORD


def command_line(stored: Optional[str]) -> Optional[str]:
    """The recorded argv (NUL-joined) as a POSIX shell would take it back."""
    if stored is None:
        return None
    words = stored.split("\0")
    if all(_plain(word) for word in words):
        return " ".join(words)
    from exitwrap.shells.dialects import POSIX

    return " ".join(word if _plain(word) else POSIX.quote(word) for word in words)
