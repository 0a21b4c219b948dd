"""PPK keys in the kecamatan D.Hasil, one row per kelurahan with every number a recap sums; every mismatch
with the TPS sums is shown (down to the TPS that explain it), stored as a RECAP_MISMATCH flag, and audited
as one entry. Only PPK/KPU of the region may key."""

from __future__ import annotations

from sqlalchemy import select

from reconcile.contest import builtin_contest
from reconcile.ids import RegionCode
from reconcile.sheet import Source, TallySheet
from support.officers import DESA_A, DESA_B, KEC, TPS_A, TPS_A2, Office
from tally.audit import verify_chain
from tally.auth.scope import Role
from tally.db.audit import AuditEntry
from tally.db.flags import FlagRow
from tally.election.dhasil import dhasil_fields, mismatches_of
from tally.election.rejudge import rejudge

PPWP = builtin_contest("ppwp-2024")


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
    """TPS_A counted (100, 50, 30); TPS_A2 and TPS_B (the other kelurahan) not sent yet."""
    from tally.audit import Action, Actor, append
    from tally.audit.replay import results_json
    from tally.election.store import save_sheets

    with o.sessions() as s, s.begin():
        sheet = TallySheet("s-a", TPS_A, PPWP.id, consistent((100, 50, 30)), frozenset({1, 2, 3}), Source.OCR)
        save_sheets(s.connection(), [sheet])  # type: ignore[arg-type]
        changes = rejudge(s, PPWP, TPS_A)
        # What the worker's reading entry carries: the counted values are a projection of the chain.
        append(s, Actor("test", "system"), Action.READING, TPS_A, {}, {"results": results_json(changes)})


def row_of(desa: str, **values: int) -> dict[str, str]:
    return {f"{desa}:{f}": str(v) for f, v in values.items()}


def recap_entries(o: Office) -> list[AuditEntry]:
    with o.sessions() as s:
        return [e for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)) if e.action == "recap"]


def test_the_kecamatan_d_hasil_has_a_row_per_kelurahan_with_every_number_it_sums(
    officers: Office,
) -> None:
    fields = dhasil_fields(PPWP)
    wanted = ("pemilih_dpt_j", "pengguna_total_j", "surat_diterima", "surat_dikembalikan", "surat_sisa",
              "surat_digunakan", "suara_paslon_1", "suara_sah", "suara_tidak_sah", "suara_total")  # fmt: skip
    assert set(wanted) <= set(fields)
    assert not [f for f in fields if f.endswith(("_l", "_p"))]
    ppk = officers.staff("ppk.tambora", Role.PPK, KEC)
    page = ppk.soup("/petugas/rekap")
    assert [d["data-row"] for d in page.select("form.keying details.dhasil-row")] == [DESA_A, DESA_B]
    for desa in (DESA_A, DESA_B):
        names = {i["name"] for i in page.select(f'details[data-row="{desa}"] input')}
        assert names == {f"{desa}:{f}" for f in fields}
    # the PPK's page leads to the PPS queue and the kelurahan progress
    links = {a["href"] for a in page.select("nav.rekap-nav a")}
    assert {"/petugas/pps", f"/wilayah/{KEC}"} <= links


def test_tally_s_number_is_shown_only_beside_a_number_already_keyed(officers: Office) -> None:
    counted_tps(officers)
    ppk = officers.staff("ppk.tambora", Role.PPK, KEC)
    before = ppk.soup("/petugas/rekap")
    cell = before.select_one(f'details[data-row="{DESA_A}"] div[data-field="suara_paslon_1"] .tally')
    assert cell.text.strip() == ""  # blind: type from the paper, not the screen
    ppk.post("/petugas/rekap", data={**row_of(DESA_A, suara_paslon_1=100), "baris": DESA_A})
    after = ppk.soup("/petugas/rekap")
    cell = after.select_one(f'details[data-row="{DESA_A}"] div[data-field="suara_paslon_1"] .tally b')
    assert cell.text == "100"


def test_saving_says_tersimpan_and_every_mismatched_field_is_listed_down_to_the_tps(officers: Office) -> None:
    counted_tps(officers)
    ppk = officers.staff("ppk.tambora", Role.PPK, KEC)
    # The pleno read 40 more for paslon 1 in ANGKE (its second TPS is not in Tally yet), a suara sah off by
    # one, and ballots received that Tally's sheet says 286.
    typed = row_of(DESA_A, suara_paslon_1=140, suara_paslon_2=50, suara_sah=181, surat_diterima=300,
                   pemilih_dpt_j=280)  # fmt: skip
    r = ppk.post("/petugas/rekap", data={**typed, "baris": DESA_A})
    assert r.status_code == 303 and r.headers["location"].startswith("/petugas/rekap?tersimpan=5")
    page = ppk.soup(r.headers["location"])
    assert "Tersimpan: 5 angka (ANGKE" in page.select_one("#tersimpan").text
    found = page.select("#selisih div.mismatch")
    assert [(m["data-region"], m["data-field"]) for m in found] == [
        (DESA_A, "surat_diterima"), (DESA_A, "suara_paslon_1"), (DESA_A, "suara_sah"),
    ]  # fmt: skip
    trail = [li["data-code"] for li in found[1].select("ol.trail li")]
    assert trail == [TPS_A2]  # the TPS not yet counted
    assert found[1].select_one("b.keyed").text == "140" and found[1].select_one("b.computed").text == "100"
    row = page.select_one(f'details[data-row="{DESA_A}"]')
    assert row.has_attr("open") and "3 selisih" in row.select_one("summary").text
    with officers.sessions() as s:
        flags = s.scalars(select(FlagRow).where(FlagRow.rule == "recap_mismatch")).all()
        assert sorted((f.subject, f.fields, f.expected, f.actual) for f in flags) == [
            (DESA_A, "suara_paslon_1", 140, 100), (DESA_A, "suara_sah", 181, 180),
            (DESA_A, "surat_diterima", 300, 286),
        ]  # fmt: skip
        assert verify_chain(s).ok
        # What `tally reconcile` can re-store per keyed region: the same mismatches, every field.
        again = mismatches_of(s.connection(), PPWP, DESA_A)
        assert [(m.field, m.keyed, m.computed) for m in again] == [
            ("surat_diterima", 300, 286), ("suara_paslon_1", 140, 100), ("suara_sah", 181, 180),
        ]  # fmt: skip
    # `tally reconcile` re-stores the same flags, every field (it once compared only five and dropped
    # surat_diterima's until the next save).
    from tally.election.run import reconcile_scope

    reconcile_scope(
        officers.app.state.services.engine, [], PPWP, RegionCode(KEC)
    )  # a kecamatan: its kab/kota
    with officers.sessions() as s:
        kept = s.scalars(select(FlagRow).where(FlagRow.rule == "recap_mismatch")).all()
        assert sorted(f.fields for f in kept) == ["suara_paslon_1", "suara_sah", "surat_diterima"]
    entries = recap_entries(officers)
    assert [(e.subject, e.after) for e in entries] == [
        (KEC, '{"rekap":{"31.73.04.1007":{"pemilih_dpt_j":280,"suara_paslon_1":140,"suara_paslon_2":50,'
         '"suara_sah":181,"surat_diterima":300}}}'),
    ]  # fmt: skip


def test_the_kecamatan_total_is_the_sum_of_the_rows_once_every_row_has_the_number(officers: Office) -> None:
    counted_tps(officers)
    ppk = officers.staff("ppk.tambora", Role.PPK, KEC)
    ppk.post("/petugas/rekap", data=row_of(DESA_A, suara_paslon_2=50, suara_tidak_sah=3))
    page = ppk.soup("/petugas/rekap")
    assert page.select_one('#jumlah tr[data-field="suara_paslon_2"] td.keyed').text == "—"
    r = ppk.post(
        "/petugas/rekap", data={**row_of(DESA_B, suara_paslon_2=70), **row_of(DESA_A, suara_paslon_2=50)}
    )
    assert r.headers["location"].startswith("/petugas/rekap?tersimpan=2")  # B's number and the total
    page = ppk.soup("/petugas/rekap")
    total = page.select_one('#jumlah tr[data-field="suara_paslon_2"]')
    assert total.select_one("td.keyed").text == "120" and total.select_one("td.tally").text == "50"
    assert "mismatch" in total["class"]
    mismatched = [(m["data-region"], m["data-field"]) for m in page.select("#selisih div.mismatch")]
    assert mismatched == [(KEC, "suara_paslon_2"), (DESA_B, "suara_paslon_2")]
    # Saving the same numbers again changes nothing and writes no entry.
    r = ppk.post("/petugas/rekap", data=row_of(DESA_A, suara_paslon_2=50))
    assert r.headers["location"].startswith("/petugas/rekap?tersimpan=0")
    assert "Tidak ada angka yang berubah" in ppk.soup(r.headers["location"]).select_one("#tersimpan").text
    assert [e.subject for e in recap_entries(officers)] == [KEC, KEC]


def test_six_digit_and_larger_numbers_are_kept_whole(officers: Office) -> None:
    ppk = officers.staff("ppk.tambora", Role.PPK, KEC)
    r = ppk.post("/petugas/rekap", data=row_of(DESA_A, pemilih_dpt_j="1.234.567"))  # type: ignore[arg-type]
    assert r.status_code == 303
    box = ppk.soup("/petugas/rekap").select_one(f'input[name="{DESA_A}:pemilih_dpt_j"]')
    assert box["value"] == "1234567"


def test_a_row_outside_the_region_or_a_bad_number_is_refused(officers: Office) -> None:
    ppk = officers.staff("ppk.tambora", Role.PPK, KEC)
    assert ppk.post("/petugas/rekap", data=row_of("31.73.05.1001", suara_sah=1)).status_code == 422
    assert ppk.post("/petugas/rekap", data={f"{DESA_A}:suara_sah": "1x"}).status_code == 422
    assert ppk.post("/petugas/rekap", data={f"{DESA_A}:bukan_kolom": "1"}).status_code == 422
    assert ppk.post("/petugas/rekap", data={f"{DESA_A}:suara_sah": ""}).status_code == 422  # nothing typed
    assert recap_entries(officers) == []


def test_only_ppk_or_kpu_of_the_region_may_key_a_recap(officers: Office) -> None:
    pps = officers.staff("pps.angke", Role.PPS, DESA_A)
    assert pps.get("/petugas/rekap").status_code == 403
    assert pps.post("/petugas/rekap", data=row_of(DESA_A, suara_sah=1)).status_code == 403
    stranger = officers.staff("ppk.lain", Role.PPK, "31.73.05")  # a kecamatan not in the register
    assert stranger.post("/petugas/rekap", data=row_of("31.73.05.1001", suara_sah=1)).status_code == 404
    kpu = officers.staff("kpu.jakbar", Role.KPU, "31.73")
    assert kpu.post("/petugas/rekap", data=row_of(KEC, suara_sah=1)).status_code == 303
    page = kpu.soup("/petugas/rekap")
    assert "D.Hasil kabupaten/kota" in page.select_one("h1").text
    assert [d["data-row"] for d in page.select("details.dhasil-row")] == [KEC]
    assert not page.select("nav.rekap-nav a[href='/petugas/pps']")  # the PPS queue is not the KPU's
    # logins, uploads and code issuance are entries too (issue 14): only the recap is counted here
    assert [e.subject for e in recap_entries(officers)] == ["31.73"]


def test_the_d_hasil_is_read_and_keyed_through_the_api_with_its_mismatches(officers: Office) -> None:
    """What a PPK's phone app (and the election-night replay) uses: the same rules as the page."""
    from support.blind import staff_token

    counted_tps(officers)
    officers.staff("ppk.tambora", Role.PPK, KEC)
    auth = {"Authorization": f"Bearer {staff_token(officers, 'ppk.tambora')}"}
    api = officers.browser()
    url = f"/api/v1/regions/{KEC}/dhasil"
    got = api.get(url, headers=auth)
    assert got.status_code == 200, got.text
    body = got.json()
    assert [r["region"] for r in body["rows"]] == [DESA_A, DESA_B]
    cell = body["rows"][0]["cells"]["suara_paslon_1"]
    assert cell == {"keyed": None, "computed": 100} and body["rows"][0]["tps_counted"] == 1
    # One slip (1000 for 100) comes back as a mismatch naming the TPS that explains it.
    slipped = api.put(url, json={"rows": {DESA_A: {"suara_paslon_1": 1000, "suara_sah": 180}}}, headers=auth)
    assert slipped.status_code == 200, slipped.text
    saved = slipped.json()
    assert saved["changed"] >= 2
    ((region, field, keyed, computed, message),) = [
        (m["region"], m["field"], m["keyed"], m["computed"], m["message"]) for m in saved["mismatches"]
    ]
    assert (region, field, keyed, computed) == (DESA_A, "suara_paslon_1", 1000, 100)
    assert "1000" in message and "100" in message
    fixed = api.put(url, json={"rows": {DESA_A: {"suara_paslon_1": 100}}}, headers=auth).json()
    assert fixed["mismatches"] == [] and fixed["dhasil"]["rows"][0]["cells"]["suara_paslon_1"]["keyed"] == 100
    again = api.put(url, json={"rows": {DESA_A: {"suara_paslon_1": 100}}}, headers=auth).json()
    assert again["changed"] == 0  # a retry of the same numbers changes nothing
    assert len(recap_entries(officers)) == 2  # one audit entry per save that changed something
    # Refused clearly: a row outside the kecamatan, a negative number, an unknown key, a KPPS.
    outside = api.put(url, json={"rows": {"31.73.05.1001": {"suara_sah": 1}}}, headers=auth)
    negative = api.put(url, json={"rows": {DESA_A: {"suara_sah": -1}}}, headers=auth)
    unknown = api.put(url, json={"rows": {}, "total": 3}, headers=auth)
    assert (outside.status_code, negative.status_code, unknown.status_code) == (422, 422, 422)
    assert outside.json()["code"] == "bad_recap"
    kpps = {"Authorization": f"Bearer {officers.device_token(TPS_A)}"}
    assert api.get(url, headers=kpps).status_code == 403
    assert api.put(url, json={"rows": {DESA_A: {"suara_sah": 1}}}, headers=kpps).status_code == 403
    with officers.sessions() as s:
        assert verify_chain(s).ok
