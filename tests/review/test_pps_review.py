"""The PPS review journey over real HTTP (SQLite and PostgreSQL): a KPPS uploads the three pages, the reader
misreads one paslon total, the PPS sees it first in the queue with its crop and the rule that fired, types the
right number, a second PPS approves, and the correction counts in the kecamatan recap; the audit log holds
every step and verifies."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select

from reconcile.contest import builtin_contest
from support.officers import DESA_A, KEC, MISREAD, TPS_A, Office, Sample, page2, upload_all
from tally.audit import verify_chain
from tally.auth.scope import Role
from tally.db.audit import AuditEntry
from tally.db.review import ReviewChangeRow
from tally.election.recap import recap


def test_kpps_page_shows_each_page_and_asks_the_doubts_blind(officers: Office, samples: list[Sample]) -> None:
    upload_all(officers, samples)
    kpps = officers.browsers[0]
    soup = kpps.soup("/petugas/kpps")
    pages = soup.select("section.page")
    assert [p["id"] for p in pages] == ["halaman-1", "halaman-2", "halaman-3"]
    true = page2(samples)["fields"][MISREAD]
    # The machine's number (748 for 74) is nowhere on the page: the KPPS is asked to read the paper first.
    misread = re.compile(rf"\b{true * 10 + 8}\b")
    assert not misread.search(soup.select_one("#halaman-semua").get_text(" "))
    assert soup.select_one('a[href="/petugas/kpps/ragu"]') is not None
    assert soup.select_one("#halaman-2 form.upload input[type=file]")["accept"] == "image/jpeg"
    ask = kpps.soup("/petugas/kpps/ragu")
    assert ask.select_one("section.doubt input[name=kolom]")["value"] == MISREAD
    assert not misread.search(ask.select_one("section.doubt").get_text(" "))


def test_pps_corrects_a_misread_total_with_a_second_pair_of_eyes(
    officers: Office, samples: list[Sample]
) -> None:
    upload_all(officers, samples)
    true = page2(samples)["fields"][MISREAD]
    pps = officers.staff("pps.angke", Role.PPS, DESA_A)
    queue = pps.soup("/petugas/pps")
    first = queue.select("ol.queue li")[0]
    assert first["data-tps"] == TPS_A and first["data-priority"] == "galat"

    page = pps.soup(f"/petugas/pps/tps/{TPS_A}")
    doubt = page.select_one(f'section.doubt[data-field="{MISREAD}"]')
    assert doubt is not None
    assert doubt.select_one("input[name=angka]").has_attr("autofocus")
    assert "pages" in [li["data-rule"] for li in page.select("details.flags li")]  # V.A ≠ Σ paslon
    # Blind: neither the machine's number nor its bubbles' reading is shown before the PPS types.
    assert not re.search(rf"\b({true * 10 + 8}|{true})\b", doubt.get_text(" "))
    crop = pps.get(doubt.select_one("img")["src"])
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(crop.content))
    assert img.width > 100 and img.height > img.width  # three boxes over their bubble columns

    r = pps.post(f"/petugas/pps/tps/{TPS_A}/periksa", data={"kolom": MISREAD, "angka": str(true)})
    assert r.status_code == 303
    with officers.sessions() as s:
        change = s.scalars(select(ReviewChangeRow)).one()
        assert (change.state, change.after, change.kind) == ("pending", true, "correction")
        assert recap(s.connection(), builtin_contest("ppwp-2024"), KEC).total.tps_counted == 0
    # The officer who typed it cannot approve it.
    page = pps.soup(f"/petugas/pps/tps/{TPS_A}")
    assert page.select_one(f'section.approval[data-field="{MISREAD}"] form') is None
    assert "Menunggu petugas lain" in page.get_text()
    own = pps.post(f"/petugas/pps/perubahan/{change.id}", data={"keputusan": "setujui"})
    assert own.status_code == 403

    second = officers.staff("pps2.angke", Role.PPS, DESA_A)
    page = second.soup(f"/petugas/pps/tps/{TPS_A}")
    approve = page.select_one(f'section.approval[data-field="{MISREAD}"] form')
    assert approve is not None
    assert page.select_one(f'section.doubt[data-field="{MISREAD}"]') is None  # decided side by side
    r = second.post(approve["action"], data={"keputusan": "setujui"})
    assert r.status_code == 303

    contest = builtin_contest("ppwp-2024")
    with officers.sessions() as s:
        kec = recap(s.connection(), contest, KEC)
        assert kec.total.tps_counted == 1
        assert kec.total.votes[1] == true
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        # Each reading applied is an entry too (issue 14 #2), as are codes issued and devices activated.
        assert [a for a in actions if a in ("correction", "approval")] == ["correction", "approval"]
        assert actions.count("reading") == 3
        assert verify_chain(s).ok
    public = second.soup(f"/tps/{TPS_A}")
    assert public is not None


def test_pps_of_another_kelurahan_can_neither_see_nor_correct(
    officers: Office, samples: list[Sample]
) -> None:
    upload_all(officers, samples)
    other = officers.staff("pps.jembatan", Role.PPS, "31.73.04.1008")
    queue = other.soup("/petugas/pps")
    assert TPS_A not in [li["data-tps"] for li in queue.select("ol.queue li")]
    assert other.get(f"/petugas/pps/tps/{TPS_A}").status_code == 403
    r = other.post(f"/petugas/pps/tps/{TPS_A}/periksa", data={"kolom": MISREAD, "angka": "5"})
    assert r.status_code == 403
    with officers.sessions() as s:
        assert s.scalars(select(ReviewChangeRow)).all() == []
        changes = ("proposal", "correction", "approval", "rejection")  # logins/uploads are entries too
        assert s.scalars(select(AuditEntry).where(AuditEntry.action.in_(changes))).all() == []
