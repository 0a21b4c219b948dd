"""The printed KPPS code sheet: one slip per TPS with where it is, its code, until when it works and how to
activate a phone with it. The web page (`/petugas/kode`) prints the same slips as HTML, and the page and
`tally officers issue-codes --pdf` share the PDF made here.

A code exists in clear only in the answer of the issuance that made it (it is stored hashed): the sheet is
made from that answer, never read back from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.ids import Level, RegionCode, TpsId, at_level, tps_number
from tally.auth.codes import CODE_TTL, IssuedCode
from tally.db.regions import RegionRow

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")  # fmt: skip
# Indonesia's three time zones by provinsi (no daylight saving): WITA for Bali, Nusa Tenggara, Kalimantan
# Selatan/Timur/Utara and Sulawesi; WIT for Maluku and Papua; WIB elsewhere.
WITA = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
ZONES = {"WIB": timezone(timedelta(hours=7)), "WITA": timezone(timedelta(hours=8)),
         "WIT": timezone(timedelta(hours=9))}  # fmt: skip
LOGIN_PATH = "/petugas/masuk"
# DejaVu (Bitstream Vera licence; Debian's fonts-dejavu-core, installed by scripts/bootstrap): the PDF core
# fonts are Latin-1 and printed "?" for the en dash of every paslon name and any non-Latin region name.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {("Sans", ""): "DejaVuSans.ttf", ("Sans", "B"): "DejaVuSans-Bold.ttf",
         ("Mono", ""): "DejaVuSansMono.ttf", ("Mono", "B"): "DejaVuSansMono-Bold.ttf"}  # fmt: skip
CUT_NOTE = (
    "Gunting di garis putus-putus dan berikan setiap potongan hanya kepada ketua KPPS TPS itu. "
    "Bila kode diterbitkan ulang, potongan lama tidak berlaku lagi."
)


@dataclass(frozen=True, slots=True)
class Slip:
    """One TPS's slip: what the KPPS chair needs, in the words printed on it."""

    tps_id: str
    tps_number: int
    desa: str  # kelurahan/desa name
    kecamatan: str
    kabkota: str
    code: str
    expires: str  # "14 Maret 2026 pukul 21.05 WIB"
    issued: str  # when: a reissue makes every earlier slip of the TPS worthless


def zone_of(region: str) -> str:
    province = region[:2]
    if province in WITA:
        return "WITA"
    return "WIT" if province[:1] in ("8", "9") else "WIB"


def local_time(at: datetime, region: str) -> str:
    """`at` as an official reads it: the date and time in the region's own zone, named."""
    zone = zone_of(region)
    t = at.astimezone(ZONES[zone])
    return f"{t.day} {MONTHS[t.month - 1]} {t.year} pukul {t.hour:02d}.{t.minute:02d} {zone}"


def activation_steps(base_url: str, code: str = "") -> list[str]:
    """How a KPPS activates a phone, in the words the slip and the page print."""
    kode = f" {code}" if code else " di atas"
    where = f"{base_url}{LOGIN_PATH}" if base_url else f"halaman {LOGIN_PATH} di alamat Tally dari KPU"
    return [
        f"Buka {where} di ponsel yang dipakai untuk memotret C.Hasil.",
        f'Di bagian "KPPS: aktifkan ponsel", ketik kode{kode}, lalu tekan Aktifkan.',
        "Kode hanya bisa dipakai sekali, pada satu ponsel. Jangan bagikan kode ini.",
        "Kode salah, hilang atau sudah dipakai? Minta kode baru kepada penerbit kode.",
    ]


def slips(session: Session, issued: Sequence[IssuedCode]) -> list[Slip]:
    """The slips of one issuance, with the names of each TPS's kelurahan, kecamatan and kab/kota."""
    levels = (Level.DESA, Level.KECAMATAN, Level.KABKOTA)
    places = {t: tuple(at_level(TpsId(t), lvl) for lvl in levels) for t in {i.tps_id for i in issued}}
    codes = {c for p in places.values() for c in p}
    stmt = select(RegionRow.code, RegionRow.name).where(RegionRow.code.in_(codes))
    names: dict[str, str] = dict(session.execute(stmt).all())
    out = []
    for i in sorted(issued, key=lambda x: x.tps_id):
        desa, kec, kab = places[i.tps_id]
        out.append(
            Slip(
                i.tps_id,
                tps_number(TpsId(i.tps_id)),
                names.get(desa, desa),
                names.get(kec, kec),
                names.get(kab, kab),
                i.code,
                local_time(i.expires_at, desa),
                local_time(i.expires_at - CODE_TTL, desa),
            )
        )
    return out


def unicode_pdf() -> FPDF:
    """An A4 FPDF with the DejaVu families "Sans" and "Mono" (regular and bold) that print any name whole."""
    doc = FPDF(format="A4")
    for (family, style), name in FONTS.items():
        path = FONT_DIR / name
        if not path.is_file():
            raise RuntimeError(f"{path} is missing: install fonts-dejavu-core (scripts/bootstrap)")
        doc.add_font(family, style, str(path))
    return doc


def codes_pdf(rows: Sequence[Slip], base_url: str, region: RegionCode | str = "") -> bytes:
    """A4, one slip per TPS (cut along the dashed lines), never split across pages."""
    doc = unicode_pdf()
    doc.set_auto_page_break(True, margin=12)
    doc.add_page()
    doc.set_font("Sans", "B", 13)
    title = f"Kode aktivasi KPPS – {rows[0].desa}" if rows else f"Kode aktivasi KPPS – {region}"
    doc.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Sans", "", 9)
    doc.multi_cell(0, 5, CUT_NOTE, new_x="LMARGIN", new_y="NEXT")
    for slip in rows:
        if doc.get_y() + 62 > doc.h - doc.b_margin:
            doc.add_page()
        doc.set_dash_pattern(dash=2, gap=2)
        doc.line(doc.l_margin, doc.get_y() + 2, doc.w - doc.r_margin, doc.get_y() + 2)
        doc.set_dash_pattern()
        doc.ln(5)
        doc.set_font("Sans", "B", 12)
        doc.cell(0, 6, f"TPS {slip.tps_number:03d} – {slip.desa}", new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Sans", "", 9)
        doc.cell(0, 5, f"Kecamatan {slip.kecamatan}, {slip.kabkota} (ID TPS {slip.tps_id})",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        doc.set_font("Mono", "B", 20)
        doc.cell(0, 11, slip.code, new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Sans", "B", 9)
        doc.cell(0, 5, f"Berlaku sampai {slip.expires}", new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Sans", "", 9)
        doc.cell(0, 5, f"Diterbitkan {slip.issued}", new_x="LMARGIN", new_y="NEXT")
        for n, step in enumerate(activation_steps(base_url, slip.code), start=1):
            doc.multi_cell(0, 4.5, f"{n}. {step}", new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    return bytes(doc.output())
