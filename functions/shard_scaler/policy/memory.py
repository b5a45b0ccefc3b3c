"""What the policy carries from one round to the next, and its JSON for the Lambda's state item."""

from __future__ import annotations

from dataclasses import dataclass, field

from functions.shard_scaler.policy.model import GROWTH_BIN_COUNT


@dataclass(frozen=True, slots=True)
class PolicyMemory:
    """What the policy carries between calls (persisted by the Lambda, kept in memory by the simulator)."""

    last_minute: int = -1
    first_minute: int = -1
    growth_weights: tuple[float, ...] = field(default_factory=lambda: (0.0,) * GROWTH_BIN_COUNT)
    last_decay_minute: int = -1
    mean_units: float = 0.0
    offered_units: float = 0.0
    throttled_units: float = 0.0
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
    slot: int = -1
    slot_sum: float = 0.0
    slot_count: int = 0
    daily_peaks: tuple[float, ...] = ()
    """Highest minute of demand on each of the last `peak_days` days (oldest first), the last being `peak_day`."""
    peak_day: int = -1

    def to_json_dict(self) -> dict[str, object]:
        return {
            "last_minute": self.last_minute,
            "first_minute": self.first_minute,
            "growth_weights": [round(w, 6) for w in self.growth_weights],
            "last_decay_minute": self.last_decay_minute,
            "mean_units": self.mean_units,
            "offered_units": self.offered_units,
            "throttled_units": self.throttled_units,
            "headroom_scale": self.headroom_scale,
            "profile": [round(v, 5) for v in self.profile],
            "weekly_profile": [round(v, 5) for v in self.weekly_profile],
            "daily_error": self.daily_error,
            "weekly_error": self.weekly_error,
            "paired_slots_scored": self.paired_slots_scored,
            "profile_error": self.profile_error,
            "profile_slots_scored": self.profile_slots_scored,
            "slot": self.slot,
            "slot_sum": self.slot_sum,
            "slot_count": self.slot_count,
            "daily_peaks": [round(v, 5) for v in self.daily_peaks],
            "peak_day": self.peak_day,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, object]) -> PolicyMemory:
        weights = tuple(float(w) for w in data.get("growth_weights", ()))  # type: ignore[attr-defined]
        if len(weights) != GROWTH_BIN_COUNT:
            weights = (0.0,) * GROWTH_BIN_COUNT
        return cls(
            last_minute=int(data.get("last_minute", -1)),  # type: ignore[call-overload]
            first_minute=int(data.get("first_minute", -1)),  # type: ignore[call-overload]
            growth_weights=weights,
            last_decay_minute=int(data.get("last_decay_minute", -1)),  # type: ignore[call-overload]
            mean_units=float(data.get("mean_units", 0.0)),  # type: ignore[arg-type]
            offered_units=float(data.get("offered_units", 0.0)),  # type: ignore[arg-type]
            throttled_units=float(data.get("throttled_units", 0.0)),  # type: ignore[arg-type]
            headroom_scale=float(data.get("headroom_scale", 1.0)),  # type: ignore[arg-type]
            profile=tuple(float(v) for v in data.get("profile", ())),  # type: ignore[attr-defined]
            weekly_profile=tuple(float(v) for v in data.get("weekly_profile", ())),  # type: ignore[attr-defined]
            daily_error=float(data.get("daily_error", 0.0)),  # type: ignore[arg-type]
            weekly_error=float(data.get("weekly_error", 0.0)),  # type: ignore[arg-type]
            paired_slots_scored=int(data.get("paired_slots_scored", 0)),  # type: ignore[call-overload]
            profile_error=float(data.get("profile_error", 0.0)),  # type: ignore[arg-type]
            profile_slots_scored=int(data.get("profile_slots_scored", 0)),  # type: ignore[call-overload]
            slot=int(data.get("slot", -1)),  # type: ignore[call-overload]
            slot_sum=float(data.get("slot_sum", 0.0)),  # type: ignore[arg-type]
            slot_count=int(data.get("slot_count", 0)),  # type: ignore[call-overload]
            daily_peaks=tuple(float(v) for v in data.get("daily_peaks", ())),  # type: ignore[attr-defined]
            peak_day=int(data.get("peak_day", -1)),  # type: ignore[call-overload]
        )
