"""exitwrap's start-up stays lean: a structural guard, not a timing (bench/ measures time).

Each module named here costs a large part of a bare interpreter start (measured with
``python -X importtime``): ``typing`` and ``dataclasses`` (re, inspect), ``re``,
``subprocess``, ``argparse``, ``enum`` (and ``signal``, which builds enums), ``json``,
``contextlib``. A wrapped command must not pay for them, recording on or off.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.wrap_helpers import EXITWRAP

HEAVY = {"typing", "dataclasses", "re", "subprocess", "argparse", "enum", "signal", "json",
         "contextlib", "inspect", "shutil", "selectors"}  # fmt: skip


def _imported(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules one real exitwrap run imports, as -X importtime lists them."""
    launcher = EXITWRAP if EXITWRAP[0].endswith("exitwrap") else EXITWRAP[1:]
    argv = [sys.executable, "-X", "importtime", *launcher, *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return {
        line.split("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }


@pytest.mark.parametrize("record", [True, False], ids=["recording", "no-record"])
def test_a_wrapped_command_imports_nothing_heavy(record: bool) -> None:
    args = [] if record else ["--no-record"]
    imported = _imported(*args, "--", "/bin/true")
    assert "harness.wrap.run" in imported
    assert imported & HEAVY == set()


def test_rare_paths_import_what_they_need_only_when_asked() -> None:
    imported = _imported("--no-record", "--", "/bin/true")
    lazy = {"harness.wrap.group", "harness.wrap.shell", "harness.wrap.report",
            "harness.wrap.duration", "harness.shells", "ctypes"}  # fmt: skip
    assert imported & lazy == set()
