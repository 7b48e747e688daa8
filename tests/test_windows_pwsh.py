"""PowerShell, run for real where pwsh is installed; skipped, with the reason, where it is not.

Expected values quote about_Pwsh and about_Automatic_Variables (see
harness/exitwrap/conventions/windows.py). Nothing here pretends to have run.
"""

from __future__ import annotations

import pytest

from exitwrap.matrix.run import run_cell
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import DEFAULT_LIMITS
from exitwrap.scenarios.catalog import BY_ID
from exitwrap.shells.shell import Shell
from exitwrap.shells.windows import PWSH
from tests.conftest import shell_params
from tests.hostile import HOSTILE as ALL_HOSTILE
from tests.hostile import text
from tests.windows_helpers import printed_args, probe_line, run_script

PWSH_PARAMS = shell_params(["pwsh"])
HOSTILE = text(ALL_HOSTILE)


def test_pwsh_quoting_doubles_every_kind_of_single_quote() -> None:
    # PowerShell ends a '...' string at ' and at the typographic quotes U+2018..U+201B alike.
    assert PWSH.quote("it's") == "'it''s'"
    assert PWSH.quote("\u2018x\u2019") == "'\u2018\u2018x\u2019\u2019'"
    assert PWSH.command_line(["/bin/p", "a b"]) == "& '/bin/p' 'a b'"


@pytest.mark.parametrize("shell", PWSH_PARAMS)
@pytest.mark.parametrize("n", [0, 1, 42, 255])
def test_lastexitcode_is_the_childs_exit_code(
    shell: Shell, kit: ProbeKit, cell_env: dict[str, str], n: int
) -> None:
    obs = run_script(shell, probe_line(shell, kit, ["exit", str(n)]), cell_env)
    assert obs.inner == str(n), obs.stderr


@pytest.mark.parametrize("shell", PWSH_PARAMS)
def test_pwsh_carries_hostile_arguments(
    shell: Shell, kit: ProbeKit, cell_env: dict[str, str]
) -> None:
    obs = run_script(shell, probe_line(shell, kit, ["args", *HOSTILE]), cell_env)
    assert printed_args(obs) == HOSTILE


@pytest.mark.parametrize("shell", PWSH_PARAMS)
@pytest.mark.parametrize("n", [0, 3, 255])
def test_file_scripts_exit_code_is_the_process_exit_code(
    shell: Shell, cell_env: dict[str, str], n: int
) -> None:
    obs = run_script(shell, f"exit {n}", cell_env, report_status=False)
    assert obs.outer is not None and obs.outer.exited and obs.outer.value == n


@pytest.mark.parametrize("shell", PWSH_PARAMS)
@pytest.mark.parametrize("scenario", ["pwsh/command-collapse", "pwsh/file-exit/42", "exit/42"])
def test_pwsh_scenarios_conform_to_the_documents(
    shell: Shell, kit: ProbeKit, cell_env: dict[str, str], scenario: str
) -> None:
    cell = run_cell(shell, BY_ID[scenario], kit, cell_env, DEFAULT_LIMITS)
    assert cell.verdict == "conforms", cell.to_record()
