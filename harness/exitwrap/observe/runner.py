"""The batch runner: start one process, watch it, and return exactly what happened.

Each run starts in its own process group with default signal dispositions
and an empty signal mask (what a login shell gives its children; Python
itself ignores SIGPIPE and SIGXFSZ and must not pass that on), stdin from
/dev/null, stdout and stderr captured up to a cap. When the process ends,
whatever it left behind in its group is killed; when the per-run timeout
fires, the whole group is. The raw wait status is kept as it came. Cores are
off for everything it starts (its own soft RLIMIT_CORE is 0) unless a cell
asks for one (harness/exitwrap/observe/cores.py).
"""

from __future__ import annotations

import contextlib
import functools
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

from exitwrap.observe.cores import cores_off
from exitwrap.observe.observation import Observation

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_OUTPUT_CAP = 64 * 1024
_TAIL = 4096  # bytes of stdout kept past the cap, so a status marker at the end is never lost
_DRAIN_GRACE_S = 1.0
_POLL_S = 0.02  # only where pidfd_open is missing (macOS): how often to look for the exit


@dataclass(frozen=True)
class Limits:
    timeout_s: float = DEFAULT_TIMEOUT_S
    output_cap: int = DEFAULT_OUTPUT_CAP


DEFAULT_LIMITS = Limits()


class _Capture:
    """Keeps the head of a stream up to the cap and a short tail, counting what was dropped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.dropped += len(chunk)
            self.tail = (self.tail + chunk)[-_TAIL:]

    def text(self) -> str:
        body = self.head.decode("utf-8", "replace")
        if self.dropped:
            body += f"\n[exitwrap: {self.dropped} more bytes not kept]"
        return body

    def find_last(self, marker: bytes) -> Optional[bytes]:
        """The rest of the line after the last occurrence of marker, or None."""
        for buffer in (self.tail, self.head):
            at = buffer.rfind(marker)
            if at >= 0:
                line = bytes(buffer[at + len(marker) :]).split(b"\n", 1)[0]
                return line.rstrip(b"\r")
        return None

    def remove_marker_line(self, marker: bytes) -> None:
        """Drop the harness's status line from the head, so stdout shows only the command's."""
        at = self.head.rfind(marker)
        if at >= 0:
            # from the marker to its line's end only: a newline before it is the command's own
            end = self.head.find(b"\n", at)
            del self.head[at : len(self.head) if end < 0 else end + 1]


@functools.cache  # fixed for the process; building it costs ~0.4 ms a spawn
def _all_signals() -> frozenset[int]:
    return frozenset(int(s) for s in signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}


def _spawn(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, int, int]:
    """Start argv; return (pid, stdout read end, stderr read end)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out_w, 1),
        (os.POSIX_SPAWN_DUP2, err_w, 2),
    ]
    try:
        pid = os.posix_spawn(
            argv[0],
            list(argv),
            dict(env),
            file_actions=actions,
            setpgroup=0,
            setsigdef=_all_signals(),
            setsigmask=(),
        )
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    return pid, out_r, err_r


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _reap(pid: int, *, block: bool) -> Optional[int]:
    done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    return status if done == pid else None


def _read_back(stdout: _Capture, marker: Optional[str]) -> Optional[str]:
    """The inner status the report line printed, taking that line out of stdout."""
    if not marker:
        return None
    found = stdout.find_last(marker.encode())
    stdout.remove_marker_line(marker.encode())
    return None if found is None else found.decode("utf-8", "replace").strip()


def _run_posix(
    argv: Sequence[str], env: Mapping[str, str], limits: Limits, marker: Optional[str]
) -> Observation:
    started = time.perf_counter()
    try:
        pid, out_r, err_r = _spawn(argv, env)
    except OSError as error:
        return Observation(error=f"cannot start {argv[0]}: {error.strerror or error}")
    captures = {out_r: _Capture(limits.output_cap), err_r: _Capture(limits.output_cap)}
    deadline = started + limits.timeout_s
    status: Optional[int] = None
    timed_out = False
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    with selectors.DefaultSelector() as selector:
        for fd in captures:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ)
        while selector.get_map():
            now = time.perf_counter()
            if status is None and now >= deadline:
                _kill_group(pid)
                status, timed_out = _reap(pid, block=True), True
                deadline = time.perf_counter() + _DRAIN_GRACE_S
            elif status is not None and now >= deadline:
                break  # something escaped the group and holds the pipes open
            wait = deadline - now
            if pidfd is None and status is None:
                wait = min(wait, _POLL_S)
            for key, _ in selector.select(max(wait, 0.0)):
                fd = int(key.fd)
                if fd == pidfd:
                    selector.unregister(fd)
                    continue
                chunk = os.read(fd, 65536)
                if chunk:
                    captures[fd].add(chunk)
                else:
                    selector.unregister(fd)
            if status is None and (pidfd is None or pidfd not in selector.get_map()):
                status = _reap(pid, block=pidfd is not None)
                if status is not None:
                    _kill_group(pid)
                    deadline = time.perf_counter() + _DRAIN_GRACE_S
        if status is None:
            status = _reap(pid, block=True)
    duration = time.perf_counter() - started
    for fd in (out_r, err_r, *([pidfd] if pidfd is not None else [])):
        os.close(fd)
    stdout, stderr = captures[out_r], captures[err_r]
    if timed_out:
        return Observation(
            stdout=stdout.text(),
            stderr=stderr.text(),
            duration_s=duration,
            error=f"timed out after {limits.timeout_s:g}s",
        )
    inner = _read_back(stdout, marker)
    return Observation(
        wait_status=status,
        inner=inner,
        stdout=stdout.text(),
        stderr=stderr.text(),
        duration_s=duration,
    )


def _run_windows(
    argv: Sequence[str], env: Mapping[str, str], limits: Limits, marker: Optional[str]
) -> Observation:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=limits.timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Observation(error=f"timed out after {limits.timeout_s:g}s")
    except OSError as error:
        return Observation(error=f"cannot start {argv[0]}: {error.strerror or error}")
    stdout = _Capture(limits.output_cap)
    stdout.add(done.stdout)
    stderr = _Capture(limits.output_cap)
    stderr.add(done.stderr)
    inner = _read_back(stdout, marker)
    return Observation(
        dword=done.returncode & 0xFFFFFFFF,
        inner=inner,
        stdout=stdout.text(),
        stderr=stderr.text(),
        duration_s=time.perf_counter() - started,
    )


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    marker: Optional[str] = None,
) -> Observation:
    """Run argv to completion and observe it; with marker, also read the inner status line.

    Nothing it starts dumps core unless asked (harness/exitwrap/observe/cores.py).
    """
    if sys.platform == "win32":
        return _run_windows(argv, env, limits, marker)
    cores_off()
    return _run_posix(argv, env, limits, marker)
