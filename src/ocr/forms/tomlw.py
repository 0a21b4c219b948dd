"""A tiny TOML writer for spec files (tomllib reads; the stdlib has no writer)."""

from __future__ import annotations

from typing import Any


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(round(v, 2))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(type(v))


def _table(lines: list[str], path: str, table: dict[str, Any], array: bool) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and not _is_table_list(v)}
    lines.append(f"[[{path}]]" if array else f"[{path}]")
    lines.extend(f"{k} = {_value(v)}" for k, v in scalars.items())
    for k, v in table.items():
        if isinstance(v, dict):
            _table(lines, f"{path}.{k}", v, array=False)
    lines.append("")


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps(doc: dict[str, Any], comment: str = "") -> str:
    lines = [f"# {c}" for c in comment.splitlines()]
    for k, v in doc.items():
        if not isinstance(v, dict) and not _is_table_list(v):
            lines.append(f"{k} = {_value(v)}")
    lines.append("")
    for k, v in doc.items():
        if isinstance(v, dict):
            _table(lines, k, v, array=False)
        elif _is_table_list(v):
            for item in v:
                _table(lines, k, item, array=True)
    return "\n".join(lines)
