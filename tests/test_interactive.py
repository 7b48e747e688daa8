"""exitwrap at a real terminal (pexpect, a pty) under bash, ksh93, zsh, mksh and dash.

Ctrl-C typed at the terminal reaches the child through its process group:
exitwrap must not deliver it a second time. The probe (``catch SIG GRACE``)
says READY, counts the signals it gets until GRACE ms after the first, says
CAUGHT, then dies of the signal. What a shell reports for a SIGINT death is
observed by running the probe without exitwrap first, never assumed.

The traps of driving an interactive shell: no rc files (``--norc``, ``-f``,
``ENV=/dev/null``), bracketed paste off (bash: an INPUTRC; zsh:
``unset zle_bracketed_paste``), a prompt that the echo of a typed line
cannot match, and INT/QUIT at their defaults in the shell (a test runner
may have started with them ignored, and shells keep what was ignored).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from exitwrap.observe.interactive import default_signals
from exitwrap.observe.probe import ProbeKit
from exitwrap.shells.shell import Shell
from tests.conftest import shell_params
from tests.wrap_helpers import EXITWRAP as EXITWRAP_ARGV
from tests.wrap_helpers import proc_fields, sh_quote

pytestmark = pytest.mark.interactive

INTERACTIVE_SHELLS = ["bash", "ksh93", "zsh", "mksh", "dash"]
PROMPT = "ew-ready> "
SET_PROMPT = "PS1='ew-ready''> '"  # its echo cannot match PROMPT
GRACE_MS = "500"
TIMEOUT_S = 90  # a loaded 2-core machine: generous, and nothing waits this long when all is well
EXITWRAP = sh_quote(EXITWRAP_ARGV)


def _command(shell: Shell) -> list[str]:
    assert shell.path is not None
    flags = {"bash": ["--norc", "--noprofile", "-i"], "zsh": ["-f", "-i"]}
    return [shell.path, *flags.get(shell.name, ["-i"])]


class Terminal:
    """One interactive shell on a pty, at its prompt between commands."""

    def __init__(self, shell: Shell, home: Path) -> None:
        inputrc = home / "inputrc"
        inputrc.write_text("set enable-bracketed-paste off\n")
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(home),
            "ENV": "/dev/null",
            "INPUTRC": str(inputrc),
            "HISTFILE": "/dev/null",
            "TERM": "dumb",
            "LC_ALL": "C.UTF-8",
            "PS1": PROMPT,
            "EXITWRAP_DB": os.environ.get("EXITWRAP_DB", "off"),
        }
        command = _command(shell)
        self.child = pexpect.spawn(command[0], command[1:], env=env, encoding="utf-8",
                                   codec_errors="replace", timeout=TIMEOUT_S,
                                   preexec_fn=default_signals, dimensions=(24, 200))  # fmt: skip
        if shell.name == "zsh":
            self.child.sendline("unset zle_bracketed_paste")
        self.child.sendline(SET_PROMPT)
        self.sync()

    def sync(self) -> None:
        """Wait until the shell has read everything sent so far and shows its prompt."""
        self.child.sendline("echo SYNC''DONE")
        self.child.expect_exact("SYNCDONE")
        self.child.expect_exact(PROMPT)

    def start(self, line: str, ready: str = "READY") -> str:
        """Type a command line; return the line the program says when it is ready."""
        self.child.sendline(line)
        self.child.expect(ready + r"[^\r\n]*")
        return str(self.child.after).strip()

    def expect_line(self, pattern: str) -> str:
        self.child.expect(pattern + r"[^\r\n]*")
        return str(self.child.after).strip()

    def status(self) -> int:
        """$? of the last command, once the prompt is back."""
        self.child.expect_exact(PROMPT)
        self.child.sendline('echo "STATUS:$?"')
        value = int(self.expect_line(r"STATUS:\d+").split(":")[1])
        self.child.expect_exact(PROMPT)
        return value

    def close(self) -> None:
        self.child.sendline("exit")
        self.child.close(force=True)


@pytest.fixture(params=shell_params(INTERACTIVE_SHELLS))
def terminal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Terminal]:
    session = Terminal(request.param, tmp_path)
    try:
        yield session
    finally:
        session.close()


def _catch(kit: ProbeKit, number: int, *options: str) -> str:
    wrapper = f"{EXITWRAP} {' '.join(options)} " if options is not None else ""
    return f"{wrapper}{kit.probe} catch {number} {GRACE_MS}"


def _ctrl_c_once(terminal: Terminal, line: str) -> int:
    """Run line, type Ctrl-C once it is ready; the probe must count exactly one SIGINT."""
    terminal.start(line)
    terminal.child.sendcontrol("c")
    assert terminal.expect_line("CAUGHT") == "CAUGHT 2 1"
    return terminal.status()


def test_ctrl_c_reaches_the_child_once_and_status_is_130(terminal: Terminal, kit: ProbeKit) -> None:
    assert _ctrl_c_once(terminal, _catch(kit, 2)) == 130


def test_ctrl_c_with_reraise_is_what_the_shell_reports_for_a_sigint_death(
    terminal: Terminal, kit: ProbeKit
) -> None:
    observed = _ctrl_c_once(terminal, f"{kit.probe} catch 2 {GRACE_MS}")  # no exitwrap
    assert _ctrl_c_once(terminal, _catch(kit, 2, "--signal-style=reraise")) == observed


def test_ctrl_c_in_group_mode_reaches_the_child_through_the_terminal(
    terminal: Terminal, kit: ProbeKit
) -> None:
    assert _ctrl_c_once(terminal, _catch(kit, 2, "--group")) == 130


def test_window_size_change_reaches_the_child_once(terminal: Terminal, kit: ProbeKit) -> None:
    terminal.start(_catch(kit, int(signal.SIGWINCH)))
    terminal.child.setwinsize(30, 120)
    assert terminal.expect_line("CAUGHT") == f"CAUGHT {int(signal.SIGWINCH)} 1"
    assert terminal.status() == 0  # SIGWINCH cannot kill: the probe exits 0


def _parent(pid: int) -> int:
    fields = proc_fields(pid)
    assert fields is not None, f"process {pid} is gone"
    return int(fields[1])


def test_sigterm_to_exitwrap_reaches_the_child_and_exits_143(
    terminal: Terminal, kit: ProbeKit
) -> None:
    ready = terminal.start(_catch(kit, int(signal.SIGTERM)))
    os.kill(_parent(int(ready.split()[1])), signal.SIGTERM)  # exitwrap is the probe's parent
    assert terminal.expect_line("CAUGHT") == "CAUGHT 15 1"
    assert terminal.status() == 143


def test_child_ignoring_term_is_killed_after_kill_after(terminal: Terminal, kit: ProbeKit) -> None:
    terminal.child.sendline(f"{EXITWRAP} --timeout 0.3 --kill-after 0.3 {kit.probe} sleep 60 15")
    assert terminal.status() == 124


@pytest.mark.parametrize("group", [True, False], ids=["own-group", "same-group"])
def test_job_control_stop_and_resume(terminal: Terminal, *, group: bool) -> None:
    # without --group exitwrap gets the terminal's SIGTSTP too; it forwards the stops it is
    # sent, so this one it must take as the terminal's and stop itself for the shell to see
    script = 'echo RE""ADY; read line; echo "G""OT:$line"'  # fg echoes the line: no match in it
    terminal.start(f"{EXITWRAP} {'--group' if group else ''} sh -c {sh_quote([script])}")
    terminal.child.sendcontrol("z")
    terminal.child.expect_exact(PROMPT)  # the shell has the terminal back: the job is stopped
    terminal.child.sendline("fg")
    terminal.child.sendline("hello")
    assert terminal.expect_line("GOT:") == "GOT:hello"
    assert terminal.status() == 0


def test_group_mode_gives_the_terminal_before_the_command_runs(terminal: Terminal) -> None:
    # the command's first act reads its own state: its group must own the terminal already,
    # or a read would stop it with SIGTTIN and a Ctrl-Z typed then would be lost
    terminal.child.sendline(f"{EXITWRAP} --group cat /proc/self/stat")
    fields = terminal.expect_line(r"\d+ \(cat\) [A-Z] ").split()
    pgid, tty_pgid = int(fields[4]), int(fields[7])
    assert pgid == tty_pgid
