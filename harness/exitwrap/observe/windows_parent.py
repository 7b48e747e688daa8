"""Both layers of a Windows program's exit under Wine: the Linux wait status and the DWORD.

Under Wine a Windows process is also a Linux process. Its Linux parent gets
a wait status that Wine derives from the 32-bit exit code
(get_unix_exit_code in Wine's ntdll: the low 8 bits, or 1 when those are 0
and the code is not); a Windows parent gets the code itself from
GetExitCodeProcess. The harness is the Linux parent; for the Windows one,
the same command line runs a second time under the Windows probe's
``spawn`` mode (fixtures/probe.c), which starts it with CreateProcess, waits,
and prints ``EXITCODE <n>``. The cell keeps both: ``wait_status`` from the
first run, ``dword`` from the second. On Windows itself the runner reads the
DWORD directly and there is no wait status.

Wine's CreateProcess now and then fails with ERROR_INTERNAL_ERROR (1359)
while other Wine processes start and stop around it (seen once in six full
matrices here): the command never started, so the parent tries again, up to
``ATTEMPTS`` times; any other failure is the cell's error at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from exitwrap.observe.observation import Observation
from exitwrap.observe.runner import Limits, run
from exitwrap.observe.windows_probe import windows_probe
from exitwrap.record import replace
from exitwrap.shells.launchers import NATIVE, Launch
from exitwrap.shells.shell import Shell
from exitwrap.shells.windows import crt_quote
from exitwrap.status import parse_int

EXITCODE_MARKER = "EXITCODE "
ATTEMPTS = 3
_TRANSIENT = "CreateProcess failed (error 1359)"  # ERROR_INTERNAL_ERROR: nothing was started
_PLAIN_ARGUMENT = frozenset(' \t"')


def windows_command_line(argv: Sequence[str]) -> str:
    """argv as one Windows command line: arguments that need quotes get them (CRT rules).

    A plain argument stays bare: cmd reads its own switches (``/d``, ``/c``)
    from the raw line and would not take a quoted one for a switch.
    """
    return " ".join(
        arg if arg and not _PLAIN_ARGUMENT.intersection(arg) else crt_quote(arg) for arg in argv
    )


def runs_under_wine(shell: Shell) -> bool:
    """A Windows shell run through a host that translates for it (Wine), not natively."""
    launcher = shell.spec.launcher
    return launcher.windows_children and launcher.host is not NATIVE


def with_windows_exit_code(
    shell: Shell, launch: Launch, observation: Observation, limits: Limits
) -> Observation:
    """observation with the DWORD a Windows parent reads, when the shell runs under Wine.

    ``launch.argv`` is Wine's command line (``wine cmd /d /c FILE``); the
    probe runs everything after ``wine`` as a Windows command line. Failing
    to read the DWORD is the harness's failure: the cell becomes an error.
    """
    if not runs_under_wine(shell) or observation.error is not None:
        return observation
    probe = shell.native_path(str(windows_probe()))
    argv = [launch.argv[0], probe, "spawn", windows_command_line(launch.argv[1:])]
    for _attempt in range(ATTEMPTS):
        parent = run(argv, launch.env, limits=limits, marker=EXITCODE_MARKER)
        if _TRANSIENT not in parent.stderr:
            break
    value = parse_int(parent.inner)
    if parent.error is not None or value is None:
        why = parent.error or (parent.stderr.strip().splitlines() or [_silent(parent)])[-1]
        return replace(observation, error=f"the Windows exit code was not read: {why}")
    return replace(observation, dword=value)


def _silent(parent: Observation) -> str:
    """Why a parent that printed nothing gave no code: how it ended is all there is to go on."""
    outer = parent.outer
    ended = "" if outer is None else f"; the parent {outer.kind} {outer.value}"
    return f"no EXITCODE line and nothing on stderr{ended}"
