"""Shell discovery remembers versions across runs: a binary is asked again only once it changed.

A wrapper script stands in front of the real bash and logs every time it is
run, so what is counted is real processes, not calls to the library.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from exitwrap.shells import discovery
from exitwrap.shells.shell import Shell, parse_selection, resolve_all

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash absent: bash not found on PATH")


@pytest.fixture
def logged_bash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A bash that appends its arguments to a log, and that log; a fresh cache directory."""
    monkeypatch.setenv("EXITWRAP_CACHE", str(tmp_path / "cache"))
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "bash"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {BASH} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def _found(wrapper: Path) -> Shell:
    discovery.version_of.cache_clear()  # a new run: nothing remembered in process
    [shell] = resolve_all(parse_selection(f"bash={wrapper}"))
    return shell


def _calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_second_run_asks_nothing(logged_bash: tuple[Path, Path]) -> None:
    wrapper, log = logged_bash
    first = _found(wrapper)
    assert first.version.startswith(("4.", "5.")) and _calls(log) == 1
    assert _found(wrapper).version == first.version and _calls(log) == 1


def test_a_changed_binary_is_asked_again(logged_bash: tuple[Path, Path]) -> None:
    wrapper, log = logged_bash
    _found(wrapper)
    stat = wrapper.stat()
    os.utime(wrapper, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    _found(wrapper)
    assert _calls(log) == 2


def test_an_unreadable_cache_is_only_a_miss(logged_bash: tuple[Path, Path]) -> None:
    wrapper, log = logged_bash
    cache = Path(os.environ["EXITWRAP_CACHE"])
    cache.mkdir()
    (cache / "versions.json").write_text("{not json")
    assert _found(wrapper).present and _calls(log) == 1
    assert _found(wrapper).present and _calls(log) == 1  # and it was rewritten whole


def test_answers_for_binaries_gone_or_changed_are_dropped_when_the_cache_is_written(
    logged_bash: tuple[Path, Path], tmp_path: Path
) -> None:
    wrapper, _ = logged_bash
    gone, changed = tmp_path / "gone" / "bash", tmp_path / "changed" / "bash"
    for copy in (gone, changed):
        copy.parent.mkdir()
        shutil.copy2(wrapper, copy)
        _found(copy)
    cache = Path(os.environ["EXITWRAP_CACHE"]) / "versions.json"
    assert _binaries(cache) == {str(gone), str(changed)}
    gone.unlink()
    changed.write_text(changed.read_text() + "# rebuilt\n")
    _found(wrapper)  # a new answer: the file is written again
    assert _binaries(cache) == {str(wrapper)}


def _binaries(cache: Path) -> set[str]:
    entries = json.loads(cache.read_text())["entries"]
    return {key.rsplit("\0", 1)[-1] for key in entries}


def test_many_shells_are_resolved_in_the_order_given() -> None:
    names = ["zsh", "bash", "dash", "mksh", "ksh93"]
    assert [s.name for s in resolve_all(parse_selection(",".join(names)))] == names
