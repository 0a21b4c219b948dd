"""In real Debian chromium at 360 px: the journey nasional → provinsi → … → a TPS, and a kelurahan with many
TPS that reads on a phone (names never crushed, a search box, no sideways scroll)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from reconcile.ids import NASIONAL, TpsId
from support.live import fits, launch, serve, shot
from support.web_election import load_election, web_app
from tally.db.base import make_engine
from tally.election.store import Tps, save_tps
from tally.settings import Settings


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        load_election(session)
        more = [Tps(TpsId(f"3173041007{n:03d}"), 280) for n in range(3, 41)]  # ANGKE: 40 TPS in all
        save_tps(session.connection(), NASIONAL, more)
        session.commit()
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
        assert "Halaman 2 dan 3 tidak cocok" not in page.locator("li.flag.error").inner_text()
        rule = page.locator("li.flag.error b").inner_text()
        assert rule == "Jumlah suara tidak cocok"  # Bahasa, not the rule's id `votes`
        assert page.evaluate("typeof htmx") == "object"  # served locally from /static, no CDN
        shot = shots / "recap-tps-360.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size < 300_000


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_a_kelurahan_of_40_tps_reads_on_a_phone_and_filters(server: str, shots: Path, width: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": width, "height": 740}, device_scale_factor=1)
        page.goto(server + "/wilayah/31.73.04.1007")
        rows = page.locator("table.regions tbody tr")
        assert rows.count() == 40
        fits(page, width)
        name = page.locator("table.regions tbody th.name").first.bounding_box()
        assert name is not None and name["width"] > 80  # a name, not a letter per line
        assert name["height"] < 60  # one line (two at most), not a column of letters
        header = page.locator("table.regions thead th").all()
        assert all(h.evaluate("h => h.scrollWidth <= h.clientWidth") for h in header)  # no header cut
        assert page.evaluate("document.documentElement.scrollHeight") < 3500  # was 12–16k px
        shot(page, shots, f"recap-kelurahan-{width}.png", width=width)
        box = page.locator("#saring")
        assert box.is_visible()  # shown by /static/tally.js (hidden without script)
        box.fill("tps 017")
        assert [r.inner_text().split()[:2] for r in rows.all() if r.is_visible()] == [["TPS", "017"]]
        assert page.locator("#saring-hasil").inner_text() == "1 dari 40 cocok"
        box.fill("")
        assert sum(r.is_visible() for r in rows.all()) == 40
        browser.close()
