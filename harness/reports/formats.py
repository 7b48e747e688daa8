"""The report formats by name, and the file each one gets in an --out-dir."""

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
}


def renderer(name: str) -> Callable[[Document], str]:
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(FORMATS[name][1])
    render: Callable[[Document], str] = module.render
    return render


def write(document: Document, name: str, path: Path) -> Path:
    text = renderer(name)(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_all(document: Document, out_dir: Path) -> list[Path]:
    return [write(document, name, out_dir / file) for name, (file, _) in FORMATS.items()]
