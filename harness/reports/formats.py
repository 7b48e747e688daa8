"""The report formats by name, and the file each one gets in an --out-dir.

A format's module has ``render(document) -> str``; one whose output changes
with ``--strict`` (JUnit: deviations become failures) also has
``render_strict(document) -> str``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

from harness.errors import UsageError

Document = dict[str, Any]

# format -> (file name in an --out-dir, module whose render(document) -> str writes it)
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("matrix.json", "harness.reports.json_report"),
    "md": ("matrix.md", "harness.reports.markdown"),
    "html": ("matrix.html", "harness.reports.html"),
    "junit": ("matrix.junit.xml", "harness.reports.junit"),
}


def renderer(name: str, strict: bool = False) -> Callable[[Document], str]:
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(FORMATS[name][1])
    render: Callable[[Document], str] = getattr(module, "render_strict", module.render)
    return render if strict else module.render


def write(document: Document, name: str, path: Path, strict: bool = False) -> Path:
    text = renderer(name, strict)(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_all(document: Document, out_dir: Path, strict: bool = False) -> list[Path]:
    return [write(document, name, out_dir / file, strict) for name, (file, _) in FORMATS.items()]
