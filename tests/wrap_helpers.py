"""What the exitwrap tests share: the installed launcher, and running it for real."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from hypothesis import strategies as st

from exitwrap.scenarios.catalog import SIGNALS
from exitwrap.scenarios.values import EXIT_VALUES
from tests.hostile import HOSTILE

BIN = Path(sys.executable).parent


def exitwrap_argv() -> list[str]:
    """The console entry point installed beside this interpreter; ``-m`` where there is none."""
    found = shutil.which("exitwrap", path=str(BIN))
    return [found] if found else [sys.executable, "-m", "exitwrap.wrap"]


EXITWRAP = exitwrap_argv()

# Signals this test run inherited as ignored (nohup's HUP, a background job's INT and QUIT):
# a program keeps them ignored, exitwrap rightly too, and a test that sends one expects its
# default. Python's own SIG_IGN for PIPE and XFSZ is undone by subprocess already.
INHERITED_IGNORED = sorted(
    number
    for number in signal.valid_signals()
    if number not in (signal.SIGPIPE, signal.SIGXFSZ) and signal.getsignal(number) == signal.SIG_IGN
)
_DEFAULTS_THEN_EXEC = """
import os, signal, sys
for number in sys.argv[1].split(","):
    signal.signal(int(number), signal.SIG_DFL)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def with_default_signals(argv: Sequence[str]) -> list[str]:
    """argv, started with the signals this run inherited as ignored back at their default
    (as a test that sends them expects); argv itself when there are none, as usual."""
    if not INHERITED_IGNORED:
        return list(argv)
    numbers = ",".join(str(int(n)) for n in INHERITED_IGNORED)
    return [sys.executable, "-c", _DEFAULTS_THEN_EXEC, numbers, *argv]


# exit(N) for the matrix's N: what an 8-bit exit status makes of it (POSIX exit(3): N & 0377)
EXIT_CASES = [(n, n & 0xFF) for n in EXIT_VALUES]
SIGNAL_CASES = list(SIGNALS)

any_argument = st.binary(max_size=16).filter(lambda b: b"\0" not in b).map(os.fsdecode)
any_arguments = st.lists(any_argument | st.sampled_from(HOSTILE), max_size=6)


def exitwrap(
    *args: str,
    env: Optional[Mapping[str, str]] = None,
    input: Optional[str] = None,
    timeout: float = 60,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    """Run exitwrap to completion; stdout and stderr captured as text."""
    return subprocess.run(
        with_default_signals([*EXITWRAP, *args]),
        env=dict(env) if env is not None else None,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def popen(
    *args: str, env: Optional[Mapping[str, str]] = None, **kwargs: Any
) -> subprocess.Popen[str]:
    """Start exitwrap with stdout piped (for READY lines) and stderr captured."""
    return subprocess.Popen(
        with_default_signals([*EXITWRAP, *args]),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env) if env is not None else None,
        **kwargs,
    )


def without_recording(env: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The test environment with recording off (EXITWRAP_DB=off)."""
    return {**(env if env is not None else os.environ), "EXITWRAP_DB": "off"}


LINE_TIMEOUT_S = 60.0  # generous: other tests may load the machine meanwhile


def read_line(
    process: subprocess.Popen[str],
    prefix: str,
    timeout: float = LINE_TIMEOUT_S,
    *,
    stream: str = "stdout",
) -> str:
    """The next line of the process's stdout (or stderr), which must start with prefix (READY,
    CAUGHT, GRANDCHILD), read within timeout seconds: a process that never says it fails the
    test instead of hanging it.

    Read a byte at a time from the descriptor, past the text wrapper's buffer, so that
    nothing after the line is taken from the stream the test reads next.
    """
    import select
    import time

    pipe = process.stdout if stream == "stdout" else process.stderr
    assert pipe is not None
    fd = pipe.fileno()
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(remaining, 0))
        if not ready:
            raise AssertionError(f"expected {prefix!r} within {timeout:g} s, got {line!r}")
        byte = os.read(fd, 1)
        if not byte:
            break
        line += byte
    text = line.decode("utf-8", "replace")
    assert text.startswith(prefix), f"expected {prefix!r}, got {text!r}"
    return text.strip()


def one_line_error(stderr: str) -> str:
    """exitwrap's stderr for its own failure: exactly one line, no traceback."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("exitwrap: ") and "Traceback" not in stderr
    return lines[0]


def hex_args(stdout: str) -> list[str]:
    """The arguments ``probe args`` printed (hex, one a line, then END n)."""
    lines = stdout.splitlines()
    assert lines and lines[-1].startswith("END "), stdout
    return [os.fsdecode(bytes.fromhex(line)) for line in lines[:-1]]


def proc_fields(pid: int) -> Optional[list[bytes]]:
    """/proc/PID/stat's fields from the state on (state, parent, ...); None once it is gone.

    The command name before them may hold spaces and parentheses: split after the last ')'.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2 :].split()


def children(parent: int) -> dict[int, list[bytes]]:
    """The processes /proc lists with this parent, and their stat fields."""
    found = {}
    for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
        fields = proc_fields(pid)
        if fields is not None and int(fields[1]) == parent:
            found[pid] = fields
    return found


def process_gone(pid: int) -> bool:
    """True when pid is gone or only a zombie some other process must reap."""
    fields = proc_fields(pid)
    return fields is None or fields[0] in (b"Z", b"X")


def wait_until(condition: Any, seconds: float = 20.0) -> bool:
    """Poll condition() until it is true or seconds have passed (never a fixed sleep)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


def sh_quote(words: Sequence[str]) -> str:
    import shlex

    return " ".join(shlex.quote(w) for w in words)
