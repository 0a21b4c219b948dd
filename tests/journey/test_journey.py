"""THE journey, in real Debian chromium at 360 px against a real uvicorn with the in-process OCR worker and
the real reader: a KPPS activates their phone and photographs the three pages → the reading appears → the
PPS types what the crops show for each doubted field (Enter, next) → a second PPS approves the changed
numbers → the kecamatan recap and the national total now hold the TPS → the audit log shows every step and
its chain verifies. Screenshots of each officer page go to docs/img/ with TALLY_DOCS_SCREENSHOTS=1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from reconcile.ids import parent
from support.journey import Service, truth_of
from support.live import fits, launch, shot
from tally.audit import verify_chain
from tally.auth.scope import Role
from tally.auth.service import create_staff, issue_codes
from tally.db.audit import AuditEntry

PASSWORD = "kata-sandi-yang-panjang"


@pytest.mark.browser
def test_kpps_upload_to_pps_correction_to_national_total(service: Service, shots: Path) -> None:
    from playwright.sync_api import sync_playwright

    tps, truth = service.tps, truth_of(service.samples)
    desa = parent(tps)  # type: ignore[arg-type]
    kec = parent(desa)  # type: ignore[arg-type]
    sessions = service.app.state.services.sessions
    with sessions() as s, s.begin():
        code = next(c.code for c in issue_codes(s, desa, "pps") if c.tps_id == tps)  # type: ignore[arg-type]
        for name in ("pps.satu", "pps.dua"):
            create_staff(s, name, PASSWORD, Role.PPS, desa)  # type: ignore[arg-type]
        create_staff(s, "ppk.satu", PASSWORD, Role.PPK, kec)  # type: ignore[arg-type]

    with sync_playwright() as pw:
        browser = launch(pw)
        phone = {"viewport": {"width": 360, "height": 760}, "device_scale_factor": 1}
        public = browser.new_page(**phone)
        public.goto(f"{service.url}/wilayah/{kec}")
        assert public.locator("h1").count() == 1

        # The KPPS: activate the phone, photograph the three pages.
        kpps = browser.new_page(**phone)
        kpps.goto(service.url + "/petugas/masuk")
        kpps.fill("#kode", code)
        kpps.click("#kpps-aktivasi button")
        assert kpps.url.endswith("/petugas/kpps")
        for sample in service.samples:  # choosing the photo queues it on the phone and sends it
            p = sample.truth["page"]
            kpps.set_input_files(f"#foto-{p}", str(sample.photo))
            kpps.wait_for_selector(f"#server-{p} li.photo", timeout=60_000)
        deadline = time.monotonic() + 90
        while kpps.locator("#halaman-semua [data-dibaca]").count() and time.monotonic() < deadline:
            kpps.wait_for_timeout(1000)  # the page refreshes each page's status while the reader works
        assert not kpps.locator("#halaman-semua [data-dibaca]").count(), kpps.locator("main").inner_text()
        fits(kpps)
        shot(kpps, shots, "officer-kpps-360.png")

        # The KPPS settles the reader's doubts blind, paper in hand (the truth), then sends the TPS.
        kpps.goto(service.url + "/petugas/kpps/ragu")
        answered = 0
        while kpps.locator("section.doubt").count() and answered < 120:
            field = str(kpps.locator("section.doubt input[name=kolom]").get_attribute("value"))
            kpps.keyboard.type(str(truth[field]))
            with kpps.expect_navigation():
                kpps.keyboard.press("Enter")
            answered += 1
        kpps.goto(service.url + "/petugas/kpps/periksa")
        if kpps.locator("form[action='/petugas/kpps/periksa'] button").count():
            with kpps.expect_navigation():
                kpps.click("form[action='/petugas/kpps/periksa'] button")

        # The PPS: the queue, then each field still in doubt, blind: type what the photo shows, Enter.
        pps = _login(browser, phone, service.url, "pps.satu")
        pps.goto(service.url + "/petugas/pps")
        shot(pps, shots, "officer-pps-queue-360.png")
        pps.click(f'li[data-tps="{tps}"] a')
        fits(pps)
        shot(pps, shots, "officer-pps-tps-360.png")
        typed = 0
        while pps.locator("section.doubt").count() and typed < 120:
            field = str(pps.locator("section.doubt input[name=kolom]").get_attribute("value"))
            src = pps.locator("section.doubt figure.crop img")
            if src.count():
                assert src.evaluate("img => img.complete && img.naturalWidth > 0")  # the crop is there
            pps.keyboard.type(str(truth[field]))
            with pps.expect_navigation():
                pps.keyboard.press("Enter")
            typed += 1

        # The second PPS approves every changed number, the readings side by side.
        second = _login(browser, phone, service.url, "pps.dua")
        second.goto(f"{service.url}/petugas/pps/tps/{tps}")
        approved = 0
        while second.locator(".approval button:has-text('Setujui')").count():
            with second.expect_navigation():
                second.locator(".approval button:has-text('Setujui')").first.click()
            approved += 1
        while second.locator("section.doubt").count() and approved < 240:  # what only they were asked
            field = str(second.locator("section.doubt input[name=kolom]").get_attribute("value"))
            second.keyboard.type(str(truth[field]))
            with second.expect_navigation():
                second.keyboard.press("Enter")
            approved += 1

        # The public recap: the kecamatan (cached up to 15 s) and the nation now hold the TPS.
        paslon = [truth[f"suara_paslon_{i}"] for i in (1, 2, 3)]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            public.goto(f"{service.url}/wilayah/{kec}")
            if _votes(public) == paslon:
                break
            public.wait_for_timeout(1000)
        assert _votes(public) == paslon, (typed, approved)
        public.goto(service.url + "/")
        assert _votes(public) == paslon
        public.goto(service.url + "/audit")
        audit = public.locator("main").inner_text()
        assert "perbaikan disetujui" in audit and "approval" not in audit  # Bahasa, not the ids

        # The PPK keys in the D.Hasil kecamatan beside the roll-up; the KPPS practise on the latihan page.
        ppk = _login(browser, phone, service.url, "ppk.satu")
        ppk.goto(service.url + "/petugas/rekap")  # type: ignore[attr-defined]
        assert ppk.locator("form.keying").count() == 1  # type: ignore[attr-defined]
        fits(ppk)
        shot(ppk, shots, "officer-ppk-rekap-360.png")
        kpps.goto(service.url + "/petugas/latihan")
        assert kpps.locator("h1").inner_text() == "Latihan (bimtek)"
        fits(kpps)
        shot(kpps, shots, "officer-kpps-latihan-360.png")
        browser.close()

    with sessions() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        # Every number typed is a chain entry: a blind reading of a reader's doubt, or, for a field a check
        # names, a confirmation (an approval entry) or a correction; and each second officer's approval.
        typed_entries = sum(actions.count(a) for a in ("blind_reading", "correction", "approval"))
        assert actions.count("blind_reading") >= answered
        assert typed_entries >= answered + typed + approved
        assert actions.count("correction") <= actions.count("approval")  # every change approved
        assert verify_chain(s).ok


def _login(browser: object, phone: dict[str, object], url: str, username: str) -> object:
    page = browser.new_page(**phone)  # type: ignore[attr-defined]
    page.goto(url + "/petugas/masuk")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#staf-masuk button")
    return page


def _votes(page: object) -> list[int]:
    texts = page.locator("ol.paslon li .votes").all_inner_texts()  # type: ignore[attr-defined]
    return [int(t.split()[0].replace(".", "")) for t in texts]
