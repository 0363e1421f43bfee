"""The package's shape rules (ARCHITECTURE.md): folders talk through public names; files stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kvideo"
FILES = sorted(PACKAGE.rglob("*.py"))


def _folder(module: str) -> str:
    """``kvideo.io.reader`` -> ``io``; top-level modules (``kvideo.errors``) are their own folder."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _private_imports(path: Path):
    here = _folder(_module_of(path)) if path.parent != PACKAGE else _module_of(path).split(".")[-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kvideo.") and node.level == 0:
            there = _folder(node.module)
            if there == here:
                continue
            private_module = any(p.startswith("_") and p != "__init__" for p in node.module.split(".")[1:])
            names = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if private_module or names:
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno} from {node.module} import {names or '...'}"


def test_no_private_imports_across_folders():
    found = [hit for path in FILES for hit in _private_imports(path)]
    assert found == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_files_stay_under_450_lines(path):
    assert len(path.read_text().splitlines()) <= 450
