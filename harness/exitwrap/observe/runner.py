"""The batch runner: start one process, watch it, and return exactly what happened.

Each run starts in its own process group with default signal dispositions
and an empty signal mask (what a login shell gives its children; Python
itself ignores SIGPIPE and SIGXFSZ and must not pass that on), stdin from
/dev/null (or a pipe carrying given bytes, then closed: how the Oils spec
runner feeds a case's code), stdout and stderr captured up to a cap. When
the process ends, whatever it left behind in its group is killed; when the
per-run timeout fires, the whole group is. The raw wait status is kept as
it came. Cores are off for everything it starts (its own soft RLIMIT_CORE
is 0) unless a cell asks for one (harness/exitwrap/observe/cores.py).

A run may start in a given working directory. ``os.posix_spawn`` has no
chdir action, so the calling process changes into the directory for the
instant of the spawn and back, under ``SPAWN_LOCK`` (the spawn holds the
GIL): the runner's own threads never see it, and a caller's other threads
only if they resolve a relative path in that instant. Every child the
harness starts is started under that lock (an interactive cell's pty fork
too), so that cells on threads never start in another's directory or
inherit another's pty.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence

from exitwrap.observe.cores import cores_off
from exitwrap.observe.observation import Observation
from exitwrap.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_OUTPUT_CAP = 64 * 1024
_TAIL = 4096  # bytes of stdout kept past the cap, so a status marker at the end is never lost
_DRAIN_GRACE_S = 1.0
_POLL_S = 0.02  # only where pidfd_open is missing (macOS): how often to look for the exit
_LONGEST_POLL_S = 3600.0  # poll(2) takes an int of ms: a far deadline is waited for in pieces
SPAWN_LOCK = threading.Lock()  # held while any child of the harness starts (see above)
# a handle on the directory to come back to that needs no read permission (Linux: O_PATH)
_DIRECTORY_HANDLE = getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0)


class Limits(Record):
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


@contextlib.contextmanager
def _working_directory(path: Optional[str]) -> Iterator[None]:
    """The calling process in ``path`` for the spawn, and back (under ``SPAWN_LOCK``)."""
    if path is None:
        yield
        return
    saved = os.open(".", _DIRECTORY_HANDLE)
    try:
        os.chdir(path)
        yield
    finally:
        os.fchdir(saved)
        os.close(saved)


def _spawn(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    executable: Optional[str],
    cwd: Optional[str],
    feed: bool,
) -> tuple[int, int, int, Optional[int]]:
    """Start argv; return (pid, stdout read end, stderr read end, stdin write end if fed)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if feed else (None, None)
    stdin = (
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)
        if in_r is None
        else (os.POSIX_SPAWN_DUP2, in_r, 0)
    )
    actions = [stdin, (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
    try:
        with SPAWN_LOCK, _working_directory(cwd):
            pid = os.posix_spawn(
                executable or argv[0],
                list(argv),
                dict(env),
                file_actions=actions,
                setpgroup=0,
                setsigdef=_all_signals(),
                setsigmask=(),
            )
    except BaseException:
        for fd in (out_r, err_r, in_w):
            if fd is not None:
                os.close(fd)
        raise
    finally:
        for fd in (out_w, err_w, in_r):
            if fd is not None:
                os.close(fd)
    return pid, out_r, err_r, in_w


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


class _Feed:
    """Bytes for the child's stdin, written as the pipe takes them, then closed."""

    def __init__(self, fd: int, data: bytes) -> None:
        self.fd = fd
        self.rest = memoryview(data)
        os.set_blocking(fd, False)

    def write(self) -> bool:
        """Write what the pipe takes now; True when done (all written, or the reader is gone)."""
        try:
            self.rest = self.rest[os.write(self.fd, self.rest[:65536]) :]
        except BlockingIOError:
            return False
        except BrokenPipeError:
            return True  # the shell ended, or closed its stdin, before reading it all
        return not self.rest

    def close(self, watched: _Watched) -> None:
        if self.fd < 0:
            return
        watched.drop(self.fd)
        os.close(self.fd)
        self.fd = -1


class _Watched:
    """The descriptors still watched, on a plain poll(2) set: a cell's few descriptors need
    no epoll instance of their own (one made and closed a cell was ~8 system calls more)."""

    def __init__(self) -> None:
        self.poller = select.poll()
        self.fds: set[int] = set()

    def add(self, fd: int, events: int) -> None:
        self.poller.register(fd, events)
        self.fds.add(fd)

    def drop(self, fd: int) -> None:
        if fd in self.fds:
            self.poller.unregister(fd)
            self.fds.discard(fd)

    def ready(self, wait_s: float) -> list[int]:
        """The descriptors with something to do (readable, writable, hung up or in error)."""
        wait_ms = math.ceil(min(max(wait_s, 0.0), _LONGEST_POLL_S) * 1000)
        return [fd for fd, _ in self.poller.poll(wait_ms)]


def _watch(
    pid: int, captures: Mapping[int, _Capture], feed: Optional[_Feed], deadline: float
) -> tuple[Optional[int], bool]:
    """Read the output and feed the input until the process ends or the deadline passes:
    (its wait status, whether the deadline killed it)."""
    status: Optional[int] = None
    timed_out = False
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    watched = _Watched()
    for fd in captures:
        os.set_blocking(fd, False)
        watched.add(fd, select.POLLIN)
    if pidfd is not None:
        watched.add(pidfd, select.POLLIN)
    if feed is not None:  # what fits in the pipe goes at once: most code does
        if feed.write():
            feed.close(watched)
        else:
            watched.add(feed.fd, select.POLLOUT)
    while watched.fds:
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
        for fd in watched.ready(wait):
            if fd == pidfd:
                watched.drop(fd)
            elif feed is not None and fd == feed.fd:
                if feed.write():
                    feed.close(watched)
            else:
                chunk = os.read(fd, 65536)
                if chunk:
                    captures[fd].add(chunk)
                else:
                    watched.drop(fd)
        if status is None and (pidfd is None or pidfd not in watched.fds):
            status = _reap(pid, block=pidfd is not None)
            if status is not None:
                _kill_group(pid)
                deadline = time.perf_counter() + _DRAIN_GRACE_S
        if status is not None and feed is not None:
            feed.close(watched)  # nobody is left to read the rest
    if status is None:
        status = _reap(pid, block=True)
    if feed is not None:
        feed.close(watched)
    if pidfd is not None:
        os.close(pidfd)
    return status, timed_out


class _Process(Record):
    """What to start: the command line, its environment, and where its input comes from."""

    argv: Sequence[str]
    env: Mapping[str, str]
    executable: Optional[str]
    cwd: Optional[str]
    stdin: Optional[bytes]


def _run_posix(process: _Process, limits: Limits, marker: Optional[str]) -> Observation:
    argv, stdin = process.argv, process.stdin
    started = time.perf_counter()
    try:
        pid, out_r, err_r, in_w = _spawn(
            argv,
            process.env,
            executable=process.executable,
            cwd=process.cwd,
            feed=stdin is not None,
        )
    except OSError as error:
        return Observation(error=f"cannot start {argv[0]}: {error.strerror or error}")
    captures = {out_r: _Capture(limits.output_cap), err_r: _Capture(limits.output_cap)}
    feed = _Feed(in_w, stdin or b"") if in_w is not None else None
    status, timed_out = _watch(pid, captures, feed, started + limits.timeout_s)
    duration = time.perf_counter() - started
    for fd in (out_r, err_r):
        os.close(fd)
    stdout, stderr = captures[out_r], captures[err_r]
    if timed_out:
        return Observation(
            stdout=stdout.text(),
            stderr=stderr.text(),
            duration_s=duration,
            error=f"timed out after {limits.timeout_s:g}s",
            timed_out=True,
        )
    inner = _read_back(stdout, marker)
    return Observation(
        wait_status=status,
        inner=inner,
        stdout=stdout.text(),
        stderr=stderr.text(),
        duration_s=duration,
    )


def _run_windows(process: _Process, limits: Limits, marker: Optional[str]) -> Observation:
    import subprocess  # noqa: PLC0415  (only on Windows; most runs never import it)

    argv = process.argv
    started = time.perf_counter()
    try:
        done = subprocess.run(
            list(argv),
            executable=process.executable,
            env=dict(process.env),
            cwd=process.cwd,
            input=process.stdin,
            stdin=subprocess.DEVNULL if process.stdin is None else None,
            capture_output=True,
            timeout=limits.timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Observation(error=f"timed out after {limits.timeout_s:g}s", timed_out=True)
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
    executable: Optional[str] = None,
    cwd: Optional[str] = None,
    stdin: Optional[bytes] = None,
) -> Observation:
    """Run argv to completion and observe it; with marker, also read the inner status line.

    ``executable``: the file to run, when argv[0] is only the name it is given (as a shell
    found on PATH is); ``cwd``: the directory it starts in (default: the caller's);
    ``stdin``: bytes it reads on a pipe that is closed after them (default: /dev/null).
    Nothing it starts dumps core unless asked (harness/exitwrap/observe/cores.py).
    """
    process = _Process(argv, env, executable, cwd, stdin)
    if sys.platform == "win32":
        return _run_windows(process, limits, marker)
    cores_off()
    return _run_posix(process, limits, marker)
