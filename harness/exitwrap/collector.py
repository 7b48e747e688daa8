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


def run_as_process(main: Callable[[], int]) -> int:
    """main()'s status, main being all that is left of this process's life.

    For console entry points only: a caller that goes on afterwards (a test
    calling main in process) keeps the interpreter's settings.
    """
    gc.set_threshold(YOUNG_COLLECTION_EVERY)
    status = main()
    gc.freeze()  # what is left lives until exit: its collections there would find nothing
    return status
