"""What every exitcodes subcommand shares: one-line errors and documented exit statuses.

0 done; 1 a runtime failure (unknown job, database error, refusal, error
cells); 2 bad usage. Never a traceback. Imports nothing heavy: the
accounting commands start through here and their start-up is measured.
"""

from __future__ import annotations

import sys

from exitwrap.errors import HarnessFailure, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def fail(prog: str, message: str) -> None:
    print(f"{prog}: {message.splitlines()[0] if message else 'failed'}", file=sys.stderr)


def guarded(prog: str, body: Callable[[], int]) -> int:
    """Run a command body, turning every failure into one line and its exit status."""
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
        return 130
    except BrokenPipeError:
        return EXIT_FAILURE
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        fail(prog, f"{where}{error.strerror or error}")
        return EXIT_FAILURE
