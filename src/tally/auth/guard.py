"""The front door against guessing and floods, per API process (docs/security.md, "Guessing and floods").

- failed logins and activations per client address, and failed activations per code prefix (the first two
  characters: guesses spread over many addresses still share 961 small buckets), refuse further attempts
  with 429 and Retry-After once spent;
- wrong passwords per account lock the account in the database (`tally.auth.service.login`), so every API
  process and the web pages see the same lock;
- Argon2 work is bounded: at most `login_concurrency` password checks run at once in a process, on threads
  of their own at a lower priority (nice 10; libargon2's threads inherit it); a login arriving when all slots
  are taken is answered 429 at once, without waiting or hashing, so a login flood cannot take the CPU (or
  the thread pool) that uploads need.

In-process: with N API processes each holds its own buckets and slots (N× the limits); at scale put a
per-address limit in the proxy as well.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from tally.auth.ratelimit import FailureBucket
from tally.auth.secrets import normalise_code
from tally.errors import TooManyRequests
from tally.settings import Settings

PREFIX = 2
NICE = 10  # password threads yield the cores to uploads (Argon2's own threads inherit the niceness)
T = TypeVar("T")


def _lower_priority() -> None:
    """Linux: niceness is per thread; libargon2's worker threads (parallelism 4) inherit this one's."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError):  # not Linux, or not permitted: the slot bound still holds
        pass


def too_many(wait: float, message: str, code: str = "too_many_attempts") -> TooManyRequests:
    return TooManyRequests(code, message, retry_after=max(1, math.ceil(wait)))


CLIENT_MESSAGE = (
    "Terlalu banyak percobaan masuk atau aktivasi yang gagal dari jaringan ini. Tunggu {s} detik lalu coba "
    "lagi; periksa kembali kode atau kata sandi Anda."
)
PREFIX_MESSAGE = (
    "Terlalu banyak kode aktivasi salah yang dicoba akhir-akhir ini. Tunggu {s} detik, lalu ketik ulang kode "
    "Anda dengan teliti."
)
BUSY = (
    "Server sedang melayani banyak permintaan masuk. Coba lagi beberapa detik lagi; unggahan foto tetap "
    "berjalan."
)


class EntryGuard:
    def __init__(self, settings: Settings) -> None:
        self.clients = FailureBucket(settings.client_failures_burst, settings.client_failures_per_min)
        self.prefixes = FailureBucket(
            settings.code_prefix_failures_burst, settings.code_prefix_failures_per_min
        )
        self._slots = threading.BoundedSemaphore(settings.login_concurrency)
        self._pool = ThreadPoolExecutor(
            settings.login_concurrency, thread_name_prefix="password", initializer=_lower_priority
        )

    @staticmethod
    def prefix(code: str) -> str:
        return normalise_code(code)[:PREFIX]

    def check_client(self, client: str) -> None:
        wait = self.clients.wait(client)
        if wait > 0:
            raise too_many(wait, CLIENT_MESSAGE.format(s=math.ceil(wait)))

    def check_code(self, client: str, code: str) -> None:
        self.check_client(client)
        wait = self.prefixes.wait(self.prefix(code))
        if wait > 0:
            raise too_many(wait, PREFIX_MESSAGE.format(s=math.ceil(wait)))

    def failed_login(self, client: str) -> None:
        self.clients.fail(client)

    def failed_code(self, client: str, code: str) -> None:
        self.clients.fail(client)
        self.prefixes.fail(self.prefix(code))

    @contextmanager
    def password_slot(self) -> Iterator[None]:
        """Hold one of the Argon2 slots, or refuse with 429 at once when none is free."""
        if not self._slots.acquire(blocking=False):
            raise too_many(1, BUSY, code="login_busy")
        try:
            yield
        finally:
            self._slots.release()

    async def check_password(self, work: Callable[[], T]) -> T:
        """Run a password check (a login) on the guard's own low-priority threads, not the shared pool."""
        return await asyncio.wrap_future(self._pool.submit(work))
