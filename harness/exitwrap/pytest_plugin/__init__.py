"""pytest plugin: test your own program's exit statuses under every shell, Oils-style.

Installed with the package (entry point ``pytest11``), so a test suite only
asks for the fixtures::

    from exitwrap.pytest_plugin import expect

    def test_config_error_exits_3(run_in_shell):
        expect(run_in_shell(["mytool", "check", "missing.toml"]), status=3)

``shell`` is parametrised over ``--exitwrap-shells`` (default: the
POSIX-family shells installed here; a shell named but not installed is a
skip that says why). ``run_in_shell`` runs a snippet of the current shell's
language (a str) or an argv quoted for it (a list) the way the matrix runs a
cell, and returns the observation with the inner status read back.
``expect`` checks it like a spec line (see harness/exitwrap/pytest_plugin/runs.py).

Every run is a matrix cell: ``--exitwrap-report=DIR`` writes the session's
cells as the matrix reports (JSON, Markdown, HTML, JUnit). Under
pytest-xdist each worker hands its cells to the controller when it finishes
(``workeroutput``), and only the controller writes.

Every pytest run of every project that installed exitwrap loads this
module, so it imports only pytest: the machinery is in exitwrap.pytest_plugin.runs,
imported when a test first asks for it.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

    from exitwrap.pytest_plugin.runs import ShellRun, ShellRunner
    from exitwrap.reports.document import CellRecord
    from exitwrap.shells.shell import Shell
    from exitwrap.suites.expectations import Expected, Output, PerShell, Status

_RECORDS = "exitwrap_records"  # the workeroutput key a worker's cells travel under


class _SessionState:
    def __init__(self) -> None:
        self.started = time.time()
        self.shells: Optional[list[Shell]] = None
        self.records: list[CellRecord] = []
        self.problems: list[str] = []  # shown in the terminal summary
        self.sessions = contextlib.ExitStack()  # each shell's session (Wine's prefix, server)
        self.entered: dict[str, Shell] = {}

    def enter(self, shell: Shell) -> Shell:
        """The shell with its session held until pytest ends (absent if that failed)."""
        if shell.label not in self.entered:
            from exitwrap.observe.session import session as held  # noqa: PLC0415

            self.entered[shell.label] = self.sessions.enter_context(held(shell))
        return self.entered[shell.label]


_STATE = pytest.StashKey[_SessionState]()


def _runs() -> ModuleType:
    """The runs module, imported on first use (about 80 ms, paid only by tests that run)."""
    return importlib.import_module("exitwrap.pytest_plugin.runs")


def expect(
    run: ShellRun,
    status: Optional[Status] = None,
    *,
    signal: int | str | None = None,
    stdout: Optional[Output] = None,
    stderr: Optional[Output] = None,
    **per_shell: PerShell,
) -> None:
    """Check a run the Oils way: ``status``, ``signal``, ``stdout``, ``stderr`` for every
    shell, ``ksh93=2`` or ``dash=not_implemented(2)`` for one shell."""
    __tracebackhide__ = True  # a failure shows the test's own line, not the plugin's
    _runs().expect(run, status, signal=signal, stdout=stdout, stderr=stderr, **per_shell)


def bug(status: Optional[Status] = None, **rest: object) -> Expected:
    """A shell's known defect (Oils' BUG), e.g. ``posh=bug(1)``, ``zsh=bug(stdout="1\\n")``."""
    made: Expected = _runs().bug(status, **rest)
    return made


def ok(status: Optional[Status] = None, **rest: object) -> Expected:
    """A shell's own documented rule (Oils' OK) with more than a status: ``bash=ok(stdout=...)``."""
    made: Expected = _runs().ok(status, **rest)
    return made


def not_implemented(status: Optional[Status] = None, **rest: object) -> Expected:
    """A feature the shell lacks (Oils' N-I): how it fails, e.g. ``dash=not_implemented(2)``."""
    made: Expected = _runs().not_implemented(status, **rest)
    return made


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("exitwrap", "exit statuses under real shells (exitwrap)")
    group.addoption(
        "--exitwrap-shells",
        metavar="NAMES",
        default=None,
        help="comma-separated NAME, NAME=/path or NAME@TAG=/path for the 'shell' fixture "
        "(default: the POSIX-family shells installed here; cmd and pwsh when named)",
    )
    group.addoption(
        "--exitwrap-no-record",
        action="store_true",
        help="do not record the session's cells in the accounting (also: EXITWRAP_DB=off)",
    )
    group.addoption(
        "--exitwrap-report",
        metavar="DIR",
        default=None,
        help="write the session's cells as matrix reports (json, md, html, junit) into DIR",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = _SessionState()
    names = config.getoption("--exitwrap-shells")
    if names is not None:  # a bad list is a usage error now, not a collection error later
        from exitwrap.errors import UsageError  # noqa: PLC0415 - only when the option is given
        from exitwrap.shells.shell import parse_selection  # noqa: PLC0415

        try:
            parse_selection(names)
        except UsageError as error:
            raise pytest.UsageError(f"--exitwrap-shells: {error}") from None


def _selected_shells(config: pytest.Config) -> list[Shell]:
    """The shells the 'shell' fixture runs over, found once per process."""
    state = config.stash[_STATE]
    if state.shells is None:
        state.shells = _runs().select_shells(config.getoption("--exitwrap-shells"))
    return state.shells


def _parametrizes_shell(metafunc: pytest.Metafunc) -> bool:
    """Whether the test parametrises 'shell' itself (then the plugin keeps out of it)."""
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if "shell" in names:
            return True
    return False


def _uses_our_shell(metafunc: pytest.Metafunc) -> bool:
    """Whether 'shell' is this plugin's fixture, not one the project defines itself.

    pytest has no public way to ask which definition a name resolves to; where
    the private table is missing, the plugin assumes its own.
    """
    definitions = getattr(metafunc, "_arg2fixturedefs", {}).get("shell")
    if not definitions:
        return True
    return getattr(definitions[-1].func, "__module__", __name__) == __name__


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "shell" not in metafunc.fixturenames or _parametrizes_shell(metafunc):
        return
    if not _uses_our_shell(metafunc):
        return
    shells = _selected_shells(metafunc.config)
    metafunc.parametrize("shell", shells, ids=[s.label for s in shells], indirect=True)


@pytest.fixture
def shell(request: pytest.FixtureRequest) -> Shell:
    """One of the selected shells (the test runs once per shell); an absent one skips."""
    state = request.config.stash[_STATE]
    chosen = state.enter(request.param)
    if not chosen.present:
        if "run_in_shell" in request.fixturenames:  # the report still shows the cell, absent
            record = _runs().absent_record(chosen, _base_id(request.node), request.node.nodeid)
            state.records.append(record)
        pytest.skip(f"{chosen.label}: {chosen.absent_reason}")
    return chosen


def _base_id(item: pytest.Item) -> str:
    """The test's id without the shell: the scenario id its cells share across shells."""
    base = item.nodeid.split("[", 1)[0]
    callspec = getattr(item, "callspec", None)
    others = {k: v for k, v in callspec.params.items() if k != "shell"} if callspec else {}
    return base + (f"[{'-'.join(str(v) for v in others.values())}]" if others else "")


@pytest.fixture
def run_in_shell(
    shell: Shell, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[ShellRunner]:
    """Run commands under the current shell; every run becomes a cell of the session's matrix."""
    home = tmp_path / "exitwrap-home"
    home.mkdir()
    runner: ShellRunner = _runs().ShellRunner(shell, _base_id(request.node), home)
    yield runner
    summary = request.node.nodeid
    request.config.stash[_STATE].records.extend(r.record(summary) for r in runner.runs)


@pytest.fixture(name="expect")
def expect_fixture() -> Callable[..., None]:
    """``expect`` without an import."""
    return expect


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: a worker finished; take the cells it ran."""
    output = getattr(node, "workeroutput", None) or {}
    node.config.stash[_STATE].records.extend(output.get(_RECORDS, []))


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = config.stash[_STATE]
    if _is_worker(config):
        config.workeroutput[_RECORDS] = state.records  # type: ignore[attr-defined]
        return
    directory = config.getoption("--exitwrap-report")
    if directory:
        shells = _selected_shells(config)
        try:
            _runs().write_report(state.records, state.started, Path(directory), shells)
        except OSError as error:
            problem = f"{error.filename or directory}: {error.strerror or error}"
            state.problems.append(f"report not written: {problem}")
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
    if state.records and not config.getoption("--exitwrap-no-record"):
        recording = importlib.import_module("exitwrap.pytest_plugin.recording")
        argv = ["pytest", *config.invocation_params.args]
        state.problems += recording.record_session(state.records, argv, int(session.exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash[_STATE].sessions.close()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _is_worker(config):
        return
    state = config.stash[_STATE]
    for problem in state.problems:
        terminalreporter.write_line(f"exitwrap: {problem}", red=True)
    directory = config.getoption("--exitwrap-report")
    if directory and not any(p.startswith("report not written") for p in state.problems):
        terminalreporter.write_line(f"exitwrap: {len(state.records)} cells written to {directory}")
