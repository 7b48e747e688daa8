"""How cmd itself ends, on both layers: the DWORD a Windows parent reads, and Linux's view (Wine).

Expected values come from the documents: the DWORD is N's 32 bits (Microsoft's
``exit``: "the process exit code is set to that number"), and what Linux sees
of it under Wine is Wine's get_unix_exit_code() (explain/readings.py cites it).
The Windows parent is the Windows probe's ``spawn`` mode; every observed value
comes from a run.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exitwrap.explain.readings import unsigned, wine_unix_status
from exitwrap.matrix.run import run_cell
from exitwrap.observe.observation import Observation
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import DEFAULT_LIMITS, run
from exitwrap.observe.windows_parent import (
    EXITCODE_MARKER,
    _silent,
    runs_under_wine,
    windows_command_line,
    with_windows_exit_code,
)
from exitwrap.observe.windows_probe import windows_probe
from exitwrap.scenarios.catalog import BY_ID
from exitwrap.shells.launchers import Launch
from exitwrap.shells.shell import Shell
from exitwrap.status import Termination
from tests.hostile import HOSTILE, printable_ascii
from tests.windows_helpers import printed_args

HOSTILE_ASCII = [a for a in printable_ascii(HOSTILE) if a]
ascii_args = st.lists(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1), max_size=4
)


@pytest.fixture
def wine_cmd(cmd_shell: Shell) -> Shell:
    if not runs_under_wine(cmd_shell):
        pytest.skip("cmd runs natively here: there is no Linux layer to compare")
    return cmd_shell


def test_plain_arguments_stay_bare_and_the_rest_are_quoted() -> None:
    assert windows_command_line(["cmd", "/d", "/c", "Z:\\tmp\\x.cmd"]) == "cmd /d /c Z:\\tmp\\x.cmd"
    assert windows_command_line(["a b", "", 'say "hi"', "tail\\"]) == (
        '"a b" "" "say \\"hi\\"" tail\\'
    )


def _spawned_args(shell: Shell, env: dict[str, str], args: list[str]) -> tuple[Observation, str]:
    probe = shell.native_path(str(windows_probe()))
    line = windows_command_line([probe, "args", *args])
    assert shell.path is not None
    wine_env = shell.spec.launcher.host.environment(env)
    return run([shell.path, probe, "spawn", line], wine_env, marker=EXITCODE_MARKER), line


def test_the_windows_parent_runs_the_command_line_it_is_given(
    wine_cmd: Shell, cell_env: dict[str, str]
) -> None:
    obs, line = _spawned_args(wine_cmd, cell_env, HOSTILE_ASCII)
    assert obs.inner == "0", (line, obs.stderr)  # the child's own exit code: args exits 0
    assert printed_args(obs) == HOSTILE_ASCII


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=ascii_args)
def test_any_printable_argument_reaches_the_spawned_child(
    wine_cmd: Shell, cell_env: dict[str, str], args: list[str]
) -> None:
    obs, line = _spawned_args(wine_cmd, cell_env, args)
    assert printed_args(obs) == args, line


@pytest.mark.parametrize(
    "scenario",
    ["shell-exit/0", "shell-exit/256", "shell-exit/-1", "shell-exit/-256", "shell-exit/65535",
     "shell-exit/2147483647", "cmd/exit/65536", "cmd/exit/-2147483648",
     "cmd/exit-b-direct/512", "cmd/exit-b-direct/-2"],
)  # fmt: skip
def test_cmd_ends_with_n_as_a_dword_and_wines_mapping_of_it_on_linux(
    wine_cmd: Shell, kit: ProbeKit, cell_env: dict[str, str], scenario: str
) -> None:
    n = BY_ID[scenario].n
    assert n is not None
    cell = run_cell(wine_cmd, BY_ID[scenario], kit, cell_env, DEFAULT_LIMITS)
    obs = cell.observation
    assert obs is not None and obs.error is None, cell.to_record()
    assert obs.dword == unsigned(n)
    assert obs.wait_status is not None
    assert Termination.from_wait_status(obs.wait_status) == Termination(
        "exited", wine_unix_status(n)
    )
    verdicts = {r.convention.id: r.verdict for r in cell.check.results}
    assert verdicts["cmd/wine-unix-exit-code"] == "conforms"
    assert verdicts["cmd/exit-sets-process-exit-code"] == "conforms"
    record = cell.to_record()
    assert record["dword"] == unsigned(n) and record["wait_status"] == obs.wait_status


def test_cmd_saturates_an_exit_code_beyond_a_signed_32_bit_int(
    wine_cmd: Shell, kit: ProbeKit, cell_env: dict[str, str]
) -> None:
    """Observed under Wine: `exit 2147483648` ends cmd with 2147483647; nothing documents it."""
    cell = run_cell(wine_cmd, BY_ID["cmd/exit/2147483648"], kit, cell_env, DEFAULT_LIMITS)
    assert cell.observation is not None and cell.observation.dword == 2**31 - 1
    assert cell.verdict == "unspecified"


def test_a_dword_that_cannot_be_read_makes_the_cell_an_error(
    wine_cmd: Shell, cell_env: dict[str, str]
) -> None:
    assert wine_cmd.path is not None
    launch = Launch(
        [wine_cmd.path, "exitwrap-no-such-program"],
        wine_cmd.spec.launcher.host.environment(cell_env),
    )
    first = Observation(wait_status=256)
    obs = with_windows_exit_code(wine_cmd, launch, first, DEFAULT_LIMITS)
    assert obs.error is not None and obs.error.startswith("the Windows exit code was not read")
    assert "CreateProcess failed" in obs.error


def test_a_native_shell_gets_no_windows_parent(kit: ProbeKit, cell_env: dict[str, str]) -> None:
    from tests.conftest import SHELLS

    shell = SHELLS["dash"] if SHELLS["dash"].present else SHELLS["bash"]
    first = Observation(wait_status=0)
    launch = Launch(["/bin/true"], cell_env)
    assert with_windows_exit_code(shell, launch, first, DEFAULT_LIMITS) is first


def test_a_silent_windows_parent_is_reported_with_how_it_ended() -> None:
    """A parent that printed nothing: the cell's error says how it ended, the only clue left."""
    assert _silent(Observation(wait_status=3 << 8)).endswith("the parent exited 3")
    assert _silent(Observation(wait_status=9)).endswith("the parent signaled 9")
