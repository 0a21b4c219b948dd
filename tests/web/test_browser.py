"""One journey in real Debian chromium at 360 px: nasional → provinsi → … → a TPS, with a screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from support.live import launch, serve
from support.web_election import load_election, web_app
from tally.db.base import make_engine
from tally.settings import Settings


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        load_election(session)
    app = web_app(Settings(environment="test", database_url=sqlite_url, data_dir=tmp_path), engine)
    with serve(app, lifespan="off") as url:
        yield url
    engine.dispose()


@pytest.mark.browser
def test_public_drills_from_nasional_to_a_tps_on_a_360px_phone(server: str, shots: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=1)
        page.goto(server + "/")
        assert page.locator("h1").inner_text().startswith("Indonesia")
        for name in ("DKI JAKARTA", "KOTA ADM. JAKARTA BARAT", "TAMBORA", "ANGKE", "TPS 002"):
            page.get_by_role("link", name=name, exact=True).click()
            page.wait_for_load_state("domcontentloaded")
            # Usable at 360 px: the page itself never scrolls sideways (wide tables scroll in their box).
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
        assert page.url.endswith("/tps/3173041007002")
        assert page.locator("td.paslon-2").inner_text() == "1.000"
        assert "votes" in page.locator("li.flag.error").inner_text()
        assert page.evaluate("typeof htmx") == "object"  # served locally from /static, no CDN
        shot = shots / "recap-tps-360.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size < 300_000
