"""What Plan 9's rc promises (``plan9rc``): its status is a string, the child's wait message.

rc(1plan9), as Debian's 9base ships it, binds it: ``$status`` is the null
string when a command succeeds and the wait message otherwise, and ``exit``
ends the shell with the status given. The exact text of a wait message on
Unix is 9base's own (lib9/await.c): the exit code in decimal, or ``signal:``
and the note for the signal, `` (core dumped)`` after a core dump. Those
entries are informational: an implementation's words, not a promise.
"""

from __future__ import annotations

from exitwrap.conventions.builders import debian_manpage, informational, rule
from exitwrap.conventions.model import SHELL_RULE, Convention, Expect, Source
from exitwrap.conventions.other_shells import EXIT_IN_RANGE
from exitwrap.scenarios.catalog import CORE_DEATHS, INNER, SIGNAL_DEATHS
from exitwrap.scenarios.values import EXIT_VALUES

_AWAIT = "https://git.suckless.org/9base/file/lib9/await.c.html"

# exit(N) reaches rc as success when the low 8 bits are 0 (XSH exit()), as a failure otherwise
_SUCCEEDS = tuple(f"exit/{n}" for n in EXIT_VALUES if not n & 255)
_FAILS = tuple(f"exit/{n}" for n in EXIT_VALUES if n & 255)


def _rc(section: str, quote: str) -> Source:
    return debian_manpage("rc.1plan9", "9base", "1:6-13", section, quote)


def _await(quote: str) -> Source:
    return Source("9base 6 source, lib9/await.c (the wait message on Unix)", _AWAIT, quote)


WAIT_MESSAGE = _rc(
    "Command Lines",
    "Whenever a command not followed by & exits or is terminated, the rc variable $status gets "
    "the process's wait message (see wait(3)); it will be the null string if the command was "
    "successful.",
)
SIGNALED = _await(
    "snprint(buf, sizeof buf, \"%d %lud %lud %lud 'signal: %s%s'\", pid, u, s, u+s, "
    '_p9sigstr(WTERMSIG(status), tmp), cd ? " (core dumped)" : "");'
)

PLAN9: tuple[Convention, ...] = (
    rule(
        "plan9rc",
        "status-null-on-success",
        "Plan 9 rc: $status is the null string after a command that succeeded (a child whose "
        "exit code's low 8 bits are 0)",
        _SUCCEEDS,
        INNER,
        Expect("==", "", kind="text"),
        WAIT_MESSAGE,
        SHELL_RULE,
    ),
    rule(
        "plan9rc",
        "status-non-null-on-failure",
        "Plan 9 rc: $status is a non-null wait message after a command that failed: a non-zero "
        "exit, a signal, a command that cannot be run, a failing pipeline",
        (
            *_FAILS,
            *SIGNAL_DEATHS,
            *CORE_DEATHS,
            "subshell/*",
            "not-found",
            "not-executable",
            "is-directory",
            "bad-interpreter",
            "exec-format",
            "exec-format/*",
            "pipeline/last",
        ),
        INNER,
        Expect("!=", "", kind="text"),
        WAIT_MESSAGE,
        SHELL_RULE,
    ),
    informational(
        rule(
            "plan9rc",
            "wait-message-exit-code",
            "9base: the wait message of a child that exited non-zero is its exit code in decimal",
            (*_FAILS, "subshell/*"),
            INNER,
            Expect("==", "N&255"),
            _await('snprint(buf, sizeof buf, "%d %lud %lud %lud %d", pid, u, s, u+s, status);'),
        )
    ),
    informational(
        rule(
            "plan9rc",
            "wait-message-signal",
            "9base: the wait message of a child killed by a signal is `signal: ` and 9base's note "
            "for it (`signal: sys: kill`)",
            SIGNAL_DEATHS,
            INNER,
            Expect("==", "signal: {plan9note}", kind="text"),
            SIGNALED,
        )
    ),
    informational(
        rule(
            "plan9rc",
            "wait-message-core",
            "9base: after a core dump the wait message ends in ` (core dumped)` "
            "(`signal: quit (core dumped)`)",
            CORE_DEATHS,
            INNER,
            Expect("==", "signal: {plan9note} (core dumped)", kind="text"),
            SIGNALED,
        )
    ),
    EXIT_IN_RANGE.by(
        "plan9rc",
        _rc(
            "Built-in Commands: exit",
            "Exit with the given exit status. If none is given, the current value of $status is "
            "used.",
        ),
    ),
)
