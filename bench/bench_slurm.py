"""Slurm's own commands beside exitwrap's, on jobs of the same shape, in a real private Slurm.

A private single-node Slurm 22.05 (scripts/slurm.sh, as root) runs one batch
job of three ``srun exitwrap`` steps; then, interleaved, Slurm's ``sacct -j
ID`` (slurmdbd and MariaDB behind it) and ``scontrol show job ID`` (the
controller's memory) against ``exitcodes sacct -j ID`` and ``exitcodes show
job ID`` of the same job (exitwrap's record of it, in SQLite), each against
a bare interpreter's start measured in the same run. One more row: ``exitcodes
sacct -j ID`` of a Slurm job still running, which asks Slurm's sacct whether
it has ended. Where no private Slurm can start (not root, no packages, its
ports taken) there are no rows, and the reason is printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import VENV_PYTHON, Row, interleaved_medians_ms

GROUP = "slurm"
FLOOR = "python -c pass"
REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "slurm.sh"
BIN = Path(VENV_PYTHON).parent
JOB = "#!/bin/sh\nsrun exitwrap true\nsrun exitwrap sh -c 'exit 3'\nsrun exitwrap true\n"


def _run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: {argv[0]} failed: {done.stderr.strip()}")
    return done.stdout


def _settled(job_id: str, env: dict[str, str]) -> None:
    """Until both records of the job are final and alike (sacct lags behind the controller)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        theirs = _run(["sacct", "-X", "-P", "-n", "-j", job_id, "-o", "State,Partition"], env)
        ours = _run([str(BIN / "exitcodes"), "sacct", "-X", "-P", "-n", "-j", job_id, "-o",
                     "State,Partition"], env)  # fmt: skip
        if theirs == ours and "RUNNING" not in ours and ours.strip().endswith("|debug"):
            return
        time.sleep(0.3)
    raise SystemExit(f"bench: job {job_id} did not settle")


def _measure(env: dict[str, str], scratch: Path, runs: int) -> list[Row]:
    job = scratch / "job.sh"
    job.write_text(JOB)
    job_id = _run(["sbatch", "--parsable", "-o", "/dev/null", str(job)], env).strip()
    _settled(job_id, env)
    exitcodes = str(BIN / "exitcodes")
    commands = {
        FLOOR: [VENV_PYTHON, "-c", "pass"],
        "Slurm: sacct -j ID": ["sacct", "-j", job_id],
        "Slurm: scontrol show job ID": ["scontrol", "show", "job", job_id],
        "exitcodes sacct -j ID": [exitcodes, "sacct", "-j", job_id],
        "exitcodes show job ID": [exitcodes, "show", "job", job_id],
    }
    medians = interleaved_medians_ms(commands, runs=runs, env=env)
    sleeper = scratch / "sleeper.sh"
    sleeper.write_text("#!/bin/sh\nsrun exitwrap sleep 600\n")
    running = _run(["sbatch", "--parsable", "-o", "/dev/null", str(sleeper)], env).strip()
    deadline = time.monotonic() + 60
    while "RUNNING" not in _run([exitcodes, "sacct", "-X", "-n", "-j", running], env):
        if time.monotonic() > deadline:
            raise SystemExit("bench: the running job never showed")
        time.sleep(0.3)
    asking = "exitcodes sacct -j ID of a running Slurm job (asks Slurm's sacct)"
    medians.update(interleaved_medians_ms({asking: [exitcodes, "sacct", "-j", running]}, runs, env))
    _run(["scancel", running], env)
    floor = medians[FLOOR]
    rows = [Row(GROUP, FLOOR, floor, "ms")]
    for name, value in medians.items():
        if name != FLOOR:
            shape = "1 srun exitwrap step, running" if name == asking else "3 srun exitwrap steps"
            rows.append(Row(GROUP, name, value, "ms", FLOOR, value / floor, note=shape))
    return rows


def rows(*, quick: bool) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="ew-bench-", dir="/tmp") as scratch_dir:
        scratch = Path(scratch_dir)
        scratch.chmod(0o755)
        state = scratch / "slurm"
        started = subprocess.run(["sh", str(SCRIPT), "up", str(state)], capture_output=True,
                                 text=True, timeout=240, check=False)  # fmt: skip
        try:
            if started.returncode != 0:
                reason = (started.stderr.strip().splitlines() or ["failed"])[0]
                print(f"bench: no Slurm rows: {reason}", file=sys.stderr)
                return []
            env = {k: v for k, v in os.environ.items() if not k.startswith(("EXITWRAP_", "SLURM"))}
            env.update(
                SLURM_CONF=str(state / "etc" / "slurm.conf"),
                EXITWRAP_DB=str(scratch / "accounting.db"),
                PATH=f"{BIN}{os.pathsep}{env.get('PATH', os.defpath)}",
            )
            return _measure(env, scratch, runs=10 if quick else 40)
        finally:
            subprocess.run(["sh", str(SCRIPT), "down", str(state)], capture_output=True,
                           timeout=240, check=False)  # fmt: skip
