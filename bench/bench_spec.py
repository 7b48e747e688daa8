"""Oils spec files against the built-in matrix: is a spec file's cell as cheap as a built-in one?

A spec case is run as Oils runs it: the shell started with no script
argument, its code fed on a pipe, in a fresh working directory, with
``$SH`` and ``$TMP``; its status, stdout and stderr are then checked. So
that both do the same work in the shell, the spec file is made here from
the built-in scenarios themselves: one case per scenario that has a POSIX
script, its script rendered as the matrix renders it (the probe child's
path filled in), followed by ``echo $?`` where the scenario reads the
shell's status. Two comparisons, in alternating rounds, one job each:

- a spec cell against a built-in cell (goal: no slower). The shells
  themselves do a little more for a spec cell: bash, zsh and ksh93 read a
  script from a pipe one byte at a time (a pipe cannot be sought back, and
  the rest of the script is the case's stdin), about 70 reads for these
  cases where ``-c`` takes a few;
- the harness's own cost: a spec cell against its floor, the same shells
  fed the same code on a pipe with a bare ``posix_spawn`` and ``waitpid``,
  beside the built-in cell against its floor (bench_matrix.py's).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.bench_matrix import FLOOR, GROUP, QUICK_SCENARIOS, _shells, floor_seconds, matrix_seconds
from bench.common import Row
from exitwrap.matrix.run import cell_environment, render, run_matrix
from exitwrap.observe.probe import probe_kit
from exitwrap.scenarios.catalog import INNER, SCENARIOS, Scenario, select
from exitwrap.shells.dialects import POSIX
from exitwrap.suites.oils_names import oils_name
from exitwrap.suites.spec_file import load_spec_files

BUILT_IN = "matrix --jobs 1, built-in scenarios"
SPEC = "matrix --jobs 1, an Oils spec file of the same scripts"
SPEC_FLOOR = "floor: the spec cells' shells fed their code on a pipe, bare spawn"


def spec_text(scenarios: Sequence[Scenario]) -> str:
    """One case per scenario with a POSIX script: the same shell work as its cell."""
    kit = probe_kit()
    cases = []
    for scenario in scenarios:
        template = scenario.script_for(POSIX.name)
        if template is None:
            continue
        code = render(template, kit, POSIX.quote)
        report = "\necho $?" if scenario.layer == INNER else ""
        cases.append(f"#### {scenario.id}\n{code}{report}\n")
    return "\n".join(cases)


def spec_floor_seconds(cells: Sequence[tuple[str, str, bytes]], env: dict[str, str]) -> float:
    """Seconds to spawn each shell with its code on a pipe and reap it, nothing else done."""
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        started = time.perf_counter()
        for path, name, code in cells:
            read, write = os.pipe()
            actions = [(os.POSIX_SPAWN_DUP2, read, 0)]
            actions += [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (1, 2)]
            pid = os.posix_spawn(path, [name], {**env, "SH": name}, file_actions=actions)
            os.close(read)
            os.write(write, code)
            os.close(write)
            os.waitpid(pid, 0)
        return time.perf_counter() - started
    finally:
        os.close(devnull)


def rows(*, quick: bool) -> list[Row]:
    shells = _shells(quick=quick)
    chosen = select(QUICK_SCENARIOS) if quick else list(SCENARIOS)
    built_in = [s for s in chosen if not s.interactive]
    with tempfile.TemporaryDirectory(prefix="bench-spec-") as directory:
        path = Path(directory) / "bench.test.sh"
        path.write_text(spec_text(built_in), encoding="utf-8")
        suite = load_spec_files([path])
        warm = run_matrix(shells, built_in, 1)  # the probe kit; which cells run
        commands = [c.command for c in warm.cells if c.command]
        spec_cells = [
            (str(shell.path), oils_name(shell.name), scenario.code)
            for shell in shells
            for scenario in suite.scenarios
        ]
        env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C.UTF-8", "TMP": directory}
        samples: dict[str, list[float]] = {
            k: [] for k in ("floor", "built-in", "spec floor", "spec")
        }
        for _ in range(2 if quick else 9):
            samples["floor"].append(floor_seconds(commands, cell_environment(directory)))
            samples["built-in"].append(matrix_seconds(shells, built_in, 1))
            samples["spec floor"].append(spec_floor_seconds(spec_cells, env))
            started = time.perf_counter()  # as matrix_seconds times the built-in run
            run_matrix(shells, suite.scenarios, 1, conventions=suite.conventions)
            samples["spec"].append(time.perf_counter() - started)
    counts = {"floor": len(commands), "built-in": len(commands)}
    counts["spec floor"] = counts["spec"] = len(spec_cells)
    per_cell = {k: [t * 1000 / counts[k] for t in v] for k, v in samples.items()}
    ms = {k: statistics.median(v) for k, v in per_cell.items()}

    def ratio(over: str, under: str) -> float:
        """The median of each round's ratio: a busy machine slows a whole round, not one side."""
        return statistics.median(a / b for a, b in zip(per_cell[over], per_cell[under]))

    size = f"{len(spec_cells)} cells ({len(shells)} shells x {len(suite.scenarios)} cases)"
    return [
        Row(GROUP, BUILT_IN, ms["built-in"], "ms/cell", FLOOR, ratio("built-in", "floor"),
            note=f"{len(commands)} cells run"),
        Row(GROUP, SPEC_FLOOR, ms["spec floor"], "ms/cell", note=size),
        Row(GROUP, SPEC, ms["spec"], "ms/cell", SPEC_FLOOR, ratio("spec", "spec floor"),
            "<= the built-in cell's ratio"),
        Row(GROUP, f"{SPEC}, per built-in cell", ratio("spec", "built-in"), "x", BUILT_IN,
            ratio("spec", "built-in"), "<= 1.0x", "the same scripts; the shells read a pipe"),
    ]  # fmt: skip
