"""A token bucket: the producer's average rate, with bursts bounded by the bucket's capacity."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Refills `rate` tokens per second up to `capacity`; `acquire(n)` blocks until n tokens are paid.

    A request larger than the capacity is allowed and paid on credit (the bucket goes negative), so
    batches bigger than one burst still average out to `rate` instead of blocking forever.
    """

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        initial_tokens: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.capacity = capacity if capacity is not None else rate
        if self.capacity <= 0:
            raise ValueError(f"capacity must be positive, got {self.capacity}")
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity if initial_tokens is None else min(initial_tokens, self.capacity)
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def try_acquire(self, tokens: float = 1.0) -> bool:
        """Take `tokens` now if the bucket holds them; never blocks."""
        self._refill()
        if self._tokens >= tokens:
            self._tokens -= tokens
            return True
        return False

    def acquire_batch(self, minimum: int, maximum: int) -> int:
        """Wait for at least `minimum` tokens, then take as many whole tokens as the bucket holds up to
        `maximum`: a sender that fell behind catches up with bigger batches instead of losing rate."""
        self.acquire(minimum)
        extra = max(0, min(maximum - minimum, int(self._tokens)))
        self._tokens -= extra
        return minimum + extra

    def acquire(self, tokens: float = 1.0) -> float:
        """Take `tokens`, sleeping until the bucket has refilled enough; returns the seconds waited."""
        self._refill()
        waited = 0.0
        needed = min(tokens, self.capacity)
        # The tolerance stops float rounding from asking for sleeps shorter than the clock can register.
        while self._tokens < needed - 1e-9:
            pause = (needed - self._tokens) / self.rate
            self._sleep(pause)
            waited += pause
            self._refill()
        self._tokens -= tokens
        return waited
