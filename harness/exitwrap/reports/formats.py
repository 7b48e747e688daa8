"""The report formats by name, and the file each one gets in an --out-dir.

A format's module has ``render(document) -> str``; one whose output changes
with ``--strict`` (JUnit: deviations become failures) also has
``render_strict(document) -> str``.
"""

from __future__ import annotations

import os
import sys

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


def check(name: str, what: str = "format") -> None:
    """A UsageError unless name is one of FORMATS."""
    if name not in FORMATS:
        raise UsageError(f"{what}: invalid choice {name!r} (choose from {', '.join(FORMATS)})")


def renderer(name: str, *, strict: bool = False) -> Callable[[MatrixDocument], str]:
    check(name)
    __import__(FORMATS[name][1])  # importlib.import_module, less importlib's own import
    module = sys.modules[FORMATS[name][1]]
    render: Callable[[MatrixDocument], str] = getattr(module, "render_strict", module.render)
    return render if strict else module.render


def write(
    document: MatrixDocument, name: str, path: str | os.PathLike[str], *, strict: bool = False
) -> str:
    """Write one format to path (its directory made if need be); the path written."""
    text = renderer(name, strict=strict)(document)
    target = os.fspath(path)
    os.makedirs(os.path.dirname(target) or os.curdir, exist_ok=True)
    with open(target, "w", encoding="utf-8") as stream:
        stream.write(text)
    return target


def write_all(
    document: MatrixDocument, out_dir: str | os.PathLike[str], *, strict: bool = False
) -> list[str]:
    return [
        write(document, name, os.path.join(out_dir, file), strict=strict)
        for name, (file, _) in FORMATS.items()
    ]
