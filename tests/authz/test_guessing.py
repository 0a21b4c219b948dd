"""Guessing and floods (issue 14, #8), on SQLite and PostgreSQL: wrong passwords lock the account (100 wrong
then the right one was accepted); failed entries per client address and per code prefix are limited (codes
were guessed at ~860/s); Argon2 work is bounded so a login flood is refused at once. Each refusal is a 429
with Retry-After and a message in Bahasa Indonesia. (bench/login_flood.py measures upload latency under a
flood.)"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from support.footprint import is_bahasa
from support.world import PASSWORD, TPS_C, World, world
from tally.settings import Settings


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings, client_failures_burst=1000) as it:  # the account lock alone, from one address
        yield it


def _refused_429(r, code: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 429 and r.json()["code"] == code, r.text
    assert int(r.headers["retry-after"]) >= 1 and is_bahasa(r.json()["message"])


def test_a_hundred_wrong_passwords_lock_the_account_and_the_right_one_then_waits(w: World) -> None:
    answers = [
        w.client.post("/api/v1/auth/login", json={"username": "ppk", "password": f"salah-{i}"}).status_code
        for i in range(100)
    ]
    assert answers[:4] == [401] * 4 and set(answers[5:]) == {429}
    _refused_429(
        w.client.post("/api/v1/auth/login", json={"username": "ppk", "password": PASSWORD}), "login_locked"
    )
    other = w.client.post("/api/v1/auth/login", json={"username": "pps", "password": PASSWORD})
    assert other.status_code == 201  # another account is not affected


def test_failed_entries_from_one_client_are_limited(settings: Settings) -> None:
    with world(settings) as w:  # 20 failures per address by default
        answers = [
            w.client.post("/api/v1/auth/activate", json={"code": f"{a}{b}AAA-BBBBB"}).status_code
            for a, b in itertools.islice(itertools.product("23456789ABCDEF", repeat=2), 25)
        ]
        assert answers[:20] == [401] * 20 and set(answers[20:]) == {429}
        _refused_429(
            w.client.post("/api/v1/auth/login", json={"username": "pps", "password": PASSWORD}),
            "too_many_attempts",
        )
        elsewhere = {"X-Forwarded-For": "198.51.100.7"}  # not believed: no proxy is trusted
        r = w.client.post(
            "/api/v1/auth/login", json={"username": "pps", "password": PASSWORD}, headers=elsewhere
        )
        assert r.status_code == 429


def test_failed_activations_per_code_prefix_are_limited_across_addresses(settings: Settings) -> None:
    with world(settings, trusted_proxies=["127.0.0.1"]) as w:
        answers = []
        for i in range(14):  # each guess from another address (behind the trusted proxy), same prefix
            guess = {"code": f"7K{i:03d}-ZZZZZ".replace("0", "Q").replace("1", "R")}
            r = w.client.post(
                "/api/v1/auth/activate", json=guess, headers={"X-Forwarded-For": f"203.0.113.{i}"}
            )
            answers.append(r.status_code)
        assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}
        r = w.client.post(
            "/api/v1/auth/activate", json={"code": "7KMNP-QRSTU"}, headers={"X-Forwarded-For": "203.0.113.99"}
        )
        _refused_429(r, "too_many_attempts")
        code = w.new_code(TPS_C)  # another prefix is not affected (unless the code happens to share it)
        if not code.startswith("7K"):
            ok = w.client.post(
                "/api/v1/auth/activate", json={"code": code}, headers={"X-Forwarded-For": "203.0.113.98"}
            )
            assert ok.status_code == 201


def test_a_login_finding_every_argon2_slot_taken_is_refused_at_once(w: World) -> None:
    guard = w.app.state.services.guard
    with guard.password_slot():  # a flood holds the one slot
        r = w.client.post("/api/v1/auth/login", json={"username": "pps", "password": PASSWORD})
    _refused_429(r, "login_busy")
    assert (
        w.client.post("/api/v1/auth/login", json={"username": "pps", "password": PASSWORD}).status_code == 201
    )
