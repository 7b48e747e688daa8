"""exitwrap --batch SCRIPT as sbatch takes a script: a path, no execute bit needed, run by its
#! line (else sh), and its #SBATCH -J -A -t -o -e lines read as those options.

tests/test_slurm.py runs the same script through sbatch in a real cluster and compares.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import query
from exitwrap.observe.probe import ProbeKit
from exitwrap.wrap.batch import directives, expand, interpreter_argv, minutes
from tests.accounting_helpers import exitcodes, wrapped_env
from tests.wrap_helpers import exitwrap, process_gone, wait_until


def _script(directory: Path, text: str, name: str = "job.sh", mode: int = 0o644) -> Path:
    path = directory / name
    path.write_text(text)
    path.chmod(mode)
    return path


def _batch(
    directory: Path, db: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return exitwrap("--batch", *args, env=env or wrapped_env(db), cwd=directory)


def _job_id(stderr: str) -> int:
    return int(stderr.partition("Submitted batch job ")[2].split()[0])


def _sacct(job_id: int, fields: str) -> list[str]:
    status, out, _ = exitcodes("sacct", "-P", "-n", "-j", str(job_id), "-o", fields)
    assert status == 0
    return out.splitlines()


def test_the_script_is_a_path_never_looked_up_on_path(tmp_path: Path, db: str) -> None:
    elsewhere = tmp_path / "bin"
    elsewhere.mkdir()
    _script(elsewhere, "#!/bin/sh\nexit 7\n", mode=0o755)
    _script(tmp_path, "#!/bin/sh\nexit 4\n")  # here, 0644: sbatch needs no execute bit
    env = {**wrapped_env(db), "PATH": f"{elsewhere}:{os.environ['PATH']}"}
    assert _batch(tmp_path, db, "job.sh", env=env).returncode == 4
    missing = _batch(tmp_path, db, "nosuch.sh", env=env)
    assert missing.returncode == 127
    assert "exitwrap: nosuch.sh: No such file or directory" in missing.stderr


def test_the_interpreter_is_the_scripts_own_else_sh(tmp_path: Path, db: str) -> None:
    python = _script(tmp_path, "#!/usr/bin/env python3\nimport sys\nsys.exit(len(sys.argv))\n")
    assert _batch(tmp_path, db, python.name, "a", "b").returncode == 3  # argv: script a b
    _script(tmp_path, 'echo "$0 $1"\nexit 5\n', name="plain.sh")
    done = _batch(tmp_path, db, "plain.sh", "x")
    assert (done.returncode, done.stdout) == (5, "./plain.sh x\n")
    assert interpreter_argv(b"#!/bin/bash -e\n", "x") == ["/bin/bash", "-e"]
    assert interpreter_argv(b"echo\n", "x") == ["/bin/sh"]


def test_sbatch_directives_are_options_the_command_line_overrides(tmp_path: Path, db: str) -> None:
    _script(
        tmp_path,
        "#!/bin/sh\n#SBATCH -J nightly --account=lab\n#SBATCH --time=0:05 --mem=1G -N 1\n"
        "# a comment\n\necho run\n#SBATCH -J ignored-after-a-command\nexit 0\n",
    )
    done = _batch(tmp_path, db, "-q", "job.sh")
    assert done.returncode == 0
    assert (
        done.stderr
        == "exitwrap: warning: job.sh: #SBATCH options exitwrap does not take: --mem, -N\n"
    )
    (job,) = query(db, Selection())
    assert (job.name, job.account, job.time_limit) == ("nightly", "lab", 60.0)  # rounded up
    assert (
        _sacct(job.job_id, "JobName,Account,Timelimit,TimelimitRaw")[0] == "nightly|lab|00:01:00|1"
    )
    again = _batch(tmp_path, db, "-J", "mine", "-t", "2m", "job.sh")
    assert _sacct(_job_id(again.stderr), "JobName,Timelimit")[0] == "mine|00:02:00"


def test_output_and_error_files_take_sbatch_patterns(tmp_path: Path, db: str) -> None:
    _script(tmp_path, "#!/bin/sh\n#SBATCH -o out-%j-%x-%%.txt\necho out\necho err >&2\nexit 3\n")
    done = _batch(tmp_path, db, "job.sh")
    job_id = _job_id(done.stderr)
    assert done.returncode == 3 and done.stdout == ""
    assert (tmp_path / f"out-{job_id}-job.sh-%.txt").read_text() == "out\nerr\n"  # -e: to -o
    done = _batch(tmp_path, db, "-e", "err-%5j.txt", "job.sh")
    job_id = _job_id(done.stderr)
    assert (tmp_path / f"out-{job_id}-job.sh-%.txt").read_text() == "out\n"
    assert (tmp_path / f"err-{job_id:05d}.txt").read_text() == "err\n"
    unwritable = _batch(tmp_path, db, "-o", "no/such/dir/%j", "job.sh")
    assert unwritable.returncode == 125 and "-o 'no/such/dir/" not in unwritable.stderr
    assert "no/such/dir" in unwritable.stderr and "No such file or directory" in unwritable.stderr


def test_the_time_limit_ends_the_job_as_timeout(tmp_path: Path, db: str) -> None:
    _script(tmp_path, "#!/bin/sh\nexec sleep 30\n")
    # exitwrap's own -t on the command line is seconds-exact; only #SBATCH -t is Slurm's minutes
    done = _batch(tmp_path, db, "-t", "0:02", "-k", "1", "job.sh")
    assert done.returncode == 124
    assert _sacct(_job_id(done.stderr), "State,Timelimit")[0] == "TIMEOUT|00:00:02"


def test_output_options_belong_to_batch(db: str) -> None:
    done = exitwrap("-o", "x.txt", "true", env=wrapped_env(db))
    assert done.returncode == 125
    assert (
        done.stderr
        == "exitwrap: -o/--output and -e/--error go with --batch (see exitwrap --help)\n"
    )


def test_job_name_names_the_step_as_srun_does(db: str) -> None:
    assert exitwrap("-J", "prep", "true", env=wrapped_env(db)).returncode == 0
    (job,) = query(db, Selection())
    assert (job.name, job.steps[0].name) == ("prep", "prep")


def test_directive_words_and_patterns() -> None:
    head = b"#!/bin/sh\n#SBATCH -J 'a b' # the name\n#SBATCHX -A no\n#SBATCH\t-t 5\n"
    head += b"run\n#SBATCH -o x\n"
    assert directives(head) == ["-J", "a b", "-t", "5"]
    assert minutes("5", "-t") == 300.0 and minutes("1-0", "-t") == 86400.0
    assert minutes("0:01", "-t") == 60.0 and minutes("UNLIMITED", "-t") == 0.0
    with pytest.raises(Exception, match="bad duration"):
        minutes("5x", "-t")
    assert expand("%j.%x.%u.%%.%q", "12", "name").startswith("12.name.")
    assert expand("%3j%q", "7", "n") == "007%q"


def test_a_time_limit_ends_every_process_of_the_script_once(
    tmp_path: Path, db: str, kit: ProbeKit
) -> None:
    """As Slurm ends a batch job at its time limit: TERM to each of its processes, once (a
    step's exitwrap does not pass it on again), the script's background ones included."""
    _script(tmp_path, f"#!/bin/sh\nexitwrap {kit.probe} catch 15 500 >caught.txt &\n"
            f"{kit.probe} orphan 60 0 >orphan.txt\nsleep 60\n")  # fmt: skip
    done = _batch(tmp_path, db, "-t", "0:02", "-k", "5", "job.sh")
    assert done.returncode == 124
    assert (tmp_path / "caught.txt").read_text().splitlines()[-1] == "CAUGHT 15 1"
    grandchild = int((tmp_path / "orphan.txt").read_text().split()[-1])
    assert wait_until(lambda: process_gone(grandchild), 10)
    job_id = _job_id(done.stderr)
    assert _sacct(job_id, "JobID,State,ExitCode")[2] == f"{job_id}.0|CANCELLED|0:15"
