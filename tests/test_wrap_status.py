"""exitwrap's exit status for every way a command can end, observed on real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from exitwrap.observe.probe import ProbeKit
from tests.conftest import SHELLS
from tests.hostile import HOSTILE
from tests.wrap_helpers import (
    EXIT_CASES,
    EXITWRAP,
    SIGNAL_CASES,
    any_arguments,
    exitwrap,
    hex_args,
    one_line_error,
    popen,
    sh_quote,
    without_recording,
)

OFF = without_recording()


def test_hostile_arguments_reach_the_child_unchanged(kit: ProbeKit) -> None:
    done = subprocess.run([*EXITWRAP, str(kit.probe), "args", *HOSTILE], env=OFF,
                          capture_output=True, check=False, timeout=300)  # fmt: skip
    assert hex_args(done.stdout.decode()) == HOSTILE, done.stderr


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=any_arguments)
def test_any_argument_reaches_the_child_unchanged(kit: ProbeKit, args: list[str]) -> None:
    # after COMMAND nothing is an option of exitwrap's, not even --timeout or --
    done = subprocess.run([*EXITWRAP, str(kit.probe), "args", *args], env=OFF,
                          capture_output=True, check=False, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert hex_args(done.stdout.decode()) == args


@pytest.mark.parametrize("first", range(0, 256, 32))
def test_every_exit_code_passes_through(kit: ProbeKit, first: int) -> None:
    codes = range(first, first + 32)
    wrapped = f"{sh_quote(EXITWRAP)} {kit.probe} exit $n"
    loop = f"for n in {' '.join(map(str, codes))}; do {wrapped}; echo $?; done"
    done = exitwrap("--no-record", "sh", "-c", loop, env=OFF)
    assert done.stdout.split() == [str(n) for n in codes], done.stderr


@pytest.mark.parametrize(("code", "status"), EXIT_CASES)
def test_out_of_range_exit_codes_are_what_the_kernel_kept(
    kit: ProbeKit, code: int, status: int
) -> None:
    # exit(3): "the value status & 0377 is returned to the parent"
    done = exitwrap(str(kit.probe), "exit", str(code), env=OFF)
    assert done.returncode == status, done.stderr


@pytest.mark.parametrize("number", SIGNAL_CASES)
def test_signal_death_is_128_plus_n(kit: ProbeKit, number: int) -> None:
    done = exitwrap(str(kit.probe), "signal", str(number), env=OFF)
    assert done.returncode == 128 + number, done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize("number", SIGNAL_CASES)
def test_reraise_dies_of_the_same_signal(kit: ProbeKit, number: int) -> None:
    done = exitwrap("--signal-style=reraise", str(kit.probe), "signal", str(number), env=OFF)
    assert done.returncode == -number, done.stderr


def test_reraise_leaves_exits_alone(kit: ProbeKit) -> None:
    assert (
        exitwrap("--signal-style", "reraise", str(kit.probe), "exit", "3", env=OFF).returncode == 3
    )


def test_not_found_is_127_and_says_so() -> None:
    done = exitwrap("exitwrap-no-such-command", "arg", env=OFF)
    assert done.returncode == 127
    assert one_line_error(done.stderr) == "exitwrap: exitwrap-no-such-command: command not found"
    done = exitwrap("/nonexistent/dir/cmd", env=OFF)
    assert done.returncode == 127
    assert "No such file or directory" in one_line_error(done.stderr)


def test_missing_interpreter_is_127_and_names_it(kit: ProbeKit) -> None:
    script = kit.file("bad-interpreter")
    interpreter = Path(script).read_text().splitlines()[0][2:].split()[0]
    done = exitwrap(str(script), env=OFF)
    assert done.returncode == 127
    assert f"bad interpreter {interpreter}" in one_line_error(done.stderr)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("not-executable", "Permission denied"),
        ("is-directory", "Is a directory"),
        ("exec-format", "Exec format error"),
    ],
)
def test_found_but_not_runnable_is_126(kit: ProbeKit, name: str, reason: str) -> None:
    done = exitwrap(str(kit.file(name)), env=OFF)
    assert done.returncode == 126
    assert one_line_error(done.stderr) == f"exitwrap: {kit.file(name)}: {reason}"


def test_a_file_on_path_without_execute_permission_is_126(tmp_path: Path) -> None:
    (tmp_path / "tool").write_text("#!/bin/sh\nexit 0\n")
    env = {**OFF, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    done = exitwrap("tool", env=env)  # no execute bit at all: not even root may run it
    assert done.returncode == 126, done.stderr
    assert "Permission denied" in one_line_error(done.stderr)


def test_path_lookup_skips_a_directory_and_finds_the_program(tmp_path: Path) -> None:
    (tmp_path / "first" / "true").mkdir(parents=True)
    env = {**OFF, "PATH": f"{tmp_path / 'first'}:{os.environ['PATH']}"}
    assert exitwrap("true", env=env).returncode == 0


def test_timeout_is_124(kit: ProbeKit) -> None:
    done = exitwrap("--timeout", "0.2", str(kit.probe), "sleep", "60", env=OFF)
    assert done.returncode == 124, done.stderr


def test_timeout_kills_a_child_that_ignores_term_after_kill_after(
    kit: ProbeKit, tmp_path: Path
) -> None:
    report = tmp_path / "o.json"
    done = exitwrap("--timeout", "0.2", "--kill-after", "0.3", "--json", str(report),
                    str(kit.probe), "sleep", "60", str(int(signal.SIGTERM)), env=OFF)  # fmt: skip
    assert done.returncode == 124, done.stderr
    document = json.loads(report.read_text())
    assert document["timed_out"] is True
    assert document["outer"]["kind"] == "signaled"
    assert document["outer"]["value"] == signal.SIGKILL


def test_timeout_status_wins_over_how_the_child_ended(kit: ProbeKit, tmp_path: Path) -> None:
    report = tmp_path / "o.json"
    process = popen("--timeout", "0.3", "--json", str(report), str(kit.probe), "catch",
                    str(int(signal.SIGTERM)), "0", env=OFF)  # fmt: skip
    out, err = process.communicate(timeout=60)
    assert process.returncode == 124, err
    assert "CAUGHT 15 1" in out  # the timeout's TERM, exactly once
    assert json.loads(report.read_text())["outer"]["value"] == signal.SIGTERM


def test_zero_timeout_means_no_limit(kit: ProbeKit) -> None:
    assert exitwrap("--timeout", "0", str(kit.probe), "exit", "5", env=OFF).returncode == 5


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--remap", "143:0", "signal", "15"], 0),
        (["--remap", "1:2", "--remap", "143:0", "signal", "15"], 0),
        (["--remap", "143:0", "--remap", "143:7", "signal", "15"], 7),
        (["--remap", "3:0", "exit", "4"], 4),
        (["--signal-style=reraise", "--remap", "143:9", "signal", "15"], 9),
    ],
)
def test_remap_rewrites_the_final_status(kit: ProbeKit, args: list[str], status: int) -> None:
    options, command = args[:-2], args[-2:]
    assert exitwrap(*options, str(kit.probe), *command, env=OFF).returncode == status


def test_remap_applies_to_exitwraps_statuses_but_125(kit: ProbeKit) -> None:
    assert exitwrap("--remap", "127:3", "exitwrap-no-such-command", env=OFF).returncode == 3
    assert exitwrap("--remap", "124:0", "--timeout", "0.1", str(kit.probe), "sleep", "60",
                    env=OFF).returncode == 0  # fmt: skip
    assert exitwrap("--remap", "1:0", "--bogus", env=OFF).returncode == 125


def test_json_observation_keeps_the_raw_status_and_every_view(
    kit: ProbeKit, tmp_path: Path
) -> None:
    report = tmp_path / "o.json"
    done = exitwrap("--json", str(report), str(kit.probe), "signal", "9", env=OFF)
    assert done.returncode == 137
    document = json.loads(report.read_text())
    assert document["schema"] == "exitwrap-observation/1"
    assert document["argv"] == [str(kit.probe), "signal", "9"]
    assert document["exit_status"] == 137 and document["error"] is None
    assert document["outer"] == {"kind": "signaled", "value": 9, "core": False, "wait_status": 9,
                                 "returncode": -9, "shell_status": 137, "slurm": "0:9"}  # fmt: skip
    maxrss, user, system = (document["rusage"][k] for k in ("maxrss_kib", "user_s", "system_s"))
    assert maxrss > 0 and user >= 0 and system >= 0


def test_json_for_a_command_that_never_started(tmp_path: Path) -> None:
    report = tmp_path / "o.json"
    done = exitwrap("--json", str(report), "exitwrap-no-such-command", env=OFF)
    document = json.loads(report.read_text())
    assert done.returncode == document["exit_status"] == 127
    assert document["outer"] is None
    assert document["error"] == "exitwrap-no-such-command: command not found"


def test_shell_snippet_gets_its_positional_parameters() -> None:
    hostile = "a 'b' \"c\" $HOME ; \n é"
    done = exitwrap("--shell", "dash", 'printf "%s|" "$1" "$2"; exit 7', hostile, "x", env=OFF)
    assert done.returncode == 7, done.stderr
    assert done.stdout == f"{hostile}|x|"


def test_shell_snippet_status_and_signal_death(kit: ProbeKit) -> None:
    assert exitwrap("--shell", "bash", "exit $1", "42", env=OFF).returncode == 42
    done = exitwrap("--shell", "dash", f"{kit.probe} signal 15", env=OFF)
    assert done.returncode == 143


@pytest.mark.skipif(SHELLS["pwsh"].present, reason="needs pwsh to be absent")
def test_absent_shell_is_127_with_the_reason() -> None:
    done = exitwrap("--shell", "pwsh", "exit 3", env=OFF)
    assert done.returncode == 127
    assert one_line_error(done.stderr).startswith("exitwrap: pwsh: ")
