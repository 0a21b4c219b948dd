"""What people read, in Bahasa Indonesia: one catalogue for the names of rules, flag kinds, statuses, sources
and roles that the pages, the salinan PDF and the code sheet print. The log, the API and the exports keep the
identifiers (`votes`, `upload_conflict`, `correction`); a person never sees one (tests/pages/test_words.py).

Field labels come from the contest's TOML (`Contest.field(name).label`); flag hints are written in Bahasa by
`reconcile` itself; the audit log's actions are `tally.audit.Action.label` (re-exported here as `action`).
"""

from __future__ import annotations

from reconcile.flags import Rule, Severity
from tally.audit import Action

__all__ = [
    "PHOTO_STATUS", "READING_STATUS", "ROLE_TITLES", "RULES", "SEVERITIES", "SOURCES", "TPS_STATUS", "action",
    "role", "role_title", "rule",
]  # fmt: skip

RULES: dict[str, str] = {
    Rule.GENDER_SUM: "laki-laki + perempuan tidak sama dengan jumlah",
    Rule.VOTER_LIST: "data pengguna hak pilih tidak cocok",
    Rule.BALLOTS: "surat suara tidak cocok",
    Rule.VOTES: "jumlah suara tidak cocok",
    Rule.CAPACITY: "melebihi batas TPS",
    Rule.TALLY: "turus tidak sama dengan angka",
    Rule.OMR: "bulatan angka tidak sama dengan tulisan",
    Rule.PAGES: "halaman 2 dan 3 tidak cocok",
    Rule.MISSING_PAGE: "halaman belum diunggah",
    Rule.UPLOAD_CONFLICT: "dua unggahan berbeda",
    Rule.RECAP_MISMATCH: "rekap resmi berbeda dengan hitungan TPS",
    Rule.TURNOUT_HIGH: "partisipasi hampir 100%",
    Rule.LANDSLIDE: "satu paslon hampir 100%",
    Rule.VOTES_ABOVE_DPT: "suara melebihi DPT",
}
SEVERITIES: dict[str, str] = {Severity.ERROR: "kesalahan", Severity.OUTLIER: "layak diperiksa"}
# A TPS on the public pages (tally.web.queries.tps_page).
TPS_STATUS: dict[str, str] = {
    "masuk": "sudah masuk dan dihitung",
    "tertunda": "tertunda (menunggu pemeriksaan)",
    "belum": "belum ada kiriman",
}
# Where a TPS's numbers came from (reconcile.sheet.Source).
SOURCES: dict[str, str] = {
    "ocr": "dibaca dari foto",
    "keyed": "diketik petugas",
    "correction": "dikoreksi PPS (disetujui petugas kedua)",
    "synth": "data contoh (bukan hasil pemilu)",
}
# A photo on the KPPS page (tally.photos.intake.PhotoStatus).
PHOTO_STATUS: dict[
    str, str
] = {  # what the KPPS reads beside each photo (the detail follows when there is one)
    "queued": "menunggu dibaca",
    "reading": "sedang dibaca",
    "read": "terbaca",
    "review": "perlu dicek",
    "rejected": "foto ulang",
    "held": "ditahan: bukan formulir TPS ini",
    "ocr_unavailable": "tersimpan, belum dibaca",
    "failed": "gagal dibaca",
}
# One field as the reader read it (ocr.reading.Status).
READING_STATUS: dict[str, str] = {
    "accepted": "terbaca yakin",
    "review": "perlu diperiksa",
    "empty": "kotak kosong",
}
ROLE_TITLES: dict[str, str] = {
    "kpps": "KPPS (petugas TPS)",
    "pps": "PPS (panitia kelurahan/desa)",
    "ppk": "PPK (panitia kecamatan)",
    "kpu": "KPU",
}


def rule(name: str) -> str:
    """A flag's rule in words; an unknown rule is 'pemeriksaan lain', never its identifier."""
    return RULES.get(name, "pemeriksaan lain")


def action(name: str) -> str:
    return Action.label(name)


def role(name: str) -> str:
    """'PPS', 'KPU', 'sistem': who did it, in the log's lines."""
    return Action.role_label(name)


def role_title(name: str) -> str:
    """The officer's role in the page's navigation: what the abbreviation stands for."""
    return ROLE_TITLES.get(name, "petugas")
