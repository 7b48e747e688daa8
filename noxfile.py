"""nox sessions: tests on each present Python, the PostgreSQL tests, the Slurm tests, lint,
the matrix, one conformance run per shell, the merged report and the benchmarks.

Only Python 3.11 is certain on our machines: a missing interpreter is skipped,
never an error, also under CI=true (where nox would otherwise fail on it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).resolve().parent / "harness"))  # listing needs no install

from exitwrap.platforms import host_platform
from exitwrap.shell_names import KNOWN_NAMES

nox.options.error_on_missing_interpreters = False
nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
RESULTS = "results"  # one JSON matrix per conformance session
REPORTS = "reports"  # the merged report


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite, in parallel."""
    # editable, as scripts/bootstrap.sh installs: the src layout makes it a plain path entry
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", *session.posargs)


@nox.session
def postgresql(session: nox.Session) -> None:
    """The accounting's tests on a throwaway PostgreSQL server, and on simulated hosts as root.

    Each test worker starts its own server (scripts/postgres.sh) and stops it; the tests skip,
    saying why, only where PostgreSQL's server is not installed (scripts/bootstrap.sh installs
    it on Debian).
    """
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "-m", "postgresql", *session.posargs)


@nox.session
def slurm(session: nox.Session) -> None:
    """The Slurm tests: a private Slurm 22.05 (scripts/slurm.sh, as root, Debian's packages)
    runs real sbatch jobs, compared with exitwrap's record; they skip, saying why, elsewhere."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "-m", "slurm", "-rs", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict over the package, the tests and the benchmarks."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def matrix(session: nox.Session) -> None:
    """The full conformance matrix of this machine, written to reports/."""
    session.install("-e", ".")
    session.run("exitcodes", "matrix", "--out-dir", REPORTS, *session.posargs)


@nox.session
@nox.parametrize("shell", list(KNOWN_NAMES))
def conformance(session: nox.Session, shell: str) -> None:
    """One shell's matrix as results/<shell>-<platform>.json, for a CI matrix to merge."""
    session.install("-e", ".")
    output = f"{RESULTS}/{shell}-{host_platform()}.json"
    session.run("exitcodes", "matrix", "--shells", shell, "--format", "json", "-o", output)


@nox.session
def report(session: nox.Session) -> None:
    """Merge results/*.json (machines, OSes, shells) into reports/: the matrix and conventions."""
    files = sorted(str(path) for path in Path(RESULTS).glob("*.json"))
    if not files:
        session.error(f"no {RESULTS}/*.json: run the conformance sessions first")
    session.install("-e", ".")
    session.run("exitcodes", "report", "merge", *files, "-o", REPORTS, *session.posargs)
    session.run("exitcodes", "report", "conventions", *files, "-o", REPORTS)


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark in bench/, against floors measured in the same run: bench/results.md.

    The package is installed as users get it (not editable), so start-up costs are theirs.
    ``--quick`` (after ``--``) for a smoke run; EXITWRAP_BENCH_FULL=1 adds the largest scale
    sizes (a 20,000-scenario matrix, a 1M-job database); OILS_CHECKOUT=/path/to/oils and a
    python2 on PATH add the peer rows (Oils' own spec runner), which are skipped otherwise.
    """
    session.install(".[postgresql]")
    session.run("python", "-m", "bench", *session.posargs)
