"""What Microsoft documents for cmd and PowerShell, quoted from its reference pages.

cmd: the ``exit`` and ``if`` pages of the Windows Commands
reference, the DelayedExpansion registry entry, and GetExitCodeProcess (how
a parent reads a child's 32-bit exit code, and why 259 is a bad one).
PowerShell: about_Pwsh and about_Automatic_Variables. Where Windows and
Wine's POSIX side see different numbers (a DWORD beyond 8 bits) the binding
entries on the process's status stop at 255; how cmd ends is also judged on
the DWORD a Windows parent reads (``kind="dword"``, for every N a 32-bit
int holds), and what Linux sees of it under Wine is shown beside, from
Wine's source (``kind="wait"``, informational: Wine promises nothing).
"""

from __future__ import annotations

from exitwrap.conventions import sources
from exitwrap.conventions.builders import informational, rule
from exitwrap.conventions.model import Convention, Expect, Source
from exitwrap.scenarios.catalog import INNER, OUTER
from exitwrap.scenarios.windows import STILL_ACTIVE

_PWSH_ABOUT = "https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about"
_DELAYED_EXPANSION = (
    "https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2003/"
    "cc758866(v=ws.10)"
)
_EIGHT_BITS = (0, 255)  # where Windows' DWORD and Wine's Unix status agree
_INT32 = (-(2**31), 2**31 - 1)  # the numbers cmd reads as they are (it saturates the rest)
_DWORD_OF_N = "N&4294967295"  # the 32 bits of N: two's complement for a negative N
# Wine's get_unix_exit_code(): the low 8 bits, or 1 when those are 0 and the code is not
_WINE_UNIX_STATUS = "max(N&255, min(N&4294967295, 1))"
_WINDOWS_EXITS = ("shell-exit/*", "cmd/exit/*", "cmd/exit-b-direct/*")


CMD_CONVENTIONS: tuple[Convention, ...] = (
    rule(
        "cmd",
        "errorlevel-exit-value",
        "%ERRORLEVEL% after a child is the exit value it passed to ExitProcess (32 bits, signed)",
        ("exit/*", "cmd/still-active"),
        INNER,
        Expect("==", "N"),
        sources.EXIT_VALUE,
    ),
    informational(
        rule(
            "cmd",
            "still-active-259",
            "a child's exit code 259 is STILL_ACTIVE to GetExitCodeProcess callers",
            ("cmd/still-active",),
            INNER,
            Expect("==", str(STILL_ACTIVE)),
            sources.STILL_ACTIVE,
        )
    ),
    informational(
        rule(
            "cmd",
            "not-found-9009",
            "a command cmd cannot find sets %ERRORLEVEL% to 9009 (observed, not documented)",
            ("not-found",),
            INNER,
            Expect("==", "9009"),
            sources.CMD_9009,
        )
    ),
    rule(
        "cmd",
        "exit-b-sets-errorlevel",
        "`call` of a batch file that runs `exit /b N` leaves %ERRORLEVEL% at N",
        ("cmd/exit-b-call/*",),
        INNER,
        Expect("==", "N"),
        sources.CMD_EXIT,
    ),
    rule(
        "cmd",
        "exit-ends-cmd-with-n",
        "cmd's own `exit N`, or a batch file's `exit /b N` run without `call`, with "
        "0 <= N <= 255 ends cmd /c with status N",
        _WINDOWS_EXITS,
        OUTER,
        Expect("==", "N"),
        sources.CMD_EXIT,
        n_range=_EIGHT_BITS,
    ),
    rule(
        "cmd",
        "exit-sets-process-exit-code",
        "cmd's own `exit N`, or a batch file's `exit /b N` run without `call`, sets the "
        "process exit code to N, 32 bits (a negative N in two's complement), as a Windows "
        "parent reads it with GetExitCodeProcess",
        _WINDOWS_EXITS,
        OUTER,
        Expect("==", _DWORD_OF_N, kind="dword"),
        sources.CMD_EXIT,
        n_range=_INT32,
    ),
    informational(
        rule(
            "cmd",
            "wine-unix-exit-code",
            "under Wine, the Linux parent sees the exit code's low 8 bits, or 1 when those are "
            "0 and the code is not (256, 65536, -256 end as 1, not 0)",
            _WINDOWS_EXITS,
            OUTER,
            Expect("==", _WINE_UNIX_STATUS, kind="wait"),
            sources.WINE_EXIT,
            n_range=_INT32,
        )
    ),
    rule(
        "cmd",
        "if-errorlevel-true",
        "`IF ERRORLEVEL 3` holds after exit code N >= 3",
        ("cmd/if-errorlevel/*",),
        INNER,
        Expect("==", "1"),
        sources.DOS_IF_ERRORLEVEL,
        n_range=(3, 2**31 - 1),
    ),
    rule(
        "cmd",
        "if-errorlevel-false",
        "`IF ERRORLEVEL 3` does not hold after exit code N < 3",
        ("cmd/if-errorlevel/*",),
        INNER,
        Expect("==", "0"),
        sources.DOS_IF_ERRORLEVEL,
        n_range=(-(2**31), 2),
    ),
    rule(
        "cmd",
        "percent-expands-when-read",
        "%ERRORLEVEL% inside a ( ) block is the value from before the block",
        ("cmd/errorlevel-block/percent",),
        INNER,
        Expect("==", "0"),
        Source(
            "Windows Server 2003 registry reference, DelayedExpansion",
            _DELAYED_EXPANSION,
            "By default, Cmd.exe expands variables when it reads a line of text.",
        ),
    ),
    rule(
        "cmd",
        "delayed-expands-when-used",
        "!ERRORLEVEL! inside a ( ) block, with delayed expansion, is the current value",
        ("cmd/errorlevel-block/delayed",),
        INNER,
        Expect("==", "4"),
        Source(
            "Windows Server 2003 registry reference, DelayedExpansion",
            _DELAYED_EXPANSION,
            "Delayed expansion is supported. The system expands environment variables surrounded "
            "by exclamation points, such as !VAR!, only when they are used.",
        ),
    ),
)

PWSH_CONVENTIONS: tuple[Convention, ...] = (
    rule(
        "pwsh",
        "lastexitcode",
        "$LASTEXITCODE is the exit code of the last native program",
        ("exit/*",),
        INNER,
        Expect("==", "N"),
        Source(
            "about_Automatic_Variables, $LASTEXITCODE",
            f"{_PWSH_ABOUT}/about_automatic_variables",
            "Contains the exit code of the last native program or PowerShell script that ran.",
        ),
        n_range=_EIGHT_BITS,
    ),
    rule(
        "pwsh",
        "command-collapse",
        "under -Command, a last native command's code other than 0 or 1 becomes 1",
        ("pwsh/command-collapse",),
        INNER,
        Expect("==", "1"),
        Source(
            "about_Pwsh, -Command",
            f"{_PWSH_ABOUT}/about_pwsh",
            "If the last command is an external program or a PowerShell script that explicitly "
            "sets an exit code other than 0 or 1, that exit code is converted to 1 for process "
            "exit code.",
        ),
    ),
    rule(
        "pwsh",
        "file-exit",
        "a -File script's `exit N` is the process exit code",
        ("pwsh/file-exit/*",),
        OUTER,
        Expect("==", "N"),
        Source(
            "about_Pwsh, -File",
            f"{_PWSH_ABOUT}/about_pwsh",
            "When the script file terminates with an exit command, the process exit code is set "
            "to the numeric argument used with the exit command.",
        ),
        n_range=_EIGHT_BITS,
    ),
)

WINDOWS_CONVENTIONS: tuple[Convention, ...] = CMD_CONVENTIONS + PWSH_CONVENTIONS
