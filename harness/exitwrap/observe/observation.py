"""One run as the harness saw it: the raw statuses, what the shell printed, how long it took."""

from __future__ import annotations

from exitwrap.record import Record
from exitwrap.status import EXITED, Termination, parse_int

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


class Observation(Record):
    """The raw statuses of one run, what the shell printed, and how long it took.

    ``wait_status`` is the POSIX word, ``dword`` the Windows exit code; under
    Wine both are kept. ``error`` is set only when the harness itself got no
    observation (spawn failure, timeout, unreadable status): whatever a shell
    does is an observation, never an error. ``timed_out`` tells a timeout
    (Oils' TIME) from the other errors.
    """

    wait_status: Optional[int] = None
    dword: Optional[int] = None
    inner: Optional[str] = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    error: Optional[str] = None
    note: str = ""  # how the run was made, where a report should say so (where a core went)
    timed_out: bool = False

    @property
    def outer(self) -> Optional[Termination]:
        """How the process the harness started ended, as its parent OS saw it."""
        if self.wait_status is not None:
            return Termination.from_wait_status(self.wait_status)
        if self.dword is not None:
            return Termination(EXITED, self.dword)
        return None

    @property
    def inner_value(self) -> Optional[int]:
        return parse_int(self.inner)
