"""Replay a traffic trace against every shard-scaling policy and compare shard-hours, cost and throttling.

    .venv/bin/python scripts/research/simulate_scaling.py --trace scripts/research/traces/nyc_taxi.csv \
        --peak-mb-per-s 50 --record-bytes 1024 --json
    .venv/bin/python scripts/research/simulate_scaling.py --family periodic_bursts --seeds 100 --jobs 2

With --family, every policy runs on generated variants of a traffic family (research/autoscaling/
traffic_families.py: 21 days, 50 MB/s peak, 1 KiB records) and the median and p90 per family are printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from research.autoscaling import benchmark
from research.autoscaling.benchmark import FAMILY_NAMES
from research.autoscaling.compare import POLICIES, compare
from research.autoscaling.engine import SimulationConfig
from research.autoscaling.frontier import frontier
from research.autoscaling.frontier import to_table as frontier_table
from research.autoscaling.goals import NEEDED as GOAL_POLICIES
from research.autoscaling.goals import check_goals, to_goals_table
from research.autoscaling.report import plot, to_json, to_table
from research.autoscaling.trace import TraceError, from_share, load_trace, to_demand
from research.autoscaling.traffic_families import DAYS, FAMILIES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--trace", type=Path, help="timestamp,value CSV with a 1-60 minute step")
    source.add_argument(
        "--family",
        help=f"benchmark a traffic family: {', '.join(FAMILY_NAMES)}, or 'all' (every family but the issue's shapes)",
    )
    source.add_argument(
        "--family-results",
        type=Path,
        help="print (and --plot-dir) a saved --family --json run again, without rerunning",
    )
    parser.add_argument("--seeds", type=int, default=100, help="variants per family (--family)")
    parser.add_argument("--seed-offset", type=int, default=0, help="first seed (--family); tune on 1000+, report 0+")
    parser.add_argument("--days", type=float, default=DAYS, help="length of each variant in days (--family)")
    parser.add_argument("--jobs", type=int, default=1, help="variants run at once, one core each (--family)")
    parser.add_argument("--plot-dir", type=Path, help="write one PNG per family here (--family)")
    parser.add_argument(
        "--frontier-seeds",
        type=int,
        default=0,
        help="with --family or --family-results: the causal frontier at the service level for this many "
        "variants per family, against ksu's and aws_samples' cost",
    )
    parser.add_argument("--peak-mb-per-s", type=float, default=50.0, help="trace peak after scaling (MB = 10^6 B)")
    parser.add_argument("--record-bytes", type=int, default=1024)
    parser.add_argument("--json", action="store_true", help="print one JSON object keyed by policy")
    parser.add_argument("--policies", default=",".join(POLICIES), help="comma-separated subset")
    parser.add_argument(
        "--from-share",
        type=float,
        default=0.0,
        help="replay from this share of the trace on (0-1); policies start cold there, the peak is the rest's",
    )
    parser.add_argument("--plot", type=Path, help="write a PNG of demand against each policy's capacity")
    parser.add_argument("--plot-days", type=float, default=7.0)
    parser.add_argument("--metric-delay-min", type=int, default=1)
    parser.add_argument("--metric-delay-max", type=int, default=3)
    parser.add_argument("--reshard-minutes", type=int, default=3)
    parser.add_argument("--burst-factor", type=float, default=1.0, help="sub-minute burst peak over the mean")
    parser.add_argument("--burst-seconds", type=float, default=6.0)
    parser.add_argument("--max-shards", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--frontier",
        type=float,
        metavar="THROTTLED",
        help="also print the causal frontier (research/autoscaling/frontier.py) at this throttled share, e.g. 0.001",
    )
    parser.add_argument(
        "--goals",
        action="store_true",
        help="also print issue 5's goals checked for this trace (needs ours, on_demand, ksu, aws_samples)",
    )
    return parser.parse_args(argv)


def run_families(args: argparse.Namespace) -> int:
    """--family: the benchmark's tables (or JSON) for each family asked for."""
    families: list[str] = []
    for name in (f.strip() for f in args.family.split(",") if f.strip()):
        families += list(FAMILIES) if name == "all" else [name]
    unknown = [f for f in families if f not in FAMILY_NAMES]
    if unknown or not families:
        print(f"error: unknown --family {args.family!r}; choose from {', '.join(FAMILY_NAMES)} or all", file=sys.stderr)
        return 2
    if args.seeds < 1 or args.days <= 0 or args.jobs < 1:
        print("error: --seeds and --jobs must be >= 1 and --days > 0", file=sys.stderr)
        return 2
    seeds = range(args.seed_offset, args.seed_offset + args.seeds)
    results, seconds = benchmark.timed_run(families, seeds, args.days, args.jobs)
    print(f"{len(families)} families x {args.seeds} seeds in {seconds:.0f} s ({args.jobs} jobs)", file=sys.stderr)
    return print_families(results, args)


def print_families(results: dict[str, list[benchmark.VariantResult]], args: argparse.Namespace) -> int:
    families = list(results)
    summaries = [benchmark.summarise(family, results[family]) for family in families]
    if args.json:
        print(benchmark.to_json(results))
    else:
        for summary in summaries:
            print(benchmark.to_table(summary) + "\n")
        print(benchmark.to_goals_table(summaries))
    if args.plot_dir:
        for family in families:
            benchmark.plot(family, results[family], args.plot_dir / f"autoscaling-family-{family}.png")
    if args.frontier_seeds > 0:
        gaps = [benchmark.frontier_gap(f, results[f][: args.frontier_seeds], args.days) for f in families]
        table = benchmark.to_frontier_table([g for g in gaps if g is not None])
        print("\n" + table, file=sys.stderr if args.json else sys.stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.family is not None:
        return run_families(args)
    if args.family_results is not None:
        try:
            saved = benchmark.from_json(args.family_results.read_bytes())
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"error: --family-results {args.family_results}: {error}", file=sys.stderr)
            return 2
        return print_families(saved, args)
    policies = tuple(p.strip() for p in args.policies.split(",") if p.strip())
    unknown = sorted(set(policies) - set(POLICIES))
    if unknown:
        print(f"error: unknown policies {unknown}; choose from {', '.join(POLICIES)}", file=sys.stderr)
        return 2
    if args.goals and not set(GOAL_POLICIES) <= set(policies):
        print(f"error: --goals needs --policies to include {', '.join(GOAL_POLICIES)}", file=sys.stderr)
        return 2
    try:
        config = SimulationConfig(
            metric_delay_min=args.metric_delay_min,
            metric_delay_max=args.metric_delay_max,
            reshard_minutes=args.reshard_minutes,
            burst_factor=args.burst_factor,
            burst_seconds=args.burst_seconds,
            max_shards=args.max_shards,
            seed=args.seed,
        )
        trace = load_trace(args.trace)
        for note in trace.notes:
            print(f"warning: {note}", file=sys.stderr)
        demand = to_demand(from_share(trace, args.from_share), args.peak_mb_per_s, args.record_bytes)
        if args.frontier is not None and not 0.0 <= args.frontier < 1.0:
            raise ValueError(f"--frontier must be a share in [0, 1), got {args.frontier}")
    except (TraceError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    results, outcomes = compare(demand, config, policies)
    if args.json:
        print(to_json(results))
    else:
        print(to_table(results, f"{demand.name} at {args.peak_mb_per_s:g} MB/s peak, {args.record_bytes} B records"))
    if args.frontier is not None:
        oracle, on_demand = results.get("oracle"), results.get("on_demand")
        points = frontier(demand, args.frontier, lag_minutes=args.metric_delay_max + args.reshard_minutes)
        table = frontier_table(
            points, oracle.shard_hours if oracle else None, on_demand.cost_usd if on_demand else None, args.frontier
        )
        print("\n" + table, file=sys.stderr if args.json else sys.stdout)  # --json keeps stdout one object
    if args.goals:
        table = to_goals_table([check_goals(demand.name, results)])
        print("\n" + table, file=sys.stderr if args.json else sys.stdout)
    if args.plot:
        plot(demand, outcomes, args.plot, args.plot_days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
