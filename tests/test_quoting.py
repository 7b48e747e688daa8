"""Quoting carries any argument byte for byte through every installed shell (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import run
from exitwrap.shells.dialects import Unquotable
from exitwrap.shells.shell import Shell
from tests.conftest import UNIX_SHELL_PARAMS
from tests.hostile import HOSTILE as ALL_HOSTILE
from tests.hostile import text

HOSTILE = text(ALL_HOSTILE)

arguments = st.lists(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
    | st.sampled_from(HOSTILE),
    max_size=4,
)


# What each dialect documents it cannot carry (see harness/exitwrap/shells/dialects.py).
REFUSED = {"csh": {"\r"}, "plan9rc": {"\x01"}}


def _carried(shell: Shell, args: list[str]) -> list[str]:
    """The arguments the shell's dialect can carry; the others must be in its refuse-list."""
    kept = []
    for arg in args:
        try:
            shell.quote(arg)
            kept.append(arg)
        except Unquotable:
            assert any(c in arg for c in REFUSED.get(shell.spec.dialect.name, ())), repr(arg)
    return kept


def _round_trip(shell: Shell, kit: ProbeKit, env: dict[str, str], args: list[str]) -> None:
    args = _carried(shell, args)
    script = shell.spec.dialect.command_line([str(kit.probe), "args", *args])
    obs = run(shell.argv(script), env)
    assert obs.outer is not None and obs.outer.value == 0, obs.stderr
    lines = obs.stdout.splitlines()
    assert lines[-1] == f"END {len(args)}", obs.stdout
    assert [bytes.fromhex(h).decode() for h in lines[:-1]] == args


@pytest.mark.parametrize("shell", UNIX_SHELL_PARAMS)
def test_hostile_arguments_survive(shell: Shell, kit: ProbeKit, cell_env: dict[str, str]) -> None:
    _round_trip(shell, kit, cell_env, HOSTILE)


@pytest.mark.parametrize("shell", UNIX_SHELL_PARAMS)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=arguments)
def test_any_argument_survives(
    shell: Shell, kit: ProbeKit, cell_env: dict[str, str], args: list[str]
) -> None:
    _round_trip(shell, kit, cell_env, args)


@pytest.mark.parametrize("shell", UNIX_SHELL_PARAMS)
def test_only_the_documented_characters_are_refused(shell: Shell) -> None:
    with pytest.raises(Unquotable, match="NUL"):
        shell.quote("a\0b")
    refused = {a for a in HOSTILE if a not in _carried(shell, HOSTILE)}
    assert refused == {
        a for a in HOSTILE if any(c in a for c in REFUSED.get(shell.spec.dialect.name, ()))
    }
