"""What every exitcodes subcommand shares: one-line errors and documented exit statuses.

0 done; 1 a runtime failure (unknown job, database error, refusal, error
cells, output that could not be written); 2 bad usage. Never a traceback:
a failure nothing else names is one line too, ``internal error``. Imports
nothing heavy: the accounting commands start through here and their
start-up is measured.
"""

from __future__ import annotations

from exitwrap.errors import HarnessFailure, UsageError
from exitwrap.streams import write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def fail(prog: str, message: str) -> None:
    """One line on stderr (dropped when stderr cannot be written)."""
    first = message.splitlines()[0] if message.strip() else "failed"
    write(f"{prog}: {first}\n", stream="stderr")


def _body_status(prog: str, body: Callable[[], int]) -> int:
    try:
        return body()
    except UsageError as error:
        fail(prog, f"{error} (see {prog} --help)")
        return EXIT_USAGE
    except HarnessFailure as error:
        fail(prog, str(error))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        fail(prog, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        write("")  # what is still buffered goes nowhere: the reader has left
        return EXIT_FAILURE
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        fail(prog, f"{where}{error.strerror or error}")
        return EXIT_FAILURE
    except (Exception, RecursionError) as error:  # a defect: still one line and a status
        fail(prog, f"internal error: {error!r}")
        return EXIT_FAILURE


def guarded(prog: str, body: Callable[[], int]) -> int:
    """Run a command body, turning every failure into one line and its exit status; output
    that could not be written (a closed or full stdout) is a failure too."""
    status = _body_status(prog, body)
    failure = write("")
    if failure is not None and status != EXIT_FAILURE:
        fail(prog, f"write error: {failure}")
        return EXIT_FAILURE
    return status
