"""The batch runner against real processes: statuses, timeouts, leftovers, caps, read-back."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from exitwrap.observe.cores import CORE_DIR_VARIABLE, policy
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import Limits, run
from exitwrap.status import Termination

MARK = "mark:"


def test_exit_and_signal_statuses_are_raw(kit: ProbeKit, cell_env: dict[str, str]) -> None:
    assert run([str(kit.probe), "exit", "300"], cell_env).outer == Termination("exited", 44)
    killed = run([str(kit.probe), "signal", "11"], cell_env)
    assert killed.wait_status == 11 and killed.outer == Termination("signaled", 11, core=False)


def test_core_dump_flag_is_kept_when_the_probe_is_asked_for_one(
    kit: ProbeKit, cell_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cell_env, CORE_DIR_VARIABLE: str(tmp_path)}  # as a core cell gets it
    obs = run(["/bin/sh", "-c", f"exec {kit.probe} signal 6 core"], env)
    assert obs.outer is not None and obs.outer.signaled and obs.outer.value == 6
    assert obs.outer.core == bool((obs.wait_status or 0) & 0x80)  # the raw word's flag, kept
    # whether a core is written depends on the host's core_pattern and hard limit
    if not policy().piped:  # a program the core is piped to may refuse it
        assert obs.outer.core == policy().possible, policy().note


def _signal_set(status: str, field: str) -> set[int]:
    """The signals a /proc/PID/status mask lists, without glibc's two reserved ones (32, 33)."""
    bits = int(status.split(f"{field}:\t")[1].split(maxsplit=1)[0], 16)
    return {n for n in range(1, 65) if bits >> (n - 1) & 1} - {32, 33}


def test_child_starts_with_default_dispositions_and_empty_mask(cell_env: dict[str, str]) -> None:
    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN  # as Python itself leaves it
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
    try:
        obs = run(["/bin/sh", "-c", "exec cat /proc/self/status"], cell_env)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    assert _signal_set(obs.stdout, "SigIgn") == set()
    assert _signal_set(obs.stdout, "SigBlk") == set()


def test_inner_status_is_read_back_even_when_the_command_writes(cell_env: dict[str, str]) -> None:
    obs = run(
        ["/bin/sh", "-c", f"printf 'no newline {MARK}fake'; (exit 3)\necho {MARK}$?"],
        cell_env,
        marker=MARK,
    )
    assert obs.inner == "3"
    assert obs.stdout.startswith("no newline")


def test_missing_marker_means_no_inner_status(cell_env: dict[str, str]) -> None:
    obs = run(["/bin/sh", "-c", "exit 4"], cell_env, marker=MARK)
    assert obs.inner is None and obs.outer == Termination("exited", 4)


def test_timeout_kills_the_whole_group_and_is_an_error(
    kit: ProbeKit, cell_env: dict[str, str]
) -> None:
    started = time.monotonic()
    obs = run(["/bin/sh", "-c", f"{kit.probe} sleep 30 15 & {kit.probe} sleep 30 15"], cell_env,
              limits=Limits(timeout_s=0.5))  # fmt: skip
    assert obs.error == "timed out after 0.5s"
    assert obs.outer is None
    assert time.monotonic() - started < 5


def test_leftovers_are_killed_when_the_shell_exits(kit: ProbeKit, cell_env: dict[str, str]) -> None:
    obs = run(["/bin/sh", "-c", f"{kit.probe} orphan 60 3"], cell_env, limits=Limits(timeout_s=20))
    assert obs.outer == Termination("exited", 3)
    grandchild = int(obs.stdout.split("GRANDCHILD ")[1].split()[0])
    assert obs.duration_s < 5
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        raise AssertionError(f"grandchild {grandchild} survived")


def test_output_is_capped_but_the_status_line_still_found(cell_env: dict[str, str]) -> None:
    obs = run(["/bin/sh", "-c", f"yes | head -c 1000000\necho {MARK}$?"], cell_env,
              limits=Limits(output_cap=1000), marker=MARK)  # fmt: skip
    assert obs.inner == "0"
    assert len(obs.stdout) < 1200 and "more bytes not kept" in obs.stdout


def test_spawn_failure_is_an_error_not_a_status(cell_env: dict[str, str]) -> None:
    obs = run(["/nonexistent/shell"], cell_env)
    assert obs.error is not None and "No such file" in obs.error
    assert obs.outer is None


def test_code_on_stdin_in_a_directory_by_another_name(
    cell_env: dict[str, str], tmp_path: Path
) -> None:
    # bash reads its script from a pipe a byte at a time, so `read` gets the line after its own
    code = b'read -r line; echo "$0 got: $line"; pwd\nthe next line of the script\nexit 5\n'
    here = os.getcwd()
    obs = run(["bash"], cell_env, executable="/bin/bash", cwd=str(tmp_path), stdin=code)
    assert obs.stdout == f"bash got: the next line of the script\n{tmp_path}\n"
    assert obs.outer == Termination("exited", 5) and os.getcwd() == here
    big = b"echo start\n" + b"#" * 300_000 + b"\necho end\n"  # far more than a pipe holds
    assert run(["/bin/sh"], cell_env, stdin=big).stdout == "start\nend\n"


def test_a_shell_that_leaves_its_input_unread_is_not_waited_for(cell_env: dict[str, str]) -> None:
    obs = run(["/bin/sh", "-c", "exit 7"], cell_env, stdin=b"x" * 1_000_000,
              limits=Limits(timeout_s=20))  # fmt: skip
    assert obs.outer == Termination("exited", 7) and obs.duration_s < 5
    hung = run(["/bin/sh", "-c", "sleep 30"], cell_env, stdin=b"x" * 1_000_000,
               limits=Limits(timeout_s=0.3))  # fmt: skip
    assert hung.timed_out and hung.error == "timed out after 0.3s"
