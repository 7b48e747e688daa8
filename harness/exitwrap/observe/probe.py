"""The probe kit: the compiled probe child and the files the error scenarios execute.

The probe is built from fixtures/probe.c with the host's C compiler into a
per-user cache directory, keyed by the source's content, and replaced
atomically, so concurrent builders (xdist workers, parallel CI jobs) never
see a half-written binary. The error-scenario files are copied next to it
with the exact modes they need: a checkout or a wheel may not keep them.
"""

from __future__ import annotations

import functools
import os

from exitwrap.cache import cache_dir, content_key
from exitwrap.errors import HarnessFailure
from exitwrap.path_search import which
from exitwrap.record import Record
from exitwrap.scratch import temporary_directory

_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # harness/exitwrap
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(_PACKAGE)), "fixtures")  # checkout's

# name in the kit -> (source under fixtures/files, mode); a None source is a directory
KIT_FILES: dict[str, tuple[str | None, int]] = {
    "not-executable": ("not-executable.sh", 0o644),
    "bad-interpreter": ("bad-interpreter.sh", 0o755),
    "exec-format": ("exec-format.bin", 0o755),
    "exec-format-nul": ("exec-format-nul.bin", 0o755),
    "is-directory": (None, 0o755),
}


def _fixtures_dir() -> str:
    """exitwrap/fixtures: a link to the checkout's fixtures/, a folder in a wheel; else fixtures/
    itself (a checkout made without symbolic links)."""
    installed = os.path.join(_PACKAGE, "fixtures")
    return installed if os.path.isfile(os.path.join(installed, "probe.c")) else FIXTURES


def _read(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


class ProbeKit(Record):
    probe: str
    root: str

    def file(self, name: str) -> str:
        """The path of one error-scenario file (see KIT_FILES)."""
        if name not in KIT_FILES:
            raise KeyError(name)
        return os.path.join(self.root, name)


def _compiler() -> str:
    for candidate in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        found = candidate and which(candidate)
        if found:
            return found
    raise HarnessFailure("no C compiler (cc, gcc or clang) to build the probe child")


def _publish(build: str, target: str) -> None:
    """Move a finished build into place; a concurrent builder's identical result is as good."""
    try:
        os.replace(build, target)
    except OSError:
        if not os.path.exists(target):
            raise


def _build(source: str, root: str) -> None:
    import subprocess  # noqa: PLC0415  (only to build the kit: a run that finds it built skips it)

    os.makedirs(root, exist_ok=True)
    with temporary_directory(".build-", os.path.dirname(root)) as staging:
        binary = os.path.join(staging, "probe")
        done = subprocess.run(
            [
                _compiler(),
                "-O2",
                "-std=c99",
                "-D_POSIX_C_SOURCE=200809L",
                "-D_DEFAULT_SOURCE",
                "-o",
                binary,
                source,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["no output"])[0]
            raise HarnessFailure(f"building the probe failed: {first}")
        files = os.path.join(_fixtures_dir(), "files")
        for name, (source_name, mode) in KIT_FILES.items():
            path = os.path.join(staging, name)
            if source_name is None:
                os.mkdir(path)
            else:
                with open(path, "wb") as made:
                    made.write(_read(os.path.join(files, source_name)))
            os.chmod(path, mode)
        for name in os.listdir(staging):
            _publish(os.path.join(staging, name), os.path.join(root, name))


@functools.cache
def probe_kit() -> ProbeKit:
    """Build the kit on first use (per source hash) and return where it lives."""
    source = os.path.join(_fixtures_dir(), "probe.c")
    root = os.path.join(cache_dir(), f"kit-{content_key(_read(source))}")
    probe = os.path.join(root, "probe")
    if not (
        os.path.isfile(probe) and all(os.path.exists(os.path.join(root, n)) for n in KIT_FILES)
    ):
        _build(source, root)
    return ProbeKit(probe, root)
