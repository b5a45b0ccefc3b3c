"""Scale benchmark: build generated stacks under mocks and print resources, time and peak memory.

Each size runs in its own process so peak RSS is that size's own. Growth is linear when the per-resource
time and memory stay flat from 20 to 200 tenants.

    .venv/bin/python scripts/research/benchmarks/scale.py            # 20 and 200 tenants x 2 streams
    .venv/bin/python scripts/research/benchmarks/scale.py 20 100 200
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any


def scale_config(tenants: int) -> dict[str, Any]:
    """`tenants` tenants, each with one autoscaled provisioned stream and one on-demand stream."""
    return {
        "aws:region": "us-east-1",
        "streaming-platform:tenants": {
            f"tenant{index:03d}": {
                "streams": {
                    "clicks": {"mode": "provisioned", "shards": 2, "autoscaling": {"min": 1, "max": 16}},
                    "orders": {"mode": "on_demand"},
                }
            }
            for index in range(tenants)
        },
    }


def measure(tenants: int) -> dict[str, float]:
    """Build once in this process and report what it cost."""
    from infra.mock_runtime import run_program

    started = time.perf_counter()
    run = run_program("scale", config=scale_config(tenants))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "tenants": tenants,
        "resources": sum(1 for r in run.resources if r.custom),
        "seconds": seconds,
        "peak_mb": peak_mb,
    }


def main(sizes: list[int]) -> None:
    rows = []
    for size in sizes:
        result = subprocess.run(
            [sys.executable, __file__, "--measure", str(size)], check=True, capture_output=True, text=True
        )
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    print(f"{'tenants':>8} {'resources':>10} {'seconds':>9} {'peak MB':>9} {'ms/resource':>12} {'KB/resource':>12}")
    for row in rows:
        print(
            f"{row['tenants']:>8} {row['resources']:>10} {row['seconds']:>9.1f} {row['peak_mb']:>9.0f} "
            f"{1000 * row['seconds'] / row['resources']:>12.2f} {1024 * row['peak_mb'] / row['resources']:>12.1f}"
        )
    first, last = rows[0], rows[-1]
    time_ratio = (last["seconds"] / last["resources"]) / (first["seconds"] / first["resources"])
    print(f"time per resource, {last['tenants']} vs {first['tenants']} tenants: {time_ratio:.2f}x (1.0 = linear)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main([int(arg) for arg in sys.argv[1:]] or [20, 200])
