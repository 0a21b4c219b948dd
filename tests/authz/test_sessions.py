"""Sessions and secrets at rest (issue 14, #11 and #7), on SQLite and PostgreSQL: tokens expire (a device for
the election period, a staff login for hours); production refuses weak secrets; nothing in the idempotency
table is a credential in replayable or guessable form, and its records expire."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from support.world import DESA_A, PASSWORD, TPS_A2, World, world
from tally.auth.secrets import digest
from tally.db.intake import AccessTokenRow, IdempotencyRow
from tally.settings import DEV_SECRET, Settings


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings, staff_session_hours=8.0, device_token_days=10.0) as it:
        yield it


def _expires(w: World, token: str) -> datetime:
    with w.sessions() as s:
        row = s.get(AccessTokenRow, digest(token))
        assert row is not None and row.expires_at is not None
        at = row.expires_at
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_tokens_expire_device_after_the_election_period_staff_after_hours(w: World) -> None:
    staff = w.client.post("/api/v1/auth/login", json={"username": "pps", "password": PASSWORD}).json()[
        "token"
    ]
    device = w.client.post("/api/v1/auth/activate", json={"code": w.new_code(TPS_A2)}).json()["token"]
    now = datetime.now(UTC)
    assert abs(_expires(w, staff) - (now + timedelta(hours=8))) < timedelta(minutes=1)
    assert abs(_expires(w, device) - (now + timedelta(days=10))) < timedelta(minutes=1)
    with w.sessions() as s, s.begin():  # time passes: both are past their end
        s.execute(update(AccessTokenRow).values(expires_at=now - timedelta(seconds=1)))
    for token in (staff, device):
        r = w.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["code"] == "bad_token"


@pytest.mark.parametrize(
    "secret", ["", "a", "a" * 64, DEV_SECRET, "password" * 4, "Tally2024!", "ab" * 20], ids=repr
)
def test_production_refuses_a_weak_secret(secret: str, tmp_path: object) -> None:
    with pytest.raises(ValidationError, match="TALLY_SECRET_KEY is too weak"):
        Settings(environment="production", secret_key=secret, data_dir=tmp_path)


def test_production_takes_a_random_secret(tmp_path: object) -> None:
    Settings(environment="production", secret_key=secrets.token_urlsafe(32), data_dir=tmp_path)


def _idempotency_rows(w: World) -> list[IdempotencyRow]:
    with w.sessions() as s:
        return list(s.scalars(select(IdempotencyRow)))


def test_credentials_are_never_kept_for_replay(w: World) -> None:
    key = {"Idempotency-Key": "retry-1"}
    login = w.client.post("/api/v1/auth/login", json={"username": "pps", "password": PASSWORD}, headers=key)
    assert login.status_code == 201
    codes = w.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers={**w.headers("kpu"), **key})
    assert codes.status_code == 201
    code = codes.json()["data"][0]["code"]
    first = w.client.post("/api/v1/auth/activate", json={"code": code}, headers=key)
    retry = w.client.post("/api/v1/auth/activate", json={"code": code}, headers=key)
    assert first.status_code == 201 and first.headers["cache-control"] == "no-store"
    assert retry.status_code == 409 and "token" not in retry.json()  # the token is not handed out twice
    assert _idempotency_rows(w) == []  # nothing of a login, an activation or an issuance is kept


def test_idempotency_records_are_hmacs_and_expire(w: World) -> None:
    key = {**w.headers("kpu"), "Idempotency-Key": "revoke-1"}
    url = f"/api/v1/tps/{TPS_A2}/devices/revoke"
    first = w.client.post(url, headers=key)
    assert first.status_code == 200 and w.client.post(url, headers=key).json() == first.json()
    (row,) = _idempotency_rows(w)
    token_hash = digest(w.tokens["kpu"])
    assert row.key != hashlib.sha256(f"{token_hash}|revoke-1".encode()).hexdigest()  # keyed, not bare
    assert row.fingerprint != hashlib.sha256(f"revoke|{TPS_A2}".encode()).hexdigest()
    idem = w.app.state.services.idempotency
    with w.sessions() as s, s.begin():
        s.execute(
            update(IdempotencyRow).values(created_at=datetime.now(UTC) - idem.ttl - timedelta(minutes=1))
        )
    assert idem.purge() == 1 and _idempotency_rows(w) == []
