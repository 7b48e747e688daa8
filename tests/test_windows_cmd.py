"""cmd, run for real: natively on Windows, through Wine (the harness's own prefix) elsewhere.

Expected values come from the documents: %ERRORLEVEL% is the child's 32-bit
exit code read as signed (GetExitCodeProcess, and cmd's signed display), and
what Linux sees of a Windows process under Wine follows Wine's
get_unix_exit_code() (harness/exitwrap/explain/readings.py cites it). Every observed
value comes from a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exitwrap.cli.main import main
from exitwrap.explain.readings import signed, unsigned, wine_unix_status
from exitwrap.matrix.run import run_matrix
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import run
from exitwrap.observe.session import child_kit, session
from exitwrap.platforms import host_platform
from exitwrap.reports import formats
from exitwrap.scenarios.catalog import select
from exitwrap.shells.dialects import Unquotable
from exitwrap.shells.shell import Shell
from exitwrap.shells.windows import CMD
from exitwrap.shells.wine import windows_path, wineserver
from tests.conftest import REPO, SHELLS
from tests.hostile import HOSTILE, printable_ascii
from tests.windows_helpers import printed_args, probe_line, run_script
from tests.wrap_helpers import children, wait_until

UNDER_WINE = host_platform() != "windows"
HOSTILE_ASCII = printable_ascii(HOSTILE)
ascii_args = st.lists(
    st.text(st.characters(min_codepoint=1, max_codepoint=127, exclude_characters="\r\n")),
    max_size=4,
)


@pytest.mark.skipif(not UNDER_WINE, reason="Wine is how cmd runs off Windows")
def test_cmd_is_wines_cmd_with_wines_version() -> None:
    shell = SHELLS["cmd"]
    if not shell.present:
        pytest.skip(f"cmd absent: {shell.absent_reason}")
    assert shell.platform == "wine"
    assert shell.version.startswith("wine-")
    assert os.path.basename(shell.path or "").startswith("wine")


@pytest.mark.parametrize(
    ("arg", "reason"),
    [("a\nb", "line break"), ("a\rb", "line break"), ("é", "ASCII"), ("日本", "ASCII")],
)
def test_cmd_refuses_what_a_batch_line_cannot_carry(arg: str, reason: str) -> None:
    with pytest.raises(Unquotable, match=reason):
        CMD.quote(arg)


def test_cmd_script_is_a_crlf_batch_file_removed_after_the_run(tmp_path: Path) -> None:
    shell = SHELLS["cmd"]
    if not shell.present:
        pytest.skip(f"cmd absent: {shell.absent_reason}")
    with shell.launch("echo one\necho two", {"TMPDIR": str(tmp_path)}) as launch:
        (script,) = tmp_path.glob("exitwrap-cell-*/cell.cmd")
        assert script.read_bytes() == b"@echo off\r\necho one\r\necho two\r\n"
        assert launch.argv[-1] == shell.native_path(str(script))
    assert not list(tmp_path.iterdir())


def test_cmd_carries_hostile_ascii_arguments(
    cmd_shell: Shell, kit: ProbeKit, cell_env: dict[str, str]
) -> None:
    obs = run_script(cmd_shell, probe_line(cmd_shell, kit, ["args", *HOSTILE_ASCII]), cell_env)
    assert obs.error is None and obs.inner == "0", obs.stderr
    assert printed_args(obs) == HOSTILE_ASCII


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=ascii_args)
def test_cmd_carries_any_ascii_argument(
    cmd_shell: Shell, kit: ProbeKit, cell_env: dict[str, str], args: list[str]
) -> None:
    obs = run_script(cmd_shell, probe_line(cmd_shell, kit, ["args", *args]), cell_env)
    assert printed_args(obs) == args


@pytest.mark.parametrize("n", [0, 1, 255, 256, 300, -1, 2147483647, 3221225477, 9009])
def test_a_childs_dword_and_what_the_os_sees(
    cmd_shell: Shell, kit: ProbeKit, cell_env: dict[str, str], n: int
) -> None:
    obs = run_script(cmd_shell, probe_line(cmd_shell, kit, ["exit", str(n)]), cell_env)
    assert obs.inner == str(signed(n)), obs.stderr  # %ERRORLEVEL%: the DWORD, signed
    outer = obs.outer
    assert outer is not None and outer.exited
    if UNDER_WINE:  # cmd ends with that errorlevel; Linux sees Wine's translation of it
        assert outer.value == wine_unix_status(n)
        assert obs.dword is None
    else:
        assert obs.dword == unsigned(n)


@pytest.mark.skipif(not UNDER_WINE, reason="Wine's translation of a DWORD")
@pytest.mark.parametrize("n", [0, 1, 5, 255, 256, 512, 300, -1, -256, 3221225477, 3221225786])
def test_wine_turns_a_windows_exit_code_into_the_unix_status_its_source_says(
    cmd_shell: Shell, kit: ProbeKit, cell_env: dict[str, str], n: int
) -> None:
    probe = windows_path(str(child_kit(cmd_shell, kit).probe))
    host = cmd_shell.spec.launcher.host
    obs = run([cmd_shell.path or "wine", probe, "exit", str(n)], host.environment(cell_env))
    outer = obs.outer
    assert outer is not None and outer.exited, obs
    assert outer.value == wine_unix_status(n)


def test_cmd_matrix_has_no_error_cells_and_every_format_shows_its_scenarios(
    cmd_shell: Shell,
) -> None:
    scenarios = select("exit/0,exit/256,exit/-1,not-found,cmd/*")
    result = run_matrix([cmd_shell], scenarios)
    assert result.errors == 0, [c.check.note for c in result.cells if c.verdict == "error"]
    document = result.to_json()
    records = {r["scenario"]: r for r in document["records"]}
    assert records["exit/256"]["inner"] == "256"
    assert records["exit/256"]["platform"] == cmd_shell.platform
    for name in formats.FORMATS:
        text = formats.renderer(name)(document)
        for scenario in ("cmd/exit-b-call/42", "cmd/if-errorlevel/3", "cmd/still-active"):
            assert scenario in text, name


@pytest.mark.slow
def test_exitcodes_matrix_shells_cmd_runs_without_error_cells(
    cmd_shell: Shell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["matrix", "--shells", "cmd", "--out-dir", str(tmp_path)]) == 0, capsys
    document = json.loads((tmp_path / "matrix.json").read_text(encoding="utf-8"))
    verdicts = {r["scenario"]: r["verdict"] for r in document["records"]}
    assert "error" not in verdicts.values()
    assert verdicts["cmd/errorlevel-block/delayed"] != "n/a"
    assert "`cmd/batch-last-fails/call`" in (tmp_path / "matrix.md").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.skipif(not UNDER_WINE, reason="Wine's prefix")
def test_a_fresh_cache_gets_its_own_prefix_and_leaves_no_wineserver(tmp_path: Path) -> None:
    """Never the user's ~/.wine; the prefix is created on first use; nothing keeps running."""
    shell = SHELLS["cmd"]
    if not shell.present:
        pytest.skip(f"cmd absent: {shell.absent_reason}")
    home, cache = tmp_path / "home", tmp_path / "cache"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "EXITWRAP_CACHE": str(cache)}
    env.pop("WINEPREFIX", None)
    done = subprocess.run(
        [sys.executable, "-m", "exitwrap", "matrix", "--shells", "cmd", "--scenarios", "exit/42"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| 42 ✓ |" in done.stdout
    assert not (home / ".wine").exists()
    prefix = cache / "wine-prefix"
    assert (prefix / "drive_c").is_dir()
    server = wineserver(shell.path or "wine")
    if server:  # -k exits 1 when no server runs for this prefix
        left = subprocess.run(
            [server, "-k"], env={**env, "WINEPREFIX": str(prefix)}, check=False, timeout=60
        )
        assert left.returncode == 1


def _command_lines() -> dict[int, str]:
    found = {}
    for pid in children(os.getpid()):
        with contextlib.suppress(OSError):  # gone meanwhile
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            found[pid] = command.decode("utf-8", "replace")
    return found


def _our_children() -> dict[int, str]:
    """This process's children and their command lines, once none is in the middle of an exec
    (Debian's /usr/bin/wine is a shell script that execs Wine's loader: while it does, the
    command line reads empty)."""
    settled: dict[int, str] = {}

    def read() -> bool:
        settled.clear()
        settled.update(_command_lines())
        return all(command.strip() for command in settled.values())

    assert wait_until(read, seconds=30), settled
    return settled


@pytest.mark.skipif(not UNDER_WINE or not os.path.isdir("/proc"), reason="Wine's server, /proc")
def test_a_held_session_keeps_a_client_on_wines_server_and_ends_it() -> None:
    """A server left without clients exits after its linger time, and a program started just
    then fails ("ShellExecuteEx failed"): a session keeps one of its own connected."""
    shell = SHELLS["cmd"]
    if not shell.present:
        pytest.skip(f"cmd absent: {shell.absent_reason}")
    before = _our_children()  # what sessions this test worker already holds keep running
    with session(shell) as held:
        assert held.present, held.absent_reason
        during = _our_children()
    after = _our_children()
    added = {pid: command for pid, command in during.items() if pid not in before}
    # Wine rewrites a starting process's command line in place ("start.exe /exec cmd ...")
    assert len(added) == 1 and "cmd" in next(iter(added.values())), added
    assert not set(added) & set(after), after
