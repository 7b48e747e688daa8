"""A column can be a shell started its own way: with options (bash-posix, NAME:OPT) or as argv0."""

from __future__ import annotations

import os

import pytest

from exitwrap.conventions.catalog import CONVENTIONS
from exitwrap.conventions.checker import covering
from exitwrap.errors import UsageError
from exitwrap.matrix.run import run_cell
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import DEFAULT_LIMITS, run
from exitwrap.scenarios.catalog import BY_ID
from exitwrap.shells.catalog import BY_NAME, POSIX_FAMILY
from exitwrap.shells.shell import Shell, parse_selection, resolve
from exitwrap.shells.variants import Start, split_entry
from exitwrap.status import Termination
from tests.conftest import SHELLS
from tests.hostile import HOSTILE

# the shell option each mode turns on, as `set -o` lists it
POSIX_OPTION = {"bash": "posix", "yash": "posixlycorrect"}


def _mode_is_on(shell: Shell, base: str, env: dict[str, str]) -> bool:
    """Whether the started shell is in its POSIX mode, as the shell itself says."""
    option = POSIX_OPTION[base]
    obs = run(shell.argv(f"set -o | grep '^{option}[[:space:]]'"), env)
    assert obs.outer is not None and obs.outer.exited, obs.stderr
    words = obs.stdout.split()
    assert words[0] == option, obs.stdout
    return words[-1] == "on"


def test_the_modes_are_catalog_shells_of_the_posix_family() -> None:
    assert {"bash-posix", "yash-posix"} <= set(POSIX_FAMILY)
    assert BY_NAME["bash-posix"].mode_args == ("--posix",)
    assert BY_NAME["yash-posix"].mode_args == ("-o", "posixly-correct")
    assert BY_NAME["bash"].mode_args == BY_NAME["yash"].mode_args == ()


@pytest.mark.parametrize(("mode", "base"), [("bash-posix", "bash"), ("yash-posix", "yash")])
def test_a_mode_column_runs_its_shell_in_that_mode(
    mode: str, base: str, cell_env: dict[str, str]
) -> None:
    shell, plain = SHELLS[mode], SHELLS[base]
    if not (shell.present and plain.present):
        pytest.skip(f"{base} absent")
    assert shell.path == plain.path and shell.version == plain.version != "unknown"
    assert _mode_is_on(shell, base, cell_env)
    assert not _mode_is_on(plain, base, cell_env)


def test_bash_started_as_sh_is_in_posix_mode(cell_env: dict[str, str]) -> None:
    """bash(1): started as sh it enters POSIX mode; argv0= starts it through a link named sh."""
    if not SHELLS["bash"].present:
        pytest.skip("bash absent")
    shell = resolve(parse_selection("bash@sh:argv0=sh")[0])
    assert shell.present and os.path.basename(str(shell.path)) == "sh"
    assert os.path.realpath(str(shell.path)) == os.path.realpath(str(SHELLS["bash"].path))
    assert _mode_is_on(shell, "bash", cell_env)
    again = resolve(parse_selection("bash@sh:argv0=sh")[0])
    assert again.path == shell.path  # made once, then reused


def test_options_after_a_name_start_the_shell_with_them(cell_env: dict[str, str]) -> None:
    if not SHELLS["bash"].present:
        pytest.skip("bash absent")
    shell = resolve(parse_selection("bash@posix:--posix")[0])
    assert shell.label == "bash@posix" and shell.name == "bash"
    assert shell.argv("true")[:3] == [shell.path, "--posix", "-c"]
    assert _mode_is_on(shell, "bash", cell_env)


def test_a_modes_manual_and_its_shells_bind_it() -> None:
    cases = {
        "bash-posix": ("bash/signal-status", "bash-posix/expansion-error-exits"),
        "yash-posix": ("yash/signal-status", "yash-posix/exit-error-exits"),
    }
    for mode, (inherited, own) in cases.items():
        signal_ids = {c.id for c in covering(CONVENTIONS, mode, BY_ID["signal/9"], POSIX_FAMILY)}
        assert inherited in signal_ids
        scenario = "expansion-error" if mode == "bash-posix" else "shell-exit/-1"
        assert own in {c.id for c in covering(CONVENTIONS, mode, BY_ID[scenario], POSIX_FAMILY)}
        # and a mode's own entries do not bind the shell in its default mode
        base = mode.split("-")[0]
        assert own not in {c.id for c in covering(CONVENTIONS, base, BY_ID[scenario], POSIX_FAMILY)}


@pytest.mark.parametrize(
    ("entry", "label", "path", "start"),
    [
        ("bash", "bash", None, Start()),
        ("bash@posix:--posix", "bash@posix", None, Start(("--posix",))),
        ("yash@p=/usr/bin/yash:-o:posixly-correct", "yash@p", "/usr/bin/yash",
         Start(("-o", "posixly-correct"))),
        ("bash@sh=/bin/bash:argv0=sh", "bash@sh", "/bin/bash", Start((), "sh")),
        ("cmd@w=C:\\Windows\\cmd.exe:/q", "cmd@w", "C:\\Windows\\cmd.exe", Start(("/q",))),
    ],
)  # fmt: skip
def test_entries_split_into_label_path_and_start(
    entry: str, label: str, path: str | None, start: Start
) -> None:
    parsed = split_entry(entry)
    assert (parsed.label, parsed.path, parsed.start) == (label, path, start)


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("bash@x", "a tagged shell needs a binary or options"),
        ("bash=", "empty path"),
        ("bash:", "empty option"),
        ("bash@p::--posix", "empty option"),
        ("bash@s:argv0=a/b", "plain file name"),
        ("bash@s:argv0=", "plain file name"),
        ("bash@s:argv0=..", "plain file name"),
        ("bash@s:argv0=sh:argv0=ksh", "given twice"),
        ("sh:--posix", "unknown shell"),
    ],
)
def test_malformed_entries_are_one_line_usage_errors(entry: str, why: str) -> None:
    with pytest.raises(UsageError, match=why) as raised:
        parse_selection(entry)
    assert "\n" not in str(raised.value).replace("\\n", "")


def test_the_same_shell_twice_needs_a_tag() -> None:
    with pytest.raises(UsageError, match="selected twice"):
        parse_selection("bash,bash:--posix")
    assert [s.label for s in parse_selection("bash,bash@posix:--posix")] == ["bash", "bash@posix"]


def _error_of(entry: str) -> str:
    try:
        parse_selection(entry)
    except UsageError as error:
        return str(error)
    return ""


@pytest.mark.parametrize("arg", HOSTILE)
def test_hostile_entries_are_refused_on_one_line(arg: str) -> None:
    for entry in (arg, f"bash@{arg}:x", f"bash@t:argv0={arg}"):
        assert "\n" not in _error_of(entry)


@pytest.mark.parametrize(("mode", "base"), [("bash-posix", "bash"), ("yash-posix", "yash")])
def test_a_failing_special_builtin_ends_only_the_posix_mode(
    mode: str, base: str, kit: ProbeKit, cell_env: dict[str, str]
) -> None:
    """Both modes' documents say so; in the default modes the script goes on to `exit 0`."""
    if not SHELLS[base].present:
        pytest.skip(f"{base} absent")
    scenario = BY_ID["special-builtin-error"]
    plain = run_cell(SHELLS[base], scenario, kit, cell_env, DEFAULT_LIMITS)
    posix = run_cell(SHELLS[mode], scenario, kit, cell_env, DEFAULT_LIMITS)
    assert plain.observation is not None and posix.observation is not None
    assert plain.observation.outer == Termination("exited", 0)
    assert posix.observation.outer is not None and posix.observation.outer.value != 0
    assert posix.verdict == "conforms", posix.to_record()
