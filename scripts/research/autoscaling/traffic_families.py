"""Seeded families of traffic shapes, so the scaler is judged on shapes it was not tuned on (issue 29).

Each family draws its parameters from ranges with a generator seeded by (family, seed), so a variant is
the same on every machine; `generate(family, seed)` gives the demand (21 days at one-minute resolution,
scaled so its peak is 50 MB/s of 1 KiB records by default) and the parameters it drew. The shapes:

- `periodic_bursts`: cron-like check-ins (a device fleet): every `period` minutes the load jumps to
  `height` x its base for `width` minutes, with a few outages of zero traffic;
- `diurnal_surge`: a shop's day and week (evening peak, quieter weekends) with planned surges (a sale)
  ramping in over `ramp` minutes;
- `growth_flash`: organic growth or decline over the three weeks, diurnal, with flash crowds rising to
  `height` x within `rise` minutes and lasting `duration`;
- `step_change`: a tenant onboarding (or leaving) multiplies the traffic from one minute on;
- `outages`: diurnal traffic with outages of zero traffic from minutes to hours, and the producers'
  backlog coming back after each;
- `noise`: a level that wanders (a random walk) under heavy, correlated multiplicative noise;
- `nab`: a 21-day stretch of one of the vendored NAB traces (scripts/research/traces/), at a seeded offset.

`ISSUE_SHAPES` are issue 29's three shapes, as parameters inside their families' ranges.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from functions.shard_scaler.policy import DAY_MINUTES
from research.autoscaling.trace import MEGABYTE, Demand, TraceError, load_trace, shard_records_per_s, to_demand

DAYS: Final = 21
PEAK_MB_PER_S: Final = 50.0
RECORD_BYTES: Final = 1024
START_MINUTE: Final = 29_439_360
"""2025-12-22 00:00 UTC, a Monday: the weekly pattern's weekdays fall on weekdays."""
TRACES: Final = Path(__file__).resolve().parents[1] / "traces"
NAB_TRACES: Final = ("nyc_taxi", "Twitter_volume_AMZN", "elb_request_count_8c0756", "ec2_network_in_257a54")

Params = dict[str, float | int | str | list[float] | list[int]]
Shape = Callable[[np.random.Generator, int, Params], npt.NDArray[np.float64]]
"""Draws its parameters into `params` and returns the relative load per minute (any scale, >= 0)."""


@dataclass(frozen=True)
class Variant:
    """One generated trace: the family, its seed, what it drew, and the demand in shard units."""

    family: str
    seed: int
    params: Params
    demand: Demand

    def number(self, key: str) -> float:
        """A drawn scalar parameter."""
        value = self.params[key]
        if not isinstance(value, int | float):
            raise TypeError(f"parameter {key} is not a number: {value!r}")
        return float(value)

    def numbers(self, key: str) -> list[float]:
        """A drawn list parameter (starts, factors, outage windows)."""
        value = self.params[key]
        if not isinstance(value, list):
            raise TypeError(f"parameter {key} is not a list: {value!r}")
        return [float(v) for v in value]

    def minutes(self, key: str) -> list[int]:
        return [int(v) for v in self.numbers(key)]


def _int(params: Params, key: str, draw: Callable[[], int]) -> int:
    """The parameter `key` as given, or drawn (and recorded in `params`). It is drawn either way, so a
    given parameter leaves every later draw as it was: a variant with one feature changed is otherwise
    the same trace."""
    drawn = int(draw())
    if key not in params:
        params[key] = drawn
    value = params[key]
    if not isinstance(value, int | float):
        raise ValueError(f"parameter {key} must be a number, got {value!r}")
    return int(value)


def _float(params: Params, key: str, draw: Callable[[], float]) -> float:
    drawn = float(draw())
    if key not in params:
        params[key] = drawn
    value = params[key]
    if not isinstance(value, int | float):
        raise ValueError(f"parameter {key} must be a number, got {value!r}")
    return float(value)


def _ints(params: Params, key: str, draw: Callable[[], list[int]]) -> list[int]:
    drawn = [int(v) for v in draw()]
    if key not in params:
        params[key] = drawn
    value = params[key]
    if not isinstance(value, list):
        raise ValueError(f"parameter {key} must be a list, got {value!r}")
    return [int(v) for v in value]


def _floats(params: Params, key: str, draw: Callable[[], list[float]]) -> list[float]:
    drawn = [float(v) for v in draw()]
    if key not in params:
        params[key] = drawn
    value = params[key]
    if not isinstance(value, list):
        raise ValueError(f"parameter {key} must be a list, got {value!r}")
    return [float(v) for v in value]


def _start(rng: np.random.Generator, earliest: int, latest: int) -> int:
    """A start minute in [earliest, latest), narrowed to fit a short trace (tests run a few days)."""
    latest = max(1, latest)
    return int(rng.integers(min(earliest, latest - 1), latest))


def _minutes(n: int) -> npt.NDArray[np.float64]:
    return np.arange(n, dtype=np.float64)


def diurnal(
    n: int, peak_hour: float, amplitude: float, weekend: float = 1.0, sharpness: float = 1.0
) -> npt.NDArray[np.float64]:
    """A day with its peak at `peak_hour` (UTC), the trough `1 / amplitude` of the peak, and weekends
    (days 5 and 6 of each week from START_MINUTE, a Monday) at `weekend` x the weekday."""
    t = _minutes(n)
    phase = 2 * math.pi * ((t / 60.0 - peak_hour) / 24.0)
    wave = ((1.0 + np.cos(phase)) / 2.0) ** sharpness  # 1 at the peak, 0 at the trough
    day = 1.0 / amplitude + (1.0 - 1.0 / amplitude) * wave
    weekday = (t // DAY_MINUTES) % 7
    return day * np.where(weekday >= 5, weekend, 1.0)


def correlated_noise(rng: np.random.Generator, n: int, sigma: float, minutes: float) -> npt.NDArray[np.float64]:
    """Multiplicative log-normal noise, AR(1) with a correlation time of `minutes`, mean about 1."""
    if sigma <= 0:
        return np.ones(n)
    rho = math.exp(-1.0 / max(minutes, 1e-9))
    shocks = rng.normal(0.0, sigma * math.sqrt(1 - rho * rho), n)
    out = np.empty(n)
    value = rng.normal(0.0, sigma)
    for i in range(n):
        value = rho * value + shocks[i]
        out[i] = value
    return np.exp(out - sigma * sigma / 2.0)


def _outage_windows(rng: np.random.Generator, n: int, count: int, shortest: int, longest: int) -> list[int]:
    """`count` outages as [start, end, start, end, ...], lengths log-uniform in [shortest, longest]."""
    windows = []
    for _ in range(count):
        length = int(math.exp(rng.uniform(math.log(shortest), math.log(longest))))
        start = _start(rng, DAY_MINUTES // 2, n - length)
        windows.append((start, min(n, start + length)))
    return [minute for window in sorted(windows) for minute in window]


def outage_pairs(flat: list[int]) -> list[tuple[int, int]]:
    return list(zip(flat[::2], flat[1::2], strict=True))


def _apply_outages(load: npt.NDArray[np.float64], windows: list[int]) -> None:
    for start, end in outage_pairs(windows):
        load[start:end] = 0.0


def periodic_bursts(rng: np.random.Generator, n: int, params: Params) -> npt.NDArray[np.float64]:
    """Check-ins on a cron schedule over a steady (slightly diurnal, noisy) base."""
    period = _int(params, "period", lambda: int(rng.choice([15, 30, 60, 60, 120, 240])))
    height = _float(params, "height", lambda: float(rng.uniform(2.0, 20.0)))
    width = _int(params, "width", lambda: int(rng.integers(1, min(10, period // 2) + 1)))
    phase = _int(params, "phase", lambda: int(rng.integers(0, period)))
    outages = _int(params, "outages", lambda: int(rng.integers(0, 5)))
    t = np.arange(n)
    base = diurnal(n, float(rng.uniform(0, 24)), float(rng.uniform(1.0, 1.5))) * correlated_noise(rng, n, 0.05, 30)
    load = base.copy()
    in_burst = ((t - phase) % period) < width
    load[in_burst] = base[in_burst] * height
    windows = _ints(params, "outage_windows", lambda: _outage_windows(rng, n, outages, 10, 6 * 60))
    _apply_outages(load, windows)
    return load


def diurnal_surge(rng: np.random.Generator, n: int, params: Params) -> npt.NDArray[np.float64]:
    """A shop: weekday/weekend diurnal with an evening peak, and planned surges ramping in."""
    peak_hour = _float(params, "peak_hour", lambda: float(rng.uniform(16.0, 22.0)))
    amplitude = _float(params, "amplitude", lambda: float(rng.uniform(2.0, 10.0)))
    weekend = _float(params, "weekend", lambda: float(rng.uniform(0.4, 1.3)))
    surges = _int(params, "surges", lambda: int(rng.integers(1, 4)))
    height = _float(params, "height", lambda: float(rng.uniform(1.5, 5.0)))
    ramp = _int(params, "ramp", lambda: int(rng.integers(5, 61)))
    duration = _int(params, "duration", lambda: int(rng.integers(60, 6 * 60 + 1)))
    load = diurnal(n, peak_hour, amplitude, weekend, float(rng.uniform(1.0, 3.0)))
    load *= correlated_noise(rng, n, float(rng.uniform(0.03, 0.12)), 20)
    starts = _ints(
        params,
        "surge_starts",
        lambda: sorted(_start(rng, 3 * DAY_MINUTES, n - duration - ramp) for _ in range(surges)),
    )
    for start in starts:
        factor = np.ones(n)
        factor[start : start + ramp] = np.linspace(1.0, height, ramp, endpoint=False)
        factor[start + ramp : start + ramp + duration] = height
        load *= factor
    return load


def growth_flash(rng: np.random.Generator, n: int, params: Params) -> npt.NDArray[np.float64]:
    """Organic growth (or decline) over the trace, diurnal, with flash crowds."""
    growth = _float(params, "growth", lambda: float(math.exp(rng.uniform(math.log(1 / 3), math.log(3.0)))))
    crowds = _int(params, "crowds", lambda: int(rng.integers(1, 7)))
    height = _float(params, "height", lambda: float(rng.uniform(3.0, 12.0)))
    rise = _int(params, "rise", lambda: int(rng.integers(1, 16)))
    duration = _int(params, "duration", lambda: int(rng.integers(10, 121)))
    t = _minutes(n)
    load = growth ** (t / n) * diurnal(n, float(rng.uniform(0, 24)), float(rng.uniform(1.5, 5.0)), 0.8)
    load *= correlated_noise(rng, n, 0.08, 15)
    starts = _ints(
        params,
        "crowd_starts",
        lambda: sorted(_start(rng, DAY_MINUTES, n - duration - rise) for _ in range(crowds)),
    )
    for start in starts:
        factor = np.ones(n)
        factor[start : start + rise] = np.linspace(1.0, height, rise + 1)[1:]
        factor[start + rise : start + rise + duration] = height
        load *= factor
    return load


def step_change(rng: np.random.Generator, n: int, params: Params) -> npt.NDArray[np.float64]:
    """Tenants onboarding (x1.5-3) or leaving (x0.3-0.7) at seeded minutes, over diurnal traffic."""
    steps = _int(params, "steps", lambda: int(rng.integers(1, 4)))
    factors = _floats(
        params,
        "factors",
        lambda: [float(rng.uniform(1.5, 3.0) if rng.random() < 0.75 else rng.uniform(0.3, 0.7)) for _ in range(steps)],
    )
    starts = _ints(
        params, "step_starts", lambda: sorted(_start(rng, 2 * DAY_MINUTES, n - DAY_MINUTES) for _ in range(steps))
    )
    load = diurnal(n, float(rng.uniform(0, 24)), float(rng.uniform(1.2, 4.0)), float(rng.uniform(0.6, 1.0)))
    load *= correlated_noise(rng, n, 0.06, 20)
    for start, factor in zip(starts, factors, strict=True):
        load[start:] *= factor
    return load


def outages(rng: np.random.Generator, n: int, params: Params) -> npt.NDArray[np.float64]:
    """Diurnal traffic with outages of zero traffic (minutes to hours); after each, the producers'
    backlog comes back at `catch_up` x for a while."""
    count = _int(params, "outages", lambda: int(rng.integers(2, 9)))
    catch_up = _float(params, "catch_up", lambda: float(rng.uniform(1.0, 3.0)))
    load = diurnal(n, float(rng.uniform(0, 24)), float(rng.uniform(1.5, 5.0)), float(rng.uniform(0.6, 1.0)))
    load *= correlated_noise(rng, n, 0.06, 20)
    windows = _ints(params, "outage_windows", lambda: _outage_windows(rng, n, count, 5, 8 * 60))
    for start, end in outage_pairs(windows):
        tail = min(n, end + max(10, (end - start) // 2))
        load[end:tail] *= catch_up
    _apply_outages(load, windows)
    return load


def noise(rng: np.random.Generator, n: int, params: Params) -> npt.NDArray[np.float64]:
    """A wandering level under heavy, correlated multiplicative noise."""
    sigma = _float(params, "sigma", lambda: float(rng.uniform(0.1, 0.6)))
    correlation = _float(params, "correlation_minutes", lambda: float(rng.uniform(1.0, 60.0)))
    drift = _float(params, "drift", lambda: float(rng.uniform(0.02, 0.3)))
    hours = n // 60 + 1
    walk = np.exp(np.cumsum(rng.normal(0.0, drift / math.sqrt(24), hours)))
    level = np.repeat(walk, 60)[:n]
    return level * correlated_noise(rng, n, sigma, correlation)


def nab(rng: np.random.Generator, n: int, params: Params) -> npt.NDArray[np.float64]:
    """A 21-day stretch (or all, if shorter) of a vendored NAB trace, at a seeded offset."""
    drawn = str(rng.choice(NAB_TRACES))
    if "trace" not in params:
        params["trace"] = drawn
    name = str(params["trace"])
    units = _nab_units(name)
    offset = _int(params, "offset", lambda: int(rng.integers(0, max(1, units.size - n + 1))))
    return units[offset : offset + n].copy()


_NAB_CACHE: dict[str, npt.NDArray[np.float64]] = {}


def _nab_units(name: str) -> npt.NDArray[np.float64]:
    if name not in _NAB_CACHE:
        try:
            _NAB_CACHE[name] = to_demand(load_trace(TRACES / f"{name}.csv"), 1.0, RECORD_BYTES).units
        except TraceError as error:
            raise ValueError(f"family nab: {error}") from error
    return _NAB_CACHE[name]


FAMILIES: Final[Mapping[str, Shape]] = {
    "periodic_bursts": periodic_bursts,
    "diurnal_surge": diurnal_surge,
    "growth_flash": growth_flash,
    "step_change": step_change,
    "outages": outages,
    "noise": noise,
    "nab": nab,
}

ISSUE_SHAPES: Final[Mapping[str, tuple[str, Params]]] = {
    "device_fleet": ("periodic_bursts", {"period": 60, "height": 8.0, "width": 3, "phase": 0, "outages": 3}),
    "shop_sale": (
        "diurnal_surge",
        {"peak_hour": 19.0, "amplitude": 4.0, "weekend": 0.6, "surges": 1, "height": 4.0, "ramp": 20},
    ),
    "growth_flash_crowds": ("growth_flash", {"growth": 3.0, "crowds": 5, "height": 10.0, "rise": 5, "duration": 30}),
}
"""Issue 29's three shapes: a device fleet checking in on the hour (8x for 3 minutes, a few outages), a
shop's diurnal week with one 4x sale ramping in over 20 minutes, organic growth 3x over three weeks with
five 10x flash crowds rising within 5 minutes and lasting 30."""


def family_seed(family: str, seed: int) -> np.random.Generator:
    """The generator of one (family, seed): stable across runs and machines (crc32, not hash())."""
    return np.random.default_rng([zlib.crc32(family.encode()), seed])


def generate(
    family: str,
    seed: int,
    *,
    days: float = DAYS,
    peak_mb_per_s: float = PEAK_MB_PER_S,
    record_bytes: int = RECORD_BYTES,
    params: Params | None = None,
) -> Variant:
    """Variant `seed` of `family`: `days` at one minute, its peak scaled to `peak_mb_per_s`. `params`
    fixes some parameters (the rest are drawn as usual)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES)}")
    if days <= 0 or peak_mb_per_s <= 0:
        raise ValueError(f"days and peak_mb_per_s must be positive, got {days}, {peak_mb_per_s}")
    n = int(days * DAY_MINUTES)
    drawn: Params = dict(params or {})
    load = np.maximum(FAMILIES[family](family_seed(family, seed), n, drawn), 0.0)
    peak = float(load.max())
    if not peak > 0:
        raise ValueError(f"family {family} seed {seed}: the variant carries no traffic")
    peak_units = peak_mb_per_s * MEGABYTE / record_bytes / shard_records_per_s(record_bytes)
    units = load / peak * peak_units
    return Variant(family, seed, drawn, Demand(f"{family}#{seed}", START_MINUTE, units, record_bytes))


def issue_shape(name: str, seed: int = 0, *, days: float = DAYS) -> Variant:
    """One of `ISSUE_SHAPES`, its unnamed parameters drawn from `seed`."""
    family, params = ISSUE_SHAPES[name]
    variant = generate(family, seed, days=days, params=params)
    demand = variant.demand
    return Variant(family, seed, variant.params, Demand(f"{name}#{seed}", demand.start_minute, demand.units, 1024))
