"""Photos on local disk, content-addressed: `root/ab/cd/<sha256>.jpg`, written atomically.

A body is spooled to `root/tmp/` and only renamed into place once whole, checked and fsynced, so a reader
never sees half a photo and a crash leaves at most a temp file (swept at start-up). At scale `root` is one
filesystem shared by every API node and worker (docs/operations.md).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import BinaryIO


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.jpg"

    def spool(self) -> tuple[BinaryIO, Path]:
        # A random name opened O_EXCL, as mkstemp does, without its per-call name generator (a tenth of a
        # millisecond of the upload's CPU).
        path = self.tmp / f"{secrets.token_hex(12)}.part"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return os.fdopen(fd, "wb"), path

    def commit(self, spooled: Path, sha256: str) -> bool:
        """Move a whole, fsynced temp file into place. False when the photo was already stored."""
        final = self.path(sha256)
        if final.exists():
            spooled.unlink(missing_ok=True)
            return False
        with spooled.open("rb") as f:
            os.fsync(f.fileno())
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(spooled, final)
        dir_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself must survive a power cut
        finally:
            os.close(dir_fd)
        return True

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def discard(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def sweep_tmp(self, older_than_s: float = 3600.0) -> int:
        """Remove temp files a crashed process left behind."""
        cutoff, n = time.time() - older_than_s, 0
        for part in self.tmp.glob("*.part"):
            if part.stat().st_mtime < cutoff:
                part.unlink(missing_ok=True)
                n += 1
        return n
