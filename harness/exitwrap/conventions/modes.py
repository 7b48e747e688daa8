"""What a shell's POSIX mode changes, from the mode's own documents (bash-posix, yash-posix).

A mode is bound by POSIX (it is of the POSIX family), by its shell's own
manual (exitwrap/shell_names.py: bash's entries bind bash-posix), and by
what the mode's documentation says it changes. The entries here are those
changes that meet a scenario of the matrix: both documents list their
differences in full ("the following list is what's changed", "the complete
list of the behavioral differences").

bash's list is Debian's copy of the reference manual's section 6.11
(/usr/share/doc/bash/POSIX.gz, bash 5.2.15); yash's is the POSIXLY-CORRECT
MODE section of yash(1).
"""

from __future__ import annotations

from exitwrap.conventions.builders import debian_manpage, rule
from exitwrap.conventions.model import SHELL_RULE, Convention, Expect, Source
from exitwrap.scenarios.catalog import OUTER

BASH_POSIX_MODE = "https://www.gnu.org/software/bash/manual/html_node/Bash-POSIX-Mode.html"


def _bash_posix(quote: str) -> Source:
    return Source("bash 5.2.15, Bash POSIX Mode (bashref 6.11)", BASH_POSIX_MODE, quote)


_YASH_SPECIAL_BUILTIN = debian_manpage(
    "yash.1",
    "yash",
    "2.52",
    "POSIXLY-CORRECT MODE",
    "A non-interactive shell exits when a special built-in is given a syntactically wrong "
    "arguments or when an error occurs in assignment or redirection with a special built-in.",
)

MODES: tuple[Convention, ...] = (
    rule(
        "bash-posix",
        "expansion-error-exits",
        "bash --posix: a parameter expansion error (`${unset?msg}`) ends a non-interactive "
        "shell with a non-zero status",
        ("expansion-error",),
        OUTER,
        Expect("!=", "0"),
        _bash_posix("Non-interactive shells exit if a parameter expansion error occurs."),
        SHELL_RULE,
    ),
    rule(
        "bash-posix",
        "special-builtin-error-exits",
        "bash --posix: a special built-in that fails (`set -o nosuch`) ends a non-interactive "
        "shell, with a non-zero status, before the `exit 0` after it",
        ("special-builtin-error",),
        OUTER,
        Expect("!=", "0"),
        _bash_posix(
            "If a POSIX special builtin returns an error status, a non-interactive shell exits."
        ),
        SHELL_RULE,
    ),
    rule(
        "yash-posix",
        "exit-error-exits",
        "yash -o posixly-correct: `exit` given a negative number (an invalid option to it) is a "
        "special built-in's error, and a non-interactive shell exits non-zero at once",
        ("shell-exit/*",),
        OUTER,
        Expect("!=", "0"),
        _YASH_SPECIAL_BUILTIN,
        SHELL_RULE,
        n_range=(-(2**63), -1),
    ),
    rule(
        "yash-posix",
        "special-builtin-error-exits",
        "yash -o posixly-correct: `set -o nosuch` is a special built-in given a wrong argument, "
        "so a non-interactive shell exits, non-zero, before the `exit 0` after it",
        ("special-builtin-error",),
        OUTER,
        Expect("!=", "0"),
        _YASH_SPECIAL_BUILTIN,
        SHELL_RULE,
    ),
)
