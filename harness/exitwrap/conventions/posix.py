"""What POSIX promises every shell of the POSIX family, quoted from the standard.

POSIX.1-2017 (XCU chapter 2, the sh, exit and wait pages, XSH exit()) is the
base; pipefail is only in POSIX.1-2024. Every quote was checked word for word
against the standard's text. Where POSIX leaves a value open (``exit 256``, a
non-text file run as a script) there is no entry here, and the cell is
``unspecified`` unless the shell's own manual speaks.
"""

from __future__ import annotations

from exitwrap.conventions.model import Convention, Expect, Source
from exitwrap.scenarios.catalog import CORE_DEATHS, INNER, OUTER, SIGNAL_DEATHS

_POSIX_2017 = "https://pubs.opengroup.org/onlinepubs/9699919799"
_POSIX_2024 = "https://pubs.opengroup.org/onlinepubs/9799919799"
_XCU_2017 = f"{_POSIX_2017}/utilities/V3_chap02.html"

XCU_2_6_2 = f"{_XCU_2017}#tag_18_06_02"
XCU_2_8_2 = f"{_XCU_2017}#tag_18_08_02"
XCU_2_9_2 = f"{_XCU_2017}#tag_18_09_02"
XCU_2_9_4 = f"{_XCU_2017}#tag_18_09_04"
XCU_EXEC = f"{_XCU_2017}#tag_18_20"
XCU_EXIT = f"{_XCU_2017}#tag_18_21"
XCU_SH = f"{_POSIX_2017}/utilities/sh.html#tag_20_117_14"
XCU_WAIT = f"{_POSIX_2017}/utilities/wait.html#tag_20_153_03"
XSH_EXIT = f"{_POSIX_2017}/functions/exit.html"
XCU_2_9_2_2024 = f"{_POSIX_2024}/utilities/V3_chap02.html#tag_19_09_02_01"

_2_8_2 = "POSIX.1-2017, XCU 2.8.2 Exit Status for Commands"
XSH_EXIT_SOURCE = Source(
    "POSIX.1-2017, XSH exit()",
    XSH_EXIT,
    "The value of status may be 0, EXIT_SUCCESS, EXIT_FAILURE, or any other value, though only the "
    "least significant 8 bits (that is, status & 0377) shall be available from wait() and "
    "waitpid(); the full value shall be available from waitid() and in the siginfo_t passed to a "
    "signal handler for SIGCHLD.",
)
NOT_FOUND_OR_NOT_EXECUTABLE = Source(
    _2_8_2,
    XCU_2_8_2,
    "If a command is not found, the exit status shall be 127. If the command name is found, but it "
    "is not an executable utility, the exit status shall be 126.",
)
_SH_ERRORS = Source(
    "POSIX.1-2017, XCU sh, EXIT STATUS",
    XCU_SH,
    "1-125 A non-interactive shell detected an error other than command_file not found or "
    "executable, including but not limited to syntax, redirection, or variable assignment errors.",
)

POSIX_CONVENTIONS: tuple[Convention, ...] = (
    # --- a child's exit(N) ---------------------------------------------------------------
    Convention(
        "posix/exit-low-8-bits",
        "a child's exit(N) leaves only N & 255 for the shell to see",
        ("exit/*",),
        INNER,
        Expect("==", "N&255"),
        XSH_EXIT_SOURCE,
        ("@posix",),
    ),
    Convention(
        "posix/status-full-eight-bits",
        "$? shows all eight bits the child left (N & 255), not fewer",
        ("exit/*",),
        INNER,
        Expect("==", "N&255"),
        Source(
            _2_8_2,
            XCU_2_8_2,
            "When reporting the exit status with the special parameter '?', the shell shall "
            "report the full eight bits of exit status available.",
        ),
        ("@posix",),
    ),
    # --- the shell's own exit N ----------------------------------------------------------
    Convention(
        "posix/exit-builtin",
        "`exit N` with 0 <= N <= 255 ends the shell with status N; any other N is unspecified",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "N"),
        Source(
            "POSIX.1-2017, XCU 2.14 exit, EXIT STATUS",
            XCU_EXIT,
            "The exit status shall be n, if specified, except that the behavior is unspecified if "
            "n is not an unsigned decimal integer or is greater than 255.",
        ),
        ("@posix",),
        n_range=(0, 255),
    ),
    # --- a child's signal death ------------------------------------------------------------
    Convention(
        "posix/signal-above-128",
        "a child killed by a signal is reported as greater than 128 (the exact value is the "
        "shell's own: 128+N, 256+N and 384+N all conform)",
        SIGNAL_DEATHS + CORE_DEATHS,
        INNER,
        Expect(">", "128"),
        Source(
            _2_8_2,
            XCU_2_8_2,
            "The exit status of a command that terminated because it received a signal shall be "
            "reported as greater than 128.",
        ),
        ("@posix",),
    ),
    Convention(
        "posix/exec-replaces-shell",
        "`exec CMD`: the shell becomes CMD, so the process ends as CMD does (here by signal N)",
        ("core-exec/*",),
        OUTER,
        Expect("==", "N", kind="signal"),
        Source(
            "POSIX.1-2017, XCU 2.14 exec, DESCRIPTION",
            XCU_EXEC,
            "If exec is specified with command, it shall replace the shell with command without "
            "creating a new process.",
        ),
        ("@posix",),
    ),
    # --- command search and execution ------------------------------------------------------
    Convention(
        "posix/not-found-127",
        "a command that is not found: 127",
        ("not-found",),
        INNER,
        Expect("==", "127"),
        NOT_FOUND_OR_NOT_EXECUTABLE,
        ("@posix",),
    ),
    Convention(
        "posix/not-executable-126",
        "a file or directory that is found but is not an executable utility: 126",
        ("not-executable", "is-directory"),
        INNER,
        Expect("==", "126"),
        NOT_FOUND_OR_NOT_EXECUTABLE,
        ("@posix",),
    ),
    Convention(
        "posix/bad-interpreter-126-or-127",
        "a script whose #! interpreter is missing: the file is found (126, found but not "
        "executable) while the interpreter the kernel looked for is not (127, not found); POSIX "
        "has no sentence for this case, so either of its two statuses for a command that cannot "
        "be run conforms, and anything else deviates",
        ("bad-interpreter",),
        INNER,
        Expect("in", "126,127"),
        NOT_FOUND_OR_NOT_EXECUTABLE,
        ("@posix",),
    ),
    # --- errors ------------------------------------------------------------------------------
    Convention(
        "posix/redirect-error-1-125",
        "a utility whose input redirection fails: that command fails with 1..125 (the shell "
        "goes on: XCU 2.8.1)",
        ("redirect-error",),
        INNER,
        Expect("between", "1,125"),
        Source(
            _2_8_2,
            XCU_2_8_2,
            "If a command fails during word expansion or redirection, its exit status shall be "
            "between 1 and 125 inclusive.",
        ),
        ("@posix",),
    ),
    Convention(
        "posix/expansion-error-exits",
        "`${unset?msg}` in a non-interactive shell: the shell exits with a non-zero status "
        "(without the colon the test is for unset only)",
        ("expansion-error",),
        OUTER,
        Expect("!=", "0"),
        Source(
            "POSIX.1-2017, XCU 2.6.2 Parameter Expansion",
            XCU_2_6_2,
            "If parameter is unset or null, the expansion of word (or a message indicating it is "
            "unset if word is omitted) shall be written to standard error and the shell exits "
            "with a non-zero exit status.",
        ),
        ("@posix",),
    ),
    Convention(
        "posix/sh-error-1-125",
        "a non-interactive shell that meets a syntax or expansion error exits 1..125",
        ("syntax-error", "expansion-error"),
        OUTER,
        Expect("between", "1,125"),
        _SH_ERRORS,
        ("@posix",),
    ),
    # --- compound commands -----------------------------------------------------------------
    Convention(
        "posix/pipeline-last",
        "`true | false`: a pipeline's status is its last command's",
        ("pipeline/last",),
        INNER,
        Expect("==", "1"),
        Source(
            "POSIX.1-2017, XCU 2.9.2 Pipelines, Exit Status",
            XCU_2_9_2,
            "If the pipeline does not begin with the ! reserved word, the exit status shall be "
            "the exit status of the last command specified in the pipeline.",
        ),
        ("@posix",),
    ),
    Convention(
        "posix/pipefail",
        "`set -o pipefail; false | true`: the rightmost failing command's status, 1",
        ("pipeline/pipefail",),
        INNER,
        Expect("==", "1"),
        Source(
            "POSIX.1-2024, XCU 2.9.2 Pipelines, Exit Status (pipefail enabled, no !)",
            XCU_2_9_2_2024,
            "Zero, if all commands in the pipeline returned an exit status of 0; otherwise, the "
            "exit status of the last (rightmost) command specified in the pipeline that returned "
            "a non-zero exit status.",
        ),
        ("@posix",),
    ),
    Convention(
        "posix/subshell-status",
        "`(exit 5)`: a grouping's status is its list's",
        ("subshell/*",),
        INNER,
        Expect("==", "N"),
        Source(
            "POSIX.1-2017, XCU 2.9.4 Compound Commands, Grouping Commands",
            XCU_2_9_4,
            "The exit status of a grouping command shall be the exit status of compound-list.",
        ),
        ("@posix",),
    ),
    Convention(
        "posix/wait-pid-status",
        "`wait $!` returns the background command's status",
        ("wait-bg/*",),
        INNER,
        Expect("==", "N"),
        Source(
            "POSIX.1-2017, XCU wait, DESCRIPTION",
            XCU_WAIT,
            "The exit status returned by the wait utility shall be the exit status of the process "
            "requested by the last pid operand.",
        ),
        ("@posix",),
    ),
)
