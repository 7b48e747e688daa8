"""Shell dialects: how to quote an argument and how to ask for the last status.

A dialect is the syntax a family of shells shares. Quoting must carry an
argument byte for byte; what a dialect cannot carry is refused with a reason
(``Unquotable``), never mangled. The status report is a line the harness
appends to an inner-layer script: a per-run marker followed by the shell's
own status variable, so the status can be read back exactly even when the
command writes to stdout.
"""

from __future__ import annotations

from exitwrap.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional


class Unquotable(ValueError):
    """The dialect has no way to carry this argument unchanged."""


def _posix_quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def _fish_quote(arg: str) -> str:
    return "'" + arg.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _rc_quote(arg: str) -> str:
    return "'" + arg.replace("'", "''") + "'"


def _csh_quote(arg: str) -> str:
    # csh history substitution sees '!' even inside quotes, and a newline
    # inside quotes needs a backslash; '\!' and '\<newline>' both survive
    # single quotes as the bare character.
    return "'" + arg.replace("'", "'\\''").replace("!", "\\!").replace("\n", "\\\n") + "'"


class Dialect(Record):
    """The syntax one family of shells shares."""

    name: str
    status_variable: str  # what a script reads the last status from
    _quote: Callable[[str], str]
    refuse: Callable[[str], Optional[str]] = lambda _arg: None
    separator: str = "\n"
    command_prefix: str = ""  # what makes a quoted word run as a command (pwsh: "& ")

    def quote(self, arg: str) -> str:
        if "\0" in arg:
            raise Unquotable(f"{self.name}: an argument cannot hold a NUL byte")
        reason = self.refuse(arg)
        if reason is not None:
            raise Unquotable(f"{self.name}: {reason}")
        return self._quote(arg)

    def command_line(self, argv: list[str]) -> str:
        """A command line that runs argv as a simple command."""
        return self.command_prefix + " ".join(self.quote(arg) for arg in argv)

    def with_status_report(self, script: str, marker: str) -> str:
        """The script followed by a line that prints ``marker`` and the last status."""
        return f"{script}{self.separator}echo {marker}{self.status_variable}"


def _plan9_refuse(arg: str) -> Optional[str]:
    if "\x01" in arg:
        return "Plan 9's rc marks glob characters with \\x01 and drops it from a word"
    return None


def _csh_refuse(arg: str) -> Optional[str]:
    if "\r" in arg:
        return "a carriage return does not survive csh quoting"
    return None


POSIX = Dialect("posix", "$?", _posix_quote)
FISH = Dialect("fish", "$status", _fish_quote)
RC = Dialect("rc", '$"status', _rc_quote)
# Plan 9's rc quotes as Byron's rc does and runs rc's scripts, but cannot carry \x01
PLAN9_RC = Dialect("plan9rc", '$"status', _rc_quote, refuse=_plan9_refuse)
CSH = Dialect("csh", "$status", _csh_quote, refuse=_csh_refuse)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (POSIX, FISH, RC, PLAN9_RC, CSH)}
# a dialect with no script of its own in a scenario runs the one written for this other dialect
SCRIPTS_FROM: dict[str, str] = {PLAN9_RC.name: RC.name}
