"""Every page, at 360 and 1280 px in Debian chromium, checked by axe-core: no serious or critical violation.

The pages are those of `conftest.PAGES` (public recap levels, TPS pages, outliers, audit, error pages, login,
each officer role's pages), plus the pages only a form leads to: a refused login, a refused activation code
and the printed KPPS code sheet. Each page also fits its width (never scrolls sideways). Screenshots of the
pages listed in DOC_SHOTS go to docs/img with TALLY_DOCS_SCREENSHOTS=1, every page's to ALL_SHOTS (a temp
folder) to look at.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from support import axe
from support.live import launch, shot
from support.site import DESA, PAGES, Site
from support.web_election import COUNTED_FLAGGED

ALL_SHOTS = Path(tempfile.gettempdir()) / "tally-page-shots"
DOC_SHOTS = {"tps-flagged", "tps-counted", "outliers", "audit", "login-refused", "kpu-kode-desa"}


def _check(page: Any, name: str, width: int, shots: Path, found: dict[str, list[str]]) -> None:
    bad = [str(v) for v in axe.violations(page)]
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > width:
        bad.append(f"scrolls sideways: {wide} px wide at {width} px")
    if bad:
        found[name] = bad
    shot(page, ALL_SHOTS, f"page-{name}-{width}.png", width=width)
    if name in DOC_SHOTS:
        shot(page, shots, f"page-{name}-{width}.png", width=width)


def _forms(page: Any, site: Site, width: int, shots: Path, found: dict[str, list[str]]) -> None:
    """The pages only a form leads to: refused login and activation, the printed code sheet."""
    page.context.clear_cookies()
    page.goto(site.url + "/petugas/masuk")
    page.fill("#username", "pps.angke")
    page.fill("#password", "salah")
    page.click("#staf-masuk button")
    assert page.locator("#staf-masuk [role=alert]").count() == 1, "a wrong password says why"
    _check(page, "login-refused", width, shots, found)
    page.goto(site.url + "/petugas/masuk")
    page.fill("#kode", "SALAH-123")
    page.click("#kpps-aktivasi button")
    assert page.locator("#kpps-aktivasi [role=alert]").count() == 1, "a wrong code says why"
    _check(page, "activation-refused", width, shots, found)

    page.context.add_cookies(site.cookies("kpu.jakbar"))
    page.goto(f"{site.url}/petugas/kode/{DESA}")
    card = page.locator(f"#tps-{COUNTED_FLAGGED}")
    card.locator("summary", has_text="Kode baru").click()
    confirm = card.locator("form[action$=terbitkan] input[name=yakin]")
    if confirm.count():  # the other width issued one already: a reissue asks first
        confirm.check()
    with page.expect_navigation():
        card.locator("form[action$=terbitkan] button[value=cetak]").click()
    assert page.locator("section.slip").count() == 1
    _check(page, "kpu-kode-cetak", width, shots, found)


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_every_page_has_no_serious_accessibility_violation(served: Site, shots: Path, width: int) -> None:
    from playwright.sync_api import sync_playwright

    site, found = served, dict[str, list[str]]()
    with sync_playwright() as pw:
        browser = launch(pw)
        ctx = axe.context(browser, width)
        page = ctx.new_page()
        for name, who, path in PAGES:
            ctx.clear_cookies()
            ctx.add_cookies(site.cookies(who))
            page.goto(site.url + path)
            _check(page, name, width, shots, found)
        _forms(page, site, width, shots, found)
        browser.close()
    report = "\n".join(f"{name}: " + "\n  ".join(bad) for name, bad in found.items())
    assert not found, f"at {width} px:\n{report}"
