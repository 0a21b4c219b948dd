"""Schemathesis against the app's own OpenAPI, through the ASGI app, as each role: no answer is a server
error and every answer matches the schema (status documented, body, content type and headers as declared);
in negative mode (data that breaks the schema) the answer must also be a refusal.

Bounded for CI: a fixed number of examples per operation and generation mode, derandomized (the same cases
every run), no example database. Each generated case is sent once per role (anonymous, KPPS, PPS, PPK, KPU),
so generation, the slow part, is paid once. A call that revokes its token gets a freshly minted one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.world import ROLES, World, world
from tally.settings import Settings

EXAMPLES = 10  # per operation × generation mode; each is sent as every role
# Every login answer costs an Argon2 verify (~0.5 s on a busy 2-core box, also for unknown users, by design).
FEWER = {"POST /api/v1/auth/login": 2}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
BOUNDED: dict[str, Any] = {
    "derandomize": True,
    "database": None,
    "deadline": None,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}
REVOKES = {"POST /api/v1/auth/logout"}


def transport(kwargs: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    """Schemathesis' requests-style arguments → httpx's."""
    out: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "params": kwargs.get("params") or None,
        "headers": {**kwargs.get("headers", {}), **auth},
    }
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    if "data" in kwargs:
        out["content"] = kwargs["data"]
    return out


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings) as it:
        yield it


def run_operation(w: World, op: Any, mode: GenerationMode, calls: dict[str, int]) -> None:
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @hsettings(max_examples=FEWER.get(op.label, EXAMPLES), **BOUNDED)
    @given(case=op.as_strategy(generation_mode=mode))
    def one(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://tally.test")
        for role in ROLES:
            fresh = w.fresh_token(role) if op.label in REVOKES and role != "anon" else None
            response: httpx.Response = w.client.request(**transport(kwargs, w.headers(role, fresh)))
            calls[role] += 1
            case.validate_response(response, checks=checks)

    try:
        one()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise  # an operation without inputs (/healthz) has no negative case; that is fine


def fuzz(w: World) -> dict[str, int]:
    """Run every operation in both generation modes; the number of calls made per role."""
    schema = schemathesis.openapi.from_dict(w.client.get("/openapi.json").json())
    calls = dict.fromkeys(ROLES, 0)
    for op in (r.ok() for r in schema.get_all_operations()):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(w, op, mode, calls)
    return calls


def test_fuzzed_requests_as_every_role_never_break_the_server_or_the_schema(w: World) -> None:
    calls = fuzz(w)
    operations = len(w.app.openapi()["paths"])
    assert all(n >= operations for n in calls.values()), calls  # nothing skipped silently
