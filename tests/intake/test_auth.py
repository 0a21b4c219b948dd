"""Officers and scopes: a token acts only inside its TPS or region; codes are one-time; keys replay."""

from __future__ import annotations

from support.intake import DESA_A, DESA_B, TPS_A, TPS_A2, TPS_B, Intake, jpeg, sha
from tally.auth.scope import Role

URL = "/api/v1/tps/{tps}/pages/1/photos/{sha}"


def test_kpps_of_tps_a_cannot_upload_to_or_read_tps_b(intake: Intake) -> None:
    a, b = intake.kpps(TPS_A), intake.kpps(TPS_B)
    data = jpeg(seed=1)
    refused = intake.client.put(URL.format(tps=TPS_B, sha=sha(data)), content=data, headers=a)
    assert refused.status_code == 403 and refused.json()["code"] == "out_of_scope"
    assert intake.photo_rows() == 0 and intake.stored_files() == []
    assert intake.client.put(URL.format(tps=TPS_B, sha=sha(data)), content=data, headers=b).status_code == 202
    assert intake.client.get(f"/api/v1/tps/{TPS_B}", headers=a).status_code == 403
    assert intake.client.get(f"/api/v1/photos/{sha(data)}", headers=a).status_code == 403
    assert intake.client.get(f"/api/v1/tps/{TPS_B}", headers=b).json()["pages_received"] == [1]


def test_pps_acts_inside_its_kelurahan_only(intake: Intake) -> None:
    pps = intake.staff("pps.a", Role.PPS, DESA_A)
    assert intake.client.get(f"/api/v1/tps/{TPS_A2}", headers=pps).status_code == 200
    assert intake.client.get(f"/api/v1/tps/{TPS_B}", headers=pps).status_code == 403
    assert intake.client.get(f"/api/v1/regions/{DESA_B}/pending", headers=pps).status_code == 403
    pending = intake.client.get(f"/api/v1/regions/{DESA_A}/pending", headers=pps).json()
    assert [(d["desa"], d["tps_expected"]) for d in pending["data"]] == [(DESA_A, 2)]
    codes = intake.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers=pps)
    assert codes.status_code == 403 and codes.json()["code"] == "code_issuer"  # the KPU kab/kota issues
    kpu = intake.staff("kpu.jakbar", Role.KPU, "31.73")
    codes = intake.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers=kpu)
    assert codes.status_code == 201 and {c["tps_id"] for c in codes.json()["data"]} == {TPS_A, TPS_A2}


def test_kpu_nasional_sees_every_region_and_kpps_sees_none(intake: Intake) -> None:
    kpu = intake.staff("kpu.ri", Role.KPU, "")
    recap = intake.client.get("/api/v1/regions/nasional/recap", headers=kpu)
    assert recap.status_code == 200 and recap.json()["tps_expected"] == 3
    kpps = intake.kpps(TPS_A)
    assert intake.client.get(f"/api/v1/regions/{DESA_A}/recap", headers=kpps).status_code == 403


def test_activation_code_works_once_and_a_retry_never_gets_the_token_again(intake: Intake) -> None:
    kpu = intake.staff("kpu.jakbar", Role.KPU, "31.73")
    code = intake.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers=kpu).json()["data"][0]
    key = {"Idempotency-Key": "phone-1-activate"}
    first = intake.client.post("/api/v1/auth/activate", json={"code": code["code"]}, headers=key)
    assert first.status_code == 201 and first.json()["scope"] == code["tps_id"]
    retry = intake.client.post("/api/v1/auth/activate", json={"code": code["code"]}, headers=key)
    assert retry.status_code == 409 and retry.json()["code"] == "code_used" and "token" not in retry.json()
    other = intake.client.post("/api/v1/auth/activate", json={"code": code["code"]})
    assert other.status_code == 409 and other.json()["code"] == "code_used"


def test_wrong_password_unknown_and_revoked_tokens_are_401(intake: Intake) -> None:
    intake.staff("ppk.x", Role.PPK, "31.73.04")
    bad = intake.client.post("/api/v1/auth/login", json={"username": "ppk.x", "password": "salah-sekali"})
    assert bad.status_code == 401 and bad.json()["code"] == "bad_login"
    assert intake.client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert intake.client.get("/api/v1/me").json()["code"] == "no_token"
    who = intake.kpps(TPS_A)
    assert intake.client.post("/api/v1/auth/logout", headers=who).status_code == 204
    assert intake.client.get("/api/v1/me", headers=who).status_code == 401


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(intake: Intake) -> None:
    who = intake.kpps(TPS_A)
    codes = [intake.client.get("/api/v1/me", headers=who).status_code for _ in range(40)]
    assert codes[:30] == [200] * 30 and 429 in codes[30:]
    r = intake.client.get("/api/v1/me", headers=who)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_health_readiness_and_openapi_examples(intake: Intake) -> None:
    assert intake.client.get("/healthz").json() == {"status": "ok"}
    assert intake.client.get("/readyz").json() == {"status": "ready"}
    spec = intake.client.get("/openapi.json").json()
    put = spec["paths"]["/api/v1/tps/{tps_id}/pages/{page}/photos/{sha256}"]["put"]
    assert {"200", "202", "403", "413", "422"} <= set(put["responses"])
    assert "image/jpeg" in put["requestBody"]["content"]
    metrics = intake.client.get("/metrics").text
    assert 'tally_queue_jobs{state="queued"}' in metrics and "tally_queue_oldest_age_seconds" in metrics


def test_a_tps_the_api_remembers_is_still_out_of_scope_for_other_officers(intake: Intake) -> None:
    a, b = intake.kpps(TPS_A), intake.kpps(TPS_B)
    first, second = jpeg(seed=21), jpeg(seed=22)
    # B's upload makes the API remember TPS_B as an existing TPS (no database trip next time) ...
    accepted = intake.client.put(URL.format(tps=TPS_B, sha=sha(first)), content=first, headers=b)
    assert accepted.status_code == 202
    # ... which must not let A, or a PPK of the same kecamatan, file a photo there.
    refused = intake.client.put(URL.format(tps=TPS_B, sha=sha(second)), content=second, headers=a)
    assert refused.status_code == 403 and refused.json()["code"] == "out_of_scope"
    ppk = intake.staff("ppk.tamansari", Role.PPK, "31.73.04")
    by_ppk = intake.client.put(URL.format(tps=TPS_B, sha=sha(second)), content=second, headers=ppk)
    assert by_ppk.status_code == 403 and by_ppk.json()["code"] == "role"
    assert intake.photo_rows() == 1
