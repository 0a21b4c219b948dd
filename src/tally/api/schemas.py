"""API schemas, one family per resource, apart from ORM rows and domain values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SHA_EXAMPLE = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


class ErrorOut(BaseModel):
    code: str = Field(examples=["out_of_scope"])
    message: str = Field(examples=["Anda tidak berwenang untuk TPS ini. Periksa nomor TPS Anda."])
    detail: dict[str, Any] | None = None


class ActivateIn(BaseModel):
    code: str = Field(min_length=4, max_length=40, examples=["7KQ2M-XH9PT"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=80, examples=["pps.3173041007"])
    password: str = Field(min_length=1, max_length=200, examples=["kata-sandi-panjang"])


class TokenOut(BaseModel):
    token: str = Field(examples=["Yf3v…opaque…"])
    role: str = Field(examples=["kpps"])
    scope: str = Field(examples=["3173041007005"])
    subject: str = Field(examples=["kpps:3173041007005"])


class MeOut(BaseModel):
    role: str
    scope: str
    subject: str


class ActivationCodeOut(BaseModel):
    tps_id: str = Field(examples=["3173041007005"])
    code: str = Field(examples=["7KQ2M-XH9PT"])
    expires_at: datetime


class ActivationCodesOut(BaseModel):
    data: list[ActivationCodeOut]
    count: int


class DevicesRevokedOut(BaseModel):
    tps_id: str = Field(examples=["3173041007005"])
    devices_revoked: int


class StaffDisabledOut(BaseModel):
    username: str = Field(examples=["pps.3173041007"])
    sessions_revoked: int


class PhotoPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sha256: str = Field(examples=[SHA_EXAMPLE])
    tps_id: str = Field(examples=["3173041007005"])
    page: int = Field(examples=[2])
    status: str = Field(examples=["queued"])
    detail: str | None = None
    size_bytes: int = Field(examples=[1048576])
    width: int = Field(examples=[3000])
    height: int = Field(examples=[4000])
    uploaded_at: datetime
    status_url: str = Field(examples=[f"/api/v1/photos/{SHA_EXAMPLE}"])


class FieldPublic(BaseModel):
    value: int | None
    confidence: float
    status: str


class ReadingPublic(BaseModel):
    photo_sha256: str
    reader: str
    model_version: str
    status: str
    page: int | None
    rejected: str | None
    seconds: float
    created_at: datetime
    fields: dict[str, FieldPublic]


class FlagPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject: str
    rule: str = Field(examples=["votes"])
    fields: str = Field(examples=["suara_paslon_1,suara_paslon_2,suara_paslon_3,suara_sah"])
    expected: int | None
    actual: int | None
    hint: str
    severity: str


class TpsStatus(BaseModel):
    tps_id: str = Field(examples=["3173041007005"])
    desa: str = Field(examples=["31.73.04.1007"])
    dpt: int
    pages_expected: int = Field(examples=[3])
    pages_received: list[int] = Field(examples=[[1, 2]])
    status: str = Field(examples=["partial"], description="empty, partial, queued, review, read")
    photos: list[PhotoPublic]
    readings: list[ReadingPublic]
    flags: list[FlagPublic]


class RegionRecap(BaseModel):
    region: str = Field(examples=["31.73.04"])
    contest: str = Field(examples=["ppwp-2024"])
    tps_expected: int
    tps_counted: int
    totals: dict[str, int] = Field(examples=[{"dpt": 21000, "suara_sah": 15000}])
    paslon: dict[str, int] = Field(examples=[{"1": 5000, "2": 7000, "3": 3000}])


class DHasilCell(BaseModel):
    keyed: int | None = Field(examples=[1234], description="Angka yang diinput dari D.Hasil; null: belum")
    computed: int = Field(examples=[1234], description="Jumlah dari TPS yang sudah dihitung")


class DHasilRow(BaseModel):
    region: str = Field(examples=["32.77.03.1001"])
    name: str = Field(examples=["PASIRKALIKI"])
    tps_counted: int
    tps_expected: int
    cells: dict[str, DHasilCell]


class DHasilOut(BaseModel):
    region: str = Field(examples=["32.77.03"])
    name: str
    rows: list[DHasilRow]
    total: DHasilRow


class DHasilIn(BaseModel):
    """The numbers of a D.Hasil as keyed from the paper: per row (a child region), field → number."""

    model_config = ConfigDict(extra="forbid")
    rows: dict[str, dict[str, int]] = Field(
        examples=[{"32.77.03.1001": {"suara_sah": 5821, "suara_paslon_1": 1980}}]
    )


class DHasilMismatch(BaseModel):
    region: str = Field(examples=["32.77.03.1001"])
    field: str = Field(examples=["suara_paslon_1"])
    keyed: int
    computed: int
    message: str = Field(description="Di mana selisihnya, dalam Bahasa Indonesia")


class DHasilSaved(BaseModel):
    changed: int = Field(description="Angka yang tersimpan dan berbeda dari input sebelumnya")
    mismatches: list[DHasilMismatch]
    dhasil: DHasilOut


class PendingDesa(BaseModel):
    desa: str = Field(examples=["31.73.04.1007"])
    name: str
    tps_expected: int
    tps_with_photos: int
    photos_queued: int
    photos_review: int
    photos_rejected: int
    photos_failed: int
    flags: int


class PendingOut(BaseModel):
    data: list[PendingDesa]
    count: int


class DoubtOut(BaseModel):
    """A field to read from the paper. Blind: it never carries the machine's number."""

    field: str = Field(examples=["suara_paslon_2"])
    label: str = Field(examples=["Suara sah pasangan calon nomor urut 2"])
    page: int = Field(examples=[2])
    crop_url: str | None = Field(examples=["/api/v1/tps/3173041007005/doubts/suara_paslon_2/crop.png"])


class ApprovalOut(BaseModel):
    """A change another officer made, waiting for this officer to approve or refuse, both readings shown."""

    change: int = Field(examples=[42], description="POST /api/v1/changes/{change} memutuskannya")
    field: str = Field(examples=["suara_paslon_1"])
    label: str
    page: int
    machine: int | None = Field(examples=[470], description="Bacaan mesin")
    kpps: int | None = Field(examples=[47], description="Angka yang diketik KPPS tanpa melihat bacaan mesin")
    proposed: int = Field(examples=[47], description="Angka yang diajukan petugas pertama")
    crop_url: str | None


class DoubtsOut(BaseModel):
    tps: str = Field(examples=["3173041007005"])
    doubts: list[DoubtOut] = Field(
        description="Angka yang harus dibaca dari formulir, satu per satu: keraguan mesin, lalu (PPS/PPK) "
        "kolom yang disebut pemeriksaan penjumlahan"
    )
    approvals: list[ApprovalOut] = Field(default=[], description="PPS/PPK: perubahan petugas lain")
    retakes: dict[int, str] = Field(examples=[{"1": "Foto buram di bagian bawah, foto ulang dengan terang."}])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool = Field(examples=[True], description="true: setujui; false: tolak (dengan alasan)")
    reason: str = Field(default="", max_length=300, examples=[""], description="Wajib bila menolak")


class DecisionOut(BaseModel):
    change: int
    field: str
    state: str = Field(examples=["applied"], description="applied (berlaku) atau rejected (ditolak)")
    message: str = Field(examples=["Angka 47 disetujui dan berlaku."])


class BlindAnswerIn(BaseModel):
    value: int = Field(ge=0, le=999, examples=[74], description="Angka yang tertulis di formulir")


class BlindOutcomeOut(BaseModel):
    field: str = Field(examples=["suara_paslon_2"])
    value: int = Field(examples=[74])
    machine: int | None = Field(
        examples=[74],
        description="Bacaan mesin, ditunjukkan setelah jawaban (tidak bila diminta melihat lagi)",
    )
    agreed: bool = Field(examples=[True])
    again: bool = Field(
        examples=[False], description="KPPS diminta melihat formulir sekali lagi dan menjawab ulang"
    )
    message: str = Field(examples=["Cocok: angka 74 sama dengan bacaan mesin. Angka ini sah."])


class ConfirmationOut(BaseModel):
    tps: str
    sheet: str | None
    confirmed_by: str
    at: datetime


class RetakeIn(BaseModel):
    page: int = Field(ge=1, le=9, examples=[2])
    reason: str = Field(min_length=1, max_length=300, examples=["Baris paslon 2 tertutup bayangan jari."])


class RetakeOut(BaseModel):
    id: int
    tps: str
    page: int
    reason: str
