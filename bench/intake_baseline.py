"""Upper bounds for bench/intake.py, served by the same uvicorn (uvloop, httptools, same worker count):

- `bare`: a FastAPI route that reads the whole body and answers 202: what the framework, the loopback copy
  and the load generator cost on their own;
- `durable`: the same, plus what any durable intake must do with the bytes: hash them while writing a temp
  file, fsync it, rename it into place and fsync the directory (no database, no checks).

    uvicorn --app-dir bench intake_baseline:bare
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI, Request, Response

bare = FastAPI()
durable = FastAPI()
ROOT = Path(os.environ.get("BENCH_BASELINE_DIR", tempfile.gettempdir()))


@bare.put("/api/v1/tps/{tps}/pages/{page}/photos/{sha}")
async def read_only(request: Request) -> Response:
    async for _ in request.stream():
        pass
    return Response(status_code=202)


def _settle(part: Path, final: Path) -> None:
    fd = os.open(part, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(part, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@durable.put("/api/v1/tps/{tps}/pages/{page}/photos/{sha}")
async def write_fsync(sha: str, request: Request) -> Response:
    digest = hashlib.sha256()
    fd, name = tempfile.mkstemp(dir=ROOT, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        async for chunk in request.stream():
            digest.update(chunk)
            f.write(chunk)
    await to_thread.run_sync(_settle, Path(name), ROOT / f"{digest.hexdigest()}.jpg")
    return Response(status_code=202)
