"""Doubts settled blind, on a real photographed TPS read by the real reader (2024's kind: 47 read as 477).

The reader leaves 15 fields in doubt on this TPS, two of them misread (87 → 875, 47 → 477). The KPPS types
what the paper says without being shown the machine's number; agreeing numbers settle, the misreads never do
and wait for the PPS, whose blind number opens a correction a second PPS approves. At the end every counted
number is the truth and the audit chain replays every total.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from reconcile.ids import parent
from support.blind import (
    MISREAD,
    Read,
    phone,
    read_sample_tps,
    second_phone,
    sha,
    staff_token,
    tps_office,
    truth_of,
    upload_and_read,
)
from support.officers import Office, Sample
from tally.audit import verify_chain
from tally.auth.scope import Role
from tally.db.audit import AuditEntry
from tally.db.blind import BlindReadingRow
from tally.db.intake import PhotoRow
from tally.db.results import TpsResultRow
from tally.review.sheets import current
from tally.settings import Settings


@pytest.fixture(scope="module")
def read_tps(tmp_path_factory: pytest.TempPathFactory) -> Read:
    return read_sample_tps(tmp_path_factory.mktemp("blind-samples"))


def counted_values(o: Office, tps: str) -> dict[str, int | None]:
    """The values that count now, for the fields settled (accepted or keyed)."""
    contest = o.app.state.services.contest
    with o.sessions() as s:
        now = current(s, contest, tps)
    return {n: v for n, v in now.values.items() if now.statuses.get(n) in ("accepted", "keyed")}


def test_kpps_settles_blind_what_the_photo_supports_and_never_a_misread(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]]
) -> None:
    truth_tps = read_tps[0][0].truth
    tps = str(truth_tps["tps"])
    truth = truth_of(read_tps)
    with tps_office(settings, truth_tps) as o:
        upload_and_read(o, tps, read_tps, {})
        kpps = o.kpps(tps)  # activates with a fresh code (a reissue): before the other phones sign in
        token = second_phone(o, tps)  # a second phone of the same TPS: its API
        api = o.browser()
        auth = {"Authorization": f"Bearer {token}"}
        listed = api.get(f"/api/v1/tps/{tps}/doubts", headers=auth)
        assert listed.status_code == 200, listed.text
        doubts = listed.json()["doubts"]
        assert {d["field"] for d in doubts} >= set(MISREAD)
        assert all(set(d) == {"field", "label", "page", "crop_url"} for d in doubts)  # blind: no number
        crop = api.get(doubts[0]["crop_url"], headers=auth)
        assert crop.status_code == 200 and crop.content.startswith(b"\x89PNG")

        # The KPPS's page: one doubt at a time, its crop, never the machine's number. A number that differs
        # from the machine's is asked for once more, still without the machine's number.
        seen: list[str] = []
        for _ in range(len(doubts) + len(MISREAD) + 1):
            soup = kpps.soup("/petugas/kpps/ragu")
            form = soup.select_one("section.doubt form")
            if form is None:
                break
            field = str(form.select_one("input[name=kolom]")["value"])  # type: ignore[index]
            shown = soup.select_one("main").get_text(" ")  # type: ignore[union-attr]
            if field in MISREAD:
                assert str(MISREAD[field]) not in shown.split()
            assert soup.select_one("section.doubt img.crop") is not None
            r = kpps.post("/petugas/kpps/ragu", data={"kolom": field, "angka": str(truth[field])})
            assert r.status_code == 303, r.text
            told = kpps.soup(r.headers["location"]).select_one("p.notice").get_text(" ")  # type: ignore[union-attr]
            if field in MISREAD:  # the machine's number is shown only after the second look
                assert (f"mesin membaca {MISREAD[field]}" in told) == (field in seen), told
            seen.append(field)
        assert sorted(seen) == sorted([d["field"] for d in doubts] + list(MISREAD))  # each misread: twice
        done = kpps.soup("/petugas/kpps/ragu")
        assert "Semua angka sudah dicek" in done.get_text()

        with o.sessions() as s:
            answers = list(
                s.scalars(
                    select(BlindReadingRow).where(BlindReadingRow.tps_id == tps).order_by(BlindReadingRow.id)
                )
            )
        rows = {r.field: r for r in answers}  # the newest per field
        assert {r.field: r.attempt for r in answers if r.attempt == 2} == dict.fromkeys(MISREAD, 2)
        assert not any(rows[f].agreed for f in MISREAD)
        agreed = {f for f, r in rows.items() if r.agreed}
        assert len(agreed) >= 6, agreed  # most doubts were right, only unsure (not those a misread sums with)
        assert all(rows[f].value == rows[f].machine for f in agreed)
        # Nothing wrong counts: every settled number is what the officer wrote.
        settled = counted_values(o, tps)
        assert set(agreed) <= set(settled)
        assert {n: v for n, v in settled.items() if truth.get(n) != v} == {}

        # The KPPS cannot answer again, nor by the API.
        again = api.post(f"/api/v1/tps/{tps}/doubts/{next(iter(MISREAD))}", json={"value": 1}, headers=auth)
        assert again.status_code == 409, again.text

        # The PPS reads the misreads blind too: their numbers (the truth) differ from the machine's, so each
        # is a correction a second PPS approves; then the TPS counts the truth exactly.
        desa = str(parent(tps))  # type: ignore[arg-type]
        pps1 = o.staff("pps.satu", Role.PPS, desa)
        pps2 = o.staff("pps.dua", Role.PPS, desa)
        pps_token = staff_token(o, "pps.satu")
        left = api.get(f"/api/v1/tps/{tps}/doubts", headers={"Authorization": f"Bearer {pps_token}"}).json()
        assert set(MISREAD) <= {d["field"] for d in left["doubts"]}
        for d in left["doubts"]:
            r = api.post(
                f"/api/v1/tps/{tps}/doubts/{d['field']}",
                json={"value": truth[d["field"]]},
                headers={"Authorization": f"Bearer {pps_token}"},
            )
            assert r.status_code == 200, r.text
            out = r.json()
            if d["field"] in MISREAD:
                assert not out["agreed"] and out["machine"] == MISREAD[d["field"]]
        for field in MISREAD:  # the second PPS types the same number: the approval
            r = pps2.post(
                f"/petugas/pps/tps/{tps}/periksa", data={"kolom": field, "angka": str(truth[field])}
            )
            assert r.status_code == 303, r.text
        del pps1
        final = counted_values(o, tps)
        assert {n: v for n, v in final.items() if truth.get(n) != v} == {}
        assert set(final) == set(truth), set(truth) - set(final)
        with o.sessions() as s:
            result = s.get(TpsResultRow, (o.app.state.services.contest.id, tps))
            assert result is not None and result.counted
            assert verify_chain(s).ok
            blind_entries = s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "blind_reading")
            )
            blind_rows = s.scalar(
                select(func.count()).select_from(BlindReadingRow).where(BlindReadingRow.tps_id == tps)
            )
        # Every blind answer is a chain entry: the KPPS's (twice for each misread), then each PPS's reading of
        # a misread (the other fields the PPS typed are checks of a number that counts, not blind readings).
        assert blind_entries == blind_rows >= len(answers) + 2 * len(MISREAD)

        # Periksa & kirim: every number shown, then confirmed once nothing waits for the KPPS.
        check = kpps.soup("/petugas/kpps/periksa")
        assert "Angka sudah saya periksa" in check.get_text()
        sent = kpps.post("/petugas/kpps/periksa", data={})
        assert sent.status_code == 303 and sent.headers["location"].endswith("terkirim=1")


def rephotograph(photo: Path, into: Path) -> Path:
    """Another photo of the same page (re-encoded: new bytes, new SHA-256, the same form)."""
    out = into / f"again-{photo.name}"
    with Image.open(photo) as im:
        im.save(out, format="JPEG", quality=90)
    return out


def test_a_form_of_another_tps_is_held_and_a_page_in_the_wrong_slot_is_filed_by_its_tag(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]], tmp_path: Path
) -> None:
    truth_tps = read_tps[0][0].truth
    tps = str(truth_tps["tps"])
    neighbour = f"{tps[:10]}{int(tps[10:]) + 1:03d}"  # seeded beside it, nothing uploaded
    with tps_office(settings, truth_tps) as o:
        # Page 2's photo sent in the "Halaman 3" slot of its own TPS: filed as page 2, the KPPS told.
        page2 = next((smp, b) for smp, b in read_tps if smp.truth["page"] == 2)
        upload_and_read(o, tps, [page2], {2: 3})
        with o.sessions() as s:
            photo = s.get(PhotoRow, sha(page2[0].jpeg))
        assert photo is not None and (photo.page, photo.sent_page) == (2, 3)
        assert photo.status in ("read", "review") and "halaman 2" in (photo.detail or "")
        # A retry to the slot it was sent in is the same upload, not a conflict.
        again = o.browser().put(
            f"/api/v1/tps/{tps}/pages/3/photos/{photo.sha256}",
            content=page2[0].jpeg,
            headers={"Authorization": f"Bearer {second_phone(o, tps)}", "Content-Type": "image/jpeg"},
        )
        assert again.status_code == 200, again.text

        # Another photo of the same TPS's forms sent for the neighbour (their QR names the first TPS): held,
        # never counted there.
        retaken = [(Sample(rephotograph(smp.photo, tmp_path), smp.truth), body) for smp, body in read_tps]
        upload_and_read(o, neighbour, retaken, {})
        with o.sessions() as s:
            held = list(s.scalars(select(PhotoRow).where(PhotoRow.tps_id == neighbour)))
            assert held and all(p.status == "held" for p in held)
            assert all(tps in (p.detail or "") for p in held)
            assert (
                s.get(TpsResultRow, (o.app.state.services.contest.id, neighbour)) is None
                or not s.get(TpsResultRow, (o.app.state.services.contest.id, neighbour)).counted
            )
            assert current(s, o.app.state.services.contest, neighbour).sheet_id is None
        # The public sees the photos a TPS counts from (and its salinan), never a held one.
        public = o.browser()
        mine = public.soup(f"/tps/{tps}")
        assert mine.select_one(f'a[href="/salinan/{tps}.pdf"]') is not None
        shown = {a["href"].removeprefix("/foto/") for a in mine.select("ul.thumbs a")}
        assert photo.sha256 in shown
        assert public.get(f"/foto/{photo.sha256}.jpg").headers["content-type"] == "image/jpeg"
        assert public.get(f"/foto/{photo.sha256}/kecil.jpg").status_code == 200
        assert public.get(f"/foto/{photo.sha256}").status_code == 200
        assert public.soup(f"/tps/{neighbour}").select("ul.thumbs a") == []
        for p in held:
            assert public.get(f"/foto/{p.sha256}.jpg").status_code == 404
            assert public.get(f"/foto/{p.sha256}").status_code == 404
        page = o.kpps(neighbour).get("/petugas/kpps")
        assert "bukan formulir TPS ini" in page.text or "TPS lain" in page.text


def test_pps_asks_for_a_retake_and_the_kpps_sees_it_until_a_new_photo_arrives(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]]
) -> None:
    truth_tps = read_tps[0][0].truth
    tps = str(truth_tps["tps"])
    with tps_office(settings, truth_tps) as o:
        pps = o.staff("pps.satu", Role.PPS, str(parent(tps)))  # type: ignore[arg-type]
        token = staff_token(o, "pps.satu")
        api = o.browser()
        bad = api.post(
            f"/api/v1/tps/{tps}/retakes",
            json={"page": 1, "reason": " "},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert bad.status_code == 422
        r = api.post(
            f"/api/v1/tps/{tps}/retakes",
            json={"page": 1, "reason": "Bagian bawah halaman terpotong."},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        kpps = o.kpps(tps)
        assert "Bagian bawah halaman terpotong." in kpps.get("/petugas/kpps").text
        kpps_token = second_phone(o, tps)
        forbidden = api.post(
            f"/api/v1/tps/{tps}/retakes",
            json={"page": 1, "reason": "x"},
            headers={"Authorization": f"Bearer {kpps_token}"},
        )
        assert forbidden.status_code == 403
        page1 = next((smp, b) for smp, b in read_tps if smp.truth["page"] == 1)
        upload_and_read(o, tps, [page1], {})
        listed = api.get(
            f"/api/v1/tps/{tps}/doubts", headers={"Authorization": f"Bearer {kpps_token}"}
        ).json()
        assert listed["retakes"] == {}
        del pps
        with o.sessions() as s:
            assert verify_chain(s).ok
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.action == "retake_requested")
                )
                == 1
            )


def test_blind_answers_are_refused_clearly_out_of_scope_and_out_of_range(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]]
) -> None:
    truth_tps = read_tps[0][0].truth
    tps = str(truth_tps["tps"])
    neighbour = f"{tps[:10]}{int(tps[10:]) + 1:03d}"
    with tps_office(settings, truth_tps) as o:
        upload_and_read(o, tps, read_tps, {})
        api = o.browser()
        other = {"Authorization": f"Bearer {phone(o, neighbour)}"}
        mine = {"Authorization": f"Bearer {phone(o, tps)}"}
        assert api.get(f"/api/v1/tps/{tps}/doubts", headers=other).status_code == 403
        assert (
            api.post(f"/api/v1/tps/{tps}/doubts/suara_sah", json={"value": 1}, headers=other).status_code
            == 403
        )
        assert (
            api.post(f"/api/v1/tps/{tps}/doubts/suara_sah", json={"value": 1000}, headers=mine).status_code
            == 422
        )
        assert (
            api.post(f"/api/v1/tps/{tps}/doubts/bukan_kolom", json={"value": 1}, headers=mine).status_code
            == 422
        )
        settled = next(
            n
            for n in truth_of(read_tps)
            if n not in MISREAD
            and n
            not in {d["field"] for d in api.get(f"/api/v1/tps/{tps}/doubts", headers=mine).json()["doubts"]}
        )
        r = api.post(f"/api/v1/tps/{tps}/doubts/{settled}", json={"value": 1}, headers=mine)
        assert r.status_code == 409 and "tidak perlu dicek" in r.json()["message"]
        early = api.post(f"/api/v1/tps/{tps}/confirmation", headers=mine)
        assert early.status_code == 409 and "perlu dicek" in early.json()["message"]
        with o.sessions() as s:
            assert s.scalar(select(func.count()).select_from(BlindReadingRow)) == 0
        assert json.dumps(api.get(f"/api/v1/tps/{tps}/doubts", headers=mine).json())  # still answers
