"""Uploads over real HTTP through the ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import struct
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from support.intake import TPS_A, Intake, jpeg, sha

URL = "/api/v1/tps/{tps}/pages/{page}/photos/{sha}"


def put(
    intake: Intake,
    headers: dict[str, str],
    data: bytes,
    tps: str = TPS_A,
    page: int = 1,
    digest: str | None = None,
    **kw: object,
):  # type: ignore[no-untyped-def]
    return intake.client.put(
        URL.format(tps=tps, page=page, sha=digest or sha(data)),
        content=data,
        headers={**headers, "Content-Type": "image/jpeg"},
        **kw,
    )


def test_accepted_photo_is_stored_and_answered_202_with_a_status_url(intake: Intake) -> None:
    who = intake.kpps(TPS_A)
    data = jpeg()
    r = put(intake, who, data)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["sha256"] == sha(data)
    assert r.headers["location"] == body["status_url"] == f"/api/v1/photos/{sha(data)}"
    assert intake.client.get(body["status_url"], headers=who).json()["sha256"] == sha(data)
    stored = intake.settings.data_dir / "photos" / sha(data)[:2] / sha(data)[2:4] / f"{sha(data)}.jpg"
    assert stored.read_bytes() == data


def test_retry_of_the_same_upload_counts_once(intake: Intake) -> None:
    who = intake.kpps(TPS_A)
    data = jpeg(seed=7)
    first = put(intake, who, data)
    again = [put(intake, who, data) for _ in range(3)]
    assert first.status_code == 202
    assert [r.status_code for r in again] == [200, 200, 200]
    assert all(r.json() == first.json() for r in again)
    assert intake.photo_rows() == 1
    assert len(intake.stored_files()) == 1
    metrics = intake.client.get("/metrics").text
    assert 'tally_uploads_total{result="accepted"} 1.0' in metrics
    assert 'tally_uploads_total{result="duplicate"} 3.0' in metrics


def test_the_same_photo_filed_under_another_page_is_a_conflict(intake: Intake) -> None:
    who = intake.kpps(TPS_A)
    data = jpeg(seed=3)
    assert put(intake, who, data, page=1).status_code == 202
    r = put(intake, who, data, page=2)
    assert r.status_code == 409 and r.json()["code"] == "photo_elsewhere"


def test_exif_orientation_is_recorded_once_for_the_worker(intake: Intake) -> None:
    who = intake.kpps(TPS_A)
    data = jpeg(width=400, height=200, orientation=6)
    assert put(intake, who, data).status_code == 202
    from tally.db.intake import PhotoRow
    from tally.photos.jpeg import upright

    with intake.sessions()() as s:
        row = s.get(PhotoRow, sha(data))
        assert row is not None and row.orientation == 6
    turned = Image.open(io.BytesIO(upright(data, 6)))
    assert turned.size == (200, 400) and turned.getexif().get(0x0112) is None


def _bomb() -> bytes:
    """A 2 KB JPEG whose frame header declares 20000×20000 pixels."""
    small = jpeg(width=64, height=64)
    at = next(i for i in range(2, len(small)) if small[i] == 0xFF and small[i + 1] in (0xC0, 0xC2))
    return small[: at + 5] + struct.pack(">HH", 20000, 20000) + small[at + 9 :]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(out, format="PNG")
    return out.getvalue()


BAD = {
    "truncated": (lambda: jpeg(seed=5)[:-20000], 422, "corrupt_photo"),
    "png_renamed": (_png, 422, "not_jpeg"),
    "bomb_20000x20000": (_bomb, 422, "too_many_pixels"),
    "empty": (lambda: b"", 422, "empty_photo"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_photo_gets_a_clear_4xx_and_leaves_nothing_behind(intake: Intake, case: str) -> None:
    make, status, code = BAD[case]
    data = make()
    r = put(intake, intake.kpps(TPS_A), data)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert r.json()["message"]  # in Bahasa Indonesia, for the officer
    assert intake.photo_rows() == 0
    assert intake.stored_files() == []


def test_a_60_mb_body_is_refused_413_whether_declared_or_streamed(intake: Intake) -> None:
    who = intake.kpps(TPS_A)
    big = b"\xff\xd8\xff" + b"\0" * (60 * 1024 * 1024)
    declared = put(intake, who, big)
    assert declared.status_code == 413 and declared.json()["code"] == "photo_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit trips while spooling
        for i in range(0, len(big), 1 << 20):
            yield big[i : i + (1 << 20)]

    streamed = intake.client.put(
        URL.format(tps=TPS_A, page=1, sha=sha(big)),
        content=chunks(),
        headers={**who, "Content-Type": "image/jpeg"},
    )
    assert streamed.status_code == 413
    assert intake.photo_rows() == 0 and intake.stored_files() == []


def test_a_body_that_does_not_match_its_sha256_is_refused(intake: Intake) -> None:
    data = jpeg(seed=11)
    r = put(intake, intake.kpps(TPS_A), data, digest=sha(data + b"x"))
    assert r.status_code == 422 and r.json()["code"] == "hash_mismatch"
    assert intake.photo_rows() == 0 and intake.stored_files() == []
