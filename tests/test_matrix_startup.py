"""A matrix run imports only what it needs: a structural guard, not a timing (bench/ measures).

A JSON report of non-interactive scenarios needs neither the terminal driver
(pexpect), nor the HTML or JUnit writers; once the shells' versions and the
probe kit are cached, nor subprocess or hashlib (3-4 ms each, a tenth of a
bare interpreter start); unrecorded, nor SQLite (a recorded run ingests its
cells when it ends, and imports it there). Nor dataclasses (which imports
inspect): its classes cost too much to define (harness/exitwrap/record.py).
Nor what the package gets by other means: typing (its names are imported for
type checkers only), ast (conventions/expr.py parses formulas itself),
tempfile and shutil (harness/exitwrap/scratch.py, path_search.py, and the
small option parser instead of argparse), pickle (forked
workers only), pathlib with urllib.parse and ipaddress (paths are strings on
these paths). The same holds for a run of an Oils spec file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.startup_helpers import imported_modules

NOT_NEEDED = {
    *("pexpect", "ptyprocess", "exitwrap.reports.html", "exitwrap.reports.junit"),
    *("_sqlite3", "sqlite3", "exitwrap.accounting.store", "subprocess", "hashlib", "_hashlib"),
    *("dataclasses", "inspect", "typing", "ast", "tempfile", "shutil", "random", "pickle"),
    *("pathlib", "urllib.parse", "ipaddress"),
}
SPEC = Path(__file__).parent / "spec" / "forms.test.sh"


@pytest.mark.parametrize("scenarios", [["--scenarios", "exit/0,signal/9"], ["--spec", str(SPEC)]])
def test_a_json_matrix_run_imports_only_what_it_needs(tmp_path: Path, scenarios: list[str]) -> None:
    cache, report = str(tmp_path / "cache"), str(tmp_path / "m.json")
    env = {**os.environ, "EXITWRAP_CACHE": cache}
    selection = [*scenarios, "--shells", "dash,bash"]
    args = ["-m", "exitwrap", "matrix", *selection, "--format", "json", "-o", report, "--no-record"]
    first = imported_modules(*args, env=env)  # builds the probe kit, learns the versions
    assert {"exitwrap.matrix.run", "subprocess"} <= first
    again = imported_modules(*args, env=env) - imported_modules("-c", "pass", env=env)
    assert "exitwrap.matrix.run" in again
    assert again & NOT_NEEDED == set()
    assert Path(report).stat().st_size > 0
