"""The README's CI gate, run as written in a throwaway project: it fails while the tool breaks
its documented exit status and passes once the tool is fixed.

The project holds the README's ``ci/exit-codes.sh`` and, as ``ci/exit-codes.toml``,
the README's scenario file, and a ``sample-cli`` on PATH: first one that
exits 4 where its manual says 3, then the real one (fixtures/sample_cli.py).
Nothing else is given to it but the installed ``exitcodes`` on PATH.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.wrap_helpers import BIN

BROKEN = '#!/bin/sh\necho "sample-cli: $2: cannot read it" >&2\nexit 4\n'
FIXED = (
    f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {REPO / "fixtures" / "sample_cli.py"} "$@"\n'
)


def _readme_block(section: str, fence: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8").split(f"\n### {section}\n")[1]
    return text.split(f"```{fence}\n", 1)[1].split("```", 1)[0]


def _project(root: Path) -> Path:
    (root / "ci").mkdir()
    (root / "bin").mkdir()
    script = root / "ci" / "exit-codes.sh"
    script.write_text(_readme_block("A CI gate", "sh"), encoding="utf-8")
    script.chmod(0o755)
    toml = _readme_block("Your own scenarios", "toml")
    (root / "ci" / "exit-codes.toml").write_text(toml, encoding="utf-8")
    return script


def _tool(root: Path, text: str) -> None:
    tool = root / "bin" / "sample-cli"
    tool.write_text(text, encoding="utf-8")
    tool.chmod(0o755)


def _ci(script: Path, root: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{root / 'bin'}{os.pathsep}{BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(root),
        "EXITWRAP_DB": str(root / "accounting.db"),
        "LC_ALL": "C.UTF-8",
    }
    return subprocess.run(
        [str(script)], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_readme_ci_script_fails_on_a_deviation_and_passes_once_fixed(tmp_path: Path) -> None:
    script = _project(tmp_path)
    _tool(tmp_path, BROKEN)
    broken = _ci(script, tmp_path)
    assert broken.returncode == 1, broken.stderr
    *_, summary, failed = broken.stderr.splitlines()
    assert summary.startswith("exitcodes matrix: ") and " deviate" in summary
    assert failed.startswith("exitcodes matrix: failed (--fail-on deviates,error): ")
    assert "bash sample/config-error (FAIL)" in failed
    assert (tmp_path / "reports" / "matrix.md").is_file()
    _tool(tmp_path, FIXED)
    fixed = _ci(script, tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    last = fixed.stderr.splitlines()[-1]
    assert last.startswith("exitcodes matrix: ") and ", 0 deviate, " in last and " 0 FAIL, " in last
