"""The garbage collector's share of a command-line run, kept small.

Measured on a one-cell matrix over 10 shells (Python 3.11, 2 cores): with
CPython's defaults the collector searched the growing heap over and over
while the modules and catalogs were built (a young collection every 700
allocations), and again several times at exit while the interpreter tore
everything down: about 10 ms of a 72 ms run, for no garbage worth finding.
The catalogs live until exit, and exiting frees a process's memory at once.
"""

from __future__ import annotations

import gc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

YOUNG_COLLECTION_EVERY = 10_000  # allocations (CPython's default: 700); older generations as is


def console_entry(main: Callable[[], int]) -> Callable[[], int]:
    """A command's console entry point: main, as all that is left of this process's life.

    Only for the commands' entry points: a caller that goes on afterwards (a
    test calling main in process) calls main and keeps the interpreter's settings.
    """

    def console() -> int:
        gc.set_threshold(YOUNG_COLLECTION_EVERY)
        status = main()
        gc.freeze()  # what is left lives until exit: its collections there would find nothing
        return status

    return console
