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
from pathlib import Path

from exitwrap.cache import cache_dir, content_key
from exitwrap.errors import HarnessFailure
from exitwrap.path_search import which
from exitwrap.record import Record
from exitwrap.scratch import make_directory, remove_tree

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"  # the checkout's top level

# name in the kit -> (source under fixtures/files, mode); a None source is a directory
KIT_FILES: dict[str, tuple[str | None, int]] = {
    "not-executable": ("not-executable.sh", 0o644),
    "bad-interpreter": ("bad-interpreter.sh", 0o755),
    "exec-format": ("exec-format.bin", 0o755),
    "exec-format-nul": ("exec-format-nul.bin", 0o755),
    "is-directory": (None, 0o755),
}


def _fixtures_dir() -> Path:
    """exitwrap/fixtures: a link to the checkout's fixtures/, a folder in a wheel; else fixtures/
    itself (a checkout made without symbolic links)."""
    installed = Path(__file__).resolve().parent.parent / "fixtures"
    return installed if (installed / "probe.c").is_file() else FIXTURES


class ProbeKit(Record):
    probe: Path
    root: Path

    def file(self, name: str) -> Path:
        """The path of one error-scenario file (see KIT_FILES)."""
        if name not in KIT_FILES:
            raise KeyError(name)
        return self.root / name


def _compiler() -> str:
    for candidate in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        found = candidate and which(candidate)
        if found:
            return found
    raise HarnessFailure("no C compiler (cc, gcc or clang) to build the probe child")


def _publish(build: Path, target: Path) -> None:
    """Move a finished build into place; a concurrent builder's identical result is as good."""
    try:
        os.replace(build, target)
    except OSError:
        if not target.exists():
            raise


def _build(source: Path, root: Path) -> None:
    import subprocess  # noqa: PLC0415  (only to build the kit: a run that finds it built skips it)

    root.mkdir(parents=True, exist_ok=True)
    staging = Path(make_directory(".build-", str(root.parent)))
    try:
        binary = staging / "probe"
        done = subprocess.run(
            [
                _compiler(),
                "-O2",
                "-std=c99",
                "-D_POSIX_C_SOURCE=200809L",
                "-D_DEFAULT_SOURCE",
                "-o",
                str(binary),
                str(source),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["no output"])[0]
            raise HarnessFailure(f"building the probe failed: {first}")
        files = _fixtures_dir() / "files"
        for name, (source_name, mode) in KIT_FILES.items():
            path = staging / name
            if source_name is None:
                path.mkdir()
            else:
                path.write_bytes((files / source_name).read_bytes())
            path.chmod(mode)
        for entry in staging.iterdir():
            _publish(entry, root / entry.name)
    finally:
        remove_tree(str(staging))


@functools.cache
def probe_kit() -> ProbeKit:
    """Build the kit on first use (per source hash) and return where it lives."""
    source = _fixtures_dir() / "probe.c"
    root = cache_dir() / f"kit-{content_key(source.read_bytes())}"
    if not ((root / "probe").is_file() and all((root / n).exists() for n in KIT_FILES)):
        _build(source, root)
    return ProbeKit(root / "probe", root)
