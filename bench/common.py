"""What every benchmark shares: timing whole commands, and the row a result table holds.

Timings are medians of repeated runs, always next to a floor measured in the
same run on the same machine (a bare process spawn, a bare interpreter
start), so the ratio means something wherever it is run. Nothing here is a
pass/fail check.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, Optional

VENV_PYTHON = sys.executable


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    group: str  # e.g. "exitwrap", "matrix", "accounting"
    name: str  # what was measured
    value: float
    unit: str  # "ms", "cells/s", ...
    floor: Optional[str] = None  # the row name this one is compared with
    ratio: Optional[float] = None  # value / floor value
    goal: str = ""  # the target the issue set, as text ("<= 1.5x")
    note: str = ""


def run_once(argv: Sequence[str], env: Optional[Mapping[str, str]] = None) -> float:
    """Seconds one run of argv takes, start to reaped, output discarded."""
    started = time.perf_counter()
    subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
        check=False,
    )
    return time.perf_counter() - started


def interleaved_medians_ms(
    commands: Mapping[str, Sequence[str]],
    runs: int,
    env: Optional[Mapping[str, str]] = None,
    *,
    envs: Optional[Mapping[str, Mapping[str, str]]] = None,
    between: Optional[Callable[[], object]] = None,
) -> dict[str, float]:
    """Median ms of each command, measured in alternation so drift hits all of them alike.

    ``envs`` gives a command its own environment instead of ``env``; ``between`` runs
    after each round, untimed (to let what a command left behind settle).
    """
    chosen = {name: (envs or {}).get(name, env) for name in commands}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for name, argv in commands.items():
        run_once(argv, chosen[name])
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(run_once(argv, chosen[name]))
        if between is not None:
            between()
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def cores() -> int:
    return os.cpu_count() or 1


# Runs a command and reports how long it took and its peak memory. A child spawned by the
# benchmark itself would report the benchmark's own peak: exec records the peak of the memory
# it replaces, and posix_spawn's child shares its parent's until then. Spawned from this small
# interpreter instead, the command reports at least this one's (about 8 MiB), and its own.
MEASURE = """
import os, sys, time
report = int(sys.argv[1])
os.set_inheritable(report, False)
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
os.write(report, f"{time.perf_counter() - started} {usage.ru_maxrss} {status}".encode())
"""


@dataclass(frozen=True)
class Sample:
    """One whole run of a command: how long it took and the most memory it held."""

    seconds: float  # spawned to reaped
    max_rss_kib: int  # the largest resident set of it and of the children it waited for
    status: int  # its raw wait status


def run_measured(
    argv: Sequence[str], env: Optional[Mapping[str, str]] = None, *, stderr: str = os.devnull
) -> Sample:
    """One run of argv (argv[0] a path), output discarded or its stderr kept in a file."""
    read, write = os.pipe()
    with open(stderr, "wb") as errors:
        subprocess.run(
            [VENV_PYTHON, "-S", "-c", MEASURE, str(write), *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=dict(env) if env is not None else None,
            pass_fds=(write,),
            check=True,
        )
    os.close(write)
    with os.fdopen(read, "rb") as report:
        seconds, max_rss, status = report.read().split()
    return Sample(float(seconds), int(max_rss), int(status))


class Skipped(Exception):
    """A benchmark that cannot run here: the reason shows in the table in place of its rows."""
