"""Scale curves: what a run costs as the work grows, each size against a floor of the same run.

- ``exitcodes matrix`` with a scenario file of 100 to 20,000 scenarios (exit
  codes and signals, on both layers) under the eight POSIX-family shells,
  JSON to a file, default jobs, recorded in the accounting as users run it.
  Its floor: the very command lines of its cells (read back from its JSON),
  spawned bare with ``posix_spawn`` and reaped, as many at once as the
  matrix runs cells at once. Per cell, the cost should stay flat;
- ``exitcodes sacct`` on databases of 1k to 1M jobs (ten steps each): one
  job (``-j``) and a whole day's listing (``-a -S now-1days -E now``, about
  1,440 jobs and their steps once the database spans more than a day),
  against ``python -c pass``;
- the ingest a reader does first: 10k and 100k steps spooled as a matrix run
  spools its cells (``Recorder.add_finished``), then the first ``exitcodes
  sacct -j`` (which ingests them) against the same command again.

Each row notes the peak resident memory (wait4's ``ru_maxrss``: the largest
of the process and the children it reaped). The 20,000-scenario matrix and
the 1M-job database take long: ``EXITWRAP_BENCH_FULL=1`` adds them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bench.bench_accounting import STEPS_PER_JOB, _count, build
from bench.common import VENV_PYTHON, Row, Sample, cores, run_measured
from exitwrap.accounting.recorder import Recorder
from exitwrap.matrix.feed import FinishedStep
from exitwrap.matrix.run import cell_environment
from exitwrap.scenarios.catalog import SCENARIOS, select
from exitwrap.suites.scenario_file import load_scenario_files

GROUP = "scale"
FULL = "EXITWRAP_BENCH_FULL"
SHELLS = ("bash", "dash", "ksh93", "mksh", "zsh", "yash", "posh", "busybox")
PYTHON_FLOOR = "python -c pass"
EXITS = (0, 1, 2, 3, 42, 125, 126, 255)
SIGNALS = (1, 2, 9, 13, 15)
# the status a shell reports for a child's death by signal N is its base + N (manuals)
SIGNAL_BASES = {"ksh93": 256, "yash": 384}
SPOOL_BATCH = 1000  # steps a matrix run spools at once, at most


def _sizes(normal: Sequence[int], full: int, *, quick: bool) -> list[int]:
    """The sizes to measure: the smaller ones when quick, the largest only when asked for."""
    if quick:
        return list(normal[:2])
    return [*normal, full] if os.environ.get(FULL) == "1" else list(normal)


def _environment(**extra: str) -> dict[str, str]:
    """The caller's environment, byte code cached as for any installed command."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def _command(name: str) -> str:
    return str(Path(VENV_PYTHON).parent / name)


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


# --- the matrix against cells -----------------------------------------------------------------


def _scenario(index: int) -> str:
    """One scenario in the README's scenario-file format; the four kinds take turns."""
    code = EXITS[index % len(EXITS)]
    head = f'[[scenario]]\nid = "scale/{index}"\n'
    kind = index % 4
    if kind == 0:
        return head + f'script = "{{probe}} exit {code}"\nstatus = {code}\n'
    if kind == 1:
        number = SIGNALS[index % len(SIGNALS)]
        bases = "".join(f"{s} = {b + number}\n" for s, b in SIGNAL_BASES.items())
        return (
            head
            + f'script = "{{probe}} signal {number}"\nstatus = {128 + number}\n'
            + (f"[scenario.shells]\n{bases}")
        )
    if kind == 2:
        return head + f'layer = "outer"\nscript = "exit {code}"\nstatus = {code}\n'
    return head + f'command = ["sh", "-c", "exit {code}"]\nstatus = {code}\n'


def scenario_file(count: int) -> str:
    """A scenario file of ``count`` scenarios: exit codes and signals, inner and outer."""
    return "\n".join(_scenario(index) for index in range(count))


def parallel_floor_seconds(
    commands: Sequence[Sequence[str]], env: Mapping[str, str], jobs: int
) -> float:
    """Seconds to spawn and reap every command, ``jobs`` at a time, with nothing else done."""
    devnull = os.open(os.devnull, os.O_RDWR)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
    running: set[int] = set()
    pending = iter(commands)
    try:
        started = time.perf_counter()
        while True:
            for argv in pending:
                running.add(os.posix_spawn(argv[0], list(argv), dict(env), file_actions=actions))
                if len(running) >= jobs:
                    break
            if not running:
                return time.perf_counter() - started
            pid, _ = os.waitpid(-1, 0)
            running.discard(pid)
    finally:
        os.close(devnull)


def _cell_commands(document: Path) -> list[list[str]]:
    records = json.loads(document.read_text(encoding="utf-8"))["records"]
    return [record["command"] for record in records if record.get("command")]


def _matrix_run(scratch: Path, scenarios: Path, label: str) -> tuple[Sample, Path]:
    """One ``exitcodes matrix`` run, recorded into a database of its own."""
    output = scratch / f"{label}.json"
    errors = scratch / f"{label}.stderr"
    output.unlink(missing_ok=True)
    argv = [_command("exitcodes"), "matrix", "--shells", ",".join(SHELLS)]
    argv += ["--scenario-file", str(scenarios), "--format", "json", "-o", str(output)]
    env = _environment(EXITWRAP_DB=str(scratch / f"{label}.db"))
    sample = run_measured(argv, env, stderr=str(errors))
    if not output.exists():
        message = errors.read_text(encoding="utf-8", errors="replace").strip()
        raise SystemExit(f"bench: exitcodes matrix wrote no matrix: {message}")
    return sample, output


def _matrix_size(scratch: Path, size: int, rounds: int) -> tuple[int, float, float, int]:
    """Cells, median seconds of the matrix and of its floor, peak KiB, at one size."""
    scenarios = scratch / f"scale-{size}.toml"
    scenarios.write_text(scenario_file(size), encoding="utf-8")
    runs: list[Sample] = []
    floors: list[float] = []
    commands: list[list[str]] = []
    for round_number in range(rounds):
        sample, output = _matrix_run(scratch, scenarios, f"{size}-{round_number}")
        runs.append(sample)
        commands = commands or _cell_commands(output)
        floors.append(parallel_floor_seconds(commands, cell_environment(str(scratch)), cores()))
    seconds = statistics.median(s.seconds for s in runs)
    return len(commands), seconds, statistics.median(floors), max(s.max_rss_kib for s in runs)


def matrix_rows(*, quick: bool) -> list[Row]:
    """A row a size (the cost a cell, against the floor's), then the cost of a cell more
    between two sizes: what grows with the work, the fixed cost left out."""
    sizes = _sizes((100, 1000, 5000), 20000, quick=quick)
    measured: dict[int, tuple[int, float, float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-matrix-") as directory:
        for size in sizes:
            rounds = 1 if quick or size >= 5000 else (5 if size <= 100 else 3)
            measured[size] = _matrix_size(Path(directory), size, rounds)
    result: list[Row] = []
    for size, (cells, seconds, floor_s, peak) in measured.items():
        floor = f"floor, {size} scenarios: bare posix_spawn + waitpid, {cores()} at once"
        result += [
            Row(GROUP, floor, floor_s * 1000 / cells, "ms/cell", note=f"{cells} cells"),
            Row(GROUP, f"exitcodes matrix, {size} scenarios x {len(SHELLS)} shells",
                seconds * 1000 / cells, "ms/cell", floor, seconds / floor_s,
                note=f"{seconds:.1f} s; peak {_mib(peak)}"),
        ]  # fmt: skip
    slopes = []
    for small, large in zip(sizes, sizes[1:]):
        (cells_a, matrix_a, floor_a, peak_a), (cells_b, matrix_b, floor_b, peak_b) = (
            measured[small],
            measured[large],
        )
        added = cells_b - cells_a
        slope, floor_slope = (
            (matrix_b - matrix_a) * 1000 / added,
            (floor_b - floor_a) * 1000 / added,
        )
        slopes.append(slope)
        floor = f"floor: a cell more, {small} to {large} scenarios"
        result += [
            Row(GROUP, floor, floor_slope, "ms/cell"),
            Row(GROUP, f"matrix: a cell more, {small} to {large} scenarios", slope, "ms/cell",
                floor, slope / floor_slope,
                note=f"{(peak_b - peak_a) / added:.1f} KiB more peak memory a cell"),
        ]  # fmt: skip
    if len(slopes) > 1:
        growth = f"matrix: a cell more at {sizes[-2]}-{sizes[-1]} over at {sizes[0]}-{sizes[1]}"
        result.append(Row(GROUP, growth, slopes[-1] / slopes[0], "x", goal="~1x (linear)"))
    return result


def selection_rows(*, quick: bool) -> list[Row]:
    """What ``exitcodes matrix --scenario-file FILE`` does with the file before any shell runs:
    read it, then select the run's scenarios (the default with your own scenarios: exactly
    their ids, as cli/matrix.py builds the pattern), in process, a scenario."""
    sizes = _sizes((100, 1000, 5000), 20000, quick=quick)
    per_scenario: dict[int, float] = {}
    result: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-select-") as directory:
        for size in sizes:
            path = Path(directory) / f"scale-{size}.toml"
            path.write_text(scenario_file(size), encoding="utf-8")
            started = time.perf_counter()
            own = load_scenario_files([path]).scenarios
            read = time.perf_counter()
            select(",".join(s.id for s in own), [*SCENARIOS, *own])
            done = time.perf_counter()
            per_scenario[size] = (done - started) * 1000 / size
            note = f"read {read - started:.2f} s, select {done - read:.2f} s"
            name = f"read + select {size} scenarios, in process"
            result.append(Row(GROUP, name, per_scenario[size], "ms/scenario", note=note))
    growth = f"read + select: a scenario at {sizes[-1]} over at {sizes[0]}"
    ratio = per_scenario[sizes[-1]] / per_scenario[sizes[0]]
    result.append(Row(GROUP, growth, ratio, "x", goal="~1x (linear)"))
    return result


# --- sacct against the database's size --------------------------------------------------------


def _interleaved(
    commands: Mapping[str, Sequence[str]], runs: int, env: Mapping[str, str]
) -> dict[str, tuple[float, int]]:
    """Median ms and peak KiB of each command, run in alternation after one warm-up each."""
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    for argv in commands.values():
        run_measured(argv, env)
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(run_measured(argv, env))
    return {
        name: (statistics.median(s.seconds for s in got) * 1000, max(s.max_rss_kib for s in got))
        for name, got in samples.items()
    }


def sacct_rows(*, quick: bool) -> list[Row]:
    sizes = _sizes((1000, 10_000, 100_000), 1_000_000, quick=quick)
    sacct = _command("exitcodes")
    result: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-sacct-") as directory:
        for jobs in sizes:
            path = str(Path(directory) / f"{jobs}.db")
            built = build(path, jobs)
            scale = f"{_count(jobs)} jobs, {_count(jobs * STEPS_PER_JOB)} steps"
            one = f"exitcodes sacct -j ID ({scale})"
            day = f"exitcodes sacct -a -S now-1days -E now ({scale})"
            floor = f"{PYTHON_FLOOR} (beside {scale})"
            commands = {
                floor: [VENV_PYTHON, "-c", "pass"],
                one: [sacct, "sacct", "-j", str(jobs // 2)],
                day: [sacct, "sacct", "-a", "-S", "now-1days", "-E", "now"],
            }
            runs = 5 if quick else (30 if jobs <= 100_000 else 10)
            medians = _interleaved(commands, runs, _environment(EXITWRAP_DB=path))
            listed = min(jobs, 24 * 60)  # one job a minute
            result.append(
                Row(
                    GROUP,
                    floor,
                    medians[floor][0],
                    "ms",
                    note=f"peak {_mib(medians[floor][1])}; built in {built:.1f} s",
                )
            )
            for name, note in ((one, "one job"), (day, f"{listed} jobs, their steps")):
                ms, peak = medians[name]
                result.append(Row(GROUP, name, ms, "ms", floor, ms / medians[floor][0],
                                  note=f"{note}; peak {_mib(peak)}"))  # fmt: skip
            os.unlink(path)
    return result


# --- the ingest of spooled steps --------------------------------------------------------------


def _steps(count: int, now: float) -> Iterator[FinishedStep]:
    """Matrix cells as the feed records them: a shell, a scenario, a status."""
    for index in range(count):
        shell = SHELLS[index % len(SHELLS)]
        code = EXITS[index % len(EXITS)]
        extra = {"shell": shell, "scenario": f"scale/{index}", "layer": "inner",
                 "verdict": "conforms", "inner": str(code)}  # fmt: skip
        yield FinishedStep(
            name=f"{shell}/scale/{index}",
            command=f"/usr/bin/{shell}\0-c\0probe exit {code}",
            workdir=None,
            start=now - 0.002,
            end=now,
            state="COMPLETED" if code == 0 else "FAILED",
            reason=None,
            wait_status=code << 8,
            comment="conforms",
            extra=json.dumps(extra, sort_keys=True),
        )


def spool_steps(path: str, count: int) -> tuple[int, float]:
    """Spool ``count`` finished steps in one running job, as a matrix run does; returns the
    job's id and the seconds it took."""
    started = time.perf_counter()
    recorder = Recorder(path)
    ticket = recorder.begin_own_job(["bench"], "bench-scale")
    batch: list[FinishedStep] = []
    for step in _steps(count, time.time()):
        batch.append(step)
        if len(batch) == SPOOL_BATCH:
            recorder.add_finished(ticket.job_id, [s.columns() for s in batch])
            batch.clear()
    if batch:
        recorder.add_finished(ticket.job_id, [s.columns() for s in batch])
    recorder.finish(ticket, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    return ticket.job_id, time.perf_counter() - started


def _check_ingested(path: str, job: int, steps: int) -> None:
    db = sqlite3.connect(path)
    try:
        (count,) = db.execute(
            "SELECT count(*) FROM steps WHERE job_id = ? AND step_index >= 0", (job,)
        ).fetchone()
    finally:
        db.close()
    if count != steps:
        raise SystemExit(f"bench: {count} of the {steps} spooled steps came in")


def ingest_rows(*, quick: bool) -> list[Row]:
    sizes = [10_000] if quick else [10_000, 100_000]
    result: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-ingest-") as directory:
        for steps in sizes:
            path = str(Path(directory) / f"{steps}.db")
            job, spooled = spool_steps(path, steps)
            env = _environment(EXITWRAP_DB=path)
            argv = [_command("exitcodes"), "sacct", "-X", "-j", str(job)]  # the job alone
            first = run_measured(argv, env)
            _check_ingested(path, job, steps)
            again = [run_measured(argv, env) for _ in range(3 if quick else 10)]
            floor_ms = statistics.median(s.seconds for s in again) * 1000
            floor_peak = max(s.max_rss_kib for s in again)
            ingest_s = first.seconds - floor_ms / 1000
            floor = f"the same sacct -X -j again ({_count(steps)} steps ingested)"
            result += [
                Row(GROUP, floor, floor_ms, "ms", note=f"peak {_mib(floor_peak)}"),
                Row(GROUP, f"first sacct -X -j: ingest {_count(steps)} spooled steps",
                    first.seconds * 1000, "ms", floor, first.seconds * 1000 / floor_ms,
                    note=f"peak {_mib(first.max_rss_kib)}; spooled in {spooled:.1f} s"),
                Row(GROUP, f"ingest rate, {_count(steps)} steps", steps / ingest_s, "steps/s",
                    note="the first read less the second"),
            ]  # fmt: skip
    return result


def rows(*, quick: bool) -> list[Row]:
    return [
        *ingest_rows(quick=quick),
        *sacct_rows(quick=quick),
        *selection_rows(quick=quick),
        *matrix_rows(quick=quick),
    ]
