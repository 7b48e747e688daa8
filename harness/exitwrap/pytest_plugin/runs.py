"""Runs of a user's own commands under one shell, checked Oils-style, kept as matrix cells.

The library behind the pytest plugin's fixtures (harness/exitwrap/pytest_plugin/__init__.py),
callable without pytest. A run is a matrix cell: the command is rendered for
the shell's dialect, run by the batch runner in the cell environment, and
its inner status read back through the status marker, exactly as
``exitcodes matrix`` does, in a fresh working directory (``$TMP``) with
``$SH`` naming the shell, as a scenario file's cell runs. ``expect`` turns a
spec line (``status=3``, ``signal="TERM"``, ``stdout="ok\n"``, ``ksh93=2``,
``bug(1)``) into conventions and lets the checker decide, so a test's cells
carry verdicts, Oils classes and sources like a scenario file's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from exitwrap.conventions.checker import CellCheck, ConventionResult, check
from exitwrap.conventions.model import Source
from exitwrap.matrix.run import STATUS_MARKER, CellResult, cell_environment, run_meta
from exitwrap.matrix.suite_cells import shell_command
from exitwrap.observe.observation import Observation
from exitwrap.observe.runner import DEFAULT_TIMEOUT_S, Limits, run
from exitwrap.reports import formats
from exitwrap.reports.cells import outer_text
from exitwrap.reports.document import CellRecord
from exitwrap.scenarios.catalog import INNER, OUTER, Scenario
from exitwrap.scratch import make_directory
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.catalog import POSIX_FAMILY
from exitwrap.shells.shell import Shell, parse_selection, resolve_all
from exitwrap.suites.expectations import (
    Expected,
    Origin,
    bug,
    expected,
    expected_conventions,
    not_implemented,
    ok,
    per_shell_expected,
)
from exitwrap.suites.suite_scenario import SuiteScenario
from exitwrap.verdicts import ABSENT, CONFORMS, DEVIATES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Union

    from exitwrap.suites.expectations import Output, PerShell, Status

__all__ = [
    "ShellRun",
    "ShellRunner",
    "bug",
    "expect",
    "not_implemented",
    "ok",
    "select_shells",
    "write_report",
]
SHOWN_CHARS = 160  # of a script or an output, in a failure message

if TYPE_CHECKING:
    Command = Union[str, Sequence[str]]
Record = CellRecord


@dataclass(frozen=True)
class ShellRun:
    """One command run under one shell: the observation and what produced it."""

    shell: Shell
    scenario_id: str
    layer: str  # "inner": the shell's status variable; "outer": how the shell process ended
    script: str
    command: list[str]
    observation: Observation
    checks: list[CellCheck] = field(default_factory=list, repr=False, compare=False)

    @property
    def status(self) -> Optional[int]:
        """The checked layer's status: the shell's $? (inner), or the shell's exit code (outer)."""
        if self.layer == INNER:
            return self.observation.inner_value
        outer = self.observation.outer
        return outer.value if outer is not None and outer.exited else None

    @property
    def inner(self) -> Optional[str]:
        return self.observation.inner

    @property
    def stdout(self) -> str:
        return self.observation.stdout

    @property
    def stderr(self) -> str:
        return self.observation.stderr

    def scenario(self, summary: str = "") -> SuiteScenario:
        dialect = self.shell.spec.dialect.name
        return SuiteScenario(
            self.scenario_id,
            "pytest",
            self.layer,
            {dialect: self.script},
            summary,
            origin=self.scenario_id.split("::", 1)[0],
        )

    def record(self, summary: str = "") -> Record:
        """This run as a matrix record; unchecked, it is ``unspecified`` (or ``error``)."""
        scenario = self.scenario(summary)
        verdict = self.checks[-1] if self.checks else check(self.observation, scenario, ())
        cell = CellResult(
            self.shell, scenario, self.command, self.observation, verdict, self.script
        )
        return cell.to_record()


class ShellRunner:
    """Runs commands under one shell; each run is a cell named after ``base_id``.

    ``home`` is the scratch HOME; each run gets a fresh directory beside it.
    """

    def __init__(self, shell: Shell, base_id: str, home: Path) -> None:
        self.shell = shell
        self.base_id = base_id
        self.home = home
        self.runs: list[ShellRun] = []

    def __repr__(self) -> str:  # short: pytest shows it for every failing test
        return f"<run_in_shell under {self.shell.label}>"

    def __call__(
        self,
        command: Command,
        *,
        layer: str = INNER,
        timeout: float = DEFAULT_TIMEOUT_S,
        env: Optional[Mapping[str, str]] = None,
    ) -> ShellRun:
        """Run a snippet (str) or an argv (list, quoted for this shell) and observe it.

        ``inner`` appends the status report and reads the shell's status
        variable back; ``outer`` runs the script as written and keeps how the
        shell process ended. It runs in a fresh directory, ``$TMP``, with
        ``$SH`` naming the shell; ``env`` adds to the cell environment.
        """
        if layer not in (INNER, OUTER):
            raise ValueError(f"layer is {INNER!r} or {OUTER!r}, not {layer!r}")
        dialect = self.shell.spec.dialect
        script = command if isinstance(command, str) else dialect.command_line(list(command))
        inner = layer == INNER
        full = dialect.with_status_report(script, STATUS_MARKER) if inner else script
        sh = shell_command(self.shell, str(self.home.parent))
        cwd = make_directory("cwd-", str(self.home.parent))
        environment = {
            **cell_environment(str(self.home)),
            "PATH": os.path.dirname(sh) + os.pathsep + os.environ.get("PATH", os.defpath),
            "SH": os.path.basename(sh),
            "TMP": self.shell.native_path(cwd),
            **(env or {}),
        }
        with self.shell.launch(full, environment) as launch:  # cmd, pwsh: a script file
            argv = launch.argv
            observation = run(
                argv,
                launch.env,
                limits=Limits(timeout_s=timeout),
                marker=STATUS_MARKER if inner else None,
                cwd=cwd,
            )
        number = len(self.runs) + 1
        scenario_id = self.base_id if number == 1 else f"{self.base_id}#{number}"
        shell_run = ShellRun(self.shell, scenario_id, layer, script, argv, observation)
        self.runs.append(shell_run)
        return shell_run


def _spec_line(default: Optional[Expected], per_shell: Mapping[str, PerShell]) -> str:
    given = [default.arguments()] if default is not None else []
    return "expect(" + ", ".join(given + [f"{k}={v!r}" for k, v in per_shell.items()]) + ")"


def expect(
    run: ShellRun,
    status: Optional[Status] = None,
    *,
    signal: Union[int, str, None] = None,
    stdout: Optional[Output] = None,
    stderr: Optional[Output] = None,
    **per_shell: PerShell,
) -> None:
    """Check a run the Oils way: what every shell should show, and keywords per shell.

    ``status`` (an integer or a list of them) or ``signal`` (a name such as
    ``"TERM"``, or a number: on the inner layer each shell's own number for
    that death, 143 in bash, 271 in ksh93, ``sigterm`` in rc; on the outer
    layer the shell itself dying of it), and ``stdout``/``stderr`` (the exact
    text, or a compiled regular expression found in it). A keyword names a
    shell (or, through ``**{"bash@3.2": 2}``, a label): a status is that
    shell's own rule, ``ok(...)``, ``bug(...)`` and ``not_implemented(...)``
    say more, in Oils' terms. A failed check raises AssertionError showing
    the script, what was expected and what was observed.
    """
    __tracebackhide__ = True  # pytest shows the test's line, not this function
    unknown = [k for k in per_shell if k.split("@", 1)[0] not in KNOWN_NAMES]
    if unknown:
        raise TypeError(f"expect(): unknown shell {unknown[0]!r} (known: {' '.join(KNOWN_NAMES)})")
    shell = run.shell
    given = (status, signal, stdout, stderr) != (None, None, None, None)
    default = expected(status, signal=signal, stdout=stdout, stderr=stderr) if given else None
    chosen = per_shell.get(shell.label, per_shell.get(shell.name))
    override = (
        per_shell_expected(chosen, f"expect(): {shell.label}") if chosen is not None else None
    )
    if default is None and override is None:
        raise TypeError(f"expect(): no status, signal or output given for {shell.label}")
    source = Source(run.scenario_id, "", _spec_line(default, per_shell))
    origin = Origin("user", run.scenario_id, run.layer, source)
    overrides = {shell.name: override} if override is not None else {}
    conventions = expected_conventions(origin, default, overrides, (shell.name,))
    cell = check(run.observation, run.scenario(), conventions).qualified()
    run.checks.append(cell)
    if cell.verdict != CONFORMS:
        raise AssertionError(_failure(run, cell))


def _shown(text: str) -> str:
    """Text as a failure message shows it: quoted, escapes visible, long ones cut."""
    shown = json.dumps(text, ensure_ascii=False)
    return shown if len(shown) <= SHOWN_CHARS else shown[: SHOWN_CHARS - 4] + '..."'


def _observed(run: ShellRun, result: ConventionResult) -> str:
    kind = result.convention.expect.kind
    if kind in ("stdout", "stderr"):
        return _shown(getattr(run, kind))
    if run.layer == INNER:
        return repr(run.inner)
    outer = run.observation.outer
    return outer_text(outer.to_json() if outer else None)


def _failure(run: ShellRun, cell: CellCheck) -> str:
    """About ten lines: the shell, each failed expectation against what was seen, the script."""
    where = f"{run.shell.label} {run.shell.version}"
    if run.observation.error is not None:
        lines = [f"{where}: no observation: {run.observation.error}"]
    else:
        failed = [r for r in cell.results if r.verdict == DEVIATES]
        lines = [
            f"{where}, {run.layer} layer: {len(failed)} of {len(cell.results)} expectations fail"
        ]
        for result in failed:
            kind = result.convention.expect.kind
            what = kind if kind in ("stdout", "stderr") else f"{run.layer} status"
            note = f" ({result.note})" if result.note else ""
            lines.append(f"  {what} {_observed(run, result)}, expected {result.expected}{note}")
    lines.append(f"  script: {_shown(run.script)}")
    if run.stderr and not any("stderr" in line for line in lines[1:]):
        lines.append(f"  stderr: {_shown(run.stderr)}")
    return "\n".join(lines)


def absent_record(shell: Shell, scenario_id: str, summary: str = "") -> Record:
    """The cell of a test that could not run because its shell is not installed."""
    scenario = Scenario(scenario_id, "pytest", INNER, {}, summary)
    return CellResult(
        shell, scenario, None, None, CellCheck(ABSENT, note=shell.absent_reason)
    ).to_record()


def select_shells(names: Optional[str]) -> list[Shell]:
    """Shells by --exitwrap-shells; by default the POSIX-family shells that are installed."""
    shells = resolve_all(parse_selection(names or ",".join(POSIX_FAMILY)))
    return shells if names else [s for s in shells if s.present]


def write_report(
    records: Sequence[Record], started: float, directory: Path, shells: Sequence[Shell]
) -> list[str]:
    """The session's cells as every matrix format, columns in the order the shells were named."""
    order = {s.label: i for i, s in enumerate(shells)}
    ordered = sorted(records, key=lambda r: (order.get(r["shell"], len(order)), r["scenario"]))
    return formats.write_all({"meta": run_meta(started), "records": ordered}, directory)
