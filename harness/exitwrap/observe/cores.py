"""Core dumps: allowed for one cell at a time, in a directory of its own, and never left behind.

Every cell keeps cores off: the runner drops its own soft RLIMIT_CORE to 0,
which its children inherit (a shell that aborts, as fish 3.6.0 does on a
negative ``exit``, leaves no core in the working directory), and the probe
turns dumping off before it dies of a signal. A scenario that allows a core
gets a fresh directory named by ``EXITWRAP_CORE_DIR``: the probe changes into
it, raises its own soft RLIMIT_CORE to the hard limit and dies; the directory
is removed afterwards with whatever the kernel wrote there.

Where a core goes is the kernel's ``core_pattern`` (core(5)): a relative
pattern (Linux's default, ``core``) names a file in the dying process's
working directory, the cell's directory; a pattern starting with ``|`` pipes
the core to a program (systemd-coredump, apport), which keeps it where it
keeps cores, so no file is written here and the wait status's core flag
still says whether the kernel dumped one; an absolute pattern writes where
the harness could not clean up, so there the scenario does not run.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Iterator, Mapping

from exitwrap.record import Record
from exitwrap.scratch import temporary_directory

CORE_DIR_VARIABLE = "EXITWRAP_CORE_DIR"
PATTERN_FILE = "/proc/sys/kernel/core_pattern"


class CorePolicy(Record):
    """Whether a cell can dump core on this machine, and where the core goes, in words."""

    possible: bool
    note: str
    piped: bool = False  # the kernel hands cores to a program: the core flag may still be unset


def policy_for(pattern: str, hard_limit: int) -> CorePolicy:
    """The policy a core_pattern and a hard RLIMIT_CORE make (the kernel's rules, core(5))."""
    if pattern.startswith("|"):
        words = pattern[1:].split(maxsplit=1)
        program = words[0] if words else "a program"
        return CorePolicy(
            possible=True,
            note=f"core_pattern pipes cores to {program}: no core file is written in the "
            "cell's directory; the core flag says whether the kernel dumped one",
            piped=True,
        )
    if hard_limit == 0:
        return CorePolicy(possible=False, note="the hard RLIMIT_CORE is 0: no core can be dumped")
    if pattern.startswith("/"):
        return CorePolicy(
            possible=False,
            note=f"core_pattern writes cores to {pattern}, outside the cell's directory, where "
            "they would be left behind: cores are not allowed",
        )
    return CorePolicy(
        possible=True,
        note=f"core_pattern is {pattern or 'empty'!r}: a core is written in the cell's own "
        "directory and removed with it",
    )


@functools.cache
def policy() -> CorePolicy:
    """This machine's policy (read once: the pattern is the administrator's, not ours)."""
    import resource  # noqa: PLC0415  (POSIX only; this module must import on Windows)

    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    if not sys.platform.startswith("linux"):
        # macOS writes /cores/core.PID (kern.corefile); elsewhere the pattern is unknown
        return policy_for("/cores/core.%P" if sys.platform == "darwin" else "core", hard)
    try:
        with open(PATTERN_FILE, encoding="utf-8") as handle:
            pattern = handle.read().strip()
    except OSError:
        pattern = "core"  # the kernel's default when the file cannot be read
    return policy_for(pattern, hard)


@functools.cache
@functools.cache
def cores_off() -> None:
    """Drop this process's soft RLIMIT_CORE to 0, so no cell it starts dumps core unasked.

    Once per process (and its forks: a matrix calls it before forking its workers, which
    then neither import ``resource`` nor ask again).
    """
    import resource  # noqa: PLC0415  (POSIX only)

    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, hard))


@contextlib.contextmanager
def core_cell(env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The cell's environment with a fresh core directory; the directory is gone afterwards."""
    # removed after the cell: the core is complete by then (a parent sees its child's death
    # only after the dump)
    with temporary_directory("exitwrap-core-", env.get("TMPDIR") or None) as directory:
        yield {**env, CORE_DIR_VARIABLE: directory}
