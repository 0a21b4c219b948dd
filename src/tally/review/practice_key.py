"""Latihan's answer key: practice questions with a known truth, and the check of what a trainee typed.

Each question (`Soal`) is a crop of a real-looking C.Hasil photo (made by `tally samples make`, committed in
`samples/kinds/`, cut to one total's three boxes) with what was written on it and why it matters — each one
of 2024's failure kinds. The trainee types first and only then sees the key: practice is blind, as a real
check is (docs/officers.md). A trainee's own upload is checked the same way against the machine's reading.
Nothing here touches a database table.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent / "latihan"


@dataclass(frozen=True, slots=True)
class Soal:
    id: str
    image: str  # a PNG beside this module
    field: str
    written: int  # what the officer meant, the truth of the sample
    boxes: str  # what the three boxes hold, as a person would say it
    why: str  # why this case matters


SOAL: tuple[Soal, ...] = (
    Soal("benar", "benar.png", "suara_paslon_3", 82, "[X] [8] [2]",
         "Cara menulis yang benar: kotak depan yang tidak terpakai dicoret X. Angkanya 82."),
    Soal("x-belakang", "x-trailing.png", "suara_paslon_1", 47, "[4] [7] [X]",
         "X ada di kotak terakhir, jadi angkanya 47, bukan 470 atau 478. Pada 2024 tulisan 74 dengan X di "
         "belakang dibaca mesin sebagai 748."),
    Soal("rata-kiri", "rata-kiri.png", "suara_paslon_1", 47, "[4] [7] [ ]",
         "Kotak terakhir kosong: angkanya 47. Pada 2024 angka yang ditulis rata kiri seperti ini (16) "
         "terbaca 160 — sepuluh kali lipat."),
    Soal("coretan-depan", "coretan-depan.png", "suara_paslon_1", 47, "[coretan] [4] [7]",
         "Garis tipis di kotak pertama adalah coretan, bukan angka 1: angkanya 47. Kalau ragu, cocokkan "
         "dengan gelembung dan turus di bawahnya. Pada 2024 coretan seperti ini dibaca sebagai angka."),
    Soal("nol-depan", "nol-depan.png", "suara_paslon_2", 7, "[X] [0] [7]",
         "Angka 0 di depan tidak mengubah nilainya: 07 adalah 7. Ketik 7."),
)  # fmt: skip


def soal(soal_id: str) -> Soal | None:
    return next((s for s in SOAL if s.id == soal_id), None)


@cache
def image_uri(name: str) -> str:
    """The crop as a `data:` URI (the page's CSP allows `img-src data:`): no route, no file to serve."""
    return "data:image/png;base64," + base64.b64encode((HERE / name).read_bytes()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Answer:
    """One line of the answer key."""

    field: str
    written: int | None  # what the paper says (a question's truth; for an upload, what the trainee typed)
    typed: int | None  # what the trainee typed (None: left blank or not a number)
    machine: int | None  # what the reader made of it, shown only now (None: not read, or a question)
    right: bool
    why: str


def check_soal(q: Soal, typed: int | None) -> Answer:
    right = typed == q.written
    return Answer(q.field, q.written, typed, None, right, q.why)


AGREE = "Anda dan mesin membaca angka yang sama: angka ini dianggap pasti."
DISAGREE = (
    "Anda dan mesin berbeda. Dalam penghitungan sungguhan, angka ini tidak dihitung sampai PPS memeriksa "
    "fotonya: lihat kertasnya sekali lagi, ketik ulang dengan teliti."
)
NOT_READ = "Mesin tidak dapat membaca kolom ini: dalam penghitungan sungguhan, PPS akan memeriksanya."
BLANK = "Kolom ini Anda kosongkan. Dalam penghitungan sungguhan setiap kolom harus diisi."


def check_upload(read: Mapping[str, int | None], typed: Mapping[str, int | None]) -> list[Answer]:
    """A trainee's own photo: what they typed from their paper against what the machine read."""
    out = []
    for name, machine in read.items():
        mine = typed.get(name)
        if mine is None:
            why, right = BLANK, False
        elif machine is None:
            why, right = NOT_READ, False
        else:
            right = mine == machine
            why = AGREE if right else DISAGREE
        out.append(Answer(name, mine, mine, machine, right, why))
    return out
