"""Common practice, shown beside the binding conventions for comparison and never deciding a cell.

These are what most shells do and what scripts tend to assume (the 128+N
habit, the 8-bit wrap of ``exit N``, 127/126 outside POSIX). A shell that
breaks one is not wrong, only different: its own manual or POSIX decides.
"""

from __future__ import annotations

from exitwrap.conventions.builders import debian_manpage
from exitwrap.conventions.model import Convention, Expect, Source
from exitwrap.conventions.posix import XSH_EXIT_SOURCE
from exitwrap.scenarios.catalog import CORE_DEATHS, INNER, OUTER, SIGNAL_DEATHS

SEED_ARTICLE = "https://en.wikipedia.org/wiki/Exit_status"
_SHELL_AND_SCRIPTS = "Exit status (the seed article), Shell and scripts"

_MOST_SHELLS = Source(
    _SHELL_AND_SCRIPTS,
    SEED_ARTICLE,
    "a shell sets the variable $? to a value greater than 128. Most shells use 128+N, while "
    "ksh93 uses 256+N.",
)
_SHOULD_127_126 = Source(
    _SHELL_AND_SCRIPTS,
    SEED_ARTICLE,
    "If a command is not found, the shell should return a status of 127. If a command is found "
    "but is not executable, the return status should be 126. Note that this is not the case for "
    "all shells.",
)

PRACTICE_CONVENTIONS: tuple[Convention, ...] = (
    Convention(
        "common/core-dumped-message",
        'a shell says "core dumped" on stderr when its foreground child dumps core (bash, '
        "dash, mksh, posh, busybox, tcsh and rc do; how each words it is in the record's stderr)",
        CORE_DEATHS,
        INNER,
        Expect("contains", "core dumped", kind="stderr"),
        debian_manpage(
            "mksh.1",
            "mksh",
            "R59c",
            "Job control",
            "The “core dumped” message indicates the process created a core file.",
        ),
        ("*",),
        binding=False,
    ),
    Convention(
        "common/core-flag",
        "a process that dumped core ends with the core flag set in its wait status (WCOREDUMP); "
        "not POSIX, but Linux, the BSDs and macOS set it",
        ("core-exec/*",),
        OUTER,
        Expect("==", "N", kind="core"),
        debian_manpage(
            "wait.2",
            "manpages-dev",
            "6.03",
            "DESCRIPTION: WCOREDUMP",
            "returns true if the child produced a core dump (see core(5)).",
        ),
        ("*",),
        binding=False,
    ),
    Convention(
        "common/signal-128-plus-n",
        "a child killed by signal N is reported as 128+N (most shells, not ksh93 or yash)",
        SIGNAL_DEATHS + CORE_DEATHS,
        INNER,
        Expect("==", "128+N"),
        _MOST_SHELLS,
        ("*",),
        binding=False,
    ),
    Convention(
        "common/reraise-128-plus-n",
        "`exit $?` after a death by signal N ends the shell with 128+N (most shells)",
        ("reraise/*",),
        OUTER,
        Expect("==", "128+N"),
        _MOST_SHELLS,
        ("*",),
        binding=False,
    ),
    Convention(
        "common/exit-low-8-bits",
        "`exit N` outside 0..255 ends the shell with N & 255, as a shell that hands N to exit() "
        "does (POSIX leaves it undefined)",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "N&255"),
        XSH_EXIT_SOURCE,
        ("*",),
        binding=False,
    ),
    Convention(
        "common/not-found-127",
        "a command that is not found: 127 (common practice beyond POSIX shells)",
        ("not-found",),
        INNER,
        Expect("==", "127"),
        _SHOULD_127_126,
        ("*",),
        binding=False,
    ),
    Convention(
        "common/not-executable-126",
        "a file found but not executable: 126 (common practice beyond POSIX shells)",
        ("not-executable", "is-directory"),
        INNER,
        Expect("==", "126"),
        _SHOULD_127_126,
        ("*",),
        binding=False,
    ),
)
