"""The conventions catalog: every expectation exitwrap checks, each with its source.

Data only, gathered from one module per kind of document: POSIX
(posix.py), the POSIX-family shells' manuals (manuals.py), the documents of
their POSIX modes (modes.py), the manuals of fish, tcsh and rc
(other_shells.py), Plan 9's rc (plan9.py), Microsoft's (windows.py), and
common practice (practice.py, ``binding=False``: shown for comparison, never
deciding a cell). Quotes are
verbatim from the cited documents. Where no document speaks, there is no
binding entry and the cell is ``unspecified``.
"""

from __future__ import annotations

from exitwrap.conventions.manuals import SHELL_MANUAL_CONVENTIONS
from exitwrap.conventions.model import Convention
from exitwrap.conventions.modes import MODES
from exitwrap.conventions.other_shells import OTHER_SHELL_CONVENTIONS
from exitwrap.conventions.plan9 import PLAN9
from exitwrap.conventions.posix import POSIX_CONVENTIONS
from exitwrap.conventions.practice import PRACTICE_CONVENTIONS
from exitwrap.conventions.windows import WINDOWS_CONVENTIONS

CONVENTIONS: tuple[Convention, ...] = (
    POSIX_CONVENTIONS
    + SHELL_MANUAL_CONVENTIONS
    + MODES
    + OTHER_SHELL_CONVENTIONS
    + PLAN9
    + PRACTICE_CONVENTIONS
    + WINDOWS_CONVENTIONS
)
