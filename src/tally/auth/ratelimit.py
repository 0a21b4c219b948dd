"""A per-token token bucket, in process.

Good for the embedded default and one API node. Behind a load balancer with N nodes each node holds its own
buckets, so the effective limit is N × rate; at that scale put the limit in the proxy (nginx `limit_req`
keyed on the Authorization header) or move the buckets to Redis.
"""

from __future__ import annotations

import threading
import time


class TokenBucket:
    def __init__(self, rate: float, burst: int, max_keys: int = 200_000) -> None:
        self.rate, self.burst, self.max_keys = rate, float(burst), max_keys
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0.0 when allowed; otherwise the seconds to wait before the next request may pass."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                if len(self._state) >= self.max_keys:
                    self._state.clear()  # crude bound on memory; a cleared key just gets a fresh burst
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


class FailureBucket:
    """Failures per key (a client address, an account, a code prefix): each failure takes a token, the
    bucket refills at `per_min`, and an empty bucket refuses the next attempt before it is tried. Successes
    cost nothing, so a busy shared address (a carrier's NAT) is not refused for its honest traffic."""

    def __init__(self, burst: int, per_min: float, max_keys: int = 200_000) -> None:
        self.burst, self.rate, self.max_keys = float(burst), per_min / 60.0, max_keys
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._state.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def wait(self, key: str) -> float:
        """0.0 when an attempt may be made; otherwise the seconds until one may."""
        now = time.monotonic()
        with self._lock:
            tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def fail(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._state) >= self.max_keys:
                self._state.clear()
            self._state[key] = (max(0.0, self._tokens(key, now) - 1.0), now)
