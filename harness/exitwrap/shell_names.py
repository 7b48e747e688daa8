"""The shell names DESIGN.md reserves, in the order reports show them.

Its own module, importing nothing, so that lean commands (``exitcodes
explain``) can check a ``--shell`` without loading the shell adapters.
"""

from __future__ import annotations

KNOWN_NAMES: tuple[str, ...] = (
    "bash",
    "dash",
    "ksh93",
    "mksh",
    "zsh",
    "yash",
    "posh",
    "busybox",
    "fish",
    "tcsh",
    "rc",
    "cmd",
    "pwsh",
)
