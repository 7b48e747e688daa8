"""Signals through exitwrap: forwarded exactly once, a shell's dispositions for the child,
SIGPIPE as a shell leaves it, and --group's process group, leftovers and zombies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from exitwrap.observe.probe import ProbeKit
from tests.test_runner import _signal_set
from tests.wrap_helpers import (
    children,
    exitwrap,
    popen,
    proc_fields,
    process_gone,
    read_line,
    wait_until,
    with_default_signals,
    without_recording,
)

OFF = without_recording()
FORWARDED = [
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
]
GRACE_MS = "400"  # the probe keeps counting this long after the first signal

# Drives exitwrap's library with the sigwait(2) source it uses where sigwaitinfo is missing.
PORTABLE = """
import os, sys
from exitwrap.wrap.options import parse
from exitwrap.wrap.run import run
from exitwrap.wrap.signals import PortableSignalSource
sys.exit(run(parse(sys.argv[1:]), os.environ, PortableSignalSource))
"""
SOURCES = {"sigwaitinfo": [], "portable": [sys.executable, "-c", PORTABLE]}


def _start(source: str, *args: str) -> subprocess.Popen[str]:
    if not SOURCES[source]:
        return popen(*args, env=OFF)
    return subprocess.Popen(with_default_signals([*SOURCES[source], *args]),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=OFF)  # fmt: skip


def _dies_of(number: int) -> int:
    """exitwrap's status when the probe dies of number (WINCH cannot kill: the probe exits 0)."""
    return 0 if number == signal.SIGWINCH else 128 + number


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("group", [False, True], ids=["same-group", "own-group"])
@pytest.mark.parametrize("number", FORWARDED, ids=[s.name for s in FORWARDED])
def test_each_signal_reaches_the_child_exactly_once(
    kit: ProbeKit, number: int, group: bool, source: str
) -> None:
    args = ["--group"] if group else []
    process = _start(source, *args, str(kit.probe), "catch", str(int(number)), GRACE_MS)
    read_line(process, "READY")
    os.kill(process.pid, number)
    assert read_line(process, "CAUGHT") == f"CAUGHT {int(number)} 1"
    _, err = process.communicate(timeout=60)
    assert process.returncode == _dies_of(number), err


@pytest.mark.parametrize("source", list(SOURCES))
def test_timeout_with_either_signal_source(kit: ProbeKit, source: str) -> None:
    process = _start(source, "--timeout", "0.2", str(kit.probe), "sleep", "60")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 124, err


def test_child_starts_with_default_dispositions_and_an_empty_mask() -> None:
    # exitwrap (Python) ignores SIGPIPE and SIGXFSZ, and blocks what it forwards: none of it
    # may reach the child; this test's own blocked signals must not either
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGALRM})
    try:
        done = exitwrap("cat", "/proc/self/status", env=OFF)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    assert _signal_set(done.stdout, "SigIgn") == set()
    assert _signal_set(done.stdout, "SigBlk") == set()


def test_signals_ignored_on_entry_stay_ignored_as_a_shell_keeps_them() -> None:
    # nohup(1) and a shell's background jobs rely on it; POSIX: "Signals that were ignored on
    # entry to a non-interactive shell cannot be trapped or reset"
    from tests.wrap_helpers import EXITWRAP, sh_quote

    done = subprocess.run(
        with_default_signals(
            ["sh", "-c", f"trap '' HUP USR2; exec {sh_quote(EXITWRAP)} cat /proc/self/status"]
        ),
        capture_output=True, text=True, env=OFF, check=False, timeout=300,
    )  # fmt: skip
    assert _signal_set(done.stdout, "SigIgn") == {signal.SIGHUP, signal.SIGUSR2}


def test_sigpipe_kills_the_writer_as_under_a_shell() -> None:
    # `yes | head` is 141 for yes only when SIGPIPE is at its default
    done = exitwrap("bash", "-c", "yes | head -n 1 >/dev/null; echo ${PIPESTATUS[0]}", env=OFF)
    assert done.stdout.strip() == "141", done.stderr


def test_sigpipe_death_of_the_command_itself_is_141() -> None:
    process = subprocess.Popen([*_exitwrap(), "yes"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=OFF)  # fmt: skip
    assert process.stdout is not None and process.stdout.read(4)
    process.stdout.close()
    assert process.wait(timeout=60) == 141
    assert process.stderr is not None and process.stderr.read() == b""


def _exitwrap() -> list[str]:
    from tests.wrap_helpers import EXITWRAP

    return EXITWRAP


def test_group_leftovers_get_term_and_are_reaped(kit: ProbeKit) -> None:
    process = popen("--group", str(kit.probe), "orphan", "60", "3", env=OFF)
    grandchild = int(read_line(process, "GRANDCHILD").split()[1])
    _, err = process.communicate(timeout=60)
    assert process.returncode == 3, err
    assert not Path(f"/proc/{grandchild}").exists()  # gone, not even a zombie


def test_group_leftover_ignoring_term_is_killed_after_kill_after(kit: ProbeKit) -> None:
    script = f'{kit.probe} sleep 60 {int(signal.SIGTERM)} & echo "GRANDCHILD $!"; exit 4'
    process = popen("--group", "--kill-after", "0.3", "sh", "-c", script, env=OFF)
    grandchild = int(read_line(process, "GRANDCHILD").split()[1])
    _, err = process.communicate(timeout=60)
    assert process.returncode == 4, err
    assert not Path(f"/proc/{grandchild}").exists()


def test_without_group_leftovers_are_left_alone(kit: ProbeKit) -> None:
    script = f'{kit.probe} sleep 60 & echo "GRANDCHILD $!"; exit 0'
    process = popen("sh", "-c", script, env=OFF)
    grandchild = int(read_line(process, "GRANDCHILD").split()[1])
    try:
        assert process.wait(timeout=60) == 0  # the leftover keeps stdout open: no EOF to wait for
        assert not process_gone(grandchild)
    finally:
        os.kill(grandchild, signal.SIGKILL)
        process.communicate(timeout=60)


def test_group_timeout_signals_the_whole_group(kit: ProbeKit) -> None:
    script = f'{kit.probe} sleep 60 & echo "GRANDCHILD $!"; wait'
    process = popen("--group", "--timeout", "0.3", "sh", "-c", script, env=OFF)
    grandchild = int(read_line(process, "GRANDCHILD").split()[1])
    process.communicate(timeout=60)
    assert process.returncode == 124
    assert not Path(f"/proc/{grandchild}").exists()


def _zombie_children(pid: int) -> list[int]:
    return [child for child, fields in children(pid).items() if fields[0] == b"Z"]


def test_group_mode_reaps_orphans_while_the_command_runs(kit: ProbeKit) -> None:
    script = f"{kit.probe} orphan 0 0; echo READY; exec {kit.probe} catch 15 0"
    process = popen("--group", "sh", "-c", script, env=OFF)
    grandchild = int(read_line(process, "GRANDCHILD").split()[1])
    read_line(process, "READY")
    read_line(process, "READY")  # the catching probe is up: the orphan has long exited
    try:
        assert wait_until(lambda: not Path(f"/proc/{grandchild}").exists())
        assert _zombie_children(process.pid) == []
    finally:
        os.kill(process.pid, signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 143


def test_exitwrap_leaves_no_zombie_of_its_child(kit: ProbeKit) -> None:
    process = popen(str(kit.probe), "catch", "15", "0", env=OFF)
    child = int(read_line(process, "READY").split()[1])
    os.kill(process.pid, signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 143
    assert not Path(f"/proc/{child}").exists()


# every catchable signal but CHLD is forwarded (as tini does); the stops are tested below
STOPS = (signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)
EVERY_OTHER = sorted(
    int(n)
    for n in signal.valid_signals()
    if n not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, *STOPS, *FORWARDED)
)
# a child that traps each of them and says so, once for each
TRAPPER = "".join(f"trap 'echo CAUGHT {n}' {n}\n" for n in EVERY_OTHER) + (
    "echo READY\nwhile :; do sleep 0.02; done\n"
)


def test_every_other_catchable_signal_reaches_the_child_once_and_exitwrap_survives() -> None:
    # ALRM, VTALRM, PROF, IO, PWR, XCPU, SYS, STKFLT, the real-time signals, and ILL, TRAP,
    # ABRT, BUS, FPE, SEGV sent with kill: each used to kill exitwrap and orphan the child
    process = popen("bash", "-c", TRAPPER, env=OFF)
    out, err = _each_caught_then_terminated(process, EVERY_OTHER, lambda: None)
    assert (process.returncode, out) == (128 + signal.SIGTERM, ""), err  # no second delivery


def _each_caught_then_terminated(
    process: subprocess.Popen[str], numbers: Iterable[int], after_each: Callable[[], None]
) -> tuple[str, str]:
    """Send each signal and read the child's CAUGHT line for it, then end it with TERM."""
    try:
        read_line(process, "READY")
        for number in numbers:
            os.kill(process.pid, number)
            assert read_line(process, "CAUGHT") == f"CAUGHT {int(number)}"
            after_each()
        os.kill(process.pid, signal.SIGTERM)
        return process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)


def _state(pid: int) -> bytes:
    fields = proc_fields(pid)
    return b"gone" if fields is None else fields[0]


def test_a_stop_sent_with_kill_goes_to_the_child_and_exitwrap_runs_on() -> None:
    # the child traps them: a process group without a parent outside it (the suite under
    # setsid) would have a stop discarded by the kernel, trapped or not exitwrap's doing
    traps = "".join(f"trap 'echo CAUGHT {int(n)}' {int(n)}\n" for n in STOPS)
    process = popen("bash", "-c", traps + "echo READY\nwhile :; do sleep 0.02; done", env=OFF)

    def still_there() -> None:  # there to pass on what comes next
        assert _state(process.pid) in (b"S", b"R")

    out, err = _each_caught_then_terminated(process, STOPS, still_there)
    assert (process.returncode, out) == (128 + signal.SIGTERM, ""), err
