"""What the catalog says about one shell: how to find it, run it, and what it promises."""

from __future__ import annotations

from exitwrap.record import Record
from exitwrap.shells.dialects import Dialect
from exitwrap.shells.launchers import INLINE, Launcher

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


class ShellSpec(Record):
    name: str
    dialect: Dialect
    candidates: tuple[str, ...]  # binary names looked up on PATH, in order
    manual: str  # the manual whose rules the conventions catalog cites
    prefix_args: tuple[str, ...] = ()  # between the binary and the flags (busybox: sh)
    mode_args: tuple[str, ...] = ()  # after prefix_args when it runs, not when asked its version
    batch_flags: tuple[str, ...] = ("-c",)
    takes_argv0: bool = True  # the word after the script becomes $0, as in POSIX sh -c
    version_args: tuple[str, ...] = ()  # empty: ask the package manager
    version_pattern: str = r"(\S+)"  # first group of the first match in stdout+stderr
    identity_pattern: str = ""  # a regex the version text must match to be this shell
    signal_base: int = 128  # $? after a child's signal death is signal_base + N
    features: frozenset[str] = frozenset()
    launcher: Launcher = INLINE  # how the script reaches the shell: inline, or as a file
    interactive_flags: tuple[str, ...] = ("-i",)  # an interactive shell with no rc files
    platform: Optional[str] = None  # the platform reports name (None: the host's)

    @property
    def start_args(self) -> tuple[str, ...]:
        """What follows the binary on every command line that runs the shell (not --version).

        A mode such as ``bash --posix`` is kept out of the version question: yash in its
        POSIXly-correct mode refuses ``--version``, a long option.
        """
        return self.prefix_args + self.mode_args
