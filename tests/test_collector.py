"""The console entry points run with the collector kept to its share (exitwrap/collector.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from exitwrap.collector import YOUNG_COLLECTION_EVERY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parents[1]


def test_a_process_run_keeps_mains_status_and_leaves_nothing_to_collect_at_exit() -> None:
    code = (
        "import gc\nfrom exitwrap.collector import console_entry\n"
        "status = console_entry(lambda: 3)()\n"
        "print(status, gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["3", str(YOUNG_COLLECTION_EVERY), "True"]


def test_both_commands_start_through_their_console_entry_points() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {
        "exitwrap": "exitwrap.wrap.cli:console",
        "exitcodes": "exitwrap.cli.main:console",
    }
    assert "console()" in (ROOT / "harness" / "exitwrap" / "__main__.py").read_text()
