"""What Microsoft documents for cmd and PowerShell, quoted from its reference pages.

cmd: the ``exit``, ``if`` and ``call`` pages of the Windows Commands
reference, the DelayedExpansion registry entry, and GetExitCodeProcess (how
a parent reads a child's 32-bit exit code, and why 259 is a bad one).
PowerShell: about_Pwsh and about_Automatic_Variables. Where Windows and
Wine's POSIX side see different numbers (a DWORD beyond 8 bits) the binding
entries stop at 255, and the rest of the cells are ``unspecified``.
"""

from __future__ import annotations

from typing import Optional

from harness.conventions.model import Convention, Expect, Source
from harness.scenarios import INNER, OUTER
from harness.scenarios_windows import STILL_ACTIVE

_COMMANDS = "https://learn.microsoft.com/windows-server/administration/windows-commands"
_PWSH_ABOUT = "https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about"
_GET_EXIT_CODE_PROCESS = (
    "https://learn.microsoft.com/windows/win32/api/processthreadsapi/"
    "nf-processthreadsapi-getexitcodeprocess"
)
_DELAYED_EXPANSION = (
    "https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2003/"
    "cc758866(v=ws.10)"
)
_EIGHT_BITS = (0, 255)  # where Windows' DWORD and Wine's Unix status agree

_EXIT = Source(
    "Windows Commands reference, exit",
    f"{_COMMANDS}/exit",
    "Specifies a numeric number. If /b is specified, the ERRORLEVEL environment variable is set "
    "to that number. If you are quitting the command interpreter, the process exit code is set "
    "to that number.",
)
_EXIT_VALUE = Source(
    "Win32 API reference, GetExitCodeProcess",
    _GET_EXIT_CODE_PROCESS,
    "If the process has terminated and the function succeeds, the status returned is one of the "
    "following values: The exit value specified in the ExitProcess or TerminateProcess function.",
)


def _rule(
    shell: str,
    slug: str,
    summary: str,
    scenarios: tuple[str, ...],
    layer: str,
    expect: Expect,
    source: Source,
    binding: bool = True,
    n_range: Optional[tuple[int, int]] = None,
) -> Convention:
    """An entry about one shell, with the id ``shell/slug``."""
    return Convention(
        f"{shell}/{slug}",
        summary,
        scenarios,
        layer,
        expect,
        source,
        (shell,),
        binding=binding,
        n_range=n_range,
    )


_IF_ERRORLEVEL = Source(
    "Windows Commands reference, if",
    f"{_COMMANDS}/if",
    "Specifies a true condition only if the previous program run by Cmd.exe returned an exit "
    "code equal to or greater than number.",
)

CMD_CONVENTIONS: tuple[Convention, ...] = (
    _rule(
        "cmd",
        "errorlevel-exit-value",
        "%ERRORLEVEL% after a child is the exit value it passed to ExitProcess (32 bits, signed)",
        ("exit/*", "cmd/still-active"),
        INNER,
        Expect("==", "N"),
        _EXIT_VALUE,
    ),
    _rule(
        "cmd",
        "still-active-259",
        "a child's exit code 259 is STILL_ACTIVE to GetExitCodeProcess callers",
        ("cmd/still-active",),
        INNER,
        Expect("==", str(STILL_ACTIVE)),
        Source(
            "Win32 API reference, GetExitCodeProcess",
            _GET_EXIT_CODE_PROCESS,
            "If a thread returns STILL_ACTIVE (259) as an error code, then applications that test "
            "for that value could interpret it to mean that the thread is still running, and "
            "continue to test for the completion of the thread after the thread has terminated, "
            "which could put the application into an infinite loop.",
        ),
        binding=False,
    ),
    _rule(
        "cmd",
        "not-found-9009",
        "a command cmd cannot find sets %ERRORLEVEL% to 9009 (observed on Windows, undocumented)",
        ("not-found",),
        INNER,
        Expect("==", "9009"),
        Source(
            "golang/go issue 7850 (an observation on Windows, not a Microsoft document)",
            "https://github.com/golang/go/issues/7850",
            "However when you run the attached .bat file, you will see that Windows reports this "
            "error as a 9009.",
        ),
        binding=False,
    ),
    _rule(
        "cmd",
        "exit-b-sets-errorlevel",
        "`call` of a batch file that runs `exit /b N` leaves %ERRORLEVEL% at N",
        ("cmd/exit-b-call/*",),
        INNER,
        Expect("==", "N"),
        _EXIT,
    ),
    _rule(
        "cmd",
        "exit-b-ends-cmd-with-n",
        "a batch file run without `call` ends cmd /c with its `exit /b N`",
        ("cmd/exit-b-direct/*",),
        OUTER,
        Expect("==", "N"),
        _EXIT,
        n_range=_EIGHT_BITS,
    ),
    _rule(
        "cmd",
        "if-errorlevel-true",
        "`IF ERRORLEVEL 3` holds after exit code N >= 3",
        ("cmd/if-errorlevel/*",),
        INNER,
        Expect("==", "1"),
        _IF_ERRORLEVEL,
        n_range=(3, 2**31 - 1),
    ),
    _rule(
        "cmd",
        "if-errorlevel-false",
        "`IF ERRORLEVEL 3` does not hold after exit code N < 3",
        ("cmd/if-errorlevel/*",),
        INNER,
        Expect("==", "0"),
        _IF_ERRORLEVEL,
        n_range=(-(2**31), 2),
    ),
    _rule(
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
    _rule(
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
    _rule(
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
    _rule(
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
    _rule(
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
