"""Practice (latihan) reads a sample form with the real reader and never touches the real count; the salinan
PDF carries the TPS's numbers, each photo's SHA-256 and the audit entry hash."""

from __future__ import annotations

import hashlib
import io
import re

from PIL import Image
from sqlalchemy import func, select, update

from reconcile.contest import builtin_contest
from reconcile.ids import NASIONAL
from support.client import soup_of
from support.officers import DESA_A, KEC, MISREAD, TPS_A, Office, Sample, office, page2, upload_all
from support.pdf import pdf_text as support_pdf_text
from tally.auth.scope import Role
from tally.db.audit import AuditEntry
from tally.db.intake import PhotoRow
from tally.db.review import PracticeAttemptRow
from tally.db.sheets import SheetRow
from tally.election.recap import recap
from tally.settings import Settings


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages, through the fonts' ToUnicode maps (the PDFs print in DejaVu)."""
    return support_pdf_text(pdf)


def test_practice_reads_a_sample_and_real_recaps_do_not_change(
    settings: Settings, samples: list[Sample]
) -> None:
    with office(settings, ocr_reader="ocr.reader:PhotoReader") as o:
        contest = builtin_contest("ppwp-2024")
        kpps = o.kpps(TPS_A)

        def state() -> tuple[object, ...]:
            with o.sessions() as s:
                conn = s.connection()
                counts = [
                    s.scalar(select(func.count()).select_from(t)) for t in (PhotoRow, SheetRow, AuditEntry)
                ]
                return (recap(conn, contest, NASIONAL), recap(conn, contest, KEC), *counts)

        before = state()
        page2_photo = next(x for x in samples if x.truth["page"] == 2)
        r = kpps.post("/petugas/latihan", files={"foto": ("a.jpg", page2_photo.jpeg, "image/jpeg")})
        assert r.status_code == 303
        soup = kpps.soup("/petugas/latihan")
        attempt = soup.select_one("section.attempt")
        assert attempt is not None and attempt["data-status"] in ("read", "review")
        # Blind: the three paslon totals are asked for, the machine's numbers not shown yet.
        boxes = attempt.select("form.keying-practice input[inputmode=numeric]")
        assert [b["name"] for b in boxes] == ["suara_paslon_1", "suara_paslon_2", "suara_paslon_3"]
        assert not attempt.select("b.machine")
        assert "tidak pernah masuk" in soup.select_one(".latihan-banner").text
        truth = page2_photo.truth["fields"]
        typed = {f: str(truth[f]) for f in ("suara_paslon_1", "suara_paslon_2", "suara_paslon_3")}
        key = kpps.post("/petugas/latihan/jawab", data={"percobaan": attempt["id"].split("-")[1], **typed})
        assert key.status_code == 200
        lines = soup_of(key).select(f"#{attempt['id']} .key-line")
        assert [x.select_one("b.typed").text for x in lines] == list(typed.values())
        assert all(x.select_one("b.machine") is not None for x in lines)
        assert state() == before
        with o.sessions() as s:
            assert s.scalar(select(func.count()).select_from(PracticeAttemptRow)) == 1


def test_salinan_pdf_carries_numbers_photo_hashes_and_audit_hash(
    officers: Office, samples: list[Sample]
) -> None:
    upload_all(officers, samples)
    true = page2(samples)["fields"][MISREAD]
    pps, second = (officers.staff(n, Role.PPS, DESA_A) for n in ("pps.a", "pps.b"))
    pps.post(f"/petugas/pps/tps/{TPS_A}/periksa", data={"kolom": MISREAD, "angka": str(true)})
    second.post(f"/petugas/pps/tps/{TPS_A}/periksa", data={"kolom": MISREAD, "angka": str(true)})  # agrees
    r = officers.browser().get(f"/salinan/{TPS_A}.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = pdf_text(r.content)
    with officers.sessions() as s:
        shas = list(s.scalars(select(PhotoRow.sha256)))
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last is not None and last.action == "approval"
    squashed = text.replace("\n", "").replace(" ", "")
    assert all(sha in squashed for sha in shas)
    assert last.hash in squashed
    assert officers.browser().get("/salinan/9999999999999.pdf").status_code == 404


def test_the_salinan_prints_only_the_photos_that_count_and_makes_each_thumbnail_once(
    officers: Office, samples: list[Sample]
) -> None:
    """Issue 14 #9: 20 large photos on one page made the public salinan take 8.6 s, refused photos included.
    Now: the newest photo of each page that was not refused, its thumbnail made once and kept."""
    upload_all(officers, samples)
    kpps, extra = officers.browsers[0], []
    for seed in range(3):  # three more photos of page 2, each newer than the one read
        buf = io.BytesIO()
        Image.effect_noise((1600, 1200), 40 + seed).convert("RGB").save(buf, format="JPEG", quality=80)
        foto = {"foto": ("x.jpg", buf.getvalue(), "image/jpeg")}
        assert kpps.post("/petugas/kpps/unggah", data={"halaman": "2"}, files=foto).status_code == 303
        extra.append(hashlib.sha256(buf.getvalue()).hexdigest())
    with officers.sessions() as s, s.begin():
        s.execute(update(PhotoRow).where(PhotoRow.sha256.in_(extra[:2])).values(status="rejected"))
        stored: dict[str, int] = dict(s.execute(select(PhotoRow.sha256, PhotoRow.page)).all())
    others = {sha for sha, page in stored.items() if page != 2}
    pdf = officers.browser().get(f"/salinan/{TPS_A}.pdf").content
    printed = set(re.findall(r"[0-9a-f]{64}", pdf_text(pdf).replace("\n", "").replace(" ", ""))) & set(stored)
    assert printed == others | {extra[2]}  # pages 1 and 3, and the newest page 2 not refused
    thumbs = sorted((officers.settings.data_dir / "photos" / "thumbs").rglob("*.jpg"))
    assert len(thumbs) == 3
    made = [t.stat().st_mtime_ns for t in thumbs]
    officers.browser().get(f"/salinan/{TPS_A}.pdf")
    assert [t.stat().st_mtime_ns for t in thumbs] == made  # read back, not made again


def test_public_history_speaks_bahasa_and_names_roles_not_accounts(
    officers: Office, samples: list[Sample]
) -> None:
    """Found in review: the public TPS page, the audit page and the salinan printed the log's identifiers
    (`photo_uploaded`, `code_issued`) and the officers' usernames (a lever for locking their accounts)."""
    upload_all(officers, samples)
    internal = re.compile(r"\b(photo_uploaded|code_issued|device_activated|reading|approval|kpu\.|pps\.)")
    for url in (f"/tps/{TPS_A}", "/audit"):
        history = officers.browser().soup(url).select_one("section.history, table.audit")
        assert history is not None and not internal.search(history.text), url
        assert "foto diunggah" in history.text or "foto dibaca mesin" in history.text
    assert not internal.search(pdf_text(officers.browser().get(f"/salinan/{TPS_A}.pdf").content))
