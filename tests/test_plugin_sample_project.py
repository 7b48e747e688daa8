"""The package as users install it: a wheel built from this checkout, in projects outside it.

The wheel holds the one import package ``exitwrap`` (its fixtures as package
data) and runs the matrix with no checkout present; a project with its own
``harness`` package is not disturbed by the plugin. The README's pytest-plugin
example runs for real: the sample project gets its own virtual environment with exitwrap installed
from a wheel built from this checkout (pytest and pytest-xdist come from
the environment running these tests), the README's test module verbatim,
the sample CLI, the sh shim when it exists, and one test that is wrong on
purpose. It runs under ``-n 2``; pass, fail and skip counts are read back
from pytest's own JUnit file with a JUnit consumer (junitparser), and the
plugin's merged report must hold every cell exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from tests.conftest import REPO, SHELLS

SHELL_NAMES = ["bash", "dash", "ksh93", "zsh", "pwsh"]
WRONG_ON_PURPOSE = """
import sys
from pathlib import Path

from exitwrap.pytest_plugin import expect

CLI = [sys.executable, str(Path(__file__).with_name("sample_cli.py"))]


def test_usage_error_is_not_3(run_in_shell):
    expect(run_in_shell([*CLI, "check"]), status=3)  # sample-cli exits 2: this must fail
"""


def readme_example() -> str:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("\n## pytest plugin\n")[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


# what a wheel is built from (harness/exitwrap/fixtures links to fixtures/)
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "harness", "fixtures")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of this checkout, once for the module in each worker.

    Not from the checkout itself: setuptools builds in the tree's own build/, and two
    workers building there at once collide ("File exists: build/bdist...").
    """
    source, wheels = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheels")
    skipped = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, symlinks=True, ignore=skipped)
        else:
            shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return next(wheels.glob("exitwrap-*.whl"))


PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


def _install(project: Path, wheel: Path) -> Path:
    """A virtual environment for the project, with exitwrap installed from the wheel."""
    venv = project / ".venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout.strip()  # fmt: skip
    # the test tools only (a path line: the .pth files there, our own editable install's
    # among them, are not processed)
    Path(site, "dev-tools.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --ignore-installed: the test tools' environment may hold exitwrap too (tox installs it);
    # pip must install into the project's own environment, not call that "already satisfied"
    subprocess.run(
        [*PIP, "--python", str(python), "install", "--no-deps", "--no-index",
         "--ignore-installed", str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return python


def _outside_env(python: Path) -> dict[str, str]:
    """The environment of a project outside this checkout, with its own venv first on PATH."""
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    return env


def test_the_wheel_holds_one_package_with_its_fixtures(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"exitwrap"}
    for data in ("fixtures/probe.c", "fixtures/files/exec-format.bin", "schema/matrix.schema.json"):
        assert f"exitwrap/{data}" in names, data


@pytest.mark.slow
def test_the_wheel_runs_the_matrix_with_no_checkout(tmp_path: Path, wheel: Path) -> None:
    python = _install(tmp_path / "user", wheel)
    env = {**_outside_env(python), "EXITWRAP_CACHE": str(tmp_path / "cache"), "EXITWRAP_DB": "off"}
    done = subprocess.run(
        [str(python.parent / "exitcodes"), "matrix", "--shells", "dash", "--scenarios",
         "exit/42,not-executable", "--format", "json", "-o", "m.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = json.loads((tmp_path / "m.json").read_text())["records"]
    assert {r["scenario"]: r["inner"] for r in records} == {
        "exit/42": "42",
        "not-executable": "126",
    }
    assert next((tmp_path / "cache").glob("kit-*/probe"))  # built from the wheel's probe.c
    missing = subprocess.run(
        [str(python), "-c", "import harness"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert missing.returncode == 1 and b"No module named 'harness'" in missing.stderr


HARNESS_PROJECT_TEST = """
from harness.answer import ANSWER


def test_the_projects_own_harness_package():
    assert ANSWER == 42
"""


@pytest.mark.slow
def test_a_project_with_its_own_harness_package_runs_its_tests(tmp_path: Path, wheel: Path) -> None:
    project = tmp_path / "other-project"
    (project / "harness").mkdir(parents=True)
    (project / "harness" / "__init__.py").write_text("")
    (project / "harness" / "answer.py").write_text("ANSWER = 42\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_answer.py").write_text(HARNESS_PROJECT_TEST)
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    python = _install(project, wheel)
    done = subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "tests"],
        cwd=project, env=_outside_env(python), capture_output=True, text=True, check=False,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    assert "exitwrap" in done.stdout  # the plugin is loaded (pytest lists it), and harmless


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "sample-project"
    tests = project / "tests"
    tests.mkdir(parents=True)
    (tests / "test_exit_codes.py").write_text(readme_example())
    (tests / "test_wrong_on_purpose.py").write_text(WRONG_ON_PURPOSE)
    shutil.copy(REPO / "fixtures" / "sample_cli.py", tests / "sample_cli.py")
    shim = REPO / "scripts" / "exitwrap.sh"
    if shim.is_file():
        shutil.copy(shim, tests / "exitwrap.sh")
    return project


@pytest.mark.slow
def test_readme_example_in_a_sample_project_under_xdist(tmp_path: Path, wheel: Path) -> None:
    project = _project(tmp_path)
    python = _install(project, wheel)
    installed = subprocess.run(
        [str(python), "-c", "import exitwrap.pytest_plugin as p; print(p.__file__)"],
        cwd=project, capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    assert installed.startswith(str(project / ".venv")), installed  # not this checkout

    reports = project / "reports"
    env = _outside_env(python)
    done = subprocess.run(
        [str(python), "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-rs",
         f"--exitwrap-shells={','.join(SHELL_NAMES)}", f"--exitwrap-report={reports}",
         f"--junitxml={reports / 'pytest.xml'}", "tests"],
        cwd=project, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # the wrong-on-purpose test fails, nothing else
    assert "2 workers" in output, output

    present = [n for n in SHELL_NAMES if SHELLS[n].present]
    absent = [n for n in SHELL_NAMES if not SHELLS[n].present]
    shim = (project / "tests" / "exitwrap.sh").is_file()
    outcomes: Counter[tuple[str, str]] = Counter()
    for suite in JUnitXml.fromfile(str(reports / "pytest.xml")):
        for case in suite:
            kinds = {type(r) for r in case.result}
            kind = next(
                (n for t, n in ((Failure, "failed"), (Error, "error"), (Skipped, "skipped"))
                 if t in kinds), "passed",
            )  # fmt: skip
            outcomes[(case.name.split("[")[0], kind)] += 1
    assert outcomes[("test_config_error_exits_3", "passed")] == len(present)
    assert outcomes[("test_config_error_exits_3", "skipped")] == len(absent)
    assert outcomes[("test_usage_error_is_not_3", "failed")] == len(present)
    assert outcomes[("test_usage_error_is_not_3", "skipped")] == len(absent)
    shim_passed = len(present) if shim else 0
    assert outcomes[("test_config_error_survives_the_sh_shim", "passed")] == shim_passed
    assert not [k for k in outcomes if k[1] == "error"], outcomes
    assert "pwsh" in output and "skipped" in output.lower()

    # the plugin's own report: every (shell, test) cell exactly once, from both workers
    records = json.loads((reports / "matrix.json").read_text())["records"]
    cells = Counter((r["shell"], r["scenario"].split("::")[-1]) for r in records)
    assert max(cells.values()) == 1, cells
    verdicts = {(r["shell"], r["scenario"].split("::")[-1]): r["verdict"] for r in records}
    for name in present:
        assert verdicts[(name, "test_config_error_exits_3")] == "conforms"
        assert verdicts[(name, "test_usage_error_is_not_3")] == "deviates"
        if shim:
            assert verdicts[(name, "test_config_error_survives_the_sh_shim")] == "conforms"
    for name in absent:
        assert verdicts[(name, "test_config_error_exits_3")] == "absent"
    junit = JUnitXml.fromfile(str(reports / "matrix.junit.xml"))
    assert sum(len(list(suite)) for suite in junit) == len(records)
