"""CI configuration kept honest: the workflow, nox and tox only name what exists here.

The GitHub Actions workflow cannot run on this machine, so its structure is
checked instead: every nox session it runs is one ``nox -l`` lists, every
shell it asks for is a known one, the artifacts it uploads are the ones it
downloads, and the Windows job's import path works without the POSIX-only
modules Windows lacks.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml

from exitwrap.reports.formats import FORMATS
from exitwrap.shell_names import KNOWN_NAMES
from tests.conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "conformance.yml"
NOX = [sys.executable, "-m", "nox", "-f", str(REPO / "noxfile.py")]
POSIX_ONLY = ("pty", "fcntl", "pwd", "resource", "termios", "grp")
# what the Windows job (and a Windows user of the plugin) imports
# module -> why it cannot import on Windows yet (strict: fixed = fails)
KNOWN_POSIX_IMPORTS: dict[str, str] = {}
WINDOWS_PATH = (
    "exitwrap.cli.main",
    "exitwrap.cli.matrix",
    "exitwrap.cli.report",
    "exitwrap.pytest_plugin",
    "exitwrap.pytest_plugin.runs",
    "exitwrap.reports.html",
    "exitwrap.reports.junit",
    "exitwrap.reports.conventions",
)


def _workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def _nox_sessions() -> set[str]:
    """Every session ``nox -l`` lists, selected by default (*) or not (-)."""
    listed = subprocess.run(
        [*NOX, "-l"], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    return {line[2:].split(" -> ")[0] for line in listed.splitlines() if line[:2] in ("* ", "- ")}


def _scripts(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_nox_lists_every_session_ci_needs() -> None:
    sessions = _nox_sessions()
    assert {"lint", "matrix", "report", "bench", "postgresql", "slurm"} <= sessions
    assert any(s.startswith("tests-") for s in sessions)
    assert {f"conformance(shell='{name}')" for name in KNOWN_NAMES} <= sessions


def test_bootstrap_installs_what_the_server_and_slurm_tests_start() -> None:
    """The README's test command (what .ci/run runs) starts with scripts/bootstrap.sh: the
    packages of the daemons the tests start by hand must be among what it installs."""
    text = (REPO / "scripts" / "bootstrap.sh").read_text()
    listed = {word for line in text.splitlines() if line.startswith("PACKAGES=")
              for word in line.partition("=")[2].strip('"').split()}  # fmt: skip
    assert {"postgresql", "iproute2", "slurm-wlm", "slurmdbd", "munge", "mariadb-server",
            "slurm-client"} <= listed  # fmt: skip


def test_a_missing_python_is_skipped_even_under_ci() -> None:
    done = subprocess.run(
        [*NOX, "-s", "tests", "--force-python", "3.99"],
        env={**os.environ, "CI": "true"}, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "skipped: Python interpreter 3.99 not found" in done.stderr


def test_tox_is_the_same_tests_on_present_pythons_and_lint() -> None:
    tox = configparser.ConfigParser()
    tox.read(REPO / "tox.ini")
    assert tox["tox"]["skip_missing_interpreters"] == "true"
    envs = tox["tox"]["env_list"]
    assert "lint" in envs and "py3{9,10,11,12,13}" in envs
    assert "pytest -n auto" in tox["testenv"]["commands"]


def test_workflow_runs_conformance_on_three_oses_and_merges_it() -> None:
    jobs = _workflow()["jobs"]
    matrix = jobs["conformance"]["strategy"]["matrix"]["include"]
    by_os = {entry["os"].split("-")[0]: entry["shells"].split() for entry in matrix}
    assert set(by_os) == {"ubuntu", "macos", "windows"}
    assert {"cmd", "pwsh"} <= set(by_os["windows"])
    assert {"bash", "dash", "ksh93", "zsh"} <= set(by_os["ubuntu"])
    assert all(shell in KNOWN_NAMES for shells in by_os.values() for shell in shells)
    report = jobs["report"]
    assert report["needs"] == "conformance"
    assert '>> "$GITHUB_STEP_SUMMARY"' in _scripts(report)


def test_every_nox_session_the_workflow_runs_exists() -> None:
    jobs = _workflow()["jobs"]
    sessions = _nox_sessions()
    pythons = jobs["tests"]["strategy"]["matrix"]["python"]
    assert {f"tests-{p}" for p in pythons} <= sessions
    named = re.findall(r"nox -s (\S+)", "\n".join(_scripts(j) for j in jobs.values()))
    literal = {n for n in named if "$" not in n and not n.startswith('"')}
    assert literal and literal <= sessions, literal - sessions
    conformance = _scripts(jobs["conformance"])
    assert "sessions+=(\"conformance(shell='$shell')\")" in conformance
    for entry in jobs["conformance"]["strategy"]["matrix"]["include"]:
        assert {f"conformance(shell='{s}')" for s in entry["shells"].split()} <= sessions


def test_the_report_job_reads_what_the_sessions_write() -> None:
    jobs = _workflow()["jobs"]
    noxfile = (REPO / "noxfile.py").read_text(encoding="utf-8")
    assert 'RESULTS = "results"' in noxfile and 'REPORTS = "reports"' in noxfile
    upload = next(s for s in jobs["conformance"]["steps"] if "upload-artifact" in s.get("uses", ""))
    download = next(s for s in jobs["report"]["steps"] if "download-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "results/*.json"
    assert upload["with"]["name"].startswith("results-") and download["with"]["pattern"] == (
        "results-*"
    )
    assert download["with"]["path"] == "results" and download["with"]["merge-multiple"] is True
    assert f"reports/{FORMATS['md'][0]}" in _scripts(jobs["report"])
    for job in jobs.values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"actions/[\w-]+@v\d+", step["uses"]), step["uses"]


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(m, marks=pytest.mark.xfail(reason=KNOWN_POSIX_IMPORTS[m], strict=True))
        if m in KNOWN_POSIX_IMPORTS
        else m
        for m in WINDOWS_PATH
    ],
)
def test_windows_path_imports_without_posix_only_modules(module: str) -> None:
    blocker = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {POSIX_ONLY!r}:
            raise ImportError(f"{{name}} does not exist on Windows")
        return None
for name in {POSIX_ONLY!r}:
    sys.modules.pop(name, None)
sys.meta_path.insert(0, Block())
import {module}
"""
    done = subprocess.run(
        [sys.executable, "-c", blocker],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.strip().splitlines()[-4:]
