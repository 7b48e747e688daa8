"""The meanings ``exitcodes explain`` knows, as tables: codes, names, descriptions, sources.

Signal tables are per platform (Linux and macOS number several signals
differently); the host's own table comes from exitwrap/signal_names.py.
"""

from __future__ import annotations

from exitwrap.conventions import sources
from exitwrap.conventions.model import Source

# value -> (name, what Microsoft's definition says); sources.ntstatus() quotes the line.
NTSTATUS: dict[int, tuple[str, str]] = {
    0x80000003: ("STATUS_BREAKPOINT", "{EXCEPTION} Breakpoint A breakpoint has been reached."),
    0xC0000005: (
        "STATUS_ACCESS_VIOLATION",
        "The instruction at 0x%08lx referenced memory at 0x%08lx. The memory could not be %s.",
    ),
    0xC000001D: (
        "STATUS_ILLEGAL_INSTRUCTION",
        "{EXCEPTION} Illegal Instruction An attempt was made to execute an illegal instruction.",
    ),
    0xC0000094: ("STATUS_INTEGER_DIVIDE_BY_ZERO", "{EXCEPTION} Integer division by zero."),
    0xC0000095: ("STATUS_INTEGER_OVERFLOW", "{EXCEPTION} Integer overflow."),
    0xC0000096: ("STATUS_PRIVILEGED_INSTRUCTION", "{EXCEPTION} Privileged instruction."),
    0xC00000FD: ("STATUS_STACK_OVERFLOW", "A new guard page for the stack cannot be created."),
    0xC0000135: (
        "STATUS_DLL_NOT_FOUND",
        "{Unable To Locate Component} This application has failed to start because %hs was not "
        "found. Reinstalling the application might fix this problem.",
    ),
    0xC0000139: (
        "STATUS_ENTRYPOINT_NOT_FOUND",
        "{Entry Point Not Found} The procedure entry point %hs could not be located in the "
        "dynamic link library %hs.",
    ),
    0xC000013A: (
        "STATUS_CONTROL_C_EXIT",
        "{Application Exit by CTRL+C} The application terminated as a result of a CTRL+C.",
    ),
    0xC0000409: (
        "STATUS_STACK_BUFFER_OVERRUN",
        "The system detected an overrun of a stack-based buffer in this application. This "
        "overrun could potentially allow a malicious user to gain control of this application.",
    ),
}

# <sysexits.h>: value -> (name, the header's comment)
SYSEXITS: dict[int, tuple[str, str]] = {
    64: ("EX_USAGE", "command line usage error"),
    65: ("EX_DATAERR", "data format error"),
    66: ("EX_NOINPUT", "cannot open input"),
    67: ("EX_NOUSER", "addressee unknown"),
    68: ("EX_NOHOST", "host name unknown"),
    69: ("EX_UNAVAILABLE", "service unavailable"),
    70: ("EX_SOFTWARE", "internal software error"),
    71: ("EX_OSERR", "system error (e.g., can't fork)"),
    72: ("EX_OSFILE", "critical OS file missing"),
    73: ("EX_CANTCREAT", "can't create (user) output file"),
    74: ("EX_IOERR", "input/output error"),
    75: ("EX_TEMPFAIL", "temp failure; user is invited to retry"),
    76: ("EX_PROTOCOL", "remote error in protocol"),
    77: ("EX_NOPERM", "permission denied"),
    78: ("EX_CONFIG", "configuration error"),
}

# The statuses with one fixed meaning across POSIX tools: value -> (convention, meaning, source)
FIXED: dict[int, tuple[str, str, Source]] = {
    2: (
        "bash/builtin-usage",
        "a shell builtin's incorrect usage (invalid option, missing argument)",
        sources.BASH_BUILTIN_USAGE,
    ),
    124: (
        "gnu/timeout-124",
        "GNU timeout: the command timed out (without --preserve-status)",
        sources.GNU_TIMEOUT_124,
    ),
    125: (
        "gnu/timeout-125",
        "GNU timeout (and env, nice, exitwrap): the wrapper itself failed",
        sources.GNU_TIMEOUT_125,
    ),
    126: (
        "posix/not-executable-126",
        "the command was found but could not be executed (permissions, a directory, "
        "a bad #! interpreter in some shells)",
        sources.NOT_FOUND_126_127,
    ),
    127: (
        "posix/not-found-127",
        "the command was not found (PATH, a typo, a missing #! interpreter in most shells)",
        sources.NOT_FOUND_126_127,
    ),
}

# A death by signal, as people meet it, keyed by name (numbers differ per platform).
SIGNAL_HINTS: dict[str, str] = {
    "SIGHUP": "the terminal or SSH session went away, or a daemon was told to reload",
    "SIGINT": "Ctrl-C",
    "SIGQUIT": "Ctrl-\\, usually with a core dump",
    "SIGILL": "an illegal instruction (a binary built for another CPU)",
    "SIGABRT": "abort(): a failed assertion or detected heap corruption",
    "SIGBUS": "a bus error (a truncated mmap'ed file, misaligned access)",
    "SIGFPE": "an arithmetic error, such as integer division by zero",
    "SIGKILL": "cannot be caught: often the OOM killer, or `docker stop`/`kill -9` after a "
    "grace period ran out",
    "SIGSEGV": "a segmentation fault: an invalid memory access",
    "SIGPIPE": "a write to a pipe nobody reads any more (`producer | head`)",
    "SIGALRM": "an alarm(2) timer fired",
    "SIGTERM": "a polite termination request: `kill`, `docker stop`, systemd, a CI timeout",
    "SIGXCPU": "the CPU-time limit (ulimit -t) ran out",
    "SIGXFSZ": "the file-size limit (ulimit -f) was exceeded",
}

_COMMON = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT"}
_TAIL = {8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"}

# signal(7) on Linux (x86, ARM and most others); 34..64 are the real-time signals.
LINUX_SIGNALS: dict[int, str] = {
    **_COMMON,
    **_TAIL,
    7: "SIGBUS",
    10: "SIGUSR1",
    12: "SIGUSR2",
    16: "SIGSTKFLT",
    17: "SIGCHLD",
    18: "SIGCONT",
    19: "SIGSTOP",
    20: "SIGTSTP",
    21: "SIGTTIN",
    22: "SIGTTOU",
    23: "SIGURG",
    24: "SIGXCPU",
    25: "SIGXFSZ",
    26: "SIGVTALRM",
    27: "SIGPROF",
    28: "SIGWINCH",
    29: "SIGIO",
    30: "SIGPWR",
    31: "SIGSYS",
    34: "SIGRTMIN",
    **{34 + n: f"SIGRTMIN+{n}" for n in range(1, 30)},
    64: "SIGRTMAX",
}

# <sys/signal.h> on macOS (Darwin)
MACOS_SIGNALS: dict[int, str] = {
    **_COMMON,
    **_TAIL,
    7: "SIGEMT",
    10: "SIGBUS",
    12: "SIGSYS",
    16: "SIGURG",
    17: "SIGSTOP",
    18: "SIGTSTP",
    19: "SIGCONT",
    20: "SIGCHLD",
    21: "SIGTTIN",
    22: "SIGTTOU",
    23: "SIGIO",
    24: "SIGXCPU",
    25: "SIGXFSZ",
    26: "SIGVTALRM",
    27: "SIGPROF",
    28: "SIGWINCH",
    29: "SIGINFO",
    30: "SIGUSR1",
    31: "SIGUSR2",
}

SIGNAL_TABLES: dict[str, dict[int, str]] = {
    "linux": LINUX_SIGNALS,
    "wine": LINUX_SIGNALS,  # Wine's POSIX side is the Linux host's
    "macos": MACOS_SIGNALS,
}

# (base, convention id, the shells whose manual documents base+N, source)
SIGNAL_BASES: tuple[tuple[int, str, tuple[str, ...], Source], ...] = (
    (
        128,
        "posix/signal-128-plus-n",
        ("bash", "dash", "mksh", "zsh", "posh", "busybox", "fish", "tcsh", "pwsh"),
        sources.BASH_SIGNAL,
    ),
    (256, "ksh93/signal-256-plus-n", ("ksh93",), sources.KSH93_SIGNAL),
    (384, "yash/signal-384-plus-n", ("yash",), sources.YASH_SIGNAL),
)

AMIGAOS_LEVELS: dict[int, str] = {0: "OK", 5: "WARN", 10: "ERROR", 20: "FAILURE"}

# OpenVMS condition values: the low three bits are the severity.
OPENVMS_SEVERITY: dict[int, str] = {
    0: "warning",
    1: "success",
    2: "error",
    3: "informational",
    4: "severe (fatal) error",
}

CMD_NOT_FOUND = 9009
STILL_ACTIVE = 259
