"""The conformance matrix: every selected scenario under every selected shell, in parallel.

A cell renders its scenario's script for the shell's dialect, runs it with
the batch runner, and hands the observation to the checker. Cells share
nothing but a scratch HOME, so they run on a thread pool (the work is in the
child processes); results come back in catalog order whatever finished
first. A cell of a user's suite (a scenario file, an Oils spec file) also
gets a fresh working directory, ``$SH`` and ``$TMP`` (harness/exitwrap/matrix/suite_cells.py),
and a result in the Oils classes beside its verdict.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence

from exitwrap import __version__
from exitwrap.conventions.checker import CellCheck, ConventionIndex, check
from exitwrap.conventions.model import Convention
from exitwrap.matrix.suite_cells import suite_cell
from exitwrap.observe.cores import core_cell, cores_off
from exitwrap.observe.cores import policy as core_policy
from exitwrap.observe.interactive import run_interactive
from exitwrap.observe.observation import Observation
from exitwrap.observe.parallel import ordered_map
from exitwrap.observe.probe import ProbeKit, probe_kit
from exitwrap.observe.runner import DEFAULT_LIMITS, Limits, run
from exitwrap.observe.session import child_kit, session
from exitwrap.observe.windows_parent import with_windows_exit_code
from exitwrap.platforms import host_platform
from exitwrap.record import Record, replace
from exitwrap.reports.document import CellRecord, MatrixDocument, Meta, expectation_entry
from exitwrap.reports.summary import summarize
from exitwrap.scenarios.catalog import INNER, MISSING_FILE, Scenario
from exitwrap.scratch import temporary_directory
from exitwrap.shells.catalog import POSIX_FAMILY
from exitwrap.shells.shell import Shell
from exitwrap.suites.suite_scenario import SuiteScenario
from exitwrap.verdicts import ABSENT, ERROR, result_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional

    from exitwrap.verdicts import Verdict

SCHEMA_VERSION = 1
STATUS_MARKER = "exitwrap-status:"
RECORD_OUTPUT_CAP = 2000  # characters of stdout/stderr kept in a record


class CellResult(Record):
    shell: Shell
    scenario: Scenario
    command: Optional[list[str]]
    observation: Optional[Observation]
    check: CellCheck
    script: Optional[str] = None

    @property
    def verdict(self) -> Verdict:
        return self.check.verdict

    @property
    def result(self) -> Optional[str]:
        """The Oils class of a suite's cell (pass, ok, N-I, BUG, FAIL, TIME); else None."""
        if not isinstance(self.scenario, SuiteScenario):
            return None
        timed_out = self.observation is not None and self.observation.timed_out
        return result_of(self.verdict, self.check.qualifier, timed_out=timed_out)

    def to_record(self) -> CellRecord:
        record = self._observed_record()
        if isinstance(self.scenario, SuiteScenario):
            record["suite"] = self.scenario.origin
            record["summary"] = self.scenario.summary
            record["result"] = self.result
        return record

    def _observed_record(self) -> CellRecord:
        obs = self.observation
        outer = obs.outer if obs else None
        return {
            "shell": self.shell.label,
            "shell_name": self.shell.name,
            "shell_version": self.shell.version,
            "shell_path": self.shell.path,
            "shell_manual": self.shell.spec.manual,
            "platform": self.shell.platform,
            "scenario": self.scenario.id,
            "layer": self.scenario.layer,
            "script": self.script,
            "command": self.command,
            "inner": obs.inner if obs else None,
            "inner_value": obs.inner_value if obs else None,
            "outer": outer.to_json() if outer else None,
            "wait_status": obs.wait_status if obs else None,
            "dword": obs.dword if obs else None,
            "expected": [expectation_entry(r) for r in self.check.results],
            "verdict": self.verdict,
            "timed_out": bool(obs and obs.timed_out),
            "note": self.check.note or (obs.note if obs else "") or None,
            "duration_s": round(obs.duration_s, 6) if obs else 0.0,
            "stdout": obs.stdout[:RECORD_OUTPUT_CAP] if obs else "",
            "stderr": obs.stderr[:RECORD_OUTPUT_CAP] if obs else "",
        }


class MatrixResult(Record):
    meta: Meta
    cells: list[CellResult]
    duration_s: Optional[float] = None  # the whole run, start to last cell

    def to_json(self) -> MatrixDocument:
        records = [c.to_record() for c in self.cells]
        meta: Meta = {**self.meta, "summary": summarize(records, self.duration_s)}
        return {"meta": meta, "records": records}

    @property
    def errors(self) -> int:
        return sum(1 for c in self.cells if c.verdict == ERROR)


@functools.cache
def _placeholders(kit: ProbeKit) -> tuple[tuple[str, str], ...]:
    return (
        ("{probe}", str(kit.probe)),
        ("{not_executable}", str(kit.file("not-executable"))),
        ("{is_directory}", str(kit.file("is-directory"))),
        ("{bad_interpreter}", str(kit.file("bad-interpreter"))),
        ("{exec_format}", str(kit.file("exec-format"))),
        ("{exec_format_nul}", str(kit.file("exec-format-nul"))),
        ("{missing}", MISSING_FILE),
    )


def render(template: str, kit: ProbeKit, quote: Callable[[str], str]) -> str:
    """Fill a scenario template's placeholders with quoted paths from the probe kit."""
    for placeholder, value in _placeholders(kit):
        if placeholder in template:
            template = template.replace(placeholder, quote(value))
    return template


def cell_environment(home: str) -> dict[str, str]:
    """The environment every cell starts with: no rc files, no user state, UTF-8."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": home,
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
        "TMPDIR": home,
    }


class Observed(Record):
    """What running one cell gave, before any verdict: picklable, so a worker can send it."""

    command: Optional[list[str]] = None
    script: Optional[str] = None
    observation: Optional[Observation] = None
    note: str = ""  # why a cell that did not run does not apply (no core can be dumped here)


def _run_script(
    shell: Shell,
    scenario: Scenario,
    template: str,
    kit: ProbeKit,
    env: Mapping[str, str],
    limits: Limits,
    cwd: Optional[str] = None,
) -> Observed:
    """Render the script for the shell and run it as a batch cell."""
    dialect = shell.spec.dialect
    script = render(
        template, child_kit(shell, kit), lambda value: dialect.quote(shell.native_path(value))
    )
    if scenario.interactive:
        argv = [str(shell.path), *shell.spec.start_args, *shell.spec.interactive_flags]
        observation = run_interactive(shell, script, scenario.n or 0, env, limits, STATUS_MARKER)
        return Observed(argv, script, observation)
    inner = scenario.layer == INNER
    full = dialect.with_status_report(script, STATUS_MARKER) if inner else script
    with shell.launch(full, env) as launch:
        marker = STATUS_MARKER if inner else None
        observation = run(launch.argv, launch.env, limits=limits, marker=marker, cwd=cwd)
        if not inner:  # under Wine, the DWORD beside the wait status
            observation = with_windows_exit_code(shell, launch, observation, limits)
        return Observed(launch.argv, script, observation)


def _observe_suite(
    shell: Shell,
    scenario: SuiteScenario,
    template: str,
    kit: ProbeKit,
    env: Mapping[str, str],
    limits: Limits,
    scratch: str,
) -> Observed:
    """A suite's cell, in its own directory; an Oils spec case reads its code on stdin."""
    with suite_cell(shell, scenario, env, scratch) as cell:
        if not scenario.spec_case:
            return _run_script(shell, scenario, template, kit, cell.env, limits, cell.cwd)
        argv = [cell.env["SH"]]  # the name Oils runs it by, so $0 and messages read the same
        observation = run(
            argv,
            cell.env,
            limits=limits,
            executable=cell.command,
            cwd=cell.cwd,
            stdin=scenario.code,
        )
        return Observed(argv, template, observation)


def observe(
    shell: Shell,
    scenario: Scenario,
    kit: ProbeKit,
    env: Mapping[str, str],
    limits: Limits,
    scratch: Optional[str] = None,
) -> Observed:
    """Run one cell, if it can run: an absent shell or a dialect with no script runs nothing,
    nor does a suite's scenario for a shell it does not apply to.

    ``scratch``: a directory of the run's own for suite cells' directories (default: one
    made for this cell).
    """
    template = scenario.script_for(shell.spec.dialect.name)
    if not shell.present or template is None:
        return Observed()
    if isinstance(scenario, SuiteScenario):
        if not scenario.applies(shell.name):
            return Observed()
        if scratch is None:
            with temporary_directory("exitwrap-cells-") as own:
                return _observe_suite(shell, scenario, template, kit, env, limits, own)
        return _observe_suite(shell, scenario, template, kit, env, limits, scratch)
    if scenario.core:
        return _run_with_core(shell, scenario, template, kit, env, limits)
    return _run_script(shell, scenario, template, kit, env, limits)


def _run_with_core(
    shell: Shell,
    scenario: Scenario,
    template: str,
    kit: ProbeKit,
    env: Mapping[str, str],
    limits: Limits,
) -> Observed:
    """A cell that allows a core runs with its own core directory (observe/cores.py), or
    not at all where no core can be dumped and kept from being left behind."""
    cores = core_policy()
    if not cores.possible:
        return Observed(note=cores.note)
    with core_cell(env) as core_env:
        observed = _run_script(shell, scenario, template, kit, core_env, limits)
    if observed.observation is not None:
        observation = replace(observed.observation, note=cores.note)
        observed = replace(observed, observation=observation)
    return observed


@functools.cache
def built_in_index() -> ConventionIndex:
    """The built-in catalog's conventions, indexed on first use (see ``index_for``)."""
    from exitwrap.conventions.catalog import CONVENTIONS  # noqa: PLC0415

    return ConventionIndex(CONVENTIONS)


def index_for(scenarios: Sequence[Scenario], own: Sequence[Convention]) -> ConventionIndex:
    """What can judge these scenarios: the users' own conventions, and the built-in catalog
    when a built-in scenario is among them.

    The catalog covers none of the users' scenarios (a scenario file refuses an
    id it could cover; a spec case's id ends in ``.test.sh/N``), so a run of
    users' suites alone does without it (importing it costs 1.3-1.6 ms).
    """
    if all(isinstance(scenario, SuiteScenario) for scenario in scenarios):
        return ConventionIndex(own)
    if not own:
        return built_in_index()
    catalog = built_in_index().conventions
    listed = {id(convention) for convention in catalog}  # a caller may list them too
    added = [convention for convention in own if id(convention) not in listed]
    return ConventionIndex([*catalog, *added])


def judge(
    shell: Shell,
    scenario: Scenario,
    observed: Observed,
    conventions: Optional[ConventionIndex] = None,
) -> CellResult:
    """The cell's verdicts, from what was observed and the conventions that cover it (by
    default the built-in catalog's)."""
    obs = observed.observation
    if not shell.present:
        return CellResult(shell, scenario, None, None, CellCheck(ABSENT, note=shell.absent_reason))
    if obs is None:
        na = check(Observation(), scenario, (), applicable=False)
        if observed.note:
            na = replace(na, note=observed.note)
        return CellResult(shell, scenario, None, None, na)
    applicable = scenario.needs <= shell.spec.features
    index = built_in_index() if conventions is None else conventions
    relevant = index.covering(shell.name, scenario, POSIX_FAMILY)
    verdicts = check(obs, scenario, relevant, applicable=applicable)
    if isinstance(scenario, SuiteScenario):
        verdicts = verdicts.qualified()
    return CellResult(shell, scenario, observed.command, obs, verdicts, observed.script)


def _observe_cell(
    cell: tuple[Shell, Scenario],
    kit: ProbeKit,
    env: Mapping[str, str],
    limits: Limits,
    scratch: str,
) -> Observed:
    return observe(*cell, kit, env, limits, scratch)


def run_cell(
    shell: Shell,
    scenario: Scenario,
    kit: ProbeKit,
    env: Mapping[str, str],
    limits: Limits,
    conventions: Optional[ConventionIndex] = None,
) -> CellResult:
    """Run one cell and judge it."""
    return judge(shell, scenario, observe(shell, scenario, kit, env, limits), conventions)


def run_meta(started: float) -> Meta:
    """A matrix document's meta object: which tool ran where and when (the plugin uses it too).

    ``started``: seconds since the epoch, shown in UTC as ISO 8601.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "host": _host_name(),
        "platform": host_platform(),
        "python": sys.version.split()[0],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(started)),
    }


def _host_name() -> str:
    """The host's name, as gethostname() gives it (without the socket module's import)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    return os.environ.get("COMPUTERNAME", "")


def iter_cells(
    shells: Sequence[Shell],
    scenarios: Sequence[Scenario],
    jobs: Optional[int] = None,
    limits: Limits = DEFAULT_LIMITS,
    conventions: Sequence[Convention] = (),
) -> Iterator[CellResult]:
    """Run every cell on ``jobs`` workers (default: one a core); yield results in catalog order.

    ``conventions``: the users' own, besides the built-in catalog's (``index_for``).

    Each shell's session (Wine's prefix and server, for cmd) is held for the run.
    """
    kit = probe_kit()
    if sys.platform != "win32":
        cores_off()  # here, once, rather than in each worker
    with contextlib.ExitStack() as held:  # the directories outlive the sessions
        home = held.enter_context(temporary_directory("exitwrap-home-"))
        scratch = held.enter_context(temporary_directory("exitwrap-cells-"))  # suite cells'
        shells = [held.enter_context(session(shell)) for shell in shells]
        env = cell_environment(home)
        index = index_for(scenarios, conventions)
        cells = [(shell, scenario) for shell in shells for scenario in scenarios]
        work = functools.partial(_observe_cell, kit=kit, env=env, limits=limits, scratch=scratch)
        workers = max(1, jobs or os.cpu_count() or 1)
        for (shell, scenario), observed in zip(cells, ordered_map(work, cells, workers)):
            yield judge(shell, scenario, observed, index)


def run_matrix(
    shells: Sequence[Shell],
    scenarios: Sequence[Scenario],
    jobs: Optional[int] = None,
    limits: Limits = DEFAULT_LIMITS,
    on_cell: Optional[Callable[[int, int], None]] = None,
    conventions: Sequence[Convention] = (),
) -> MatrixResult:
    """Run the matrix; on_cell(done, total) is called as results arrive.

    ``conventions``: what the users' scenario and spec files expect; the built-in
    catalog's judge the built-in scenarios.
    """
    meta = run_meta(time.time())
    started = time.perf_counter()
    total = len(shells) * len(scenarios)
    cells: list[CellResult] = []
    for cell in iter_cells(shells, scenarios, jobs, limits, conventions):
        cells.append(cell)
        if on_cell:
            on_cell(len(cells), total)
    return MatrixResult(meta, cells, time.perf_counter() - started)
