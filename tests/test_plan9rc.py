"""Plan 9's rc (9base) as a shell of its own: found, versioned, quoted, its string statuses read."""

from __future__ import annotations

import signal

import pytest

from exitwrap.cli.main import main
from exitwrap.explain import interpretations
from exitwrap.matrix.run import run_cell
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import DEFAULT_LIMITS
from exitwrap.scenarios.catalog import BY_ID
from exitwrap.shells import status_words
from exitwrap.shells.catalog import BY_NAME
from exitwrap.shells.discovery import UNKNOWN
from exitwrap.shells.shell import Shell
from tests.conftest import SHELLS

CORE = 0x80


@pytest.fixture
def plan9rc() -> Shell:
    shell = SHELLS["plan9rc"]
    if not shell.present:
        pytest.skip(f"plan9rc absent: {shell.absent_reason}")
    return shell


def test_plan9rc_is_not_byron_rakitzis_rc(plan9rc: Shell) -> None:
    assert plan9rc.path != SHELLS["rc"].path
    assert plan9rc.spec.dialect.name == "plan9rc" and plan9rc.spec.version_args == ()
    assert plan9rc.version != UNKNOWN  # asked of the package manager: it has no version flag


def test_plan9rc_runs_rcs_scripts_and_refuses_what_it_cannot_carry() -> None:
    dialect = BY_NAME["plan9rc"].dialect
    assert BY_ID["subshell/5"].script_for("plan9rc") == "@{exit 5}"
    assert BY_ID["wait-bg/6"].script_for("plan9rc") == BY_ID["wait-bg/6"].script_for("rc")
    assert dialect.quote("it's") == "'it''s'"
    with pytest.raises(ValueError, match="x01"):
        dialect.quote("a\x01b")


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        ("exit/0", ""),  # the null string: success
        ("exit/256", ""),  # exit(256) leaves 0: success again
        ("exit/42", "42"),
        ("signal/9", "signal: sys: kill"),
        ("signal/15", "signal: kill"),  # Plan 9's note for SIGTERM is "kill"
        ("pipeline/last", "|1"),
        ("subshell/5", "5"),
    ],
)
def test_status_is_the_wait_message(
    plan9rc: Shell, kit: ProbeKit, cell_env: dict[str, str], scenario: str, status: str
) -> None:
    cell = run_cell(plan9rc, BY_ID[scenario], kit, cell_env, DEFAULT_LIMITS)
    assert cell.observation is not None and cell.observation.inner == status
    assert cell.verdict == "conforms", cell.to_record()


def test_a_failed_redirection_ends_plan9rc(
    plan9rc: Shell, kit: ProbeKit, cell_env: dict[str, str]
) -> None:
    """Observed: rc stops at `cmd < missing`, so no status is printed after it."""
    cell = run_cell(plan9rc, BY_ID["redirect-error"], kit, cell_env, DEFAULT_LIMITS)
    assert cell.observation is not None and cell.observation.inner is None
    assert cell.observation.outer is not None and cell.observation.outer.value != 0


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        ("", [0]),
        ("''", [0]),
        ("3", [3 << 8]),
        ("signal: sys: kill", [signal.SIGKILL]),
        ("signal: quit (core dumped)", [signal.SIGQUIT | CORE]),
        ("signal: sys: signal 40", [40]),
        ("|1", [0, 1 << 8]),
        ("signal: interrupt|", [signal.SIGINT, 0]),
        ("sigkill", [signal.SIGKILL]),
        ("sigsegv+core", [signal.SIGSEGV | CORE]),
        ("0 1", [0, 1 << 8]),
    ],
)
def test_status_words_read_back_as_wait_statuses(text: str, statuses: list[int]) -> None:
    words = status_words.read(text)
    assert words is not None
    assert [w.wait_status(status_words.host_numbers()) for w in words] == statuses


@pytest.mark.parametrize(
    "text", ["signal: nonsense", "sigfoo", "0 what", "300", "signal:", "|x", "sig", "1 2 x"]
)
def test_anything_else_is_no_status_word(text: str) -> None:
    assert status_words.read(text) is None


@pytest.mark.parametrize(
    ("text", "convention", "says"),
    [
        ("signal: sys: kill", "plan9rc/wait-message", "SIGKILL"),
        ("signal: quit (core dumped)", "plan9rc/wait-message", "dumped core"),
        ("", "plan9rc/null-status", "succeeded"),
        ("|1", "plan9rc/pipeline-status", "process 2 exited 1"),
        ("sigquit+core", "rc/signal-name", "SIGQUIT"),
        ("0 1", "rc/pipeline-status", "process 2 exited 1"),
    ],
)
def test_explain_reads_a_shells_status_words(text: str, convention: str, says: str) -> None:
    readings = interpretations(text, platform="linux")
    assert [r.convention for r in readings] == [convention]
    assert says in readings[0].meaning and readings[0].source.quote


def test_explain_cli_prints_status_words_and_refuses_other_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", "signal: sys: kill", "--shell", "plan9rc"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "'signal: sys: kill' (a status a shell reports as words)"
    assert "9base" in out
    assert main(["explain", "signal: bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("exitcodes explain: ") and err.count("\n") == 1
