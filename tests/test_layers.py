"""The package's architecture, checked: imports go down the layers its docstring states, and
no modules import each other in a cycle, deferred (function-level) imports included."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import exitwrap

PACKAGE = Path(exitwrap.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = ["exitwrap", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every exitwrap module this file imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("exitwrap"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("exitwrap"):
            module = node.module or ""
            for alias in node.names:  # "from exitwrap.x import y" may name a module y
                candidate = f"{module}.{alias.name}"
                found.add(candidate if candidate in MODULES else module)
    return found - {"exitwrap"}  # the package itself holds only __version__


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "fixtures" not in p.parts}
GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _layers() -> list[str]:
    """The layer names in the order the package docstring lists them."""
    listed = re.findall(r"^\d+\. (?:``(\w+)``|the vocabulary)", exitwrap.__doc__ or "", re.M)
    return [name or "" for name in listed]  # "": the vocabulary, the package's own modules


SUB_PACKAGES = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}


def _layer_of(module: str) -> str:
    """The sub-package a module is in, or "" for the package's own (vocabulary) modules."""
    top = module.split(".")[1] if "." in module else ""
    return top if top in SUB_PACKAGES else ""


def test_the_docstring_names_every_sub_package_once() -> None:
    layers = _layers()
    assert len(layers) == len(set(layers))
    assert set(layers) == {"", *SUB_PACKAGES}


def test_imports_go_down_the_layers() -> None:
    rank = {name: index for index, name in enumerate(_layers())}
    entry_points = {m for m in GRAPH if m.endswith(".__main__")}  # above everything they start
    upward = [
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if module not in entry_points and rank[_layer_of(target)] > rank[_layer_of(module)]
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_package_root_holds_only_the_vocabulary() -> None:
    root = sorted(p.stem for p in PACKAGE.glob("*.py"))
    vocabulary = ["cache", "collector", "errors", "platforms", "record", "shell_names"]
    vocabulary += ["signal_names", "status", "scratch", "path_search"]
    assert root == sorted(["__init__", "__main__", *vocabulary, "streams", "verdicts"])
