"""The venv the suite runs in is exactly `uv.lock` (issue 13): nothing newer slipped in, nothing unlocked."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, set[str]]:
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    versions: dict[str, set[str]] = defaultdict(set)
    for package in lock["package"]:
        versions[_canonical(package["name"])].add(package.get("version", ""))
    return versions


def test_every_installed_distribution_is_the_locked_version() -> None:
    locked = _locked()
    installed = {_canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert {n: v for n, v in installed.items() if v not in locked.get(n, set())} == {}


def test_every_locked_package_carries_hashes() -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    unhashed = [
        p["name"]
        for p in lock["package"]
        if "registry" in p.get("source", {})
        and not all("hash" in a for a in [*p.get("wheels", []), *([p["sdist"]] if "sdist" in p else [])])
    ]
    assert unhashed == []
