"""The interactive runner: a shell on a real pseudo-terminal, driven as a person would drive it.

Some statuses only exist at a terminal: Ctrl-C typed while a child runs in
the foreground reaches the child through the terminal's foreground process
group, not through kill(). This runner starts the shell interactively under a
pty (pexpect), types the scenario's command line, waits until the probe says
READY and its process group owns the terminal, types the control character,
waits until the probe has died of the signal, then types the status report
line and reads the shell's answer.

Nothing here waits on a prompt, whose text differs from shell to shell:
every step waits on a line the typed command prints and its echo cannot
match (``SYNC''DONE`` prints ``SYNCDONE``).
"""

from __future__ import annotations

import math
import os
import re
import signal
import time
from collections.abc import Mapping

from exitwrap.observe.cores import cores_off
from exitwrap.observe.observation import Observation
from exitwrap.observe.runner import SPAWN_LOCK, Limits
from exitwrap.shells.shell import Shell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

# the control character a terminal turns into each signal (termios defaults)
CONTROL_KEYS: Mapping[int, str] = {signal.SIGINT: "c", signal.SIGQUIT: "\\"}
SYNC_COMMAND = "echo SYNC''DONE"
SYNC_REPLY = "SYNCDONE"
TRANSCRIPT_CAP = 16 * 1024
# the status line is typed again when no answer comes in this long: a shell taking the terminal
# back from a job killed by a key may throw away what was typed meanwhile (ksh93 did, once, on a
# loaded machine: the line echoed, then only a new prompt); the first answer is the status
RETYPE_S = 1.0


class _Interrupted(Exception):
    """The session did not go as scripted: the reason is the cell's harness error."""


def default_signals() -> None:
    """What a login gives a terminal's shell: nothing ignored, nothing blocked."""
    for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _wait_foreground(terminal: int, pid: int, deadline: float) -> None:
    """Wait until the probe's group owns the terminal, so the key reaches the probe.

    A shell may print nothing between fork and tcsetpgrp; until its parent
    side has run, the key would go to the shell's own group (seen with
    ksh93 on a loaded machine: the probe never hears the key).
    """
    while time.monotonic() < deadline:
        try:
            if os.tcgetpgrp(terminal) == os.getpgid(pid):
                return
        except OSError as error:
            message = f"the probe (pid {pid}) is gone before the keystroke: {error}"
            raise _Interrupted(message) from None
        time.sleep(0.002)
    raise _Interrupted(f"the probe (pid {pid}) never became the terminal's foreground group")


def _wait_gone(pid: int, deadline: float) -> None:
    """Wait until the probe has died and been reaped by the shell."""
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)
    raise _Interrupted(f"the probe (pid {pid}) was still alive after the keystroke")


def run_interactive(
    shell: Shell, command: str, signal_number: int, env: Mapping[str, str], limits: Limits,
    marker: str,
) -> Observation:  # fmt: skip
    """Type command at the shell, interrupt it with the key for signal_number, read the status."""
    try:
        import pexpect  # noqa: PLC0415  (only interactive cells need it; no ptys on Windows)
    except ImportError:
        return Observation(error="interactive cells need pexpect and a POSIX pty")
    assert shell.path is not None
    cores_off()
    terminal_env = {**env, "ENV": "/dev/null", "HISTFILE": "/dev/null", "PS1": "$ "}
    started = time.perf_counter()
    deadline = time.monotonic() + limits.timeout_s
    with SPAWN_LOCK:  # in this process's own directory; no other cell's child gets the pty
        child = pexpect.spawn(
            shell.path, [*shell.spec.start_args, *shell.spec.interactive_flags], env=terminal_env,
            encoding="utf-8", codec_errors="replace", timeout=limits.timeout_s,
            preexec_fn=default_signals, dimensions=(24, 200),
        )  # fmt: skip
        os.set_inheritable(child.child_fd, False)  # noqa: FBT003  (os's own signature)
    child.delaybeforesend = None  # every step waits on output, not on a fixed pause
    child.delayafterclose = 0.0
    transcript: list[str] = []

    def expect(pattern: str, within: float = math.inf) -> str:
        child.timeout = max(min(deadline - time.monotonic(), within), 0.1)
        child.expect(pattern)
        transcript.append(f"{child.before}{child.after}")
        return str(child.after)

    status_line = f"echo {marker[:1]}''{marker[1:]}{shell.spec.dialect.status_variable}"
    try:
        child.sendline(SYNC_COMMAND)
        expect(SYNC_REPLY)
        child.sendline(command)
        pid = int(expect(r"READY (\d+)").split()[1])
        _wait_foreground(child.child_fd, pid, deadline)
        child.sendcontrol(CONTROL_KEYS[signal_number])
        expect(rf"CAUGHT {signal_number} \d+")
        _wait_gone(pid, deadline)
        answered: Optional[str] = None
        while answered is None:
            child.sendline(status_line)
            try:
                answered = expect(re.escape(marker) + r"[^\r\n]*", RETYPE_S)
            except pexpect.TIMEOUT:
                if time.monotonic() >= deadline:
                    raise
        inner: Optional[str] = answered[len(marker) :].strip()
        child.sendline("exit")
        child.expect(pexpect.EOF)
        transcript.append(str(child.before))
    except (pexpect.TIMEOUT, pexpect.EOF, _Interrupted) as problem:
        reason = "timed out" if isinstance(problem, pexpect.TIMEOUT) else "the session ended early"
        if isinstance(problem, _Interrupted):
            reason = str(problem)
        child.close(force=True)
        return Observation(
            stdout=_capped(transcript, str(child.before)), duration_s=time.perf_counter() - started,
            error=f"interactive session: {reason}",
        )  # fmt: skip
    child.close()
    return Observation(
        wait_status=child.status, inner=inner, stdout=_capped(transcript, ""),
        duration_s=time.perf_counter() - started,
    )  # fmt: skip


def _capped(transcript: list[str], tail: str) -> str:
    text = "".join(transcript) + tail
    return text if len(text) <= TRANSCRIPT_CAP else text[:TRANSCRIPT_CAP] + "\n[transcript cut]"
