"""The shell shims in scripts/: arguments and statuses through them, unchanged.

exitwrap.sh runs under every installed POSIX shell (hypothesis for the
arguments, the matrix's exit and signal scenarios for the status).
exitwrap.cmd runs under cmd: natively on Windows, through Wine here, with
the Windows probe standing in for exitwrap.exe (its status logic is what is
tested). exitwrap.ps1 needs pwsh, which this machine cannot install: those
tests skip, saying so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.windows_probe import windows_probe
from exitwrap.shells.shell import Shell
from tests.conftest import POSIX_SHELL_PARAMS, REPO, SHELLS
from tests.hostile import HOSTILE
from tests.wrap_helpers import (
    BIN,
    EXIT_CASES,
    SIGNAL_CASES,
    any_arguments,
    hex_args,
    without_recording,
)

SH_SHIM = REPO / "scripts" / "exitwrap.sh"
CMD_SHIM = REPO / "scripts" / "exitwrap.cmd"
PS1_SHIM = REPO / "scripts" / "exitwrap.ps1"


def _sh_environment() -> dict[str, str]:
    """exitwrap on PATH (as installed), recording off, no EXITWRAP override."""
    env = without_recording()
    env.pop("EXITWRAP", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', os.defpath)}"
    return env


def _sh_shim(shell: Shell, *args: str, env: dict[str, str] | None = None,
             shim: Path = SH_SHIM) -> subprocess.CompletedProcess[bytes]:  # fmt: skip
    assert shell.path is not None
    argv = [shell.path, *shell.spec.start_args, str(shim), *args]
    return subprocess.run(
        argv, env=env if env is not None else _sh_environment(), capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip


# What a shell cannot hand a script in "$@" (observed; the shim's header says so): yash
# turns an argument that is not valid text in the locale into an empty string, with a warning.
TEXT_ONLY = {"yash", "yash-posix"}


def _is_text(arg: str) -> bool:
    return not any("\udc80" <= c <= "\udcff" for c in arg)


def _round_trip(shell: Shell, kit: ProbeKit, args: list[str]) -> None:
    if shell.name in TEXT_ONLY:
        args = [a for a in args if _is_text(a)]
    done = _sh_shim(shell, str(kit.probe), "args", *args)
    assert done.returncode == 0, done.stderr
    assert hex_args(done.stdout.decode()) == args


@pytest.mark.parametrize("shell", POSIX_SHELL_PARAMS)
def test_sh_shim_carries_hostile_arguments(shell: Shell, kit: ProbeKit) -> None:
    _round_trip(shell, kit, HOSTILE)


@pytest.mark.parametrize("shell", POSIX_SHELL_PARAMS)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(args=any_arguments)
def test_sh_shim_carries_any_argument(shell: Shell, kit: ProbeKit, args: list[str]) -> None:
    _round_trip(shell, kit, args)


@pytest.mark.parametrize("shell", POSIX_SHELL_PARAMS)
def test_sh_shim_passes_every_scenario_status(shell: Shell, kit: ProbeKit) -> None:
    for code, status in EXIT_CASES:  # the matrix's exit/N: exit(3) keeps N & 0377
        done = _sh_shim(shell, str(kit.probe), "exit", str(code))
        assert done.returncode == status, (code, done.stderr)
    for number in SIGNAL_CASES:  # signal/N: exitwrap's 128+N, or the signal itself
        done = _sh_shim(shell, str(kit.probe), "signal", str(number))
        assert done.returncode == 128 + number, (number, done.stderr)
        done = _sh_shim(shell, "--signal-style=reraise", str(kit.probe), "signal", str(number))
        assert done.returncode == -number, (number, done.stderr)


def _dash() -> Shell:
    shell = SHELLS["dash"]
    if not shell.present:
        pytest.skip(f"dash absent: {shell.absent_reason}")
    return shell


def test_sh_shim_prefers_exitwrap_from_the_environment(tmp_path: Path) -> None:
    stand_in = tmp_path / "stand-in"
    stand_in.write_text('#!/bin/sh\necho "stand-in $#"\nexit 9\n')
    stand_in.chmod(0o755)
    done = _sh_shim(_dash(), "a b", "c", env={**_sh_environment(), "EXITWRAP": str(stand_in)})
    assert (done.returncode, done.stdout) == (9, b"stand-in 2\n")


def test_sh_shim_skips_a_copy_of_itself_on_path(tmp_path: Path) -> None:
    shutil.copy(SH_SHIM, tmp_path / "exitwrap")
    (tmp_path / "exitwrap").chmod(0o755)
    env = {**_sh_environment(), "PATH": f"{tmp_path}{os.pathsep}{_sh_environment()['PATH']}"}
    done = _sh_shim(_dash(), "sh", "-c", "exit 6", env=env, shim=tmp_path / "exitwrap")
    assert done.returncode == 6, done.stderr


def test_sh_shim_without_exitwrap_is_127_with_one_line(tmp_path: Path) -> None:
    copy = tmp_path / "exitwrap.sh"  # no .venv beside it, and none on PATH
    shutil.copy(SH_SHIM, copy)
    env = {**_sh_environment(), "PATH": "/usr/bin:/bin"}
    done = _sh_shim(_dash(), "true", env=env, shim=copy)
    assert done.returncode == 127
    assert done.stderr.decode().splitlines() == [
        "exitwrap.sh: exitwrap not found (set EXITWRAP to its path, or put it on PATH)"
    ]


# --- exitwrap.cmd -------------------------------------------------------------------------

CMD = SHELLS["cmd"]
needs_cmd = pytest.mark.skipif(not CMD.present, reason=f"cmd absent: {CMD.absent_reason}")


def _batch(shell: Shell, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run script as a batch file under cmd (the probe stands in for exitwrap.exe)."""
    environment = {**without_recording(), "EXITWRAP": shell.native_path(str(windows_probe()))}
    environment.update(env)
    with shell.launch(script, environment) as launch:
        return subprocess.run(launch.argv, env=launch.env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=300, check=False)  # fmt: skip


def _shim_line(shell: Shell, *words: str) -> str:
    return " ".join([shell.native_path(str(CMD_SHIM)), *words])


# DWORDs: small, 8-bit wrap, the low byte 0, and STATUS_ACCESS_VIOLATION (0xC0000005)
DWORDS = [0, 1, 42, 255, 256, 3221225477]


@needs_cmd
def test_cmd_shim_passes_the_status_as_the_probe_alone_gives_it(cmd_shell: Shell) -> None:
    probe = cmd_shell.native_path(str(windows_probe()))
    for dword in DWORDS:
        direct = _batch(cmd_shell, f"{probe} exit {dword}\nexit /b %ERRORLEVEL%")
        shimmed = _batch(cmd_shell, _shim_line(cmd_shell, "exit", str(dword)))
        assert shimmed.returncode == direct.returncode, (dword, shimmed.stderr)


@needs_cmd
def test_cmd_shim_keeps_all_32_bits(cmd_shell: Shell) -> None:
    # %ERRORLEVEL% is a signed 32-bit number: 0xC0000005 reads -1073741819
    lines = [f"cmd /d /c {_shim_line(cmd_shell, 'exit', str(d))}\necho STATUS %ERRORLEVEL%"
             for d in DWORDS]  # fmt: skip
    done = _batch(cmd_shell, "\n".join(lines))
    expected = [d - (1 << 32) if d >= 1 << 31 else d for d in DWORDS]
    assert [int(line.split()[1]) for line in done.stdout.splitlines()] == expected, done.stderr


@needs_cmd
def test_cmd_shim_ignores_a_user_variable_named_errorlevel(cmd_shell: Shell) -> None:
    done = _batch(cmd_shell, _shim_line(cmd_shell, "exit", "5"), ERRORLEVEL="7")
    assert done.returncode == 5, done.stderr


@needs_cmd
def test_cmd_shim_with_call_returns_to_the_caller(cmd_shell: Shell) -> None:
    with_call = _batch(cmd_shell, f"call {_shim_line(cmd_shell, 'exit', '0')}\necho BACK")
    assert with_call.stdout.splitlines() == ["BACK"], with_call.stderr
    # the documented trap: without CALL the calling batch file ends with the shim
    without = _batch(cmd_shell, f"{_shim_line(cmd_shell, 'exit', '3')}\necho BACK")
    assert (without.returncode, without.stdout) == (3, "")


# What the shim carries (its header): quoted specials, ! as it is; not %, not a double quote
# followed by specials on the line. Quoted as the cmd dialect quotes for a batch file.
CMD_CARRIED = ["", " ", "'", '"', "$HOME", ";", "&&", "|", "\\", "\\'", "!", "!!", "*", "?",
               "[a]", "~", "#", "{}", "\t", "-n", "--", "a&b", "a^b", "<x>", "(x)", "=",
               ","]  # fmt: skip


@needs_cmd
def test_cmd_shim_carries_what_its_header_says(cmd_shell: Shell) -> None:
    for arg in CMD_CARRIED:
        done = _batch(cmd_shell, _shim_line(cmd_shell, "args", cmd_shell.quote(arg)))
        assert done.stdout, (arg, done.returncode, done.stderr)  # once: nothing, from Wine
        assert hex_args(done.stdout) == [arg], (arg, done.stderr)


@needs_cmd
def test_cmd_shim_does_not_carry_what_its_header_excludes(cmd_shell: Shell) -> None:
    for arg in ["%PATH%", 'a"b&c']:
        done = _batch(cmd_shell, _shim_line(cmd_shell, "args", cmd_shell.quote(arg)))
        lines = done.stdout.splitlines()
        assert not (lines and lines[-1] == "END 1" and hex_args(done.stdout) == [arg]), arg


@needs_cmd
def test_cmd_shim_without_exitwrap_is_127_with_one_line(cmd_shell: Shell) -> None:
    done = _batch(cmd_shell, _shim_line(cmd_shell, "exit", "0"), EXITWRAP="")
    assert done.returncode == 127
    assert done.stderr.splitlines() == [
        "exitwrap.cmd: exitwrap.exe not found (set EXITWRAP to its path, or put it on PATH)"
    ]


# --- exitwrap.ps1 -------------------------------------------------------------------------

PWSH = SHELLS["pwsh"]
needs_pwsh = pytest.mark.skipif(not PWSH.present, reason=f"pwsh absent: {PWSH.absent_reason}")


def _ps1(*args: str, command: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    """The ps1 shim through -File, or through -Command as a script line."""
    assert PWSH.path is not None
    environment = {**_sh_environment(), **env}
    flags = ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass"]
    if command:
        line = " ".join(["&", PWSH.quote(str(PS1_SHIM)), *(PWSH.quote(a) for a in args)])
        argv = [PWSH.path, *flags, "-Command", f"{line}; exit $LASTEXITCODE"]
    else:
        argv = [PWSH.path, *flags, "-File", str(PS1_SHIM), *args]
    return subprocess.run(argv, env=environment, capture_output=True, text=True, timeout=300,
                          check=False)  # fmt: skip


@needs_pwsh
@pytest.mark.parametrize("command", [False, True], ids=["-File", "-Command"])
def test_ps1_shim_passes_the_status(kit: ProbeKit, command: bool) -> None:
    for code, status in EXIT_CASES:
        done = _ps1(str(kit.probe), "exit", str(code), command=command)
        assert done.returncode == status, (code, done.stderr)
    done = _ps1(str(kit.probe), "signal", str(int(signal.SIGTERM)), command=command)
    assert done.returncode == 128 + signal.SIGTERM


@needs_pwsh
def test_ps1_shim_carries_hostile_arguments_or_refuses_them(kit: ProbeKit) -> None:
    args = [a for a in HOSTILE if a != "\udcff"]
    done = _ps1(str(kit.probe), "args", *args)
    if done.returncode == 125:  # an old PowerShell: it says what it cannot carry
        assert done.stderr.startswith("exitwrap.ps1: "), done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert hex_args(done.stdout) == args


@needs_pwsh
def test_ps1_shim_without_exitwrap_is_127(tmp_path: Path) -> None:
    done = _ps1("true", PATH=str(tmp_path), EXITWRAP="")
    assert done.returncode == 127
    assert "exitwrap.ps1: exitwrap not found" in done.stderr
