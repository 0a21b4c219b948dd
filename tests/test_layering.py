"""Dependencies point one way: tally → ocr, reconcile. Reconcile is pure; OCR never imports tally."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

FORBIDDEN = {
    "reconcile": {"tally", "ocr", "sqlalchemy", "fastapi", "starlette", "cv2", "httpx", "redis"},
    "ocr": {"tally", "sqlalchemy", "fastapi", "starlette"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                roots.add(node.args[0].value.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_one_way(package: str) -> None:
    files = sorted((SRC / package).rglob("*.py"))
    assert files, f"no modules found under src/{package}"
    offenders = {
        str(f.relative_to(SRC)): sorted(imported_roots(f) & FORBIDDEN[package])
        for f in files
        if imported_roots(f) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_layering_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom tally.db import models\n", encoding="utf-8")
    assert imported_roots(bad) >= {"sqlalchemy", "tally"}
