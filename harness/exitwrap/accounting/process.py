"""Which process instance a record belongs to (and whose), and whether it is still alive.

A pid alone is reused; on Linux the boot id plus the process start time
(field 22 of /proc/PID/stat, in clock ticks since boot) names one process
instance for good. ``exitcodes cancel`` signals a process only when both
still match and the kernel says it belongs to the job's owner, and a
reader that finds a RUNNING record whose process no longer matches shows
it as NODE_FAIL. Where there is no /proc (macOS), the pid is all there is
and liveness falls back to kill(pid, 0).

A pid means something only in its PID namespace, on its host: a record
keeps its namespace (the inode of /proc/self/ns/pid) and its node name, and
a reader in another namespace or on another node cannot tell (None), so
such a job shows RUNNING until its end record arrives. A record from this
node with another boot id is from before a reboot: its process is gone.

On exitwrap's start-up path: imports nothing beyond os.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

NO_UID = -1  # what uid and gid are where the host has none (Windows)
BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id"
PID_NAMESPACE = "/proc/self/ns/pid"
_START_TIME_FIELD = 22  # starttime in proc(5), counted from 1
_DEAD_STATES = (b"Z", b"X")  # field 3: zombie, dead


class Identity:
    """A process instance: pid, process group, node, boot id, start time, PID namespace."""

    __slots__ = ("boot_id", "node", "pgid", "pid", "pid_ns", "start_ticks")

    def __init__(
        self,
        pid: int,
        pgid: Optional[int],
        node: str,
        boot_id: Optional[str],
        start_ticks: Optional[int],
        pid_ns: Optional[int] = None,
    ) -> None:
        self.pid = pid
        self.pgid = pgid
        self.node = node
        self.boot_id = boot_id
        self.start_ticks = start_ticks
        self.pid_ns = pid_ns


def uid() -> int:
    """Whose process this is: its real user id."""
    return os.getuid() if hasattr(os, "getuid") else NO_UID


def gid() -> int:
    return os.getgid() if hasattr(os, "getgid") else NO_UID


def node_name() -> str:
    if hasattr(os, "uname"):
        return os.uname().nodename
    return os.environ.get("COMPUTERNAME", "localhost")  # Windows


ANOTHER_NAMESPACE = "in another PID namespace on this host"


def where(process: Identity) -> str:
    """Where a process this one cannot see runs: ``on NODE``, or ANOTHER_NAMESPACE."""
    return f"on {process.node}" if process.node != node_name() else ANOTHER_NAMESPACE


def _read(path: str) -> Optional[bytes]:
    """A small /proc file's bytes (os-level: a text file would import its codec)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


def boot_id() -> Optional[str]:
    found = (_read(BOOT_ID_FILE) or b"").strip()
    return found.decode("ascii", "replace") or None


def pid_namespace() -> Optional[int]:
    """This process's PID namespace (an inode number), where the host has them (Linux)."""
    try:
        return os.stat(PID_NAMESPACE).st_ino
    except OSError:
        return None


def owner(pid: int) -> Optional[int]:
    """The real uid the kernel gives a running process (/proc/PID/status); None when there is
    no such process or no /proc."""
    status = _read(f"/proc/{pid}/status")
    for line in (status or b"").split(b"\n"):
        if line.startswith(b"Uid:"):
            fields = line.split()
            return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
    return None


def start_ticks(pid: int) -> Optional[int]:
    """The start time of a running process in clock ticks since boot.

    None when there is no such process, when it is a zombie (it can record
    nothing more), or when there is no /proc.
    """
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    # the command name (field 2) may hold spaces and parentheses: count after the last ')'
    fields = stat[stat.rfind(b")") + 2 :].split()
    index = _START_TIME_FIELD - 3
    if len(fields) <= index or fields[0] in _DEAD_STATES:
        return None
    return int(fields[index])


def identify(pid: int) -> Identity:
    """The identity of a live process (normally the recording exitwrap itself)."""
    try:
        pgid: Optional[int] = os.getpgid(pid) if hasattr(os, "getpgid") else None
    except OSError:
        pgid = None
    return Identity(pid, pgid, node_name(), boot_id(), start_ticks(pid), pid_namespace())


def is_alive(identity: Identity) -> Optional[bool]:
    """Whether that process instance still runs; None when this process cannot tell (another
    node, another PID namespace)."""
    if identity.node != node_name():
        return None
    if identity.pid <= 0:
        return False
    if os.name == "nt":
        return None  # os.kill(pid, 0) there would send CTRL_C_EVENT, not probe
    if identity.boot_id is not None and identity.boot_id != boot_id():
        return False  # this node has rebooted since
    if identity.pid_ns is not None and identity.pid_ns != pid_namespace():
        return None
    if identity.boot_id is not None and identity.start_ticks is not None:
        return start_ticks(identity.pid) == identity.start_ticks
    try:
        os.kill(identity.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
