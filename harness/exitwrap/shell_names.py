"""The shell names DESIGN.md reserves, in the order reports show them.

Its own module, importing nothing, so that lean commands (``exitcodes
explain``) can check a ``--shell`` without loading the shell adapters.
"""

from __future__ import annotations

KNOWN_NAMES: tuple[str, ...] = (
    "bash",
    "bash-posix",
    "dash",
    "ksh93",
    "mksh",
    "zsh",
    "yash",
    "yash-posix",
    "posh",
    "busybox",
    "fish",
    "tcsh",
    "rc",
    "plan9rc",
    "cmd",
    "pwsh",
)

# A shell started in a mode of another (bash --posix): that shell's own documentation binds it
# too, beside what the mode's documentation says.
MODE_OF: dict[str, str] = {"bash-posix": "bash", "yash-posix": "yash"}


def documented_by(name: str) -> tuple[str, ...]:
    """The shells whose documentation speaks for ``name``: itself, and the shell it is a mode of."""
    base = MODE_OF.get(name)
    return (name, base) if base else (name,)
