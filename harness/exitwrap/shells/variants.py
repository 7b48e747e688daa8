"""A column that is a shell started its own way: with given options, or under a given argv[0].

``--shells`` entries are ``NAME[@TAG][=PATH][:OPTION]...``. Each OPTION is
one argument put before the shell's own flags (``bash@posix:--posix``,
``yash@posix:-o:posixly-correct``), except ``argv0=NAME``, which starts the
shell under that name (``bash@sh:argv0=sh``: bash as ``/bin/sh`` is bash).
A shell reads its name from argv[0] after the kernel has followed any
symbolic link, so the harness starts it through a link of that name in its
cache directory: every runner (batch, pty, ``exitwrap --shell``) then starts
it the same way, as /bin/sh does.

A drive letter (``C:\\``) opening PATH is part of the path, not a separator.
"""

from __future__ import annotations

import os
import re

from exitwrap.cache import cache_dir, content_key
from exitwrap.errors import HarnessFailure, UsageError
from exitwrap.record import Record
from exitwrap.scratch import temporary_directory

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

ARGV0 = "argv0="
_ENTRY = re.compile(r"(?P<label>[^=:]+)(?:=(?P<path>(?:[A-Za-z]:[\\/])?[^:]*))?(?::(?P<rest>.*))?")


class Start(Record):
    """How the entry starts its shell: extra arguments, and the argv[0] it runs under."""

    args: tuple[str, ...] = ()
    argv0: Optional[str] = None


class Entry(Record):
    """One ``--shells`` entry, split: ``label``, the binary it names, how it starts."""

    label: str
    path: Optional[str]
    start: Start


def split_entry(entry: str) -> Entry:
    """Split ``NAME[@TAG][=PATH][:OPTION]...``; a malformed entry is a usage error."""
    match = _ENTRY.fullmatch(entry)
    if match is None:
        raise UsageError(f"{entry!r}: want NAME[@TAG][=PATH][:OPTION]...")
    path = match.group("path")
    if path is not None and not path:
        raise UsageError(f"{entry!r}: empty path after '='")
    rest = match.group("rest")
    options = rest.split(":") if rest is not None else []
    if any(not option for option in options):
        raise UsageError(f"{entry!r}: empty option after ':'")
    names = [o[len(ARGV0) :] for o in options if o.startswith(ARGV0)]
    if len(names) > 1:
        raise UsageError(f"{entry!r}: argv0= given twice")
    if names and (not names[0] or "/" in names[0] or names[0] in (".", "..")):
        raise UsageError(f"{entry!r}: argv0= wants a plain file name, as in argv0=sh")
    args = tuple(o for o in options if not o.startswith(ARGV0))
    return Entry(match.group("label").strip(), path, Start(args, names[0] if names else None))


def started_as(binary: str, argv0: str) -> str:
    """A link named ``argv0`` to ``binary`` in the cache (made once per pair), to start it by."""
    real = os.path.realpath(binary)
    links = os.path.join(cache_dir(), "argv0")
    pair = os.path.join(links, content_key(os.fsencode(f"{real}\0{argv0}")))
    link = os.path.join(pair, argv0)
    if os.path.islink(link) and os.readlink(link) == real:
        return link
    try:
        os.makedirs(pair, exist_ok=True)
        with temporary_directory(".link-", links) as staging:
            made = os.path.join(staging, argv0)
            os.symlink(real, made)
            os.replace(made, link)  # a concurrent maker's identical link is as good
    except OSError as error:
        raise HarnessFailure(f"cannot start {binary} as {argv0!r}: {error}") from None
    return link
