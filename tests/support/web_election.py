"""A small election in a real database (SQLite and PostgreSQL) and the public pages served over ASGI.

31 DKI Jakarta › 31.73 Jakarta Barat › 31.73.04 Tambora › two kelurahan, four TPS:
- 3173041007001: counted, consistent (and an outlier flag: turnout near 100%);
- 3173041007002: counted, with an error flag (votes ≠ suara sah);
- 3173041008001: pending (one value unread);
- 3173041008002: nothing sent yet.
The kecamatan's keyed recap (D.Hasil) disagrees with the roll-up for paslon 2.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from reconcile.contest import Contest, builtin_contest
from reconcile.ids import NASIONAL, TpsId
from reconcile.sheet import Source, TallySheet
from tally.audit import Action, Actor, HeadSigner, append, sign_head
from tally.bootstrap import create_app
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.db.regions import RegionRow
from tally.election.results import write_results
from tally.election.store import Tps, save_contest, save_sheets, save_tps
from tally.settings import Settings
from tally.web.pages import PageCache

REGIONS = [
    ("31", "DKI JAKARTA", 1, None),
    ("31.73", "KOTA ADM. JAKARTA BARAT", 2, "31"),
    ("31.73.04", "TAMBORA", 3, "31.73"),
    ("31.73.04.1007", "ANGKE", 4, "31.73.04"),
    ("31.73.04.1008", "JEMBATAN BESI", 4, "31.73.04"),
]
COUNTED_OK, COUNTED_FLAGGED, PENDING, EMPTY = (
    TpsId("3173041007001"),
    TpsId("3173041007002"),
    TpsId("3173041008001"),
    TpsId("3173041008002"),
)


def consistent(votes: tuple[int, int, int], tidak_sah: int = 3, dpt: int = 280) -> dict[str, int]:
    sah = sum(votes)
    used = sah + tidak_sah
    v: dict[str, int] = {
        "pemilih_dpt_l": dpt // 2, "pemilih_dpt_p": dpt - dpt // 2, "pemilih_dpt_j": dpt,
        "pengguna_dpt_l": used // 2, "pengguna_dpt_p": used - used // 2, "pengguna_dpt_j": used,
        "pengguna_dptb_l": 0, "pengguna_dptb_p": 0, "pengguna_dptb_j": 0,
        "pengguna_dpk_l": 0, "pengguna_dpk_p": 0, "pengguna_dpk_j": 0,
        "pengguna_total_l": used // 2, "pengguna_total_p": used - used // 2, "pengguna_total_j": used,
        "surat_diterima": dpt + 6, "surat_dikembalikan": 0, "surat_sisa": dpt + 6 - used,
        "surat_digunakan": used,
        "suara_sah": sah, "suara_tidak_sah": tidak_sah, "suara_total": used,
    }  # fmt: skip
    for i, n in enumerate(votes, start=1):
        v[f"suara_paslon_{i}"] = n
    return v


def load_election(session: Session) -> Contest:
    contest = builtin_contest("ppwp-2024")
    session.add_all(RegionRow(code=c, name=n, level=lv, parent=p) for c, n, lv, p in REGIONS)
    session.flush()
    conn = session.connection()
    save_contest(conn, contest)
    save_tps(conn, NASIONAL, [Tps(t, 280) for t in (COUNTED_OK, COUNTED_FLAGGED, PENDING, EMPTY)])
    flagged = consistent((40, 100, 60))
    flagged["suara_paslon_2"] = 1000  # 100 read as 1000: the 2024 failure
    pending: dict[str, int | None] = {**consistent((10, 20, 30)), "suara_paslon_3": None}
    sheets = [
        TallySheet("s-ok", COUNTED_OK, contest.id, consistent((120, 90, 60)), frozenset({1, 2, 3})),
        TallySheet("s-flag", COUNTED_FLAGGED, contest.id, flagged, frozenset({1, 2, 3})),
        TallySheet("s-pend", PENDING, contest.id, pending, frozenset({1, 2}), Source.OCR),
    ]
    save_sheets(conn, sheets, at=datetime(2024, 2, 14, 19, 30, tzinfo=UTC))
    write_results(conn, contest, NASIONAL, sheets, {COUNTED_OK, COUNTED_FLAGGED}, {COUNTED_FLAGGED: 1})
    now = datetime(2024, 2, 14, 20, 0, tzinfo=UTC)
    session.add_all(
        [
            FlagRow(contest_id=contest.id, subject=COUNTED_FLAGGED, area=COUNTED_FLAGGED, sheet_id="s-flag",
                    rule="votes", fields="suara_paslon_1,suara_paslon_2,suara_paslon_3,suara_sah",
                    expected=200, actual=1100, hint="Jumlah suara paslon tidak sama dengan suara sah.",
                    severity="error", created_at=now),
            FlagRow(contest_id=contest.id, subject=COUNTED_OK, area=COUNTED_OK, sheet_id="s-ok",
                    rule="turnout_high", fields="pengguna_total_j", expected=None, actual=273,
                    hint="Partisipasi mendekati 100%.", severity="outlier", created_at=now),
            KeyedRecapRow(region_code="31.73.04", contest_id=contest.id, field="suara_paslon_2", value=290,
                          keyed_by="ppk.tambora", at=now),
        ]
    )  # fmt: skip
    signer = HeadSigner.generate()
    append(
        session,
        Actor("device:kpps-1", "kpps", "36.68.1.2"),
        Action.READING,
        COUNTED_OK,
        None,
        {"sheet": "s-ok"},
    )
    append(
        session, Actor("pps.angke", "pps", "10.0.0.9"), Action.APPROVAL, COUNTED_OK, None, {"sheet": "s-ok"}
    )
    sign_head(session, signer)
    session.commit()
    return contest


def web_app(settings: Settings, engine: Engine) -> FastAPI:
    """The whole app on the election's database (no OCR threads), the public page cache off."""
    app = create_app(settings.model_copy(update={"ocr_reader": "none"}), workers=0)
    app.state.web.page_cache = PageCache(0)
    return app
