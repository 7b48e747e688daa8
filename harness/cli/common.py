"""What every exitcodes subcommand shares: one-line errors and documented exit statuses.

0 done; 1 a runtime failure (unknown job, database error, refusal, error
cells); 2 bad usage. Never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, NoReturn

from harness.errors import HarnessFailure, UsageError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors by raising, so the caller prints one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


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
