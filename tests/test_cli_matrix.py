"""exitcodes matrix from the command line: formats, files, statuses, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from exitwrap.reports.json_report import schema

EXITCODES = [sys.executable, "-m", "exitwrap"]


def _exitcodes(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXITCODES, *args], capture_output=True, text=True, cwd=cwd, check=False, timeout=300
    )


def test_json_to_a_file_validates(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    done = _exitcodes("matrix", "--shells", "dash,pwsh", "--scenarios", "exit/4*,signal/15",
                      "--format", "json", "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    jsonschema.validate(document, schema())
    assert {r["scenario"] for r in document["records"]} == {"exit/42", "signal/15"}


def test_out_dir_writes_every_format(tmp_path: Path) -> None:
    done = _exitcodes(
        "matrix", "--shells", "dash", "--scenarios", "not-found", "--out-dir", str(tmp_path / "r")
    )
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert "matrix.json" in names and "matrix.md" in names


def test_markdown_to_stdout_by_default() -> None:
    done = _exitcodes("matrix", "--shells", "dash", "--scenarios", "pipeline/last")
    assert done.returncode == 0
    assert "| `pipeline/last` | inner |" in done.stdout


def test_error_cells_exit_1(tmp_path: Path) -> None:
    hung = tmp_path / "hung"
    hung.write_text("#!/bin/sh\nexec sleep 30\n")
    hung.chmod(0o755)
    done = _exitcodes(
        "matrix", "--shells", f"dash={hung}", "--scenarios", "exit/0", "--timeout", "0.2"
    )
    assert done.returncode == 1
    assert "ERROR" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shells", "cshell"], "unknown shell 'cshell'"),
        (["--shells", "bash@x"], "needs a binary"),
        (["--shells", ",,"], "no shells selected"),
        (["--shells", "bash,bash"], "selected twice"),
        (["--scenarios", "nope/*"], "no scenario matches nope/*"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--timeout", "-1"], "--timeout must be"),
        (["--format", "pdf"], "invalid choice"),
        (["-o", "x.json"], "-o needs --format"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = _exitcodes("matrix", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_unwritable_output_is_a_runtime_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = _exitcodes(
        "matrix", "--shells", "dash", "--scenarios", "exit/0", "--out-dir", str(blocker / "sub")
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_top_level_help_version_and_unknown_command() -> None:
    assert "matrix" in _exitcodes("--help").stdout
    assert _exitcodes("--version").stdout.startswith("exitcodes ")
    unknown = _exitcodes("frob")
    assert unknown.returncode == 2 and "unknown command 'frob'" in unknown.stderr
