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
        (["--shells="], "no shells selected"),
        (["--shells", "bash,bash"], "selected twice"),
        (["--scenarios", "nope/*"], "no scenario matches nope/*"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--timeout", "-1"], "--timeout must be"),  # a negative number is a value
        (["--format", "pdf"], "invalid choice"),
        (["-o", "x.json"], "-o needs --format"),
        (["--frobnicate"], "unrecognized option"),
        (["stray"], "unexpected argument"),
        (["--jobs", "two"], "--jobs: not a number"),
        (["--timeout"], "requires a value"),
        (["--out-dir", "--strict"], "option '--out-dir' requires a value"),
        (["-o=m.json", "--format", "json"], "takes its value as -oVALUE or -o VALUE"),
        (["--format", "json", "-o", ""], "need a name"),
        (["--out-dir="], "need a name"),
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


def test_a_built_in_run_ends_with_its_counts_and_fails_only_on_errors(tmp_path: Path) -> None:
    # bash's exec-format deviates (a finding about bash), which fails no built-in run by default
    out = tmp_path / "m.json"
    done = _exitcodes("matrix", "--shells", "bash,pwsh", "--scenarios", "exit/42,exec-format",
                      "--format", "json", "-o", str(out), "--no-record")  # fmt: skip
    summary = json.loads(out.read_text())["meta"]["summary"]
    verdicts = [r["verdict"] for r in json.loads(out.read_text())["records"]]
    assert summary["verdicts"] == {v: verdicts.count(v) for v in summary["verdicts"]}
    assert summary["cells"] == 4 and summary["results"] == {}  # no suites, no Oils classes
    assert done.stderr == f"exitcodes matrix: {summary['line']}\n"
    assert summary["line"].startswith("4 cells: ") and summary["line"].endswith(" s")
    assert done.returncode == 0  # whatever deviates: a finding about a shell, not a failure
    strict = _exitcodes("matrix", "--shells", "bash", "--scenarios", "exec-format",
                        "--fail-on", "deviates", "--no-record")  # fmt: skip
    assert strict.returncode == (1 if "deviates" in verdicts else 0), strict.stderr
    never = _exitcodes("matrix", "--shells", "bash", "--scenarios", "exec-format",
                       "--fail-on", "none", "--no-record")  # fmt: skip
    assert never.returncode == 0


def test_the_gate_counts_error_cells_by_default_and_says_which(tmp_path: Path) -> None:
    hung = tmp_path / "hung"
    hung.write_text("#!/bin/sh\nexec sleep 30\n")
    hung.chmod(0o755)
    done = _exitcodes("matrix", "--shells", f"dash={hung}", "--scenarios", "exit/0",
                      "--timeout", "0.2", "--no-record")  # fmt: skip
    assert done.returncode == 1
    summary, failed = done.stderr.splitlines()[-2:]
    assert "1 error (1 timed out)" in summary
    assert failed == "exitcodes matrix: failed (--fail-on error): 1 cells: dash exit/0 (error)"
    allowed = _exitcodes("matrix", "--shells", f"dash={hung}", "--scenarios", "exit/0",
                         "--timeout", "0.2", "--fail-on", "deviates", "--no-record")  # fmt: skip
    assert allowed.returncode == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [("deviate", "'deviate' is not a verdict"), (",", "is not a verdict"),
     ("error,none", "'none' is not a verdict"), ("FAIL", "'FAIL' is not a verdict")],
)  # fmt: skip
def test_a_bad_fail_on_is_one_line_and_exit_2(value: str, message: str) -> None:
    done = _exitcodes("matrix", "--shells", "dash", "--fail-on", value)
    assert done.returncode == 2 and message in done.stderr
    assert done.stderr.count("\n") == 1
