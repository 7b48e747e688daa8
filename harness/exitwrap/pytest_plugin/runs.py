"""Runs of a user's own commands under one shell, checked Oils-style, kept as matrix cells.

The library behind the pytest plugin's fixtures (harness/exitwrap/pytest_plugin/__init__.py),
callable without pytest. A run is a matrix cell: the command is rendered for
the shell's dialect, run by the batch runner in the cell environment, and
its inner status read back through the status marker, exactly as
``exitcodes matrix`` does. ``expect`` turns a spec line (``status=3``,
``ksh93=2``, ``bug(1)``) into conventions and lets the checker decide, so a
test's cells carry verdicts and sources like the built-in catalog's.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from exitwrap.conventions.checker import CellCheck, check
from exitwrap.conventions.model import Source
from exitwrap.matrix.run import STATUS_MARKER, CellResult, cell_environment, run_meta
from exitwrap.observe.observation import Observation
from exitwrap.observe.runner import DEFAULT_TIMEOUT_S, Limits, run
from exitwrap.reports import formats
from exitwrap.reports.cells import outer_text
from exitwrap.reports.document import CellRecord
from exitwrap.scenarios.catalog import INNER, OUTER, Scenario
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.catalog import POSIX_FAMILY
from exitwrap.shells.shell import Shell, parse_selection, resolve_all
from exitwrap.suites.expectations import (
    KnownBug,
    PerShell,
    Status,
    bug,
    check_status,
    status_conventions,
)
from exitwrap.verdicts import ABSENT, CONFORMS

__all__ = ["ShellRun", "ShellRunner", "bug", "expect", "select_shells", "write_report"]

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

    def scenario(self, summary: str = "") -> Scenario:
        dialect = self.shell.spec.dialect.name
        return Scenario(self.scenario_id, "pytest", self.layer, {dialect: self.script}, summary)

    def record(self, summary: str = "") -> Record:
        """This run as a matrix record; unchecked, it is ``unspecified`` (or ``error``)."""
        scenario = self.scenario(summary)
        verdict = self.checks[-1] if self.checks else check(self.observation, scenario, ())
        cell = CellResult(
            self.shell, scenario, self.command, self.observation, verdict, self.script
        )
        return cell.to_record()


class ShellRunner:
    """Runs commands under one shell; each run is a cell named after ``base_id``."""

    def __init__(self, shell: Shell, base_id: str, home: Path) -> None:
        self.shell = shell
        self.base_id = base_id
        self.home = home
        self.runs: list[ShellRun] = []

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
        shell process ended. ``env`` adds to the cell environment.
        """
        if layer not in (INNER, OUTER):
            raise ValueError(f"layer is {INNER!r} or {OUTER!r}, not {layer!r}")
        dialect = self.shell.spec.dialect
        script = command if isinstance(command, str) else dialect.command_line(list(command))
        inner = layer == INNER
        full = dialect.with_status_report(script, STATUS_MARKER) if inner else script
        environment = {**cell_environment(str(self.home)), **(env or {})}
        with self.shell.launch(full, environment) as launch:  # cmd, pwsh: a script file
            argv = launch.argv
            observation = run(
                argv,
                launch.env,
                limits=Limits(timeout_s=timeout),
                marker=STATUS_MARKER if inner else None,
            )
        number = len(self.runs) + 1
        scenario_id = self.base_id if number == 1 else f"{self.base_id}#{number}"
        shell_run = ShellRun(self.shell, scenario_id, layer, script, argv, observation)
        self.runs.append(shell_run)
        return shell_run


def _spec_line(status: Optional[Status], per_shell: Mapping[str, PerShell]) -> str:
    given = [f"status={status!r}"] if status is not None else []
    return "expect(" + ", ".join(given + [f"{k}={v!r}" for k, v in per_shell.items()]) + ")"


def expect(run: ShellRun, status: Optional[Status] = None, **per_shell: PerShell) -> None:
    """Check a run's status the Oils way: ``status`` for every shell, keywords per shell.

    A keyword is a shell name (``ksh93=2``: that shell's own documented rule)
    or, through ``**{"bash@3.2": 2}``, a label; ``bug(N)`` marks a known
    defect. The run's layer (inner unless run with ``layer="outer"``) is
    checked. A failed check raises AssertionError naming the shell, what it
    reported and what was expected.
    """
    unknown = [k for k in per_shell if k.split("@", 1)[0] not in KNOWN_NAMES]
    if unknown:
        raise TypeError(f"expect(): unknown shell {unknown[0]!r} (known: {' '.join(KNOWN_NAMES)})")
    shell = run.shell
    override = per_shell.get(shell.label, per_shell.get(shell.name))
    if status is None and override is None:
        raise TypeError(f"expect(): no status given for {shell.label}")
    if status is not None:
        check_status(status, "expect(): status")
    if override is not None and not isinstance(override, KnownBug):
        check_status(override, f"expect(): {shell.label}")
    source = Source(run.scenario_id, "", _spec_line(status, per_shell))
    overrides = {shell.name: override} if override is not None else {}
    default = None if override is not None else status
    conventions = status_conventions(
        run.scenario_id, run.layer, default, overrides, source, (shell.name,)
    )
    cell = check(run.observation, run.scenario(), conventions)
    run.checks.append(cell)
    if cell.verdict != CONFORMS:
        raise AssertionError(_failure(run, cell))


def _failure(run: ShellRun, cell: CellCheck) -> str:
    where = f"{run.shell.label} {run.shell.version}"
    if run.observation.error is not None:
        return f"{where}: no observation: {run.observation.error}"
    wanted = "; ".join(
        f"expected {r.expected}" + (f" ({r.note})" if r.note else "") for r in cell.results
    )
    outer = run.observation.outer
    seen = repr(run.inner) if run.layer == INNER else outer_text(outer.to_json() if outer else None)
    stderr = run.stderr.strip().splitlines()[-3:]
    tail = ("\nstderr: " + " | ".join(stderr)) if stderr else ""
    return f"{where}: {run.layer} status {seen}, {wanted}\nscript: {run.script}{tail}"


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
    records: Sequence[Record], started: datetime.datetime, directory: Path, shells: Sequence[Shell]
) -> list[Path]:
    """The session's cells as every matrix format, columns in the order the shells were named."""
    order = {s.label: i for i, s in enumerate(shells)}
    ordered = sorted(records, key=lambda r: (order.get(r["shell"], len(order)), r["scenario"]))
    return formats.write_all({"meta": run_meta(started), "records": ordered}, directory)
