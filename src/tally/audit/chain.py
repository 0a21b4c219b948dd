"""The hash chain as pure functions: how an entry is spelled canonically and hashed.

hash = SHA-256( canonical JSON of the entry's fields with `prev_hash` ) in lowercase hex. Canonical JSON is
`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` encoded as UTF-8, so anyone can
recompute a hash from the public export with a few lines in any language (docs/audit.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the prev_hash of entry 1


class Action:
    """The actions the log records (strings, so a new kind needs no migration)."""

    READING = "reading"  # the OCR read a sheet
    PROPOSAL = "proposal"  # a KPPS proposes a correction
    CORRECTION = "correction"  # a PPS corrects a field
    APPROVAL = "approval"  # a correction or a reading is approved
    RECAP = "recap"  # an official keys in a level's recap (D.Hasil)
    RECONCILE = "reconcile"  # `tally reconcile` set a TPS's result (one entry per TPS it changed)
    SUPERSEDE = "supersede"  # sheets replaced in bulk (`tally election synth` rerun): the results they took
    BASELINE = "baseline"  # a result stored before revision 0006, entered into the chain by the migration
    REJECTION = "rejection"  # a proposed change refused by the second officer
    PHOTO_UPLOADED = "photo_uploaded"  # a photo filed for a TPS page (never for a retry that found it)
    CODE_ISSUED = "code_issued"  # a KPPS activation code issued for a TPS
    DEVICE_ACTIVATED = "device_activated"  # a code exchanged for a phone's token
    DEVICES_REVOKED = "devices_revoked"  # a TPS's phones and unused codes revoked
    LOGIN = "login"  # a PPS/PPK/KPU logged in
    STAFF_DISABLED = "staff_disabled"  # a staff account disabled
    BLIND_READING = "blind_reading"  # an officer typed a doubted number before seeing the machine's
    RETAKE_REQUESTED = "retake_requested"  # a PPS asks the KPPS for a new photo of a page
    TPS_CONFIRMED = "tps_confirmed"  # the KPPS looked over the whole TPS and sent it ("Periksa & kirim")

    # What people read (the public pages, the salinan): plain Bahasa, never the identifiers above.
    LABELS = {
        READING: "foto dibaca mesin", PROPOSAL: "usulan perbaikan", CORRECTION: "perbaikan angka",
        APPROVAL: "perbaikan disetujui", RECAP: "rekap (D.Hasil) diketik", RECONCILE: "hasil dihitung ulang",
        SUPERSEDE: "lembar lama diganti", BASELINE: "hasil awal dicatat", REJECTION: "usulan ditolak",
        PHOTO_UPLOADED: "foto diunggah", CODE_ISSUED: "kode aktivasi diterbitkan",
        DEVICE_ACTIVATED: "ponsel KPPS diaktifkan", DEVICES_REVOKED: "ponsel KPPS dicabut",
        LOGIN: "petugas masuk", STAFF_DISABLED: "akun petugas dinonaktifkan",
        BLIND_READING: "angka dicek petugas tanpa melihat bacaan mesin",
        RETAKE_REQUESTED: "foto ulang diminta",
        TPS_CONFIRMED: "KPPS memeriksa dan mengirim hasil TPS",
    }  # fmt: skip
    ROLES = {
        "kpps": "KPPS", "pps": "PPS", "ppk": "PPK", "kpu": "KPU", "system": "sistem", "operator": "operator",
    }  # fmt: skip

    @classmethod
    def label(cls, action: str) -> str:
        return cls.LABELS.get(action, "catatan lain")

    @classmethod
    def role_label(cls, role: str) -> str:
        return cls.ROLES.get(role, "petugas")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_time(at: datetime) -> str:
    """UTC with microseconds; a naive time (SQLite drops the zone) is UTC because we only ever store UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class EntryFields:
    """What one entry says, in the exact form that is hashed (before/after are canonical JSON text)."""

    seq: int
    at: str
    actor: str
    actor_role: str
    origin: str
    action: str
    subject: str
    before: str
    after: str
    prev_hash: str

    def message(self) -> bytes:
        return canonical_json(
            {
                "seq": self.seq,
                "at": self.at,
                "actor": self.actor,
                "actor_role": self.actor_role,
                "origin": self.origin,
                "action": self.action,
                "subject": self.subject,
                "before": self.before,
                "after": self.after,
                "prev_hash": self.prev_hash,
            }
        ).encode("utf-8")


def entry_hash(fields: EntryFields) -> str:
    return hashlib.sha256(fields.message()).hexdigest()


def head_message(seq: int, hash_: str) -> bytes:
    """What a head signature signs: the chain position and its hash, domain-separated from other uses."""
    return f"tally-audit-head:v1:{seq}:{hash_}".encode("ascii")
