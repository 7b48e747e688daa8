"""The documents ``exitcodes explain`` cites, each with the sentence a meaning rests on.

Quotes are verbatim: from the installed manual pages and headers (bash,
yash, GNU timeout, sysexits.h), Microsoft's reference pages and ntstatus
definitions, Wine's source, Python's documentation, and the two seed
documents (the "Exit status" article and Slurm's "Job Exit Codes" page).
"""

from __future__ import annotations

from exitwrap.conventions.model import Source

SEED_ARTICLE = "https://en.wikipedia.org/wiki/Exit_status"
SLURM_PAGE = "https://slurm.schedmd.com/job_exit_code.html"
_COMMANDS = "https://learn.microsoft.com/windows-server/administration/windows-commands"
_GET_EXIT_CODE_PROCESS = (
    "https://learn.microsoft.com/windows/win32/api/processthreadsapi/"
    "nf-processthreadsapi-getexitcodeprocess"
)
NTSTATUS_VALUES = (
    "https://learn.microsoft.com/openspecs/windows_protocols/ms-erref/"
    "596a1078-e883-4972-9bbc-49e60bebca55"
)


def _article(quote: str) -> Source:
    return Source("Exit status (the seed article)", SEED_ARTICLE, quote)


ZERO_IS_SUCCESS = _article(
    "POSIX-compatible systems typically use a convention of zero for success and nonzero for error."
)
XSH_EXIT = Source(
    "POSIX.1-2017, XSH exit()",
    "https://pubs.opengroup.org/onlinepubs/9699919799/functions/exit.html",
    "only the least significant 8 bits (that is, status & 0377) shall be available from wait() "
    "and waitpid()",
)
NOT_FOUND_126_127 = Source(
    "POSIX.1-2017, XCU 2.8.2 Exit Status for Commands",
    "https://pubs.opengroup.org/onlinepubs/9699919799/utilities/V3_chap02.html#tag_18_08_02",
    "If a command is not found, the exit status shall be 127. If the command name is found, but "
    "it is not an executable utility, the exit status shall be 126.",
)
BASH_SIGNAL = Source(
    "bash(1) 5.2.15, EXIT STATUS",
    "https://manpages.debian.org/bookworm/bash/bash.1.en.html",
    "When a command terminates on a fatal signal N, bash uses the value of 128+N as the exit "
    "status.",
)
BASH_BUILTIN_USAGE = Source(
    "bash(1) 5.2.15, EXIT STATUS",
    "https://manpages.debian.org/bookworm/bash/bash.1.en.html",
    "All builtins return an exit status of 2 to indicate incorrect usage, generally invalid "
    "options or missing arguments.",
)
KSH93_SIGNAL = _article("Most shells use 128+N, while ksh93 uses 256+N.")
YASH_SIGNAL = Source(
    "yash(1) 2.52, Execution of simple commands",
    "https://manpages.debian.org/bookworm/yash/yash.1.en.html",
    "If the executed command was killed by a signal, the exit status is the signal number plus "
    "384.",
)
PYTHON_RETURNCODE = Source(
    "Python documentation, subprocess.Popen.returncode",
    "https://docs.python.org/3/library/subprocess.html#subprocess.Popen.returncode",
    "A negative value -N indicates that the child was terminated by signal N (POSIX only).",
)
GNU_TIMEOUT_124 = Source(
    "GNU coreutils 9.1, timeout --help",
    "https://www.gnu.org/software/coreutils/manual/html_node/timeout-invocation.html",
    "124  if COMMAND times out, and --preserve-status is not specified",
)
GNU_TIMEOUT_125 = Source(
    "GNU coreutils 9.1, timeout --help",
    "https://www.gnu.org/software/coreutils/manual/html_node/timeout-invocation.html",
    "125  if the timeout command itself fails",
)
SYSEXITS = "https://man.freebsd.org/cgi/man.cgi?query=sysexits&sektion=3"
C_MACROS = _article("On Unix-like systems these are equal to 0 and 1 respectively.")
JAVA_EXIT = _article(
    "The argument serves as a status code; by convention, a nonzero status code indicates "
    "abnormal termination."
)
PLAN9 = _article("In Plan 9's C, exit status is indicated by a string passed to the")
AMIGAOS = _article("four levels are defined")
OPENVMS = _article("success is indicated by odd values and failure by even values")
WINDOWS_SIGNED = _article(
    "uses 32-bit unsigned integers as exit codes, although the command interpreter treats them "
    "as signed."
)
DOS_IF_ERRORLEVEL = Source(
    "Windows Commands reference, if",
    f"{_COMMANDS}/if",
    "Specifies a true condition only if the previous program run by Cmd.exe returned an exit "
    "code equal to or greater than number.",
)
CMD_EXIT = Source(
    "Windows Commands reference, exit",
    f"{_COMMANDS}/exit",
    "Specifies a numeric number. If /b is specified, the ERRORLEVEL environment variable is set "
    "to that number. If you are quitting the command interpreter, the process exit code is set "
    "to that number.",
)
EXIT_VALUE = Source(
    "Win32 API reference, GetExitCodeProcess",
    _GET_EXIT_CODE_PROCESS,
    "If the process has terminated and the function succeeds, the status returned is one of the "
    "following values: The exit value specified in the ExitProcess or TerminateProcess function.",
)
STILL_ACTIVE = Source(
    "Win32 API reference, GetExitCodeProcess",
    _GET_EXIT_CODE_PROCESS,
    "If a thread returns STILL_ACTIVE (259) as an error code, then applications that test for "
    "that value could interpret it to mean that the thread is still running, and continue to "
    "test for the completion of the thread after the thread has terminated, which could put the "
    "application into an infinite loop.",
)
CMD_9009 = Source(
    "golang/go issue 7850 (an observation on Windows, not a Microsoft document)",
    "https://github.com/golang/go/issues/7850",
    "However when you run the attached .bat file, you will see that Windows reports this error "
    "as a 9009.",
)
WINE_EXIT = Source(
    "Wine 8.0 source, dlls/ntdll/unix/thread.c, get_unix_exit_code()",
    "https://gitlab.winehq.org/wine/wine/-/blob/wine-8.0/dlls/ntdll/unix/thread.c",
    "/* prevent a nonzero exit code to end up truncated to zero in unix */ "
    "if (status && !(status & 0xff)) return 1;",
)
SLURM_SIGNAL = Source(
    "Slurm, Job Exit Codes (the seed page)",
    SLURM_PAGE,
    "When a signal was responsible for a job or step's termination, the signal number will be "
    "displayed after the exit code, delineated by a colon(:).",
)
SLURM_UNSIGNED = Source(
    "Slurm, Job Exit Codes (the seed page)",
    SLURM_PAGE,
    "While it is possible for a job to return a negative exit code, Slurm will display it as an "
    "unsigned value in the 0 - 255 range.",
)


def ntstatus(definition: str) -> Source:
    """A quote from Microsoft's NTSTATUS definitions (ntstatus.h, [MS-ERREF] 2.3.1)."""
    return Source("[MS-ERREF] 2.3.1 NTSTATUS Values (ntstatus.h)", NTSTATUS_VALUES, definition)


def sysexits(definition: str) -> Source:
    """A line of <sysexits.h> (glibc's copy of the BSD header)."""
    return Source("sysexits.h (sysexits(3))", SYSEXITS, definition)
