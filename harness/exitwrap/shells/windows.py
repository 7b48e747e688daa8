"""The Windows shells, cmd and PowerShell: their dialects and catalog entries.

cmd runs natively on Windows (``cmd.exe /d /c FILE.cmd``) and through Wine
elsewhere (platform ``wine``); either way it runs a generated batch file and
its children are Windows programs. PowerShell is ``pwsh`` (or Windows
PowerShell's ``powershell``) running a ``.ps1`` file with ``-File``, the
invocation whose exit code about_Pwsh documents.

cmd quoting has two layers: the program's C runtime splits its command line
by the CommandLineToArgvW rules (quotes, and backslashes before quotes),
then cmd itself must leave that line alone, so every cmd metacharacter is
escaped with ``^`` (quotes included, so cmd never enters quote mode) and
``%`` is doubled (inside a batch file ``%%`` is a literal ``%``). What this
cannot carry is refused: line breaks end a batch line, and only ASCII
survives both cmd's reading of the file and an ANSI program's argv.
Delayed expansion (``!VAR!``) is assumed off, as it is by default.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping

from exitwrap.platforms import host_platform
from exitwrap.record import replace
from exitwrap.shells import wine
from exitwrap.shells.dialects import Dialect
from exitwrap.shells.launchers import Host, Launcher
from exitwrap.shells.spec import ShellSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

_CMD_METACHARACTERS = frozenset('^&|<>()"!')
_PWSH_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"  # all of them end a '...' string


def crt_quote(arg: str) -> str:
    """One argument as the Microsoft C runtime (CommandLineToArgvW) splits it back out."""
    quoted = re.sub(r'(\\*)"', lambda m: m.group(1) * 2 + '\\"', arg)
    quoted = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, quoted)
    return f'"{quoted}"'


def _cmd_quote(arg: str) -> str:
    return "".join(
        "^" + c if c in _CMD_METACHARACTERS else "%%" if c == "%" else c for c in crt_quote(arg)
    )


def _cmd_refuse(arg: str) -> Optional[str]:
    if "\n" in arg or "\r" in arg:
        return "a line break ends a batch-file line"
    if not arg.isascii():
        return "only ASCII survives cmd's code page and an ANSI program's argv"
    return None


def _pwsh_quote(arg: str) -> str:
    return "'" + "".join(c * 2 if c in _PWSH_SINGLE_QUOTES else c for c in arg) + "'"


class WineHost(Host):
    """A Windows shell run through Wine, in the harness's own prefix (wine.py)."""

    name = "wine"

    def path(self, path: str) -> str:
        return wine.windows_path(path)

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        return wine.environment(env)

    def session(self, binary: str) -> contextlib.AbstractContextManager[None]:
        return wine.session(binary)


WINE = WineHost()

CMD = Dialect("cmd", "%ERRORLEVEL%", _cmd_quote, refuse=_cmd_refuse)
PWSH = Dialect("pwsh", "$LASTEXITCODE", _pwsh_quote, command_prefix="& ")

_BATCH_FILE = Launcher(".cmd", newline="\r\n", prologue="@echo off", windows_children=True)
_ON_WINDOWS = host_platform() == "windows"

CMD_NATIVE = ShellSpec(
    "cmd",
    CMD,
    ("cmd",),
    "Windows Commands reference (exit, if)",
    batch_flags=("/d", "/c"),
    takes_argv0=False,
    version_args=("/d", "/c", "ver"),
    version_pattern=r"Version ([\d.]+)",
    identity_pattern="Microsoft Windows",
    launcher=_BATCH_FILE,
)

# Wine's cmd: the binary is wine and cmd.exe's Windows path its first argument (never through
# start.exe: wine.CMD_EXE says why; after --version is asked: `wine cmd --version` would start
# cmd in the user's own prefix); the version is Wine's.
CMD_WINE = ShellSpec(
    "cmd",
    CMD,
    ("wine", "wine64"),
    "Windows Commands reference (exit, if), as Wine implements them",
    batch_flags=(wine.CMD_EXE, "/d", "/c"),
    takes_argv0=False,
    version_args=("--version",),
    version_pattern=r"^(wine-\S+)",
    identity_pattern=r"^wine-",
    launcher=replace(_BATCH_FILE, host=WINE),
    platform="wine",
)

PWSH_SPEC = ShellSpec(
    "pwsh",
    PWSH,
    ("pwsh", "powershell") if _ON_WINDOWS else ("pwsh",),
    "about_Pwsh and about_Automatic_Variables ($LASTEXITCODE)",
    batch_flags=("-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File"),
    takes_argv0=False,
    version_args=(
        "-NoProfile",
        "-NonInteractive",
        "-Command",
        "$PSVersionTable.PSVersion.ToString()",
    ),
    version_pattern=r"^(\d+\.\d+\S*)",
    identity_pattern=r"\d+\.\d+",
    # UTF-8 with a BOM: Windows PowerShell 5.1 reads a BOM-less script as ANSI.
    launcher=Launcher(".ps1", encoding="utf-8-sig"),
)

SHELLS: tuple[ShellSpec, ...] = (CMD_NATIVE if _ON_WINDOWS else CMD_WINE, PWSH_SPEC)
