"""Matrix throughput: cells per second, the harness's cost per cell, the parallel speed-up.

The floor is the least a matrix could cost on this machine: the very
command lines the matrix runs (taken from a matrix run's own records),
spawned one after another with a bare ``os.posix_spawn`` and ``waitpid``,
output to /dev/null. Against it: ``run_matrix`` over the same shells and
scenarios with one job (overhead per cell; goal <= 1.3x) and with one job
per core (the speed-up over one job; goal >= 1.7x on 2 cores). The three
are measured in alternating rounds and the medians compared, so drift on a
busy machine hits all of them alike. The interactive scenarios are left out:
they are a terminal session with a typed keystroke, which no bare spawn can
stand for.

The fixed cost of a run: the whole ``exitcodes matrix`` command over one
scenario and the POSIX-family shells, start to exit, against ``python -c
pass`` from the same interpreter (issue 15's goal: at most 5x; Oils' Python 2
runner does one case under 7 shells in about 5x).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence

from bench.common import VENV_PYTHON, Row, cores, interleaved_medians_ms
from exitwrap.matrix.run import cell_environment, run_matrix
from exitwrap.scenarios.catalog import SCENARIOS, Scenario, select
from exitwrap.shells.catalog import POSIX_FAMILY
from exitwrap.shells.shell import Shell, parse_selection, resolve

GROUP = "matrix"
FLOOR = "floor: posix_spawn + waitpid, one after another"
QUICK_SHELLS = ("bash", "dash")
QUICK_SCENARIOS = "exit/*,signal/*,not-found,pipeline/*"
PYTHON = "python -c pass"
ONE_SCENARIO = "exit/0"


def _shells(*, quick: bool) -> list[Shell]:
    names = QUICK_SHELLS if quick else POSIX_FAMILY
    shells = [resolve(s) for s in parse_selection(",".join(names))]
    present = [s for s in shells if s.present]
    if not present:
        raise SystemExit(f"bench: none of {', '.join(names)} is installed")
    return present


def floor_seconds(commands: Sequence[Sequence[str]], env: Mapping[str, str]) -> float:
    """Seconds to spawn and reap each command in turn, with nothing else done."""
    devnull = os.open(os.devnull, os.O_RDWR)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
    try:
        started = time.perf_counter()
        for argv in commands:
            pid = os.posix_spawn(argv[0], list(argv), dict(env), file_actions=actions)
            os.waitpid(pid, 0)
        return time.perf_counter() - started
    finally:
        os.close(devnull)


def matrix_seconds(shells: Sequence[Shell], scenarios: Sequence[Scenario], jobs: int) -> float:
    started = time.perf_counter()
    run_matrix(shells, scenarios, jobs)
    return time.perf_counter() - started


def fixed_cost_rows(shells: Sequence[Shell], *, quick: bool) -> list[Row]:
    """The whole command over one scenario: what a run costs before its cells."""
    exitcodes = os.path.join(os.path.dirname(VENV_PYTHON), "exitcodes")
    names = ",".join(s.name for s in shells)
    one = f"exitcodes matrix, {len(shells)} shells x 1 scenario (fixed cost)"
    matrix = [exitcodes, "matrix", "--scenarios", ONE_SCENARIO, "--shells", names]
    commands = {
        PYTHON: [VENV_PYTHON, "-c", "pass"],
        one: [*matrix, "--format", "json", "-o", os.devnull, "--no-record"],
    }
    medians = interleaved_medians_ms(commands, runs=5 if quick else 60)
    ratio = medians[one] / medians[PYTHON]
    return [
        Row(GROUP, PYTHON, medians[PYTHON], "ms"),
        Row(GROUP, one, medians[one], "ms", PYTHON, ratio, "<= 5.0x", note="JSON to /dev/null"),
    ]


def rows(*, quick: bool) -> list[Row]:
    shells = _shells(quick=quick)
    chosen = select(QUICK_SCENARIOS) if quick else list(SCENARIOS)
    scenarios = [s for s in chosen if not s.interactive]
    warm = run_matrix(shells, scenarios, 1)  # builds the probe kit; gives the command lines
    commands = [c.command for c in warm.cells if c.command]
    parallel = cores()
    samples: dict[str, list[float]] = {"floor": [], "1": [], "n": []}
    with tempfile.TemporaryDirectory(prefix="bench-matrix-home-") as home:
        env = cell_environment(home)  # what the matrix gives its cells
        for _ in range(2 if quick else 7):
            samples["floor"].append(floor_seconds(commands, env))
            samples["1"].append(matrix_seconds(shells, scenarios, 1))
            samples["n"].append(matrix_seconds(shells, scenarios, parallel))
    floor, one, many = (statistics.median(samples[k]) for k in ("floor", "1", "n"))
    cells = len(commands)
    size = f"{cells} cells run ({len(shells)} shells x {len(scenarios)} scenarios, less n/a)"
    per_cell = 1000 / cells
    return [
        *fixed_cost_rows(shells, quick=quick),
        Row(GROUP, FLOOR, floor * per_cell, "ms/cell", note=size),
        Row(GROUP, "matrix --jobs 1", one * per_cell, "ms/cell", FLOOR, one / floor, "<= 1.3x"),
        Row(GROUP, "matrix --jobs 1, throughput", cells / one, "cells/s"),
        Row(GROUP, f"matrix --jobs {parallel}, throughput", cells / many, "cells/s"),
        Row(
            GROUP,
            f"speed-up, --jobs {parallel} over --jobs 1",
            one / many,
            "x",
            goal=">= 1.7x",
            note=f"{parallel} cores",
        ),
    ]
