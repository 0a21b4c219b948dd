"""axe-core (vendored at vendor/node_modules/axe-core, MPL-2.0; tests only, never served) run in a page.

The app's Content-Security-Policy forbids any script it did not serve, so the check runs in a browser
context made with `bypass_csp=True` (`context()` below): production keeps its policy, the test injects axe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "vendor/node_modules/axe-core/axe.min.js"
SEVERE = ("serious", "critical")
# WCAG 2.x A/AA and best practice: what a phone user with a screen reader or low vision runs into.
RUN_OPTIONS = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}  # fmt: skip


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:4]) + (" …" if len(self.targets) > 4 else "")
        return f"{self.impact} {self.rule}: {self.help} [{shown}]"


def context(browser: Any, width: int, height: int = 760) -> Any:
    """A browser context at `width` px that may inject axe despite the app's CSP."""
    return browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1, bypass_csp=True
    )


def _target(node: dict[str, Any]) -> str:
    return " ".join(map(str, node["target"]))


def violations(page: Any, severe_only: bool = True) -> list[Violation]:
    """axe.run() on the page as it is: its serious and critical violations (all with severe_only=False)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("options => axe.run(document, options).then(r => r.violations)", RUN_OPTIONS)
    out = [
        Violation(v["id"], v.get("impact") or "", v["help"], tuple(_target(n) for n in v["nodes"]))
        for v in found
    ]
    return [v for v in out if v.impact in SEVERE] if severe_only else out
