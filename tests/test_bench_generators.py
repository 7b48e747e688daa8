"""The files the scale and peer benchmarks write: read by the project's own readers, and run.

Both benchmarks compare runners on files they generate; a file that a
reader refused, or whose cases failed, would make every number about
something else. A few cells each, on two shells.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_oils import spec_text
from bench.bench_scale import scenario_file
from exitwrap.shells.shell import parse_selection, resolve
from exitwrap.suites.scenario_file import load_scenario_files
from exitwrap.suites.spec_file import load_spec_files

SHELLS = "bash,dash"
KINDS = 6  # bench_oils' kinds of case; bench_scale has four


@pytest.fixture(autouse=True)
def _shells_present() -> None:
    missing = [s.name for s in map(resolve, parse_selection(SHELLS)) if not s.present]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")


def _matrix(tmp_path: Path, *options: str) -> tuple[int, list[dict[str, object]]]:
    output = tmp_path / "matrix.json"
    done = subprocess.run(
        [sys.executable, "-m", "exitwrap", "matrix", "--shells", SHELLS, "--no-record",
         "--format", "json", "-o", str(output), *options],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert output.exists(), done.stderr
    return done.returncode, json.loads(output.read_text(encoding="utf-8"))["records"]


def test_scale_scenarios_load_and_conform(tmp_path: Path) -> None:
    path = tmp_path / "scale.toml"
    path.write_text(scenario_file(8), encoding="utf-8")
    loaded = load_scenario_files([path])
    assert [s.id for s in loaded.scenarios] == [f"scale/{i}" for i in range(8)]
    status, records = _matrix(tmp_path, "--scenario-file", str(path))
    assert len(records) == 16
    assert {r["verdict"] for r in records} == {"conforms"}, [
        (r["shell"], r["scenario"], r["inner"], r["outer"]) for r in records
    ]
    assert status == 0


def test_oils_spec_file_parses_and_passes(tmp_path: Path) -> None:
    path = tmp_path / "bench.test.sh"
    path.write_text(spec_text(KINDS), encoding="utf-8")
    suite = load_spec_files([path])
    assert len(suite.scenarios) == KINDS
    assert not suite.warnings
    status, records = _matrix(tmp_path, "--spec", str(path))
    assert len(records) == 2 * KINDS
    assert {r["verdict"] for r in records} == {"conforms"}, [
        (r["shell"], r["scenario"], r["outer"], r["stdout"]) for r in records
    ]
    assert status == 0
