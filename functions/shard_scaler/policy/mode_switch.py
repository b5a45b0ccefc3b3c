"""Rule 9: switching the stream to on-demand and back, and how often an on-demand stream gets a round."""

from __future__ import annotations

import math

from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.guardrails import in_outage, replay_switch
from functions.shard_scaler.policy.limits import MODE_SWITCHES_PER_24H, StreamMode, StreamView
from functions.shard_scaler.policy.model import mean_record_bytes
from functions.shard_scaler.policy.reading import Decision, Reading


def switch_mode(reading: Reading) -> Decision | None:
    """Rule 9: the switch to on-demand or back this round calls for, if any (at most 2 per 24 h, and
    `mode_switch.cooldown_minutes` apart). The capacity the stream needs is the headroom over the
    window's highest minute as measured, not as read through the profile: a profile learned from a day
    or two of a spiky stream misreads the ratio and the look-ahead."""
    config, history, now, latest = reading.config, reading.history, reading.now, reading.latest
    window = config.demand.window_minutes
    highest = max(v for m, v in reading.units.items() if latest - m < window)
    needed = max(highest, config.demand.floor_units) * reading.headroom
    if history.mode_switches_within_24h(now) >= MODE_SWITCHES_PER_24H:
        return None
    last = max(history.mode_switch_minutes, default=None)
    if last is not None and now - last < config.mode_switch.cooldown_minutes:
        return None
    memory = reading.memory
    share = memory.throttled_units / memory.offered_units if memory.offered_units > 0 else 0.0
    if (
        reading.stream.mode == StreamMode.PROVISIONED
        and not reading.throttled
        and _on_demand_serves_better(reading, needed, share)
        and _replay_says_switch(reading)
    ):
        mode = StreamMode.ON_DEMAND
    elif reading.stream.mode == StreamMode.ON_DEMAND and _provisioned_serves_again(reading, needed, share, last):
        mode = StreamMode.PROVISIONED
    else:
        return None
    return reading.switch(mode, f"switch to {mode.value}: needs {needed:.1f} shards, affordable {reading.affordable}")


def _on_demand_serves_better(reading: Reading, needed: float, share: float) -> bool:
    """On-demand when the capacity the stream `needed` (its recent peak times the headroom) is unaffordable
    after a week of watching, or after a day if the service level (realised throttled `share`) is being
    missed too; when provisioned mode has missed the service level with the headroom feedback already at
    its limit (from the second week); or, on the first day, when throttled surges have left the stream
    over twice its cost cap (it cannot scale in before a day of learning, and a stream whose first bursts
    outgrow twice what headroom may cost is one on-demand serves better). The caller never switches while
    a throttled surge is being followed: the switch would hand the surge to on-demand at the current shard
    count, which doubles only after its 15-minute lag, where resharding doubles every few minutes."""
    config, memory = reading.config, reading.memory
    # Until the headroom has been learned for a while, neither its size nor the losses say much; but a
    # stream that misses the service level after its first day while its headroom is unaffordable has
    # shown what it is: waiting the week out only adds the losses of more bursts.
    age = reading.now - memory.first_minute if memory.first_minute >= 0 else -1
    trained = age >= config.slo.half_life_minutes
    # Wide hysteresis: each switch costs a resharding-sized pause and AWS allows only two per 24 h.
    unaffordable = needed > reading.affordable * (1.0 + config.mode_switch.hysteresis)
    missing = share > config.slo.service_level
    missed = trained and missing and memory.headroom_scale >= config.headroom.scale_max
    first_day = 0 <= age < config.headroom.learning_minutes
    proven = (unaffordable and (trained or (age >= config.headroom.learning_minutes and missing))) or (
        first_day and reading.over_cost_cap
    )
    return proven or missed


def _replay_says_switch(reading: Reading) -> bool:
    """The guardrail on the way to on-demand: the window just read, replayed held at the shards the
    trailing peak needs (or the current shards, if more) and on on-demand after a switch now, must show
    on-demand throttling less or costing less, and not worse on both (guardrails.replay_switch). Held at
    the peak's need, provisioned rarely throttles in the replay, so this mostly asks that on-demand be
    the cheaper home for the traffic: the cost goal (never dearer than static peak). The previous peak
    on-demand would remember is the highest minute of the days before the window's; the window's own
    minutes reach it only after its lag. Never during an outage: a silent window makes any mode look
    cheap, and says nothing about the traffic coming back."""
    if not reading.config.guardrails.switch_replay:
        return True
    if in_outage(reading.memory.last_active_minute, reading.now, reading.config):
        return False
    previous = max(reading.memory.daily_peaks[:-1], default=0.0)
    record_bytes = mean_record_bytes(reading.metrics) or reading.config.cost.record_bytes_hint
    # Provisioned's side is the stream held where the rules may take it: the shards now, or, if more,
    # what the trailing peak needs with the minimum headroom (a static allocation for the peak seen).
    # On-demand must beat that, not just the shards of a stream the rules are about to scale out.
    peak = max(max(reading.memory.daily_peaks, default=0.0), max(reading.units.values()))
    held = max(reading.stream.shards, math.ceil(peak * reading.config.headroom.minimum - 1e-9))
    return replay_switch(reading.units, held, previous, record_bytes).on_demand_pays


def _provisioned_serves_again(reading: Reading, needed: float, share: float, last_switch: int | None) -> bool:
    """Back to provisioned after `mode_switch.on_demand_min_minutes` on-demand, when throttling is below
    target, headroom is cheap again and the cost cap covers the peak on-demand still remembers."""
    config = reading.config
    return (
        (last_switch is None or reading.now - last_switch >= config.mode_switch.on_demand_min_minutes)
        and share < config.slo.throttle_target
        and needed * (1.0 + config.mode_switch.hysteresis) < reading.affordable
        and max(reading.memory.daily_peaks, default=0.0) <= reading.affordable * config.mode_switch.return_peak_cover
    )


def round_due(stream: StreamView, last_round_minute: int | None, now: int, config: PolicyConfig | None = None) -> bool:
    """Whether a scheduled round should read the metrics and decide, or stop at the stream's mode.

    Provisioned (or changing) streams decide every minute. An on-demand stream decides once per
    `mode_switch.on_demand_round_minutes`; the minutes in between are read by the next round (the memory takes
    every minute it has not seen yet), and the throttle alarm's rounds are never skipped.
    """
    if stream.mode != StreamMode.ON_DEMAND or last_round_minute is None:
        return True
    return now - last_round_minute >= (config or PolicyConfig()).mode_switch.on_demand_round_minutes
