"""The database away (restarting, unreachable): the API answers 503 with Retry-After and a message the
officer can act on, so phones retry; never a 500 that reads as a server bug. (Found by bench/storm.py: a
PostgreSQL restart mid-storm answered 28 uploads with 500.)"""

from __future__ import annotations

from pathlib import Path

from anyio.from_thread import start_blocking_portal

from badinput.corpus import small
from support.client import Client
from support.footprint import is_bahasa
from support.intake import sha
from tally.bootstrap import create_app
from tally.settings import Settings

NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/tally"  # nothing listens on port 1


def test_requests_while_the_database_is_down_get_503_with_retry_after(tmp_path: Path) -> None:
    settings = Settings(environment="test", database_url=NOWHERE, data_dir=tmp_path, queue_url="db")
    app = create_app(settings, workers=0)
    data = small()
    bearer = {"Authorization": "Bearer some-device-token"}
    with start_blocking_portal() as portal:
        client = Client(app, portal)
        answers = [
            client.get("/api/v1/me", headers=bearer),
            client.put(
                f"/api/v1/tps/3173041007001/pages/1/photos/{sha(data)}",
                content=data,
                headers={**bearer, "Content-Type": "image/jpeg"},
            ),
            client.post("/api/v1/auth/activate", json={"code": "AAAAA-BBBBB"}),
        ]
        portal.call(client.http.aclose)
    app.state.services.engine.dispose()
    for r in answers:
        assert r.status_code == 503, (r.request.url, r.status_code, r.text)
        assert r.headers["retry-after"] == "2"
        assert r.json()["code"] == "database_down" and is_bahasa(r.json()["message"])
