"""A matrix run imports only what it needs: a structural guard, not a timing (bench/ measures).

A JSON report of non-interactive scenarios needs neither the terminal driver
(pexpect), nor the HTML or JUnit writers; once the shells' versions and the
probe kit are cached, nor subprocess or hashlib (3-4 ms each, a tenth of a
bare interpreter start); nor SQLite, recorded or not (a run of no more steps than a
spool batch file holds leaves them in the spool; a longer one ingests them when it
ends, and imports it there). Nor dataclasses (which imports
inspect): its classes cost too much to define (harness/exitwrap/record.py).
Nor what the package gets by other means: typing (its names are imported for
type checkers only), ast (conventions/expr.py parses formulas itself),
tempfile and shutil (harness/exitwrap/scratch.py, path_search.py, and the
small option parser instead of argparse), pickle (forked
workers only), pathlib with urllib.parse and ipaddress (paths are strings on
these paths). The same holds for a run of an Oils spec file, which does without
the built-in conventions catalog too (it covers no spec case).
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


CATALOG = "exitwrap.conventions.catalog"


@pytest.mark.parametrize(
    ("scenarios", "catalog"),
    [
        (["--scenarios", "exit/0,signal/9", "--shells", "dash,bash"], True),
        (["--spec", str(SPEC), "--shells", "dash"], False),  # 18 cases: one batch's steps
    ],
)
def test_a_json_matrix_run_imports_only_what_it_needs(
    tmp_path: Path, scenarios: list[str], catalog: bool
) -> None:
    cache, report = str(tmp_path / "cache"), str(tmp_path / "m.json")
    env = {**os.environ, "EXITWRAP_CACHE": cache, "EXITWRAP_DB": str(tmp_path / "a.db")}
    args = ["-m", "exitwrap", "matrix", *scenarios, "--format", "json", "-o", report]
    first = imported_modules(*args, env=env)  # builds the probe kit, learns the versions
    assert {"exitwrap.matrix.run", "subprocess"} <= first
    again = imported_modules(*args, env=env) - imported_modules("-c", "pass", env=env)
    assert "exitwrap.matrix.run" in again
    assert again & NOT_NEEDED == set()
    assert "exitwrap.matrix.feed" in again  # recorded
    assert (CATALOG in again) is catalog
    assert Path(report).stat().st_size > 0
