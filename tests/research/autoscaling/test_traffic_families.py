"""Each traffic family has the property that defines it, and a variant is a function of (family, seed).

A property is checked against the same variant with that feature taken out: passing every drawn
parameter back, with the feature's parameter neutral, gives the identical rest of the trace (same
draws), so the ratio of the two is the feature alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from functions.shard_scaler.policy import DAY_MINUTES
from research.autoscaling import traffic_families as tf

SEEDS = range(6)


def ratio(variant: tf.Variant, without: tf.Variant) -> np.ndarray:
    """The variant's load over the same variant without its feature, normalised to 1 where unaffected."""
    with np.errstate(invalid="ignore"):  # 0 / 0 in outages
        return variant.demand.units / without.demand.units


@pytest.mark.parametrize("family", list(tf.FAMILIES))
def test_a_variant_is_the_same_for_the_same_family_and_seed(family: str) -> None:
    first, again = tf.generate(family, 3, days=3), tf.generate(family, 3, days=3)
    assert first.params == again.params
    assert np.array_equal(first.demand.units, again.demand.units)
    if family != "nab":  # a 3-day nab stretch of a trace can coincide; the synthetic ones never do
        assert not np.array_equal(first.demand.units, tf.generate(family, 4, days=3).demand.units)


@pytest.mark.parametrize("family", list(tf.FAMILIES))
def test_every_variant_peaks_at_50_mb_per_s_of_1_kib_records_over_21_days(family: str) -> None:
    variant = tf.generate(family, 0)
    units = variant.demand.units
    # 50 MB/s of 1,024 B records is 48,828 records/s: 48.83 shards' worth at 1,000 records/s a shard.
    assert units.max() == pytest.approx(50e6 / 1024 / 1000)
    assert units.min() >= 0.0
    expected = (
        21 * DAY_MINUTES if family != "nab" or variant.params["trace"] in ("nyc_taxi", "Twitter_volume_AMZN") else None
    )
    if expected is not None:
        assert units.size == expected
    assert variant.demand.record_bytes == 1024


def test_families_and_seeds_draw_from_separate_streams() -> None:
    assert not np.array_equal(tf.generate("outages", 0).demand.units, tf.generate("step_change", 0).demand.units)


@pytest.mark.parametrize("seed", SEEDS)
def test_periodic_bursts_come_at_the_period_at_their_height(seed: int) -> None:
    variant = tf.generate("periodic_bursts", seed)
    flat = tf.generate("periodic_bursts", seed, params={**variant.params, "height": 1.0})
    period, width, phase = (int(variant.number(k)) for k in ("period", "width", "phase"))
    height = variant.number("height")
    assert 2.0 <= height <= 20.0 and 1 <= width <= 10 and period in (15, 30, 60, 120, 240)
    r = ratio(variant, flat)
    live = np.isfinite(r)
    t = np.arange(r.size)
    in_burst = ((t - phase) % period) < width
    scale = np.median(r[live & ~in_burst])
    assert np.allclose(r[live & in_burst] / scale, height)
    assert np.allclose(r[live & ~in_burst] / scale, 1.0)


@pytest.mark.parametrize("family", ["periodic_bursts", "outages"])
@pytest.mark.parametrize("seed", SEEDS)
def test_outages_are_zero_traffic_and_only_they_are(family: str, seed: int) -> None:
    variant = tf.generate(family, seed)
    units = variant.demand.units
    windows = tf.outage_pairs(variant.minutes("outage_windows"))
    down = np.zeros(units.size, dtype=bool)
    for start, end in windows:
        assert 5 <= end - start <= 8 * 60
        down[start:end] = True
    assert np.all(units[down] == 0.0)
    assert np.all(units[~down] > 0.0)


def test_the_outages_family_has_outages_and_the_backlog_comes_back() -> None:
    variant = tf.generate("outages", 1)
    windows = tf.outage_pairs(variant.minutes("outage_windows"))
    assert len(windows) >= 2
    calm = tf.generate("outages", 1, params={**variant.params, "catch_up": 1.0, "outage_windows": []})
    r = ratio(variant, calm)
    _, end = windows[-1]
    assert r[end] / np.median(r[r > 0]) == pytest.approx(variant.number("catch_up"))


@pytest.mark.parametrize("seed", SEEDS)
def test_planned_surges_ramp_in_to_their_height(seed: int) -> None:
    variant = tf.generate("diurnal_surge", seed)
    plain = tf.generate("diurnal_surge", seed, params={**variant.params, "surge_starts": []})
    height, ramp = variant.number("height"), int(variant.number("ramp"))
    r = ratio(variant, plain)
    scale = np.median(r)
    for start in variant.minutes("surge_starts"):
        assert r[start - 1] / scale == pytest.approx(1.0)
        assert 1.0 < r[start + ramp // 2] / scale < height
        assert r[start + ramp] / scale == pytest.approx(height, rel=0.01)


def test_the_diurnal_family_has_quieter_or_busier_weekends_and_a_daily_peak() -> None:
    variant = tf.generate("diurnal_surge", 2)
    plain = tf.generate("diurnal_surge", 2, params={**variant.params, "surge_starts": []}).demand.units
    weekend = variant.number("weekend")
    days = plain[: 14 * DAY_MINUTES].reshape(14, DAY_MINUTES)
    assert days[5].mean() / days[4].mean() == pytest.approx(weekend, rel=0.15)  # Saturday over Friday
    peak_hour = float(np.median(days.argmax(axis=1))) / 60.0
    assert abs(peak_hour - variant.number("peak_hour")) < 1.5


@pytest.mark.parametrize("seed", SEEDS)
def test_growth_reaches_its_ratio_and_flash_crowds_their_height(seed: int) -> None:
    variant = tf.generate("growth_flash", seed)
    growth, height = variant.number("growth"), variant.number("height")
    rise, duration = int(variant.number("rise")), int(variant.number("duration"))
    assert 1 / 3 <= growth <= 3.0
    calm = tf.generate("growth_flash", seed, params={**variant.params, "crowd_starts": []})
    flat = tf.generate("growth_flash", seed, params={**variant.params, "crowd_starts": [], "growth": 1.0})
    trend = ratio(calm, flat)
    assert trend[-1] / trend[0] == pytest.approx(growth, rel=0.001)
    crowds = ratio(variant, calm)
    scale = np.median(crowds)
    for start in variant.minutes("crowd_starts"):
        assert crowds[start - 1] / scale == pytest.approx(1.0)
        assert crowds[start + rise - 1] / scale == pytest.approx(height)
        assert crowds[start + rise + duration - 1] / scale == pytest.approx(height)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_step_change_multiplies_the_traffic_from_its_minute_on(seed: int) -> None:
    variant = tf.generate("step_change", seed)
    factors = variant.numbers("factors")
    starts = variant.minutes("step_starts")
    unstepped = tf.generate("step_change", seed, params={**variant.params, "factors": [1.0] * len(factors)})
    r = ratio(variant, unstepped)
    r /= r[0]
    level = 1.0
    for start, factor in zip(starts, factors, strict=True):
        assert r[start - 1] == pytest.approx(level)
        level *= factor
        assert r[start] == pytest.approx(level)
    assert any(f >= 1.5 for f in factors) or any(f <= 0.7 for f in factors)


def test_the_noise_family_is_noisy() -> None:
    units = tf.generate("noise", 0).demand.units
    sigma = tf.generate("noise", 0).number("sigma")
    wiggle = np.std(np.log(units[1:] / units[:-1]))
    assert 0.1 <= sigma <= 0.6 and wiggle > 0.01


@pytest.mark.parametrize("seed", range(8))
def test_nab_variants_are_stretches_of_the_vendored_traces(seed: int) -> None:
    variant = tf.generate("nab", seed)
    whole = tf.to_demand(tf.load_trace(tf.TRACES / f"{variant.params['trace']}.csv"), 1.0, 1024).units
    offset = int(variant.number("offset"))
    stretch = whole[offset : offset + variant.demand.units.size]
    assert np.allclose(variant.demand.units / variant.demand.units.max(), stretch / stretch.max())


def test_the_issue_shapes_are_members_of_their_families() -> None:
    fleet = tf.issue_shape("device_fleet")
    assert (fleet.family, fleet.params["period"], fleet.params["height"], fleet.params["width"]) == (
        "periodic_bursts",
        60,
        8.0,
        3,
    )
    assert len(tf.outage_pairs(fleet.minutes("outage_windows"))) == 3
    shop = tf.issue_shape("shop_sale")
    assert (shop.params["height"], shop.params["ramp"], len(shop.minutes("surge_starts"))) == (4.0, 20, 1)
    crowds = tf.issue_shape("growth_flash_crowds")
    assert (crowds.params["growth"], crowds.params["height"], crowds.params["rise"], crowds.params["duration"]) == (
        3.0,
        10.0,
        5,
        30,
    )
    assert len(crowds.minutes("crowd_starts")) == 5


def test_an_unknown_family_is_an_error_naming_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown family 'bursty'.*periodic_bursts"):
        tf.generate("bursty", 0)
