"""Print the comparison as JSON or a table, and plot demand against each policy's capacity."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from research.autoscaling.compare import PolicyResult
from research.autoscaling.engine import Outcome
from research.autoscaling.trace import Demand


def to_json(results: dict[str, PolicyResult]) -> str:
    payload = {name: result.to_json(include_mode_switches=name == "ours") for name, result in results.items()}
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


def percent(fraction: float) -> str:
    """A share as a percentage: four decimals, or two significant digits below 0.01%, so that two small
    shares that differ (0.00017% and 0.00024%) do not print alike."""
    value = 100.0 * fraction
    if value <= 0.0 or value >= 0.01:
        return f"{value:.4f}%"
    return f"{value:.{1 - math.floor(math.log10(value))}f}%"


def to_table(results: dict[str, PolicyResult], title: str) -> str:
    oracle = results.get("oracle")
    lines = [
        f"### {title}",
        "",
        "| policy | shard-hours | x oracle | cost USD | throttled | max ops/24 h | mode switches | runtime s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        ratio = f"{r.shard_hours / oracle.shard_hours:.2f}" if oracle and oracle.shard_hours and r.shard_hours else "-"
        switches = str(r.mode_switches) if name == "ours" else "-"
        lines.append(
            f"| {name} | {r.shard_hours:,.0f} | {ratio} | {r.cost_usd:,.2f} | {percent(r.throttled_fraction)} "
            f"| {r.max_ops_24h} | {switches} | {r.seconds:.1f} |"
        )
    ours = results.get("ours")
    if ours is not None and ours.scaler_cost_usd is not None:
        lines += ["", f"ours' cost includes {ours.scaler_cost_usd:,.2f} USD for running the scaler itself."]
    return "\n".join(lines)


def new_figure(width: float, height: float) -> tuple[Any, Any]:
    """A figure and its axes on matplotlib's file-only backend (imported here: only plotting needs it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), dpi=100)


def save_figure(figure: Any, path: Path) -> None:
    """Lay out, write the PNG (making its folder) and free the figure."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def plot(demand: Demand, outcomes: dict[str, Outcome], path: Path, days: float | None = 7.0) -> None:
    """Demand and capacity (in shards) over the first `days` days; small PNG (900x400 at dpi 100)."""
    end = demand.units.size if days is None else min(demand.units.size, int(days * 1440))
    hours = np.arange(end) / 60.0
    figure, axis = new_figure(9, 4)
    axis.fill_between(hours, demand.units[:end], color="0.8", label="demand", step="post")
    for name, outcome in outcomes.items():
        if name in ("static_peak", "ideal"):
            continue
        axis.plot(hours, outcome.capacity_units[:end], linewidth=0.9, label=name, drawstyle="steps-post")
    axis.set_xlabel("hours from trace start")
    axis.set_ylabel("write capacity (shards)")
    axis.set_title(f"{demand.name}: demand and capacity")
    axis.legend(loc="upper right", fontsize=7, ncol=3)
    save_figure(figure, path)
