"""A push of this host's queue started in the background, as exitwrap ends a job.

exitwrap never imports the database driver: when a job ends (a ``--batch``
script, or a command outside a job) it starts ``exitcodes db push
--background`` and exits without waiting, the way a Slurm node hands its
records to slurmdbd's agent. The push runs in a session of its own, with
no terminal and stdin, stdout and stderr on /dev/null. Pushes coalesce: a
trigger leaves ``<node>.again`` behind, then starts a push only when none
holds ``<node>.push``; a running push goes round once more while
``<node>.again`` appears (harness/exitwrap/accounting/server/push.py).

On exitwrap's hot path: os and sys only.
"""

from __future__ import annotations

import os
import sys

from exitwrap.accounting.files import FLAGS, PRIVATE_FILE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Optional

    from exitwrap.accounting.location import Queue

PUSH_ARGUMENTS = ("db", "push", "--background")


def push_command() -> list[str]:
    """exitcodes beside this interpreter (a virtual environment's, an installation's), else
    ``python -m exitwrap``."""
    script = os.path.join(os.path.dirname(sys.executable), "exitcodes")
    if os.access(script, os.X_OK):
        return [script, *PUSH_ARGUMENTS]
    return [sys.executable, "-m", "exitwrap", *PUSH_ARGUMENTS]


def touch(path: str) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | FLAGS, PRIVATE_FILE))


def push_running(queue: Queue) -> bool:
    """Whether a push holds the queue's push lock (a test, never a wait)."""
    fd = os.open(queue.file("push"), os.O_RDWR | os.O_CREAT | FLAGS, PRIVATE_FILE)
    try:
        os.lockf(fd, os.F_TEST, 0)
    except OSError:  # EACCES or EAGAIN: another process holds it
        return True
    finally:
        os.close(fd)
    return False


def start_push(queue: Queue, environ: Mapping[str, str]) -> Optional[str]:
    """Start a push unless one is running (then ask it for one more round); a warning when
    neither could be done (the records wait for the next push all the same)."""
    try:
        touch(queue.file("again"))  # first: a push that is letting go sees it and goes round
        if push_running(queue):
            return None
        quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
        argv = push_command()
        os.posix_spawn(argv[0], argv, environ, file_actions=quiet, setsid=True, setsigmask=())
    except OSError as error:
        return f"no push started ({error.strerror or error}): the next one takes these records"
    return None
