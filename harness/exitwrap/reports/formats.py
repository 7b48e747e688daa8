"""The report formats by name, and the file each one gets in an --out-dir.

A format's module has ``render(document) -> str``; one whose output changes
with ``--strict`` (JUnit: deviations become failures) also has
``render_strict(document) -> str``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from exitwrap.errors import UsageError
from exitwrap.reports.document import MatrixDocument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

# format -> (file name in an --out-dir, module whose render(document) -> str writes it)
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("matrix.json", "exitwrap.reports.json_report"),
    "md": ("matrix.md", "exitwrap.reports.markdown"),
    "html": ("matrix.html", "exitwrap.reports.html"),
    "junit": ("matrix.junit.xml", "exitwrap.reports.junit"),
}


def renderer(name: str, *, strict: bool = False) -> Callable[[MatrixDocument], str]:
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(FORMATS[name][1])
    render: Callable[[MatrixDocument], str] = getattr(module, "render_strict", module.render)
    return render if strict else module.render


def write(document: MatrixDocument, name: str, path: Path, *, strict: bool = False) -> Path:
    text = renderer(name, strict=strict)(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_all(document: MatrixDocument, out_dir: Path, *, strict: bool = False) -> list[Path]:
    return [
        write(document, name, out_dir / file, strict=strict) for name, (file, _) in FORMATS.items()
    ]
