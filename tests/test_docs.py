"""Docs and code in step (datasette's tests/test_docs.py): every CLI command and option, setting and route
that exists is documented, and every one the README or docs name exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

import ocr.decode
from tally.bootstrap import create_app
from tally.cli.main import app as cli
from tally.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DOCS = {
    p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8")
    for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
}
ALL_DOCS = "\n".join(DOCS.values())
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# --- CLI ---------------------------------------------------------------------------------------------------


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, list[str]]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in sorted(subcommands.items()):
            yield from _commands(sub, (*path, name))
        return
    options = [
        o
        for p in command.params
        for o in (*p.opts, *p.secondary_opts)
        if o.startswith("--") and o != "--help"
    ]
    yield " ".join(path), options


COMMANDS = dict(_commands(typer.main.get_command(cli)))
CLI_DOC = DOCS["docs/cli.md"]


def _cli_sections() -> dict[str, str]:
    parts = re.split(r"^### `tally ([^`]+)`$", CLI_DOC, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_command_has_a_section_in_docs_cli_and_every_section_a_command() -> None:
    assert sorted(_cli_sections()) == sorted(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_of_a_command_is_documented_in_its_section(command: str) -> None:
    section = _cli_sections().get(command, "")
    missing = [o for o in COMMANDS[command] if not re.search(rf"`{re.escape(o)}[ `=]", section)]
    assert missing == []


def test_every_option_a_section_names_exists() -> None:
    named = {
        (command, o)
        for command, section in _cli_sections().items()
        for o in re.findall(r"`(--[a-z-]+)", section)
    }
    assert {(c, o) for c, o in named if o not in COMMANDS.get(c, [])} == set()


def test_every_tally_command_the_docs_name_exists() -> None:
    groups = {" ".join(c.split()[:i]) for c in COMMANDS for i in range(1, len(c.split()))}
    named = {
        (doc, m.group(1).strip())
        for doc, text in DOCS.items()
        for m in re.finditer(r"`tally ((?:[a-z][a-z-]*(?: |`))+)", text)
    }
    unknown = set()
    for doc, words in named:
        words = words.rstrip("`").strip()
        parts = words.split()
        if not any(" ".join(parts[:i]) in COMMANDS for i in range(1, len(parts) + 1)) and words not in groups:
            unknown.add((doc, words))
    assert unknown == set()


# --- settings ----------------------------------------------------------------------------------------------

SETTINGS = {f"TALLY_{name.upper()}" for name in Settings.model_fields}
# Read straight from the environment, not through Settings: where a checkout keeps its data (ocr.paths), the
# password `officers add-staff` sets, the screenshot switch of the browser tests.
OTHER_VARIABLES = {"TALLY_SHARED_DATA", "TALLY_MNIST_DIR", "TALLY_NEW_PASSWORD", "TALLY_DOCS_SCREENSHOTS"}


def test_every_setting_is_documented_in_docs_settings() -> None:
    documented = set(re.findall(r"^\| `(TALLY_[A-Z_]+)`", DOCS["docs/settings.md"], flags=re.M))
    assert sorted(SETTINGS | OTHER_VARIABLES) == sorted(documented)


def test_every_variable_the_docs_name_exists() -> None:
    named = set(re.findall(r"\bTALLY_[A-Z][A-Z_]*[A-Z]\b", ALL_DOCS))
    constants = {n for n in named if hasattr(ocr.decode, n)}  # the decoder's priors, not settings
    assert named - constants - SETTINGS - OTHER_VARIABLES == set()


def test_other_variables_are_really_read() -> None:
    code = "\n".join(
        p.read_text(encoding="utf-8") for d in ("src", "tests") for p in (REPO / d).rglob("*.py")
    )
    assert {v for v in OTHER_VARIABLES if f'"{v}"' not in code} == set()


# --- routes ------------------------------------------------------------------------------------------------


def _routes(tmp: Path) -> set[tuple[str, str]]:
    app = create_app(Settings(data_dir=tmp))
    out: set[tuple[str, str]] = set()
    for route in app.routes:
        # FastAPI keeps an included router as one entry; its effective routes carry the full paths.
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for r in contexts:
            for method in set(getattr(r, "methods", None) or {"GET"}) - {"HEAD"}:
                out.add((method, _shape(r.path)))
    return out


def _shape(path: str) -> str:
    """Parameter names are the reader's business: `/tps/{tps_id}` and `/tps/{tps}` are one route."""
    return re.sub(r"\{[^}]*\}", "{}", path)


ROUTE_ROW = re.compile(rf"^\| ({'|'.join(METHODS)}) \| `([^`]+)` \|", re.M)


def test_every_route_is_in_the_route_table_and_every_row_is_a_route(tmp_path: Path) -> None:
    table = {(m, _shape(p)) for m, p in ROUTE_ROW.findall(DOCS["docs/api.md"])}
    assert sorted(_routes(tmp_path) ^ table) == []


def test_every_route_the_docs_name_exists(tmp_path: Path) -> None:
    routes = {p for _, p in _routes(tmp_path)}
    named = {
        (doc, m.group(1).split("?")[0])
        for doc, text in DOCS.items()
        for m in re.finditer(
            rf"`(?:(?:{'|'.join(METHODS)}) )?(/(?:api|petugas|wilayah|tps|salinan|ekspor|audit)[^` ]*)`", text
        )
    }
    prefixes = {(doc, p) for doc, p in named if p.endswith("/")}  # "everything under `/api/`"
    assert {(doc, p) for doc, p in named - prefixes if _shape(p) not in routes} == set()
