"""Core dumps: allowed for the core scenarios only, seen in every layer, never left behind."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from exitwrap.matrix.run import run_cell
from exitwrap.observe.cores import CORE_DIR_VARIABLE, core_cell, policy, policy_for
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import DEFAULT_LIMITS, run
from exitwrap.scenarios.catalog import BY_ID, SCENARIOS
from tests.conftest import REPO, SHELLS

needs_cores = pytest.mark.skipif(not policy().possible, reason=policy().note)


@pytest.mark.parametrize(
    ("pattern", "hard", "possible", "says"),
    [
        ("core", resource.RLIM_INFINITY, True, "cell's own directory"),
        ("core.%e.%p", 0, False, "hard RLIMIT_CORE is 0"),
        ("|/usr/lib/systemd/systemd-coredump %P %u", 0, True, "pipes cores to /usr/lib/systemd"),
        ("|/usr/share/apport/apport -p%p", 4096, True, "no core file is written"),
        ("/var/crash/core.%e", resource.RLIM_INFINITY, False, "would be left behind"),
    ],
)
def test_where_a_core_goes_decides_whether_cores_are_allowed(
    pattern: str, hard: int, possible: bool, says: str
) -> None:
    decided = policy_for(pattern, hard)
    assert decided.possible is possible and says in decided.note


def test_only_the_core_scenarios_allow_a_core() -> None:
    allowing = {s.id for s in SCENARIOS if s.core}
    assert allowing == {f"{family}/{n}" for family in ("core", "core-exec") for n in (3, 6, 11)}
    assert all("core" in (s.scripts.get("posix") or "") for s in SCENARIOS if s.core)


def test_the_core_directory_is_gone_afterwards(tmp_path: Path) -> None:
    with core_cell({"TMPDIR": str(tmp_path)}) as env:
        directory = Path(env[CORE_DIR_VARIABLE])
        (directory / "core").write_bytes(b"\0" * 16)  # as the kernel would leave it
        assert directory.parent == tmp_path
    assert not directory.exists() and list(tmp_path.iterdir()) == []


@needs_cores
def test_an_exec_cell_dumps_core_in_its_directory_and_leaves_nothing(
    kit: ProbeKit, cell_env: dict[str, str], tmp_path: Path
) -> None:
    shell = SHELLS["dash"] if SHELLS["dash"].present else SHELLS["bash"]
    cell = run_cell(shell, BY_ID["core-exec/6"], kit, cell_env, DEFAULT_LIMITS)
    obs = cell.observation
    assert obs is not None and obs.wait_status is not None
    assert obs.wait_status & 0x7F == 6 and obs.wait_status & 0x80, obs  # WCOREDUMP
    assert cell.to_record()["outer"] == {"kind": "signaled", "value": 6, "core": True}
    assert "core_pattern" in (cell.to_record()["note"] or "")
    for where in (REPO, Path.cwd()):
        assert [name for name in os.listdir(where) if name.startswith("core")] == []
    assert [n for n in os.listdir(cell_env["TMPDIR"]) if n.startswith("exitwrap-core-")] == []


@needs_cores
@pytest.mark.parametrize(
    ("shell_name", "status", "message"),
    [
        ("bash", "131", "(core dumped)"),
        ("rc", "sigquit+core", "core dumped"),
        ("plan9rc", "signal: quit (core dumped)", "(core dumped)"),
        ("ksh93", "259", "(coredump)"),
    ],
)
def test_each_shell_reports_a_childs_core_its_own_way(
    shell_name: str, status: str, message: str, kit: ProbeKit, cell_env: dict[str, str]
) -> None:
    shell = SHELLS[shell_name]
    if not shell.present:
        pytest.skip(f"{shell_name} absent: {shell.absent_reason}")
    cell = run_cell(shell, BY_ID["core/3"], kit, cell_env, DEFAULT_LIMITS)
    assert cell.observation is not None
    assert cell.observation.inner == status
    assert message in cell.observation.stderr
    assert cell.verdict == "conforms", cell.to_record()


def test_without_the_core_directory_the_probe_dumps_nothing(
    kit: ProbeKit, cell_env: dict[str, str], tmp_path: Path
) -> None:
    """`probe signal N core` outside a core cell: no core, however high the shell's limit."""
    script = f"cd {tmp_path} && ulimit -c unlimited 2>/dev/null; exec {kit.probe} signal 6 core"
    obs = run(["/bin/sh", "-c", script], cell_env)
    assert obs.outer is not None and obs.outer.signaled and not obs.outer.core
    assert list(tmp_path.iterdir()) == []


def test_everything_else_keeps_cores_off_whatever_the_callers_limit(tmp_path: Path) -> None:
    """A shell that dies of SIGABRT by itself leaves no core, though its caller allowed them."""
    code = """
import resource, sys
from exitwrap.observe.runner import run
soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
obs = run(["/bin/sh", "-c", "kill -ABRT $$"], {"PATH": "/usr/bin:/bin"})
print(obs.outer.kind, obs.outer.value, obs.outer.core)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["signaled", "6", "False"]
    assert list(tmp_path.iterdir()) == []


def test_where_no_core_can_be_dumped_the_core_cells_do_not_apply(tmp_path: Path) -> None:
    """A process whose hard RLIMIT_CORE is 0 runs no core cell: n/a, saying why."""
    if policy().piped:
        pytest.skip("cores are piped to a program here, which RLIMIT_CORE does not stop")
    code = """
import json, resource
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
from exitwrap.matrix.run import run_matrix
from exitwrap.scenarios.catalog import select
from exitwrap.shells.shell import parse_selection, resolve
shells = [resolve(s) for s in parse_selection("dash,bash")]
result = run_matrix([s for s in shells if s.present][:1], select("core/3,signal/3"), jobs=1)
print(json.dumps([(r["scenario"], r["verdict"], r["note"]) for r in result.to_json()["records"]]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    records = {scenario: (verdict, note) for scenario, verdict, note in json.loads(done.stdout)}
    assert records["core/3"] == ("n/a", "the hard RLIMIT_CORE is 0: no core can be dumped")
    assert records["signal/3"][0] == "conforms"
