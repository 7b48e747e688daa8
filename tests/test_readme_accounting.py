"""The README's accounting example, run as written on a database that already holds a matrix
run (as the Quickstart leaves it), with nothing but the commands the Quickstart installs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import REPO
from tests.wrap_helpers import BIN


def _example() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each ``$`` line of the section's first console block."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split("\n## Accounting\n")[1]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line.rstrip())
    return steps


def _shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_accounting_example_runs_as_written_after_a_matrix_run(tmp_path: Path) -> None:
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(tmp_path),
        "EXITWRAP_DB": str(tmp_path / "accounting.db"),
        "LC_ALL": "C.UTF-8",
    }
    matrix = _shell("exitcodes matrix --shells dash --scenarios exit/0 --out-dir reports",
                    tmp_path, env)  # fmt: skip
    assert matrix.returncode == 0, matrix.stdout
    steps = _example()
    (first, script), (second, _), *_ = steps
    assert first == "cat nightly.sh" and second.startswith("exitwrap --batch")
    (tmp_path / "nightly.sh").write_text("\n".join(script) + "\n", encoding="utf-8")
    (tmp_path / "nightly.sh").chmod(0o755)
    assert "make" not in "\n".join(script)  # the Quickstart installs no make
    for command, expected in steps:
        done = _shell(command, tmp_path, env)
        shown = [line.rstrip() for line in done.stdout.rstrip("\n").splitlines()]
        assert shown == "\n".join(expected).rstrip("\n").splitlines(), command
