"""What a real run imports, as the interpreter's own ``-X importtime`` lists it."""

from __future__ import annotations

import subprocess
import sys


def imported_modules(*args: str, env: dict[str, str] | None) -> set[str]:
    """The modules one real run of this interpreter with args imports."""
    argv = [sys.executable, "-X", "importtime", *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    return {
        line.split("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }
