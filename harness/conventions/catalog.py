"""The conventions catalog: every expectation exitwrap checks, each with its source.

Data only. Quotes are verbatim from the cited documents. POSIX entries bind
the POSIX family; a shell's own manual binds that shell; ``binding=False``
entries are common practice, shown beside the others for comparison and
never deciding a cell. Where POSIX leaves a value undefined (``exit 256``)
no binding entry exists, and the cell is ``unspecified``.
"""

from __future__ import annotations

from harness.conventions.model import Convention, Expect, Source
from harness.scenarios import INNER, OUTER

_POSIX_2017 = "https://pubs.opengroup.org/onlinepubs/9699919799"
_POSIX_2024 = "https://pubs.opengroup.org/onlinepubs/9799919799"

XCU_2_8_2 = f"{_POSIX_2017}/utilities/V3_chap02.html#tag_18_08_02"
XSH_EXIT = f"{_POSIX_2017}/functions/exit.html"
XCU_EXIT = f"{_POSIX_2017}/utilities/V3_chap02.html#exit"
XCU_SH = f"{_POSIX_2017}/utilities/sh.html#tag_20_117_14"
XCU_2_6_2 = f"{_POSIX_2017}/utilities/V3_chap02.html#tag_18_06_02"
XCU_2_9_2 = f"{_POSIX_2017}/utilities/V3_chap02.html#tag_18_09_02"
XCU_2_9_2_2024 = f"{_POSIX_2024}/utilities/V3_chap02.html#tag_19_09_02"
XCU_2_9_4 = f"{_POSIX_2017}/utilities/V3_chap02.html#tag_18_09_04"
XCU_WAIT = f"{_POSIX_2017}/utilities/wait.html#tag_20_153_14"
BASH_EXIT_STATUS = "https://www.gnu.org/software/bash/manual/html_node/Exit-Status.html"
SEED_ARTICLE = "https://en.wikipedia.org/wiki/Exit_status"

_NOT_FOUND = Source(
    "POSIX.1-2017, XCU 2.8.2 Exit Status for Commands",
    XCU_2_8_2,
    "If a command is not found, the exit status shall be 127. If the command name is found, "
    "but it is not an executable utility, the exit status shall be 126.",
)
_EIGHT_BITS = Source(
    "POSIX.1-2017, XCU 2.8.2 Exit Status for Commands",
    XCU_2_8_2,
    "When reporting the exit status with the special parameter '?', the shell shall report "
    "the full eight bits of exit status available.",
)
_SIGNAL_GT_128 = Source(
    "POSIX.1-2017, XCU 2.8.2 Exit Status for Commands",
    XCU_2_8_2,
    "The exit status of a command that terminated because it received a signal shall be "
    "reported as greater than 128.",
)
_EXPANSION_OR_REDIRECTION = Source(
    "POSIX.1-2017, XCU 2.8.2 Exit Status for Commands",
    XCU_2_8_2,
    "If a command fails during word expansion or redirection, its exit status shall be "
    "between 1 and 125 inclusive.",
)
_SH_ERRORS = Source(
    "POSIX.1-2017, XCU sh, EXIT STATUS",
    XCU_SH,
    "1-125 A non-interactive shell detected an error other than command_file not found or "
    "executable, including but not limited to syntax, redirection, or variable assignment errors.",
)

CONVENTIONS: tuple[Convention, ...] = (
    # --- a child's exit(N) -------------------------------------------------------------
    Convention(
        "posix/exit-low-8-bits",
        "a child's exit(N) reaches the shell as N & 255",
        ("exit/*",),
        INNER,
        Expect("==", "N&255"),
        Source(
            "POSIX.1-2017, XSH exit()",
            XSH_EXIT,
            "only the least significant 8 bits (that is, status & 0377) shall be available "
            "from wait() and waitpid()",
        ),
        ("@posix",),
    ),
    Convention(
        "posix/status-eight-bits",
        "$? reports the full eight bits of the exit status",
        ("exit/*",),
        INNER,
        Expect("between", "0,255"),
        _EIGHT_BITS,
        ("@posix",),
    ),
    # --- the shell's own exit N ----------------------------------------------------------
    Convention(
        "posix/exit-builtin",
        "`exit N` with 0 <= N <= 255 ends the shell with status N",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "N"),
        Source(
            "POSIX.1-2017, XCU 2.14 exit",
            XCU_EXIT,
            "The exit utility shall cause the shell to exit with the exit status specified by "
            "the unsigned decimal integer n. If n is specified, but its value is not between 0 "
            "and 255 inclusively, the exit status is undefined.",
        ),
        ("@posix",),
        n_range=(0, 255),
    ),
    Convention(
        "common/exit-wraps-8-bits",
        "an out-of-range `exit N` wraps to N & 255 (common practice; POSIX leaves it undefined)",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "N&255"),
        Source(
            "Exit status (the seed article)",
            SEED_ARTICLE,
            "POSIX-compatible systems typically use a convention of zero for success and "
            "nonzero for error.",
        ),
        ("*",),
        binding=False,
    ),
    # --- a child's signal death -----------------------------------------------------------
    Convention(
        "posix/signal-above-128",
        "a child killed by a signal is reported as greater than 128",
        ("signal/*",),
        INNER,
        Expect(">", "128"),
        _SIGNAL_GT_128,
        ("@posix",),
    ),
    Convention(
        "common/signal-128-plus-n",
        "a child killed by signal N is reported as 128+N (most shells)",
        ("signal/*",),
        INNER,
        Expect("==", "128+N"),
        Source(
            "Exit status (the seed article), Shell and scripts",
            SEED_ARTICLE,
            "is terminated by a signal whose number is N, a shell sets the variable $? to a "
            "value greater than 128. Most shells use 128+N, while ksh93 uses 256+N.",
        ),
        ("*",),
        binding=False,
    ),
    Convention(
        "bash/signal-128-plus-n",
        "bash reports a child killed by signal N as 128+N",
        ("signal/*",),
        INNER,
        Expect("==", "128+N"),
        Source(
            "Bash Reference Manual, 3.7.5 Exit Status",
            BASH_EXIT_STATUS,
            "When a command terminates on a fatal signal whose number is N, Bash uses the value "
            "128+N as the exit status.",
        ),
        ("bash",),
        qualifier="shell-rule",
    ),
    Convention(
        "common/reraise-exits-128-plus-n",
        "`exit $?` after a signal death ends the shell with 128+N (most shells)",
        ("reraise/*",),
        OUTER,
        Expect("==", "128+N"),
        Source(
            "Exit status (the seed article), Shell and scripts",
            SEED_ARTICLE,
            "Most shells use 128+N, while ksh93 uses 256+N.",
        ),
        ("*",),
        binding=False,
    ),
    # --- command search and execution ------------------------------------------------------
    Convention(
        "posix/not-found-127",
        "a command that is not found: 127",
        ("not-found",),
        INNER,
        Expect("==", "127"),
        _NOT_FOUND,
        ("@posix",),
    ),
    Convention(
        "posix/not-executable-126",
        "a file found but not executable: 126",
        ("not-executable", "is-directory"),
        INNER,
        Expect("==", "126"),
        _NOT_FOUND,
        ("@posix",),
    ),
    Convention(
        "posix/bad-interpreter-126-or-127",
        "a script whose interpreter is missing: 126 (found, not executable) or 127 (not found)",
        ("bad-interpreter",),
        INNER,
        Expect("in", "126,127"),
        _NOT_FOUND,
        ("@posix",),
    ),
    Convention(
        "posix/exec-format",
        "a non-text file the kernel cannot run: 126 when the shell refuses it, 127 when it runs "
        "it as a script (its first word is no command)",
        ("exec-format",),
        INNER,
        Expect("in", "126,127"),
        Source(
            "POSIX.1-2017, XCU 2.9.1.1 Command Search and Execution",
            f"{_POSIX_2017}/utilities/V3_chap02.html#tag_18_09_01_01",
            "If the executable file is not a text file, the shell may bypass this command "
            "execution. In this case, it shall write an error message, and shall return an exit "
            "status of 126.",
        ),
        ("@posix",),
    ),
    Convention(
        "bash/not-executable-126",
        "bash: a command found but not executable returns 126",
        ("not-executable", "is-directory", "bad-interpreter", "exec-format"),
        INNER,
        Expect("==", "126"),
        Source(
            "Bash Reference Manual, 3.7.5 Exit Status",
            BASH_EXIT_STATUS,
            "If a command is not found, the child process created to execute it returns a status "
            "of 127. If a command is found but is not executable, the return status is 126.",
        ),
        ("bash",),
        qualifier="shell-rule",
    ),
    # --- errors ----------------------------------------------------------------------------
    Convention(
        "posix/redirect-error-1-125",
        "a utility whose redirection fails: the shell goes on, status 1..125",
        ("redirect-error",),
        INNER,
        Expect("between", "1,125"),
        _EXPANSION_OR_REDIRECTION,
        ("@posix",),
    ),
    Convention(
        "posix/expansion-error-exits",
        "`${unset?msg}` in a non-interactive shell: the shell exits with a non-zero status",
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
    # --- compound commands -------------------------------------------------------------------
    Convention(
        "posix/pipeline-last",
        "a pipeline's status is its last command's",
        ("pipeline/last",),
        INNER,
        Expect("==", "1"),
        Source(
            "POSIX.1-2017, XCU 2.9.2 Pipelines",
            XCU_2_9_2,
            "If the pipeline does not begin with the ! reserved word, the exit status shall be "
            "the exit status of the last command specified in the pipeline.",
        ),
        ("@posix",),
    ),
    Convention(
        "posix/pipefail",
        "with pipefail, a pipeline fails when any command fails",
        ("pipeline/pipefail",),
        INNER,
        Expect("==", "1"),
        Source(
            "POSIX.1-2024, XCU 2.9.2 Pipelines",
            XCU_2_9_2_2024,
            "If the pipefail option is enabled, the exit status shall be the value of the last "
            "(rightmost) command to exit with non-zero status, or zero if all commands exit zero.",
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
            "POSIX.1-2017, XCU wait, EXIT STATUS",
            XCU_WAIT,
            "the exit status of wait shall be the exit status information of the command "
            "indicated by the last operand specified.",
        ),
        ("@posix",),
    ),
)
