"""cmd's and PowerShell's scenarios, as data that catalog.py beside it builds into the catalog.

The shared scenarios get scripts in the ``cmd`` and ``pwsh`` dialects; the
shells' own behaviour gets scenarios under their prefix. cmd scripts run as
a batch file (harness/exitwrap/shells/launchers.py); a helper batch file a scenario
needs is written by the script itself next to it (``%~dp0``), so every
script shown in a report is the whole story. Layers are spelled as
harness/exitwrap/scenarios/catalog.py spells them (that module imports this one).
"""

from __future__ import annotations

from collections.abc import Mapping

from exitwrap.record import Record
from exitwrap.scenarios.values import EXIT_VALUES, WIDE_EXIT_VALUES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

INNER = "inner"
OUTER = "outer"
DIALECTS = ("cmd", "pwsh")

EXIT = {"cmd": "{probe} exit {N}", "pwsh": "& {probe} exit {N}"}
SIGNAL = {"pwsh": "& {probe} signal {N}"}
SHELL_EXIT = {"cmd": "exit {N}"}  # cmd's own exit, in the batch file cmd /c runs

EXIT_B_VALUES = (0, 1, 42, 255, 256, -1)
# a batch file's exit /b N as the process's exit code: every value shell-exit/N runs, and wider
EXIT_B_DIRECT_VALUES = tuple(dict.fromkeys(EXIT_B_VALUES + EXIT_VALUES + WIDE_EXIT_VALUES))
IF_ERRORLEVEL_VALUES = (2, 3, 4, 256, -1)
FILE_EXIT_VALUES = EXIT_B_VALUES
STILL_ACTIVE = 259

_WRITE_CHILD = '> "%~dp0child.cmd" echo @exit /b {N}\n'
_WRITE_LAST_FAILS = '> "%~dp0last.cmd" echo @{probe} exit 3\n'


class Family(Record):
    """Scenarios ``family/N`` for N in values."""

    family: str
    values: tuple[int, ...]
    layer: str
    scripts: Mapping[str, str]
    summary: str


class Single(Record):
    id: str
    family: str
    layer: str
    scripts: Mapping[str, str]
    summary: str
    n: Optional[int] = None


FAMILIES: tuple[Family, ...] = (
    Family(
        "cmd/exit",
        WIDE_EXIT_VALUES,
        OUTER,
        {"cmd": "exit {N}"},
        "cmd's own `exit {N}`, a 32-bit exit code beyond those shell-exit/N tries; how cmd ends",
    ),
    Family(
        "cmd/exit-b-direct",
        EXIT_B_DIRECT_VALUES,
        OUTER,
        {"cmd": _WRITE_CHILD + '"%~dp0child.cmd"'},
        "a batch file runs `exit /b {N}` and is run without `call`; how cmd ends",
    ),
    Family(
        "cmd/exit-b-call",
        EXIT_B_VALUES,
        INNER,
        {"cmd": _WRITE_CHILD + 'call "%~dp0child.cmd"'},
        "a batch file runs `exit /b {N}` and is run with `call`; %ERRORLEVEL% after it",
    ),
    Family(
        "cmd/if-errorlevel",
        IF_ERRORLEVEL_VALUES,
        INNER,
        {"cmd": "{probe} exit {N}\nif errorlevel 3 ({probe} exit 1) else ({probe} exit 0)"},
        "a child exits {N}, then `IF ERRORLEVEL 3` picks exit 1 (true) or exit 0 (false)",
    ),
    Family(
        "pwsh/file-exit",
        FILE_EXIT_VALUES,
        OUTER,
        {"pwsh": "exit {N}"},
        "a `pwsh -File` script runs `exit {N}`; how pwsh ends",
    ),
)

SINGLES: tuple[Single, ...] = (
    Single(
        "cmd/errorlevel-block/percent",
        "cmd/errorlevel-block",
        INNER,
        {"cmd": "(\n{probe} exit 4\n{probe} exit %ERRORLEVEL%\n)"},
        "inside one ( ) block a child exits 4, then a child exits %ERRORLEVEL%",
    ),
    Single(
        "cmd/errorlevel-block/delayed",
        "cmd/errorlevel-block",
        INNER,
        {"cmd": "setlocal EnableDelayedExpansion\n(\n{probe} exit 4\n{probe} exit !ERRORLEVEL!\n)"},
        "with delayed expansion, inside one ( ) block a child exits 4, then exits !ERRORLEVEL!",
    ),
    Single(
        "cmd/batch-last-fails/direct",
        "cmd/batch-last-fails",
        OUTER,
        {"cmd": _WRITE_LAST_FAILS + '"%~dp0last.cmd"'},
        "a batch file whose last command exits 3 is run without `call`; how cmd ends",
    ),
    Single(
        "cmd/batch-last-fails/call",
        "cmd/batch-last-fails",
        INNER,
        {"cmd": _WRITE_LAST_FAILS + 'call "%~dp0last.cmd"'},
        "a batch file whose last command exits 3 is run with `call`; %ERRORLEVEL% after it",
    ),
    Single(
        "cmd/still-active",
        "cmd/still-active",
        INNER,
        {"cmd": f"{{probe}} exit {STILL_ACTIVE}"},
        f"a child exits {STILL_ACTIVE}, the value GetExitCodeProcess uses for STILL_ACTIVE",
        STILL_ACTIVE,
    ),
    Single(
        "pwsh/command-collapse",
        "pwsh/command-collapse",
        INNER,
        {
            "pwsh": "& (Get-Process -Id $PID).Path -NoProfile -NonInteractive "
            "-Command { & $args[0] exit 5 } -args {probe}"
        },
        "a nested `pwsh -Command` whose last command is a child exiting 5; $LASTEXITCODE",
    ),
)
