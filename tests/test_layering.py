"""Dependencies point one way: tally → ocr, reconcile, and inside tally from the composition root down.

Every import counts, including those inside functions (`ast.walk` sees them all) and `import_module("…")`
with a literal name: an import tucked into a function is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGES = ("tally", "ocr", "reconcile")

FORBIDDEN = {
    "reconcile": {"tally", "ocr", "sqlalchemy", "fastapi", "starlette", "cv2", "httpx", "redis"},
    "ocr": {"tally", "sqlalchemy", "fastapi", "starlette"},
}

# Inside tally, top to bottom: a part may import its own layer's modules only within itself, and any part of
# a lower layer. `bootstrap` is the composition root (it builds the services and mounts API and pages); the
# web pages build on the API's typed dependencies; review drives workers' readers (latihan); below them the
# election store, photos, then auth, the queue and regions, the audit log, the tables, settings and errors.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer)
    for layer in (
        {"cli"},
        {"bootstrap"},
        {"web"},
        {"api"},
        {"review"},
        {"worker"},
        {"demo"},  # seeds the demo through the election store (frees the TPS it hands out)
        {"election", "photos"},
        {"auth", "queue", "regions", "words"},  # words: the Bahasa catalogue people read (tally.words)
        {"audit"},
        {"db"},
        {"settings", "errors"},
    )
)
RANK = {part: depth for depth, layer in enumerate(LAYERS) for part in layer}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((SRC / pkg).rglob("*.py"))}


def imported_names(path: Path, known: set[str] | frozenset[str] = frozenset()) -> Iterator[str]:
    """Every module name `path` imports, wherever the import sits. `from a import b` names `a.b` when that is
    a module in `known`, else `a`; relative imports are resolved against the file's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path) if path.is_relative_to(SRC) else path.stem
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if full in known else base
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield node.args[0].value


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_names(path)}


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of src/ it imports (a name resolves to its longest known module prefix)."""
    mods = modules()
    known = set(mods)

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        targets = {resolve(n) for n in imported_names(path, known)}
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan): each is an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def part_of(module: str) -> str | None:
    """`tally.review.keying` → `review`; `tally.settings` → `settings`; None for `tally` itself and others."""
    parts = module.split(".")
    return parts[1] if parts[0] == "tally" and len(parts) > 1 else None


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


def test_every_part_of_tally_has_a_layer() -> None:
    parts = {part_of(m) for m in modules()} - {None}
    assert parts - set(RANK) == set(), "place the new part in LAYERS"
    assert set(RANK) - parts == set(), "LAYERS names a part that no longer exists"


def test_tally_parts_import_only_lower_layers() -> None:
    upward = sorted(
        f"{source} → {target}"
        for source, targets in import_graph().items()
        for target in targets
        if (a := part_of(source)) is not None
        and (b := part_of(target)) is not None
        and a != b
        and RANK[b] <= RANK[a]
    )
    assert upward == []


def test_no_module_of_src_imports_itself_through_others() -> None:
    assert cycles(import_graph()) == []


def test_layering_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom tally.db import models\n", encoding="utf-8")
    assert imported_roots(bad) >= {"sqlalchemy", "tally"}


def test_an_import_inside_a_function_counts(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden.py"
    hidden.write_text("def f() -> None:\n    from tally.worker import apply\n", encoding="utf-8")
    assert set(imported_names(hidden, {"tally.worker.apply"})) == {"tally.worker.apply"}


def test_cycle_check_finds_a_loop_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
