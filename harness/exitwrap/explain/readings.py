"""The rules that read one status under each convention, each reading with its source.

Each rule looks at the value (and the signal table in force) and yields
what the value means under its convention, or nothing when the convention
cannot produce that value. The tables the rules consult are data
(harness/exitwrap/explain/catalog.py); the rules only do the arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from exitwrap.conventions import sources
from exitwrap.conventions.model import Source
from exitwrap.explain import catalog
from exitwrap.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

WINDOWS = ("windows", "wine")
POSIX_PLATFORMS = ("linux", "macos", "wine")
WINDOWS_SHELLS = ("cmd", "pwsh")
_DWORD = 0xFFFFFFFF


class Interpretation(Record):
    """One reading of a status: under which convention, what it means, and who says so."""

    convention: str
    meaning: str
    source: Source
    shells: tuple[str, ...] = ()  # the shells this reading is about (--shell ranks it first)
    platforms: tuple[str, ...] = ()  # likewise for --platform

    def to_json(self) -> dict[str, object]:
        return {
            "convention": self.convention,
            "meaning": self.meaning,
            "source": self.source.to_json(),
        }


if TYPE_CHECKING:
    Rule = Callable[[int, Mapping[int, str]], Iterator[Interpretation]]


def unsigned(value: int) -> int:
    """The DWORD a 32-bit value is (-1 is 0xFFFFFFFF)."""
    return value & _DWORD


def signed(value: int) -> int:
    """The same 32 bits read as a signed int, as cmd's %ERRORLEVEL% prints them."""
    dword = unsigned(value)
    return dword - 2**32 if dword >= 2**31 else dword


def wine_unix_status(dword: int) -> int:
    """The exit status a Linux parent sees when a Windows process under Wine exits with dword."""
    dword = unsigned(dword)
    if dword and not dword & 0xFF:
        return 1
    return dword & 0xFF


def signal_text(number: int, signals: Mapping[int, str]) -> str:
    name = signals.get(number, f"signal {number}")
    hint = catalog.SIGNAL_HINTS.get(name)
    return f"{name}: {hint}" if hint else name


def exit_status(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if value == 0:
        yield Interpretation("posix/exit-status", "success", sources.ZERO_IS_SUCCESS)
    elif 0 < value <= 255:
        yield Interpretation(
            "posix/exit-status",
            f"failure: the program exited with status {value}",
            sources.ZERO_IS_SUCCESS,
        )


def fixed_meaning(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if value in catalog.FIXED:
        convention, meaning, source = catalog.FIXED[value]
        yield Interpretation(convention, meaning, source, platforms=POSIX_PLATFORMS)


def sysexits(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if value in catalog.SYSEXITS:
        name, comment = catalog.SYSEXITS[value]
        definition = f"#define {name} {value} /* {comment} */"
        yield Interpretation("sysexits", f"{name}: {comment}", sources.sysexits(definition))


def signal_death(value: int, signals: Mapping[int, str]) -> Iterator[Interpretation]:
    for base, convention, shells, source in catalog.SIGNAL_BASES:
        number = value - base
        if number in signals:
            yield Interpretation(
                convention,
                f"killed by signal {number}, {signal_text(number, signals)} ({base}+{number})",
                source,
                shells,
                POSIX_PLATFORMS,
            )


def python_returncode(value: int, signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if -value in signals:
        yield Interpretation(
            "python/returncode",
            f"Python's returncode: killed by signal {-value}, {signal_text(-value, signals)}",
            sources.PYTHON_RETURNCODE,
            platforms=POSIX_PLATFORMS,
        )


def ksh93_reraised(value: int, signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if signals.get(value) in catalog.SIGNAL_HINTS:  # the signals that commonly end a child
        yield Interpretation(
            "ksh93/reraise-wraps",
            f"a ksh93 script that ran `exit $?` after its child died of signal {value} "
            f"({signals[value]}): 256+{value} keeps only its low 8 bits",
            sources.KSH93_SIGNAL,
            ("ksh93",),
            POSIX_PLATFORMS,
        )


def eight_bit_wrap(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if not 0 <= value <= 255:
        yield Interpretation(
            "posix/8-bit-wrap",
            f"exit({value}) reaches a POSIX parent as {value & 0xFF} (the low 8 bits)"
            + (": a failure that looks like success" if value & 0xFF == 0 else ""),
            sources.XSH_EXIT,
            platforms=POSIX_PLATFORMS,
        )
        return
    also = [value - 256, value + 256, value + 512]
    yield Interpretation(
        "posix/8-bit-wrap",
        f"also what exit({also[0]}), exit({also[1]}) and exit({also[2]}) leave: "
        "only the low 8 bits reach a POSIX parent",
        sources.XSH_EXIT,
        platforms=POSIX_PLATFORMS,
    )


def slurm_display(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if 0 <= value <= 255:
        yield Interpretation(
            "slurm/exit-code",
            f"Slurm shows it as {value}:0 (exited, no signal)",
            sources.SLURM_SIGNAL,
        )
    else:
        yield Interpretation(
            "slurm/exit-code",
            f"Slurm shows a job that exited with it as {value & 0xFF}:0",
            sources.SLURM_UNSIGNED,
        )


def ntstatus(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    dword = unsigned(value)
    if dword in catalog.NTSTATUS:
        name, text = catalog.NTSTATUS[dword]
        yield Interpretation(
            "windows/ntstatus",
            f"{name} (0x{dword:08X} = {dword} unsigned = {signed(dword)} signed): {text}",
            sources.ntstatus(f"#define {name} ((NTSTATUS)0x{dword:08X}) /**< {text} */"),
            WINDOWS_SHELLS,
            WINDOWS,
        )


def windows_dword(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if value < 0 or value > 255:
        dword = unsigned(value)
        yield Interpretation(
            "windows/dword",
            f"a Windows exit code 0x{dword:08X}: GetExitCodeProcess returns {dword}, "
            f"cmd's %ERRORLEVEL% shows {signed(dword)}",
            sources.WINDOWS_SIGNED,
            WINDOWS_SHELLS,
            WINDOWS,
        )


def windows_special(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if value == catalog.STILL_ACTIVE:
        yield Interpretation(
            "windows/still-active",
            "STILL_ACTIVE: a parent polling GetExitCodeProcess takes a child that exited 259 "
            "for one still running",
            sources.STILL_ACTIVE,
            WINDOWS_SHELLS,
            WINDOWS,
        )
    if value == catalog.CMD_NOT_FOUND:
        yield Interpretation(
            "cmd/not-found-9009",
            'cmd: the command was not found ("is not recognized as an internal or external '
            'command")',
            sources.CMD_9009,
            ("cmd",),
            WINDOWS,
        )


def wine(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if value < 0 or value > 255:
        yield Interpretation(
            "wine/unix-status",
            f"a Windows program under Wine that exits with it: Linux sees exit status "
            f"{wine_unix_status(value)} (the low 8 bits, or 1 when they are 0)",
            sources.WINE_EXIT,
            ("cmd",),
            ("wine",),
        )
        return
    causes = [
        f"{name} (0x{dword:08X})"
        for dword, (name, _) in catalog.NTSTATUS.items()
        if value and wine_unix_status(dword) == value
    ]
    if value == 1:
        causes.insert(0, "any exit code whose low 8 bits are 0 (256, 512, ...)")
    if causes:
        yield Interpretation(
            "wine/unix-status",
            f"under Wine, also what a Windows exit code becomes on Linux: {', '.join(causes)}",
            sources.WINE_EXIT,
            ("cmd",),
            ("wine",),
        )


def dos_errorlevel(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if 0 < value <= 255:
        yield Interpretation(
            "dos/if-errorlevel",
            f"`IF ERRORLEVEL n` is true for every n <= {value}: test the highest first",
            sources.DOS_IF_ERRORLEVEL,
            ("cmd",),
            ("windows",),
        )


def openvms(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    condition = unsigned(value)
    severity = condition & 7
    outcome = "success" if condition & 1 else "failure"
    name = catalog.OPENVMS_SEVERITY.get(severity, "reserved")
    yield Interpretation(
        "openvms/condition",
        f"an OpenVMS condition value: {outcome} (severity {severity}, {name})",
        sources.OPENVMS,
    )


def amigaos(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    if value in catalog.AMIGAOS_LEVELS:
        yield Interpretation(
            "amigaos/return-level",
            f"AmigaOS return level {catalog.AMIGAOS_LEVELS[value]}",
            sources.AMIGAOS,
        )


def plan9(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    meaning = (
        "Plan 9: an empty exit string, success"
        if value == 0
        else "Plan 9 has no numeric status: a process exits with a string, and any non-empty "
        "string is a failure"
    )
    yield Interpretation("plan9/exit-string", meaning, sources.PLAN9)


def c_macros(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    names = {0: "EXIT_SUCCESS", 1: "EXIT_FAILURE"}
    if value in names:
        yield Interpretation(
            "c/exit-macros", f"C's {names[value]} on Unix-like systems", sources.C_MACROS
        )


def java(value: int, _signals: Mapping[int, str]) -> Iterator[Interpretation]:
    outcome = "normal termination" if value == 0 else "abnormal termination"
    yield Interpretation(
        "java/system-exit", f"Java's System.exit({signed(value)}): {outcome}", sources.JAVA_EXIT
    )


RULES: tuple[Rule, ...] = (
    exit_status,
    fixed_meaning,
    sysexits,
    signal_death,
    python_returncode,
    ksh93_reraised,
    eight_bit_wrap,
    slurm_display,
    ntstatus,
    windows_dword,
    windows_special,
    wine,
    dos_errorlevel,
    c_macros,
    java,
    amigaos,
    openvms,
    plan9,
)
