"""The peer: Oils' own spec runner (``test/sh_spec.py``, Python 2) on the same spec files.

No Oils file is shipped: the spec files are written here, in Oils' format
(``#### case``, ``## status:``, ``## stdout:``, ``## STDOUT:`` blocks, ``OK
shell`` annotations), over exit codes, ``$?``, subshells, pipelines, a
shell killing itself (``kill -9 $$``) and a child killed by a signal, each
case passing on all eight POSIX-family shells. Both runners get the same
shells under the names Oils' annotations use (``ksh`` for ksh93, ``ash``
for busybox) and run every case; both must say that all of them passed.

Rows, each against its floor in the same run, medians of interleaved runs:
- one case (the fixed cost of a run) and a file of many cases: Oils'
  runner, ``exitcodes matrix --spec FILE --jobs 1``, and the same with
  default jobs (one per core); the ratio theirs over ours;
- the marginal cost of a cell (the large file less the one-case file, a
  cell) of both runners, against the bare spawn's: each shell fed its code
  on a pipe with ``posix_spawn`` and reaped (bench_spec.py's floor).

Ours records its cells in the accounting, as it does by default (Oils'
records nothing); the same run with ``--no-record`` shows how much of a
cell that is: its share of a spool file (32 cells a file) and of the
ingest at the run's end.

Set ``OILS_CHECKOUT`` to a checkout of the Oils repository and have a
``python2`` on PATH; without either this benchmark is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.bench_scale import SHELLS
from bench.bench_spec import spec_floor_seconds
from bench.common import VENV_PYTHON, Row, Sample, Skipped, run_measured
from exitwrap.shells.shell import Shell, parse_selection, resolve
from exitwrap.suites.oils_names import oils_name
from exitwrap.suites.spec_file import load_spec_files

GROUP = "oils"
CHECKOUT = "OILS_CHECKOUT"
RUNNER = Path("test") / "sh_spec.py"
EXITS = (0, 1, 2, 3, 42, 125, 126, 255)
SIGNALS = (1, 2, 9, 15)  # not SIGPIPE: Python 2 leaves it ignored in the shells it starts
# a shell reports a child's death by signal N as its base + N (the shells' manuals)
SIGNAL_BASES = {"ksh": 256, "yash": 384}
PYTHON = "python -c pass"
FLOOR = "floor: bare posix_spawn, code on a pipe"
THEIRS = "Oils' sh_spec.py"
OURS_ONE = "exitcodes matrix --spec --jobs 1"
OURS_ALL = "exitcodes matrix --spec, default jobs"
OURS_UNRECORDED = "exitcodes matrix --spec --jobs 1 --no-record"
RUNNERS = (THEIRS, OURS_ONE, OURS_ALL, OURS_UNRECORDED)


# --- the spec files ---------------------------------------------------------------------------


def _killed_child(index: int) -> str:
    number = SIGNALS[index % len(SIGNALS)]
    own = "".join(
        f"## OK {shell} stdout: {base + number}\n" for shell, base in SIGNAL_BASES.items()
    )
    return f"sh -c 'kill -{number} $$'; echo $?\n## stdout: {128 + number}\n{own}"


def _case(index: int) -> str:
    """One case; the kinds take turns, each with its own status."""
    code = EXITS[index % len(EXITS)]
    kinds = (
        f"exit {code}\n## status: {code}\n",
        f"( exit {code} ); echo $?\n## stdout: {code}\n",
        'kill -9 $$\necho not reached\n## status: -9\n## stdout-json: ""\n',
        _killed_child(index),
        f"echo before; ( exit {code} ); echo $?\n## STDOUT:\nbefore\n{code}\n## END\n",
        f"false | ( exit {code} ); echo $?\n## stdout: {code}\n",
    )
    return f"#### case {index}\n{kinds[index % len(kinds)]}"


def spec_text(cases: int) -> str:
    """A spec file of ``cases`` cases in Oils' format, every one passing on the eight shells."""
    return "\n".join(_case(index) for index in range(cases))


# --- what runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    python2: str
    runner: Path


def find_peer(environ: Mapping[str, str]) -> Peer:
    """Oils' runner and a Python 2 to run it, or Skipped saying which is missing."""
    checkout = environ.get(CHECKOUT)
    if not checkout:
        raise Skipped(f"{CHECKOUT} is not set: point it at a checkout of the Oils repository")
    runner = Path(checkout) / RUNNER
    if not runner.is_file():
        raise Skipped(f"{CHECKOUT}={checkout} has no {RUNNER}")
    python2 = shutil.which("python2", path=environ.get("PATH"))
    if python2 is None:
        raise Skipped("no python2 on PATH (Oils' runner is Python 2)")
    probe = subprocess.run(
        [python2, "-c", "import sys; sys.exit(sys.version_info[0] != 2)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        said = (probe.stderr.strip().splitlines() or ["not Python 2"])[0]
        raise Skipped(f"{python2} does not run as Python 2: {said}")
    return Peer(python2, runner)


def _shells(*, quick: bool) -> list[Shell]:
    names = SHELLS[:2] if quick else SHELLS
    return [s for s in (resolve(n) for n in parse_selection(",".join(names))) if s.present]


def _labelled(shells: Sequence[Shell], directory: Path) -> list[str]:
    """Links named as Oils labels the shells (its runner takes a shell's label from its name)."""
    directory.mkdir()
    links = []
    for shell in shells:
        assert shell.path is not None  # only present shells are chosen
        link = directory / oils_name(shell.name)
        link.symlink_to(shell.path)
        links.append(str(link))
    return links


def _check(sample: Sample, who: str, errors: Path) -> None:
    """Both runners exit 0 only when every case passed: anything else is no fair comparison."""
    if sample.status != 0:
        said = errors.read_text(encoding="utf-8", errors="replace").strip()[-400:]
        raise SystemExit(f"bench: {who} did not pass every case (status {sample.status}): {said}")


def _environment(directory: Path) -> dict[str, str]:
    """The caller's, less what Oils' runner refuses, byte code cached, a throwaway database."""
    unwanted = ("PYTHONDONTWRITEBYTECODE", "RANDOM", "PPID")
    env = {k: v for k, v in os.environ.items() if k not in unwanted}
    return {**env, "EXITWRAP_DB": str(directory / "accounting.db")}


def _commands(
    peer: Peer, shells: Sequence[Shell], spec: Path, scratch: Path
) -> dict[str, list[str]]:
    """Oils' runner and ours on one spec file, the same shells."""
    work = scratch / f"{spec.stem}-tmp"
    work.mkdir()
    links = _labelled(shells, scratch / f"{spec.stem}-bin")
    theirs = [peer.python2, str(peer.runner), "--tmp-env", str(work), "--path-env"]
    theirs += [os.environ.get("PATH", os.defpath), str(spec), *links]
    exitcodes = str(Path(VENV_PYTHON).parent / "exitcodes")
    ours = [exitcodes, "matrix", "--spec", str(spec), "--shells", ",".join(s.name for s in shells)]
    one = [*ours, "--jobs", "1"]
    return {THEIRS: theirs, OURS_ONE: one, OURS_ALL: ours, OURS_UNRECORDED: [*one, "--no-record"]}


def _floor_cells(shells: Sequence[Shell], spec: Path) -> list[tuple[str, str, bytes]]:
    suite = load_spec_files([spec])
    return [(str(s.path), oils_name(s.name), c.code) for s in shells for c in suite.scenarios]


def measure(
    peer: Peer, shells: Sequence[Shell], sizes: Sequence[int], runs: int, scratch: Path
) -> dict[tuple[int, str], float]:
    """Median ms of each runner on each file, of the bare spawns, and of ``python -c pass``."""
    env = _environment(scratch)
    oils_env = {**env, "PYTHONPATH": str(peer.runner.parent.parent)}  # it imports doctools/
    floor_env = {"PATH": env.get("PATH", os.defpath), "LC_ALL": "C.UTF-8", "TMP": str(scratch)}
    commands: dict[tuple[int, str], list[str]] = {(0, PYTHON): [VENV_PYTHON, "-c", "pass"]}
    cells = {}
    for size in sizes:
        spec = scratch / f"bench-{size}.test.sh"
        spec.write_text(spec_text(size), encoding="utf-8")
        commands.update({(size, k): v for k, v in _commands(peer, shells, spec, scratch).items()})
        cells[size] = _floor_cells(shells, spec)
    samples: dict[tuple[int, str], list[float]] = {key: [] for key in commands}
    samples.update({(size, FLOOR): [] for size in sizes})
    errors = scratch / "stderr"
    for _ in range(runs + 1):  # the first round is a warm-up, not counted
        for key, argv in commands.items():
            sample = run_measured(argv, oils_env if key[1] == THEIRS else env, stderr=str(errors))
            _check(sample, key[1], errors)
            samples[key].append(sample.seconds * 1000)
        for size in sizes:
            samples[size, FLOOR].append(spec_floor_seconds(cells[size], floor_env) * 1000)
    return {key: statistics.median(values[1:]) for key, values in samples.items()}


def rows(*, quick: bool) -> list[Row]:
    peer = find_peer(os.environ)
    shells = _shells(quick=quick)
    many = 12 if quick else 60
    with tempfile.TemporaryDirectory(prefix="bench-oils-") as directory:
        ms = measure(peer, shells, (1, many), 3 if quick else 15, Path(directory))
    width = len(shells)
    result = [Row(GROUP, PYTHON, ms[0, PYTHON], "ms")]
    for size in (1, many):
        what = f"{size} case{'s' if size > 1 else ''} x {width} shells"
        floor = f"{FLOOR}, {what}"
        result.append(Row(GROUP, floor, ms[size, FLOOR], "ms"))
        for runner in RUNNERS:
            result.append(
                Row(
                    GROUP,
                    f"{runner}, {what}",
                    ms[size, runner],
                    "ms",
                    floor,
                    ms[size, runner] / ms[size, FLOOR],
                )
            )
        for runner, goal in ((OURS_ONE, ">= 2.0x"), (OURS_ALL, ">= 3.5x")):
            result.append(
                Row(
                    GROUP,
                    f"Oils' runner over {runner}, {what}",
                    ms[size, THEIRS] / ms[size, runner],
                    "x",
                    goal=goal if size > 1 else "",
                )
            )
    result.append(
        Row(
            GROUP,
            f"{OURS_ONE}, {width} shells x 1 case (fixed cost)",
            ms[1, OURS_ONE],
            "ms",
            PYTHON,
            ms[1, OURS_ONE] / ms[0, PYTHON],
            "<= 5x",
        )
    )
    added = (many - 1) * width
    margin = {k: (ms[many, k] - ms[1, k]) / added for k in (FLOOR, *RUNNERS)}
    marginal_floor = f"{FLOOR}: a cell more"
    result.append(Row(GROUP, marginal_floor, margin[FLOOR], "ms/cell"))
    for runner in (THEIRS, OURS_ONE, OURS_UNRECORDED):
        result.append(
            Row(
                GROUP,
                f"{runner}: a cell more",
                margin[runner],
                "ms/cell",
                marginal_floor,
                margin[runner] / margin[FLOOR],
                "<= 1.3x" if runner == OURS_ONE else "",
            )
        )
    return result
