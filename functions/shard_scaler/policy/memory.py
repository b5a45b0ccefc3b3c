"""What the policy carries from one round to the next, and its JSON for the Lambda's state item."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import msgspec

from functions.shard_scaler.policy.model import GROWTH_BIN_COUNT


@dataclass(frozen=True, slots=True)
class PolicyMemory:
    """What the policy carries between calls (persisted by the Lambda, kept in memory by the simulator).

    Stored as JSON by field name; a field a document lacks (stored by an older version) starts at its
    default, and a field it has that this version does not know is ignored.
    """

    last_minute: int = -1
    """The latest minute learned from (minutes since the epoch); -1 before the first."""
    first_minute: int = -1
    """The first minute learned from: the stream's age is counted from it."""
    growth_weights: tuple[float, ...] = field(default_factory=lambda: (0.0,) * GROWTH_BIN_COUNT)
    """The growth histogram: decaying demand volume per bin of growth over the level (model.growth_bin)."""
    last_decay_minute: int = -1
    """When the histogram was last decayed (it is decayed at most hourly)."""
    mean_units: float = 0.0
    """Decaying mean demand, in shards' worth: what the cost cap is priced on."""
    offered_units: float = 0.0
    throttled_units: float = 0.0
    """Decaying sums of demand offered and throttled: their ratio is the realised throttled share."""
    headroom_scale: float = 1.0
    """Multiplies the learned headroom's excess over 1; steered by realised throttling."""
    profile: tuple[float, ...] = ()
    """Mean demand per time-of-day slot, learned day over day."""
    weekly_profile: tuple[float, ...] = ()
    """Mean demand per time-of-week slot, learned week over week (weekends and weekdays differ)."""
    daily_error: float = 0.0
    weekly_error: float = 0.0
    """Decaying sums of how far each profile missed each closed slot both had a value for (from the second
    week on): the weekly one is used when it wins."""
    paired_slots_scored: int = 0
    """How many slots those two sums have scored: their weight, when read as a mean miss."""
    profile_error: float = 0.0
    """The same for the daily profile alone, on every closed slot it had a value for (from its second day
    on): how well it forecasts while the weekly one is not in use, a week before the two can be compared."""
    profile_slots_scored: int = 0
    """How many slots `profile_error` has scored."""
    slot: int = -1
    slot_sum: float = 0.0
    slot_count: int = 0
    """The profile slot being filled (slots since the epoch), and the sum and count of its minutes so far."""
    daily_peaks: tuple[float, ...] = ()
    """Highest minute of demand on each of the last `mode_switch.peak_days` days (oldest first), the last
    being `peak_day`."""
    peak_day: int = -1
    last_active_minute: int = -1
    """The latest minute with any demand: while the stream is silent (an outage) it is the outage's start."""

    def to_json(self) -> bytes:
        """The memory as the Lambda stores it: the histogram and the profiles rounded, as their last
        digits are noise that would only grow the state item."""
        stored = replace(
            self,
            growth_weights=tuple(round(w, 6) for w in self.growth_weights),
            profile=tuple(round(v, 5) for v in self.profile),
            weekly_profile=tuple(round(v, 5) for v in self.weekly_profile),
            daily_peaks=tuple(round(v, 5) for v in self.daily_peaks),
        )
        return _ENCODER.encode(stored)

    @classmethod
    def from_json(cls, document: bytes | str) -> PolicyMemory:
        """The memory `to_json` (of this version or an older one) stored; a histogram of another bin count
        starts empty."""
        memory = _DECODER.decode(document)
        if len(memory.growth_weights) != GROWTH_BIN_COUNT:
            return replace(memory, growth_weights=(0.0,) * GROWTH_BIN_COUNT)
        return memory


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(PolicyMemory, strict=False)
"""Not strict: a count stored as "3" or 3.0 reads as 3, as the field-by-field reader before it allowed."""
