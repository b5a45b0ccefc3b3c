from __future__ import annotations

import pytest

from streamctl.loadtest.rate_limit import TokenBucket


class FakeClock:
    """A clock that only moves when the bucket sleeps, so tests see exact waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_full_bucket_serves_one_burst_without_waiting() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=100, capacity=50, clock=clock, sleep=clock.sleep)
    assert bucket.acquire(50) == 0.0
    assert clock.sleeps == []


def test_sustained_acquisition_averages_the_configured_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1_000, capacity=100, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        bucket.acquire(100)
    # 10,000 tokens at 1,000/s, the first 100 served from the full bucket.
    assert clock.now == pytest.approx(9.9)


def test_tokens_do_not_accumulate_beyond_capacity_while_idle() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, capacity=5, clock=clock, sleep=clock.sleep)
    bucket.acquire(5)
    clock.now += 60
    assert bucket.try_acquire(5)
    assert not bucket.try_acquire(1)


def test_a_request_larger_than_capacity_is_paid_on_credit_not_refused() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, capacity=5, clock=clock, sleep=clock.sleep)
    bucket.acquire(20)
    assert clock.now == 0.0
    bucket.acquire(1)
    # 15 tokens of debt plus one more, at 10 tokens/s.
    assert clock.now == pytest.approx(1.6)


def test_non_positive_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(rate=0)


def test_a_sender_that_fell_behind_catches_up_with_a_bigger_batch() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1_000, capacity=500, initial_tokens=0, clock=clock, sleep=clock.sleep)
    assert bucket.acquire_batch(50, 500) == 50
    clock.now += 0.3  # a slow PutRecords call: 300 tokens accrue meanwhile
    assert bucket.acquire_batch(50, 500) == 300
    assert bucket.acquire_batch(50, 500) == 50


def test_an_empty_bucket_opens_without_a_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=100, capacity=100, initial_tokens=0, clock=clock, sleep=clock.sleep)
    bucket.acquire(10)
    assert clock.now == pytest.approx(0.1)
