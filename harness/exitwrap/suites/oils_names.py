"""The names Oils' spec files give the shells exitwrap runs (apart, so that a matrix run
without spec files does not import their reader)."""

from __future__ import annotations

from collections.abc import Mapping

from exitwrap.shell_names import MODE_OF

# exitwrap's shell -> the name Oils' annotations use for it (its runner's label)
OILS_NAMES: Mapping[str, str] = {
    "bash": "bash",
    "dash": "dash",
    "ksh93": "ksh",
    "mksh": "mksh",
    "zsh": "zsh",
    "yash": "yash",
    "posh": "posh",
    "busybox": "ash",
}


def oils_name(shell_name: str) -> str:
    """The name Oils' annotations use for one of exitwrap's shells; a shell's mode (bash
    --posix) takes that shell's annotations, which Oils never checks against the mode."""
    named = MODE_OF.get(shell_name, shell_name)
    return OILS_NAMES.get(named, named)
