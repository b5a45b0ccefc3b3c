"""Producer throughput per core and PUT payload-unit packing, KPL-aggregated against unaggregated.

Each variant builds envelope events (`EventFactory`), draws partition keys, and sends them through
`KinesisProducer` (chunking, aggregation, retry bookkeeping) to an in-memory fake Kinesis client, so
the figure is our CPU per record, not the network. Goal (docs/load-testing.md): aggregated packing
>= 90% of the 25 KB PUT payload unit with 1 KB records (>= 22 records per unit).

Times are process CPU time (not wall clock), so other processes on a shared machine do not distort
them; the variants take turns within each repeat and the median repeat is reported.

Run: .venv/bin/python scripts/research/benchmarks/producer.py [--records 50000] [--repeats 5] [--record-bytes 1024]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from dataclasses import dataclass
from typing import Any

from functions.aws_limits import KINESIS_PUT_PAYLOAD_UNIT_BYTES
from streamctl.loadtest.aggregation import KplAggregator
from streamctl.loadtest.batching import UserRecord
from streamctl.loadtest.envelope import EventFactory
from streamctl.loadtest.partition_keys import PartitionKeyStrategyName, partition_keys
from streamctl.loadtest.producer import KinesisProducer, ProducerStats
from streamctl.loadtest.report import packing_efficiency


class FakeKinesis:
    """Accepts every entry, as PutRecords does when nothing is throttled."""

    def __init__(self) -> None:
        self.sequence = 0

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        results = []
        for _ in Records:
            self.sequence += 1
            results.append({"SequenceNumber": str(self.sequence), "ShardId": "shardId-000000000000"})
        return {"FailedRecordCount": 0, "Records": results}


@dataclass(frozen=True)
class Variant:
    name: str
    aggregate: bool
    keys: PartitionKeyStrategyName


VARIANTS = (
    Variant("unaggregated, random keys", False, PartitionKeyStrategyName.RANDOM),
    Variant("aggregated, random keys", True, PartitionKeyStrategyName.RANDOM),
    Variant("aggregated, per-entity keys", True, PartitionKeyStrategyName.PER_ENTITY),
)


def produce(variant: Variant, records: int, record_bytes: int, batch: int = 500) -> tuple[float, ProducerStats]:
    """Build, key and send `records` events; returns the CPU seconds taken and the producer's counters."""
    factory = EventFactory("bench", "acme", record_bytes=record_bytes)
    keys = partition_keys(variant.keys, entities=1_000, seed=1)
    aggregator = KplAggregator() if variant.aggregate else None
    producer = KinesisProducer(FakeKinesis(), "bench", aggregator=aggregator)
    gc.collect()
    started = time.process_time()
    for start in range(0, records, batch):
        chunk = []
        for _ in range(min(batch, records - start)):
            event_id, data = factory.next_event()
            chunk.append(UserRecord(keys.next_key(), data, event_id))
        producer.send(chunk)
    producer.flush()
    return time.process_time() - started, producer.stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--record-bytes", type=int, default=1024)
    args = parser.parse_args()

    cpu_seconds: dict[str, list[float]] = {variant.name: [] for variant in VARIANTS}
    stats: dict[str, ProducerStats] = {}
    for _ in range(args.repeats):
        for variant in VARIANTS:
            seconds, stats[variant.name] = produce(variant, args.records, args.record_bytes)
            cpu_seconds[variant.name].append(seconds)

    print(f"{args.records:,} events of {args.record_bytes:,} bytes, median of {args.repeats} repeats (CPU time)")
    columns = ("records/s/core", 15), ("Kinesis recs", 13), ("PUT units", 10), ("recs/unit", 10), ("packing", 8)
    header = f"{'variant':<30} " + " ".join(f"{name:>{width}}" for name, width in columns)
    print(header)
    print("-" * len(header))
    baseline_rate = None
    for variant in VARIANTS:
        rate = args.records / statistics.median(cpu_seconds[variant.name])
        baseline_rate = baseline_rate or rate
        counters = stats[variant.name]
        efficiency = packing_efficiency(counters.user_bytes_sent, counters.payload_units) or 0.0
        print(
            f"{variant.name:<30} {rate:>15,.0f} {counters.kinesis_records_sent:>13,} {counters.payload_units:>10,} "
            f"{counters.user_records_sent / counters.payload_units:>10.1f} {efficiency:>8.1%}"
        )
    aggregated = stats[VARIANTS[1].name]
    unaggregated = stats[VARIANTS[0].name]
    aggregated_efficiency = packing_efficiency(aggregated.user_bytes_sent, aggregated.payload_units) or 0.0
    print()
    print(f"PUT payload units, unaggregated / aggregated: {unaggregated.payload_units / aggregated.payload_units:.1f}x")
    aggregated_rate = args.records / statistics.median(cpu_seconds[VARIANTS[1].name])
    print(f"throughput per core, aggregated / unaggregated: {aggregated_rate / (baseline_rate or 1):.2f}x")
    verdict = "met" if aggregated_efficiency >= 0.90 else "NOT met"
    print(
        f"goal >= 90% packing of the {KINESIS_PUT_PAYLOAD_UNIT_BYTES:,}-byte unit with aggregation: {verdict} "
        f"({aggregated_efficiency:.1%})"
    )


if __name__ == "__main__":
    main()
