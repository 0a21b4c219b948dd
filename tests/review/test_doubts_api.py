"""A phone app can finish a TPS (issue 18, finding 4): the doubts API lists, for a PPS, the fields an
arithmetic check names beside the reader's doubts, and the changes waiting for a second officer side by
side; `POST /api/v1/changes/{id}` decides them. The same service as the PPS page (`tally.review.worklist`)."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.ids import TpsId, parent
from support.blind import (
    MISREAD,
    Read,
    read_sample_tps,
    second_phone,
    staff_token,
    tps_office,
    truth_of,
    upload_and_read,
)
from support.officers import Sample
from tally.audit import verify_chain
from tally.auth.scope import Role
from tally.db.results import TpsResultRow
from tally.review.sheets import current
from tally.settings import Settings


@pytest.fixture(scope="module")
def read_tps(tmp_path_factory: pytest.TempPathFactory) -> Read:
    return read_sample_tps(tmp_path_factory.mktemp("doubts-api-samples"))


def test_a_tps_is_finished_through_the_api_alone(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]]
) -> None:
    tps = str(read_tps[0][0].truth["tps"])
    truth = truth_of(read_tps)
    with tps_office(settings, read_tps[0][0].truth) as o:
        upload_and_read(o, tps, read_tps, {})
        api = o.browser()
        kpps = {"Authorization": f"Bearer {second_phone(o, tps)}"}
        url = f"/api/v1/tps/{tps}/doubts"
        for _ in range(40):  # the KPPS answers every doubt blind, the truth (a misread is asked twice)
            left = api.get(url, headers=kpps).json()
            assert left["approvals"] == []  # a KPPS decides nothing
            if not left["doubts"]:
                break
            field = left["doubts"][0]["field"]
            r = api.post(f"{url}/{field}", json={"value": truth[field]}, headers=kpps)
            assert r.status_code == 200, r.text
        desa = str(parent(TpsId(tps)))
        o.staff("pps.satu", Role.PPS, desa)
        o.staff("pps.dua", Role.PPS, desa)
        pps1 = {"Authorization": f"Bearer {staff_token(o, 'pps.satu')}"}
        pps2 = {"Authorization": f"Bearer {staff_token(o, 'pps.dua')}"}
        first = api.get(url, headers=pps1).json()
        fields = [d["field"] for d in first["doubts"]]
        # The misreads break L + P = J: the check's other fields are the PPS's to read too, blind.
        assert set(MISREAD) <= set(fields) and {"pemilih_dpt_p", "pemilih_dpt_j"} <= set(fields), fields
        assert all(set(d) == {"field", "label", "page", "crop_url"} for d in first["doubts"])  # no number
        crop = api.get(
            next(d["crop_url"] for d in first["doubts"] if d["field"] == "pemilih_dpt_j"), headers=pps1
        )
        assert crop.status_code == 200 and crop.content.startswith(b"\x89PNG")
        told = {}
        for field in fields:
            r = api.post(f"{url}/{field}", json={"value": truth[field]}, headers=pps1)
            assert r.status_code == 200, r.text
            told[field] = r.json()
        # The machine's misreads (2024's kind: a digit too many) stay unsettled, each now a correction; every
        # other number the PPS typed is the machine's (confirmed, or settled once the misreads are).
        misread = {f: r["machine"] for f, r in told.items() if r["machine"] != truth[f]}
        assert misread and all(not told[f]["agreed"] for f in misread), told
        assert all(len(str(m)) == 3 and str(m).startswith(str(truth[f])) for f, m in misread.items()), misread
        assert api.get(url, headers=pps1).json()["approvals"] == []  # never one's own change
        # The second PPS sees each correction side by side: the machine's number, the KPPS's, the first PPS's.
        second = api.get(url, headers=pps2).json()
        shown = {a["field"]: a for a in second["approvals"]}
        assert set(shown) == set(misread)
        for field, machine in misread.items():
            a = shown[field]
            assert (a["machine"], a["kpps"], a["proposed"]) == (machine, truth[field], truth[field])
            assert api.get(a["crop_url"], headers=pps2).status_code == 200
        first_misread = sorted(misread)[0]
        refused = api.post(
            f"/api/v1/changes/{shown[first_misread]['change']}", json={"approve": False}, headers=pps2
        )
        assert refused.status_code == 422 and refused.json()["code"] == "no_reason"  # a refusal says why
        own = api.post(
            f"/api/v1/changes/{shown[first_misread]['change']}", json={"approve": True}, headers=pps1
        )
        assert own.status_code == 403  # two pairs of eyes
        as_kpps = api.post(
            f"/api/v1/changes/{shown[first_misread]['change']}", json={"approve": True}, headers=kpps
        )
        assert as_kpps.status_code == 403
        for a in shown.values():
            r = api.post(f"/api/v1/changes/{a['change']}", json={"approve": True}, headers=pps2)
            assert r.status_code == 200 and r.json()["state"] == "applied", r.text
        again = api.post(
            f"/api/v1/changes/{shown[first_misread]['change']}", json={"approve": True}, headers=pps2
        )
        assert again.status_code == 409
        contest = o.app.state.services.contest
        with o.sessions() as s:
            now = current(s, contest, tps)
            result = s.get(TpsResultRow, (contest.id, tps))
            assert verify_chain(s).ok
        assert result is not None and result.counted == 1
        assert {n: v for n, v in now.values.items() if truth[n] != v} == {}
        assert api.get(url, headers=pps1).json() | {"retakes": {}} == {
            "tps": tps,
            "doubts": [],
            "approvals": [],
            "retakes": {},
        }
