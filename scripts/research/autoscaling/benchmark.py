"""The family benchmark (issue 29): every policy on many seeded variants per traffic family, and the
median and p90 of what matters, so the policy is judged on families of shapes rather than a few traces.

Per family and policy: cost over the oracle's, and the throttled share; per other policy, ours' cost
over its cost and ours' throttled share minus its share (percentage points). The goals are read on
each family's p90 (`check_family_goals`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from functions.shard_scaler.policy import PolicyConfig
from research.autoscaling.compare import compare
from research.autoscaling.engine import SimulationConfig
from research.autoscaling.report import new_figure, percent, save_figure
from research.autoscaling.traffic_families import DAYS, FAMILIES, ISSUE_SHAPES, Variant, generate, issue_shape

POLICIES = ("ours", "ksu", "aws_samples", "static_peak", "on_demand", "oracle")
OTHERS = tuple(p for p in POLICIES if p != "ours")
ANCHORS = ("ksu", "aws_samples")
FAMILY_NAMES = (*FAMILIES, *ISSUE_SHAPES)
"""Every family, then issue 29's three shapes (each a family of its own: its fixed parameters, the rest drawn)."""


@dataclass(frozen=True)
class Run:
    """One policy on one variant."""

    cost_usd: float
    throttled: float
    shard_hours: float
    on_demand_hours: float


@dataclass(frozen=True)
class VariantResult:
    family: str
    seed: int
    runs: dict[str, Run]

    def cost_over_oracle(self, policy: str) -> float:
        return self.runs[policy].cost_usd / self.runs["oracle"].cost_usd


def variant_of(family: str, seed: int, days: float) -> Variant:
    if family in ISSUE_SHAPES:
        return issue_shape(family, seed, days=days)
    return generate(family, seed, days=days)


def run_variant(task: tuple[str, int, float]) -> VariantResult:
    """Every policy on variant `seed` of `family` (the simulator's default model, seed 7 for its delays)."""
    family, seed, days = task
    results, _ = compare(variant_of(family, seed, days).demand, SimulationConfig(), POLICIES)
    runs = {
        name: Run(r.cost_usd, r.throttled_fraction, r.shard_hours, r.on_demand_hours) for name, r in results.items()
    }
    return VariantResult(family, seed, runs)


def run_benchmark(
    families: Sequence[str],
    seeds: Iterable[int],
    *,
    days: float = DAYS,
    jobs: int = 1,
    progress: Callable[[VariantResult], None] | None = None,
) -> dict[str, list[VariantResult]]:
    """Each family's variants, in seed order; `jobs` processes at once (each takes one core)."""
    unknown = [f for f in families if f not in FAMILY_NAMES]
    if unknown:
        raise ValueError(f"unknown families {unknown}; choose from {', '.join(FAMILY_NAMES)}")
    tasks = [(family, seed, days) for family in families for seed in seeds]
    out: dict[str, list[VariantResult]] = {family: [] for family in families}
    if jobs <= 1:
        done: Iterable[VariantResult] = map(run_variant, tasks)
        for result in done:
            out[result.family].append(result)
            if progress:
                progress(result)
        return out
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(run_variant, tasks, chunksize=1):
            out[result.family].append(result)
            if progress:
                progress(result)
    return out


@dataclass(frozen=True)
class Spread:
    median: float
    p90: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        array = np.asarray(values, dtype=np.float64)
        return cls(float(np.quantile(array, 0.5)), float(np.quantile(array, 0.9)))


@dataclass(frozen=True)
class FamilySummary:
    family: str
    seeds: int
    cost_over_oracle: dict[str, Spread]
    throttled: dict[str, Spread]
    ours_cost_over: dict[str, Spread]
    """Ours' cost over each other policy's, per variant."""
    ours_throttled_minus: dict[str, Spread]
    """Ours' throttled share minus each other policy's, per variant (a share, not points)."""
    ours_cost_over_cheaper_simple: Spread
    """Ours' cost over the cheaper of static_peak and on_demand, per variant."""


def summarise(family: str, results: Sequence[VariantResult]) -> FamilySummary:
    if not results:
        raise ValueError(f"family {family}: no variants to summarise")
    return FamilySummary(
        family=family,
        seeds=len(results),
        cost_over_oracle={p: Spread.of([r.cost_over_oracle(p) for r in results]) for p in POLICIES},
        throttled={p: Spread.of([r.runs[p].throttled for r in results]) for p in POLICIES},
        ours_cost_over={p: Spread.of([r.runs["ours"].cost_usd / r.runs[p].cost_usd for r in results]) for p in OTHERS},
        ours_throttled_minus={
            p: Spread.of([r.runs["ours"].throttled - r.runs[p].throttled for r in results]) for p in OTHERS
        },
        ours_cost_over_cheaper_simple=Spread.of(
            [
                r.runs["ours"].cost_usd / min(r.runs["static_peak"].cost_usd, r.runs["on_demand"].cost_usd)
                for r in results
            ]
        ),
    )


@dataclass(frozen=True)
class FamilyGoals:
    """Issue 29's goals on a family's p90."""

    family: str
    service_level: bool
    """p90 of ours' throttled share <= max(0.1%, p90 of on-demand's)."""
    cost: bool
    """p90 of ours' cost over the cheaper of static peak and on-demand <= 1."""
    anchors: dict[str, bool]
    """Per anchor: cheaper at no more throttling, or throttles less at no more cost (p90 of the per-variant
    cost ratio <= 1 and of the throttle difference <= 0, one of them strictly)."""

    @property
    def met(self) -> bool:
        return self.service_level and self.cost and all(self.anchors.values())


def check_family_goals(summary: FamilySummary, service_level: float | None = None) -> FamilyGoals:
    level = PolicyConfig().slo.service_level if service_level is None else service_level

    def dominates(anchor: str) -> bool:
        cost, throttle = summary.ours_cost_over[anchor].p90, summary.ours_throttled_minus[anchor].p90
        return (cost < 1.0 and throttle <= 0.0) or (throttle < 0.0 and cost <= 1.0)

    return FamilyGoals(
        family=summary.family,
        service_level=summary.throttled["ours"].p90 <= max(level, summary.throttled["on_demand"].p90),
        cost=summary.ours_cost_over_cheaper_simple.p90 <= 1.0,
        anchors={anchor: dominates(anchor) for anchor in ANCHORS},
    )


def _mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def points(share: float) -> str:
    """A throttled-share difference, in percentage points with a sign."""
    sign = "+" if share > 0 else ("−" if share < 0 else "±")
    return f"{sign}{percent(abs(share)).removesuffix('%')} pp"


def to_table(summary: FamilySummary) -> str:
    """One family's table: per policy its spread, and ours against it."""
    lines = [
        f"#### {summary.family} ({summary.seeds} variants)",
        "",
        "| policy | cost × oracle, median | p90 | throttled, median | p90 | ours' cost × it, median | p90 "
        "| ours' throttled − its, median | p90 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in POLICIES:
        c, t = summary.cost_over_oracle[p], summary.throttled[p]
        row = f"| {p} | {c.median:.2f} | {c.p90:.2f} | {percent(t.median)} | {percent(t.p90)} "
        if p == "ours":
            row += "| - | - | - | - |"
        else:
            oc, ot = summary.ours_cost_over[p], summary.ours_throttled_minus[p]
            row += f"| {oc.median:.3f} | {oc.p90:.3f} | {points(ot.median)} | {points(ot.p90)} |"
        lines.append(row)
    return "\n".join(lines)


def to_goals_table(summaries: Sequence[FamilySummary]) -> str:
    lines = [
        "| family | ours' throttled p90 | on-demand's p90 | service level | ours' cost × cheaper of static peak "
        "and on-demand, p90 | ≤ 1 | beats ksu | beats aws_samples |",
        "|---|---:|---:|---|---:|---|---|---|",
    ]
    for s in summaries:
        goals = check_family_goals(s)
        lines.append(
            f"| {s.family} | {percent(s.throttled['ours'].p90)} | {percent(s.throttled['on_demand'].p90)} "
            f"| {_mark(goals.service_level)} | {s.ours_cost_over_cheaper_simple.p90:.3f} | {_mark(goals.cost)} "
            f"| {_mark(goals.anchors['ksu'])} | {_mark(goals.anchors['aws_samples'])} |"
        )
    return "\n".join(lines)


def to_json(results: Mapping[str, Sequence[VariantResult]]) -> str:
    """Per family: the summary (median and p90 of each figure), the goals, and every variant's runs."""
    payload = {}
    for family, variants in results.items():
        summary = summarise(family, variants)
        goals = check_family_goals(summary)
        payload[family] = {
            "summary": summary,
            "goals": {**goals.__dict__, "met": goals.met},
            "variants": variants,
        }
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


@dataclass(frozen=True)
class FrontierGap:
    """Where the anchor goal meets the service level, on one family's first variants: the cheapest
    causal-frontier candidate (research/autoscaling/frontier.py: a trailing level x a hindsight headroom,
    resized every minute without call limits) at the service level, over each anchor's cost. Above 1,
    no policy of that family both meets the service level and costs no more than the anchor."""

    family: str
    variants: int
    frontier_over_oracle: Spread
    frontier_over_anchor: dict[str, Spread]


def frontier_gap(
    family: str, variants: Sequence[VariantResult], days: float, service_level: float | None = None
) -> FrontierGap | None:
    """The frontier at max(service level, on-demand's throttled share) for each of `variants`."""
    from research.autoscaling.frontier import frontier

    level = PolicyConfig().slo.service_level if service_level is None else service_level
    best: list[tuple[VariantResult, float]] = []
    for result in variants:
        target = max(level, result.runs["on_demand"].throttled)
        points = frontier(variant_of(family, result.seed, days).demand, target)
        if points:
            best.append((result, min(p.cost_usd for p in points)))
    if not best:
        return None
    return FrontierGap(
        family,
        len(best),
        Spread.of([cost / r.runs["oracle"].cost_usd for r, cost in best]),
        {a: Spread.of([cost / r.runs[a].cost_usd for r, cost in best]) for a in ANCHORS},
    )


def to_frontier_table(gaps: Sequence[FrontierGap]) -> str:
    lines = [
        "| family | variants | frontier cost × oracle, median | p90 | frontier × ksu's cost, median | p90 "
        "| frontier × aws_samples' cost, median | p90 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in gaps:
        k, a = g.frontier_over_anchor["ksu"], g.frontier_over_anchor["aws_samples"]
        lines.append(
            f"| {g.family} | {g.variants} | {g.frontier_over_oracle.median:.2f} | {g.frontier_over_oracle.p90:.2f} "
            f"| {k.median:.2f} | {k.p90:.2f} | {a.median:.2f} | {a.p90:.2f} |"
        )
    return "\n".join(lines)


def from_json(text: str | bytes) -> dict[str, list[VariantResult]]:
    """The variants `to_json` wrote, to print or plot a saved run again without rerunning it."""
    payload = orjson.loads(text)
    return {
        family: [
            VariantResult(v["family"], v["seed"], {name: Run(**run) for name, run in v["runs"].items()})
            for v in data["variants"]
        ]
        for family, data in payload.items()
    }


def plot(family: str, variants: Sequence[VariantResult], path: Path) -> None:
    """Each variant as a point per policy: cost over the oracle's against the throttled share."""
    figure, axis = new_figure(7, 4)
    for policy in POLICIES:
        if policy == "oracle":
            continue
        costs = [v.cost_over_oracle(policy) for v in variants]
        throttled = [max(100.0 * v.runs[policy].throttled, 1e-5) for v in variants]
        axis.scatter(costs, throttled, s=9, alpha=0.6, label=policy)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.axhline(0.1, color="0.5", linewidth=0.7, linestyle="--")
    axis.set_xlabel("cost × oracle")
    axis.set_ylabel("throttled % (1e-5 = none)")
    axis.set_title(f"{family}: {len(variants)} variants, each policy")
    axis.legend(loc="upper right", fontsize=7, ncol=2)
    save_figure(figure, path)


def timed_run(
    families: Sequence[str], seeds: Iterable[int], days: float, jobs: int
) -> tuple[dict[str, list[VariantResult]], float]:
    started = time.perf_counter()
    results = run_benchmark(families, list(seeds), days=days, jobs=jobs)
    return results, time.perf_counter() - started
