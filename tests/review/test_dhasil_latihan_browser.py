"""The PPK's D.Hasil and the latihan page in Chromium at 360 and 1280 px: never wider than the screen, a
recap number of ten digits shown whole in its box, the answer key after typing (docs/img screenshots)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_keying import counted_tps, row_of

from support.live import fits, launch, serve, shot
from support.officers import DESA_A, DESA_B, KEC, PASSWORD, Office, office
from tally.auth.scope import Role
from tally.settings import Settings


@pytest.fixture
def o(sqlite_url: str, tmp_path: Path) -> Iterator[Office]:
    with office(Settings(environment="test", database_url=sqlite_url, data_dir=tmp_path)) as it:
        yield it


def _page(browser: Any, width: int) -> Any:
    if width == 360:
        return browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True)
    return browser.new_page(viewport={"width": 1280, "height": 900})


def _whole(page: Any, selector: str) -> None:
    """The input shows its whole value: nothing scrolled out of the box."""
    fits_inside = page.eval_on_selector(selector, "e => e.scrollWidth <= e.clientWidth")
    assert fits_inside, selector


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_the_ppk_keys_the_d_hasil_and_a_trainee_practises_on_a_phone_and_a_desk(
    o: Office, shots: Path, width: int
) -> None:
    from playwright.sync_api import sync_playwright

    counted_tps(o)
    ppk = o.staff("ppk.tambora", Role.PPK, KEC)
    typed = row_of(DESA_A, suara_paslon_1=140, suara_paslon_2=50, suara_paslon_3=30, suara_sah=181)
    ppk.post("/petugas/rekap", data={**typed, **row_of(DESA_A, pemilih_dpt_j=1_234_567)})
    ppk.post("/petugas/rekap", data=row_of(DESA_B, suara_paslon_2=0))
    with serve(o.app, lifespan="off") as url, sync_playwright() as pw:
        browser = launch(pw)
        page = _page(browser, width)
        page.goto(url + "/petugas/masuk")
        page.fill("#username", "ppk.tambora")
        page.fill("#password", PASSWORD)
        page.click("#staf-masuk button")
        page.goto(url + "/petugas/rekap")
        fits(page, width)
        _whole(page, f'input[name="{DESA_A}:pemilih_dpt_j"]')
        page.fill(f'input[name="{DESA_A}:pemilih_dptb_j"]', "2050000000")  # ten digits: a national total
        _whole(page, f'input[name="{DESA_A}:pemilih_dptb_j"]')
        inside = "[...document.querySelectorAll('details[open] input')].every(i => {"
        inside += " const c = i.closest('details').getBoundingClientRect(), r = i.getBoundingClientRect();"
        inside += " return r.right <= c.right + 0.5; })"
        assert page.evaluate(inside)  # every box inside its kelurahan's card
        page.fill(f'input[name="{DESA_A}:pemilih_dptb_j"]', "")
        shot(page, shots, f"officer-ppk-dhasil-{width}.png", width=width)
        # Save a row: the page says so, at the row saved.
        page.click(f'details[data-row="{DESA_B}"] summary')  # a row keyed without a mismatch starts closed
        page.fill(f'input[name="{DESA_B}:suara_paslon_1"]', "75")
        page.click(f'details[data-row="{DESA_B}"] button[name=baris]')
        assert "Tersimpan: " in page.locator("#tersimpan").inner_text()
        fits(page, width)
        page.goto(url + "/petugas/rekap#selisih")
        page.evaluate("document.querySelectorAll('details.dhasil-row').forEach(d => { d.open = false; })")
        fits(page, width)  # the rows folded: the total and the mismatches, each down to its TPS
        shot(page, shots, f"officer-ppk-dhasil-selisih-{width}.png", width=width, max_height=2600)

        trainee = _page(browser, width)  # no login
        trainee.goto(url + "/petugas/latihan")
        assert trainee.locator("h1").inner_text() == "Latihan (bimtek)"
        fits(trainee, width)
        shot(trainee, shots, f"officer-latihan-{width}.png", width=width)
        trainee.fill("#angka-x-belakang", "470")
        trainee.click("#soal-x-belakang button")
        key = trainee.locator("#soal-x-belakang .answer-key")
        assert "Belum tepat" in key.inner_text() and "47" in key.locator("b.written").inner_text()
        fits(trainee, width)
        trainee.evaluate("document.querySelector('#soal-x-belakang').scrollIntoView()")
        trainee.evaluate("window.scrollBy(0, -10)")
        shot(trainee, shots, f"officer-latihan-jawab-{width}.png", width=width, max_height=2000)
        browser.close()
