"""PPK keys in the kecamatan D.Hasil; every mismatch with Tally's roll-up is shown down to the TPS that
explains it, stored as a RECAP_MISMATCH flag, and audited. Only PPK/KPU of the region may key."""

from __future__ import annotations

from sqlalchemy import select

from reconcile.contest import builtin_contest
from reconcile.sheet import Source, TallySheet
from support.officers import DESA_A, KEC, TPS_A, TPS_A2, TPS_B, Office
from tally.audit import verify_chain
from tally.auth.scope import Role
from tally.db.audit import AuditEntry
from tally.db.flags import FlagRow
from tally.election.rejudge import rejudge


def consistent(votes: tuple[int, int, int], dpt: int = 280) -> dict[str, int | None]:
    sah, tidak = sum(votes), 3
    used = sah + tidak
    v: dict[str, int | None] = {
        "pemilih_dpt_l": dpt // 2, "pemilih_dpt_p": dpt - dpt // 2, "pemilih_dpt_j": dpt,
        "pemilih_dptb_l": 0, "pemilih_dptb_p": 0, "pemilih_dptb_j": 0,
        "pemilih_dpk_l": 0, "pemilih_dpk_p": 0, "pemilih_dpk_j": 0,
        "pengguna_dpt_l": used // 2, "pengguna_dpt_p": used - used // 2, "pengguna_dpt_j": used,
        "pengguna_dptb_l": 0, "pengguna_dptb_p": 0, "pengguna_dptb_j": 0,
        "pengguna_dpk_l": 0, "pengguna_dpk_p": 0, "pengguna_dpk_j": 0,
        "pengguna_total_l": used // 2, "pengguna_total_p": used - used // 2, "pengguna_total_j": used,
        "surat_diterima": dpt + 6, "surat_dikembalikan": 0, "surat_sisa": dpt + 6 - used,
        "surat_digunakan": used, "disabilitas_dpt_l": 0, "disabilitas_dpt_p": 0, "disabilitas_dpt_j": 0,
        "disabilitas_pengguna_l": 0, "disabilitas_pengguna_p": 0, "disabilitas_pengguna_j": 0,
        "suara_sah": sah, "suara_tidak_sah": tidak, "suara_total": used,
    }  # fmt: skip
    for i, n in enumerate(votes, start=1):
        v[f"suara_paslon_{i}"] = n
    return v


def counted_tps(o: Office) -> None:
    """TPS_A counted (100, 50, 30); TPS_B (other kelurahan) not sent yet."""
    from tally.audit import Action, Actor, append
    from tally.audit.replay import results_json
    from tally.election.store import save_sheets

    contest = builtin_contest("ppwp-2024")
    with o.sessions() as s, s.begin():
        save_sheets(
            s.connection(),
            [
                TallySheet(
                    "s-a", TPS_A, contest.id, consistent((100, 50, 30)), frozenset({1, 2, 3}), Source.OCR
                )
            ],
        )  # type: ignore[arg-type]
        changes = rejudge(s, contest, TPS_A)
        # What the worker's reading entry carries: the counted values are a projection of the chain.
        append(s, Actor("test", "system"), Action.READING, TPS_A, {}, {"results": results_json(changes)})


def test_ppk_sees_a_recap_mismatch_down_to_the_tps_that_explains_it(officers: Office) -> None:
    counted_tps(officers)
    ppk = officers.staff("ppk.tambora", Role.PPK, KEC)
    form = ppk.soup("/petugas/rekap")
    assert form.select_one("form.keying input[name=suara_paslon_1]") is not None
    assert form.select_one('tr[data-field="suara_paslon_1"] td.tally').text.strip() == "100"
    # The official recap counts 40 more for paslon 1: the TPS not yet in Tally (in the other kelurahan).
    r = ppk.post("/petugas/rekap", data={"suara_paslon_1": "140", "suara_paslon_2": "50"})
    assert r.status_code == 303
    page = ppk.soup("/petugas/rekap")
    found = page.select("div.mismatch")
    assert [m["data-field"] for m in found] == ["suara_paslon_1"]
    trail = [li["data-code"] for li in found[0].select("ol.trail li")]
    # Each kelurahan short of TPS, then its TPS not yet counted.
    assert trail == [DESA_A, TPS_A2, "31.73.04.1008", TPS_B]
    assert found[0].select_one("b.keyed").text == "140" and found[0].select_one("b.computed").text == "100"
    with officers.sessions() as s:
        flags = s.scalars(select(FlagRow).where(FlagRow.rule == "recap_mismatch")).all()
        assert [(f.subject, f.expected, f.actual) for f in flags] == [(KEC, 140, 100)]
        entries = s.scalars(select(AuditEntry)).all()
        assert [(e.action, e.subject) for e in entries if e.action == "recap"] == [("recap", KEC)]
        assert verify_chain(s).ok


def test_only_ppk_or_kpu_of_the_region_may_key_a_recap(officers: Office) -> None:
    pps = officers.staff("pps.angke", Role.PPS, DESA_A)
    assert pps.get("/petugas/rekap").status_code == 403
    assert pps.post("/petugas/rekap", data={"suara_paslon_1": "1"}).status_code == 403
    stranger = officers.staff("ppk.lain", Role.PPK, "31.73.05")  # a kecamatan not in the register
    assert stranger.post("/petugas/rekap", data={"suara_paslon_1": "1"}).status_code == 404
    kpu = officers.staff("kpu.jakbar", Role.KPU, "31.73")
    assert kpu.post("/petugas/rekap", data={"suara_paslon_1": "1"}).status_code == 303
    assert "D.Hasil kabupaten/kota" in kpu.soup("/petugas/rekap").select_one("h1").text
    with officers.sessions() as s:
        # logins, uploads and code issuance are entries too (issue 14): only the recap is counted here
        assert [e.subject for e in s.scalars(select(AuditEntry)) if e.action == "recap"] == ["31.73"]
