"""Monthly cost of one tenant stream: Kinesis (provisioned or on-demand), Firehose, Lambda, DynamoDB, CloudWatch, S3.

Every price comes from `functions.pricing` (one dated list, shared with the autoscaling simulator).
Throughput is the month's average; provisioned shards are sized for the peak (`peak_to_average`), so an
autoscaled stream's figure is an upper bound (the simulator in `scripts/research/autoscaling` prices a real trace).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from functions import pricing
from functions.aws_limits import (
    FIREHOSE_MAX_RECORD_BYTES,
    KINESIS_SHARD_WRITE_BYTES_PER_S,
    KINESIS_SHARD_WRITE_RECORDS_PER_S,
    LAMBDA_MAX_PAYLOAD_BYTES,
    MIB,
)
from infra.alarm_specs import alarm_specs
from infra.config import PlatformConfig, StreamSettings
from streamctl.cost import scaler_cost
from streamctl.cost.traffic import StreamTraffic
from streamctl.replay.consumer_code import enrichment_bytes

HOURS_PER_MONTH = pricing.HOURS_PER_MONTH
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
ON_DEMAND_INITIAL_SHARDS = 4  # on-demand streams start at 4 MiB/s of write capacity
SCALER_INVOCATIONS_PER_MONTH = SECONDS_PER_MONTH // 60  # rate(1 minute); a provisioned stream's every run is a round
# Consumer CPU per record as research/benchmarks/consumer.py measures it (docs/consumer.md: 3.37 us, 5.05 us with
# PII_FIELDS; x86, rounded up). Lambda gives a function CPU in proportion to its memory, one vCPU at
# 1,769 MB, so below that the Duration a record adds is its CPU time scaled up by the share withheld.
CONSUMER_CPU_US_PER_RECORD = 3.5
CONSUMER_CPU_US_PER_RECORD_MASKED = 5.1
LAMBDA_MB_PER_VCPU = 1769
# Per consumer invocation: one checkpoint read, at least one checkpoint write.
CHECKPOINT_READS_PER_BATCH = 1
CHECKPOINT_WRITES_PER_BATCH = 1


def consumer_us_per_record(settings: StreamSettings, traffic: StreamTraffic) -> float:
    """Consumer Duration per record: the traffic file's figure (measured on Lambda) if it gives one,
    else the benchmark's CPU time at the consumer's memory (masking PII fields costs more)."""
    if traffic.consumer_us_per_record is not None:
        return traffic.consumer_us_per_record
    cpu = CONSUMER_CPU_US_PER_RECORD_MASKED if settings.pii_fields else CONSUMER_CPU_US_PER_RECORD
    return cpu * max(1.0, LAMBDA_MB_PER_VCPU / settings.consumer.memory_mb)


def lake_line_overhead_bytes() -> int:
    """Bytes the consumer adds to a typical event: a 56-digit sequence number, about a second of lag."""
    return enrichment_bytes(
        shard_id="shardId-000000000000", sequence_number="4" * 56, sub_sequence_number=0, arrival_lag_ms=1000
    )


def shards_needed(bytes_per_s: float, records_per_s: float) -> int:
    """Shards whose write limits (1 MiB/s, 1,000 records/s each) carry this load."""
    return max(
        1,
        math.ceil(
            max(bytes_per_s / KINESIS_SHARD_WRITE_BYTES_PER_S, records_per_s / KINESIS_SHARD_WRITE_RECORDS_PER_S) - 1e-9
        ),
    )


def firehose_billed_bytes(batch_line_bytes: float) -> float:
    """Firehose bytes billed for one invocation's lines, packed into records of up to 1,000 KiB.

    The consumer concatenates lines into records (functions/consumer/firehose_delivery.py), so the
    5 KB rounding applies per packed record, not per event.
    """
    rounding = pricing.FIREHOSE_RECORD_ROUNDING_BYTES
    full_records, remainder = divmod(batch_line_bytes, FIREHOSE_MAX_RECORD_BYTES)
    return full_records * FIREHOSE_MAX_RECORD_BYTES + math.ceil(remainder / rounding) * rounding


@dataclass(frozen=True)
class KinesisCost:
    mode: str
    shards: int
    stream_usd: float  # shard-hours (provisioned) or stream-hours (on-demand)
    data_usd: float  # PUT payload units (provisioned) or GB ingested and retrieved (on-demand)
    retention_usd: float

    @property
    def total_usd(self) -> float:
        return self.stream_usd + self.data_usd + self.retention_usd


@dataclass(frozen=True)
class StreamCost:
    """One stream's month: the configured mode's bill and the other mode for comparison."""

    tenant: str
    stream: str
    traffic: StreamTraffic
    kinesis: KinesisCost
    alternative: KinesisCost
    advantage: KinesisCost  # the stream in On-demand Advantage, at the account's aggregate ingest
    scaler_usd: float  # what the shard scaler costs a month when the stream is provisioned and autoscaled
    firehose_usd: float
    firehose_unpacked_usd: float  # what one Firehose record per event would cost (for docs/cost.md)
    lambda_usd: float
    dynamodb_usd: float
    cloudwatch_usd: float  # the stream's alarms; with autoscaling, the scaler's alarm, GetMetricData and logs
    lake_gb_per_month: float
    s3_usd: float
    invocations: float
    notes: list[str] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        return (
            self.kinesis.total_usd
            + self.firehose_usd
            + self.lambda_usd
            + self.dynamodb_usd
            + self.cloudwatch_usd
            + self.s3_usd
        )

    @property
    def cheaper_mode(self) -> str:
        return min((self.kinesis, self.alternative), key=lambda cost: cost.total_usd).mode

    @property
    def provisioned(self) -> KinesisCost:
        return self.kinesis if self.kinesis.mode == "provisioned" else self.alternative

    @property
    def on_demand(self) -> KinesisCost:
        return self.kinesis if self.kinesis.mode == "on_demand" else self.alternative

    def mode_usd(self) -> dict[str, float]:
        """Kinesis plus, for provisioned, the scaler that keeps it sized: what each mode costs this stream."""
        return {
            "provisioned": self.provisioned.total_usd + self.scaler_usd,
            "on_demand": self.on_demand.total_usd,
            "on_demand_advantage": self.advantage.total_usd,
        }

    @property
    def cheapest_mode(self) -> str:
        usd = self.mode_usd()
        return min(usd, key=usd.__getitem__)


def provisioned_cost(settings: StreamSettings, traffic: StreamTraffic) -> KinesisCost:
    peak_shards = shards_needed(
        traffic.bytes_per_s * traffic.peak_to_average, traffic.records_per_s * traffic.peak_to_average
    )
    if settings.autoscaled:
        shards = min(max(peak_shards, settings.autoscaling.min), settings.autoscaling.max)
    else:
        shards = settings.shards if settings.shards is not None else peak_shards
    shard_hours = shards * HOURS_PER_MONTH
    records = traffic.records_per_s * SECONDS_PER_MONTH
    total = pricing.provisioned_cost_usd(shard_hours, records, traffic.record_bytes)
    stream_usd = shard_hours * pricing.KINESIS_SHARD_HOUR_USD
    retention = (
        shard_hours * pricing.KINESIS_EXTENDED_RETENTION_SHARD_HOUR_USD if settings.retention_hours > 24 else 0.0
    )
    return KinesisCost("provisioned", shards, stream_usd, total - stream_usd, retention)


def on_demand_cost(traffic: StreamTraffic) -> KinesisCost:
    records = traffic.records_per_s * SECONDS_PER_MONTH
    total = pricing.on_demand_cost_usd(HOURS_PER_MONTH, records, traffic.record_bytes)
    stream_usd = HOURS_PER_MONTH * pricing.KINESIS_ON_DEMAND_STREAM_HOUR_USD
    retrieved_gib = traffic.bytes_per_s * SECONDS_PER_MONTH / pricing.GIB  # the consumer reads everything once
    retrieval = retrieved_gib * pricing.KINESIS_ON_DEMAND_RETRIEVAL_PER_GIB_USD
    # On-demand capacity follows twice the previous peak, starting at 4 MiB/s: the pollers' shard count.
    peak = shards_needed(traffic.bytes_per_s * traffic.peak_to_average, traffic.records_per_s * traffic.peak_to_average)
    shards = max(ON_DEMAND_INITIAL_SHARDS, 2 * peak)
    return KinesisCost("on_demand", shards, stream_usd, total - stream_usd + retrieval, 0.0)


def ingested_gib(traffic: StreamTraffic) -> float:
    """A month of the stream's writes as on-demand bills them (each record rounded up to the next KiB)."""
    return (
        traffic.records_per_s * SECONDS_PER_MONTH * pricing.on_demand_billed_bytes(traffic.record_bytes) / pricing.GIB
    )


@dataclass(frozen=True)
class AdvantageAccount:
    """The account an On-demand Advantage commitment covers: its aggregate on-demand ingest decides what it costs.

    `ingested_gib` is a month's ingest of every on-demand stream of the account in the region: this stack's streams
    (all taken as on-demand, the "every stream in Advantage" plan) plus `outside_mib_per_s` of streams the stack does
    not own (`--account-mib-per-s`)."""

    ingested_gib: float
    outside_mib_per_s: float = 0.0
    commitment_mib_per_s: float = pricing.KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S

    @classmethod
    def for_stack(
        cls,
        traffic: list[StreamTraffic],
        outside_mib_per_s: float = 0.0,
        commitment_mib_per_s: float = pricing.KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S,
    ) -> AdvantageAccount:
        outside_gib = outside_mib_per_s * MIB * SECONDS_PER_MONTH / pricing.GIB
        return cls(sum(ingested_gib(t) for t in traffic) + outside_gib, outside_mib_per_s, commitment_mib_per_s)

    @property
    def shortfall_gib(self) -> float:
        return pricing.commitment_shortfall_gib(HOURS_PER_MONTH, self.ingested_gib, self.commitment_mib_per_s)


def on_demand_advantage_cost(traffic: StreamTraffic, account: AdvantageAccount) -> KinesisCost:
    """The stream as an On-demand Advantage stream: Advantage ingest plus its share (by ingest) of the account's
    commitment shortfall, Advantage retrieval; no stream-hour charge. Capacity as On-demand Standard's (warm
    throughput is not priced: AWS names no charge for it on the pages read)."""
    records = traffic.records_per_s * SECONDS_PER_MONTH
    data = pricing.on_demand_advantage_cost_usd(
        records,
        traffic.record_bytes,
        hours=HOURS_PER_MONTH,
        account_ingested_gib=account.ingested_gib,
        commitment_mib_per_s=account.commitment_mib_per_s,
    )
    retrieved_gib = traffic.bytes_per_s * SECONDS_PER_MONTH / pricing.GIB
    retrieval = retrieved_gib * pricing.KINESIS_ADVANTAGE_RETRIEVAL_PER_GIB_USD
    shards = on_demand_cost(traffic).shards
    return KinesisCost("on_demand_advantage", shards, 0.0, data + retrieval, 0.0)


def consumer_invocations_per_s(settings: StreamSettings, traffic: StreamTraffic, shards: int) -> float:
    """Batches per second: each poller (shard x parallelization) sends a batch when it is full or its window ends."""
    records_per_s = traffic.records_per_s
    if records_per_s == 0:
        return 0.0
    consumer = settings.consumer
    payload_cap = max(1, int(LAMBDA_MAX_PAYLOAD_BYTES / (traffic.record_bytes * 4 / 3)))  # base64 in the event
    batch_size = min(consumer.batch_size, payload_cap)
    pollers = shards * consumer.parallelization
    per_poller = records_per_s / pollers
    window = max(consumer.batching_window_seconds, 1)  # the mapping polls each shard about once per second
    return pollers * min(per_poller, max(per_poller / batch_size, 1 / window))


def stream_cost(
    tenant: str,
    stream: str,
    settings: StreamSettings,
    config: PlatformConfig,
    traffic: StreamTraffic,
    account: AdvantageAccount | None = None,
) -> StreamCost:
    """One stream's month; `account` prices its Advantage column (default: an account of this stream alone)."""
    notes: list[str] = []
    provisioned = provisioned_cost(settings, traffic)
    on_demand = on_demand_cost(traffic)
    advantage = on_demand_advantage_cost(traffic, account or AdvantageAccount.for_stack([traffic]))
    scaler_month_usd = (
        scaler_cost.scaler_usd(SCALER_INVOCATIONS_PER_MONTH, 0, HOURS_PER_MONTH) if settings.autoscaled else 0.0
    )
    configured, alternative = (provisioned, on_demand) if settings.mode == "provisioned" else (on_demand, provisioned)
    if settings.mode == "provisioned" and not settings.autoscaled:
        needed = shards_needed(
            traffic.bytes_per_s * traffic.peak_to_average, traffic.records_per_s * traffic.peak_to_average
        )
        if needed > provisioned.shards:
            notes.append(f"peak needs {needed} shards, {provisioned.shards} configured: producers would be throttled")
    if settings.autoscaled and provisioned.shards == settings.autoscaling.max:
        notes.append(f"peak reaches autoscaling.max ({settings.autoscaling.max} shards)")
    if settings.mode == "on_demand" and settings.retention_hours > 24:
        notes.append(
            "on-demand extended retention is billed per GB-month and not in functions/pricing.py: not included"
        )

    seconds = SECONDS_PER_MONTH
    records = traffic.records_per_s * seconds
    line_bytes = traffic.record_bytes + lake_line_overhead_bytes()
    invocations = consumer_invocations_per_s(settings, traffic, configured.shards) * seconds
    records_per_batch = records / invocations if invocations else 0.0

    firehose_bytes = invocations * firehose_billed_bytes(records_per_batch * line_bytes) if invocations else 0.0
    firehose_usd = firehose_bytes / pricing.GIB * pricing.FIREHOSE_INGEST_PER_GIB_USD
    rounding = pricing.FIREHOSE_RECORD_ROUNDING_BYTES
    unpacked = records * math.ceil(line_bytes / rounding) * rounding
    firehose_unpacked_usd = unpacked / pricing.GIB * pricing.FIREHOSE_INGEST_PER_GIB_USD

    gb_second_usd = pricing.lambda_gb_second_usd(config.architecture)
    per_record_s = consumer_us_per_record(settings, traffic) / 1e6
    duration_s = invocations * traffic.consumer_ms_per_batch / 1000 + records * per_record_s
    lambda_usd = (
        duration_s * settings.consumer.memory_mb / 1024 * gb_second_usd
        + invocations / 1e6 * pricing.LAMBDA_REQUESTS_PER_MILLION_USD
    )
    reads = invocations * CHECKPOINT_READS_PER_BATCH
    writes = invocations * CHECKPOINT_WRITES_PER_BATCH
    # CloudWatch bills an alarm per metric it watches: each metric in a metric-math alarm counts
    # (https://aws.amazon.com/cloudwatch/pricing/, Alarms).
    specs = alarm_specs(settings, config.lake.for_stream(settings.lake).buffer_seconds)
    alarms = sum(spec.billed_metrics for spec in specs)
    cloudwatch_usd = 0.0
    if settings.autoscaled:
        # scripts/streamctl/cost/scaler_cost.py: a round a minute, GetMetricData most of it.
        runs = SCALER_INVOCATIONS_PER_MONTH
        lambda_usd += runs * scaler_cost.lambda_run_usd(scaler_cost.ROUND_SECONDS, config.architecture)
        reads += runs * scaler_cost.STATE_READ_UNITS
        writes += runs * scaler_cost.STATE_WRITE_UNITS
        cloudwatch_usd += runs * (
            scaler_cost.get_metric_data_usd() + scaler_cost.logs_usd(scaler_cost.LOG_BYTES_PER_ROUND)
        )
        alarms += scaler_cost.SCALER_ALARMS
    cloudwatch_usd += alarms * pricing.CLOUDWATCH_ALARM_METRIC_MONTH_USD
    dynamodb_usd = (
        reads / 1e6 * pricing.DYNAMODB_READS_PER_MILLION_USD + writes / 1e6 * pricing.DYNAMODB_WRITES_PER_MILLION_USD
    )

    lake_gb = records * line_bytes * traffic.lake_compression_ratio / pricing.GIB  # S3 bills binary GB
    s3_usd = s3_monthly_usd(lake_gb, settings, config, traffic)
    return StreamCost(
        tenant=tenant,
        stream=stream,
        traffic=traffic,
        kinesis=configured,
        alternative=alternative,
        advantage=advantage,
        scaler_usd=scaler_month_usd,
        firehose_usd=firehose_usd,
        firehose_unpacked_usd=firehose_unpacked_usd,
        lambda_usd=lambda_usd,
        dynamodb_usd=dynamodb_usd,
        cloudwatch_usd=cloudwatch_usd,
        lake_gb_per_month=lake_gb,
        s3_usd=s3_usd,
        invocations=invocations,
        notes=notes,
    )


def firehose_seconds_per_object(buffer_mb: int, buffer_seconds: int, bytes_per_s: float) -> float:
    """How often one delivery stream writes an object at a steady `bytes_per_s`: when the buffer holds
    `buffer_mb` MiB or `buffer_seconds` have passed, whichever comes first ("The first buffer condition that is
    satisfied triggers Firehose to deliver the data", https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html;
    SizeInMBs is in MiB, https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html).
    The size counts the incoming bytes, before compression (an assumption: the pages do not say). Zero buffering
    (0 s) is floored at one object per second here: a model's floor, not an AWS figure."""
    return min(max(buffer_seconds, 1), buffer_mb * MIB / bytes_per_s)


def s3_monthly_usd(lake_gb: float, settings: StreamSettings, config: PlatformConfig, traffic: StreamTraffic) -> float:
    """Storage of one month of data for one month, plus Firehose's PUTs."""
    delivery = config.lake.for_stream(settings.lake)
    if traffic.bytes_per_s == 0:
        objects = 0.0
    else:
        objects = SECONDS_PER_MONTH / firehose_seconds_per_object(
            delivery.buffer_mb, delivery.buffer_seconds, traffic.bytes_per_s
        )
    return float(lake_gb * pricing.S3_STANDARD_GB_MONTH_USD + objects / 1000 * pricing.S3_PUT_PER_THOUSAND_USD)


def stack_costs(
    config: PlatformConfig,
    traffic: dict[str, StreamTraffic],
    outside_mib_per_s: float = 0.0,
    commitment_mib_per_s: float = pricing.KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S,
) -> list[StreamCost]:
    """Every stream of the stack; streams missing from `traffic` are idle. Their Advantage column shares one
    account: the stack's streams plus `outside_mib_per_s` of on-demand ingest elsewhere in the account."""
    per_stream = [
        (tenant, stream, settings, traffic.get(f"{tenant}/{stream}", StreamTraffic()))
        for tenant, stream, settings in config.streams()
    ]
    account = AdvantageAccount.for_stack([t for *_, t in per_stream], outside_mib_per_s, commitment_mib_per_s)
    return [stream_cost(tenant, stream, settings, config, t, account) for tenant, stream, settings, t in per_stream]


@dataclass(frozen=True)
class AccountPlan:
    """One way to run the stack's streams, and its Kinesis bill (with the scaler for provisioned streams)."""

    name: str
    modes: dict[str, str]  # tenant/stream -> mode
    usd: float
    unallocated_shortfall_usd: float = 0.0  # commitment the stack's streams do not carry (an idle account)


def _advantage_plan(name: str, costs: list[StreamCost], account: AdvantageAccount, on_demand: set[str]) -> AccountPlan:
    """Commitment enabled: `on_demand` streams in Advantage, the others provisioned; the shortfall is recomputed on
    the on-demand streams that remain (plus the account's outside traffic)."""
    key = {id(c): f"{c.tenant}/{c.stream}" for c in costs}
    remaining = AdvantageAccount.for_stack(
        [c.traffic for c in costs if key[id(c)] in on_demand], account.outside_mib_per_s, account.commitment_mib_per_s
    )
    usd = 0.0
    modes = {}
    for c in costs:
        if key[id(c)] in on_demand:
            usd += on_demand_advantage_cost(c.traffic, remaining).total_usd
            modes[key[id(c)]] = "on_demand_advantage"
        else:
            usd += c.mode_usd()["provisioned"]
            modes[key[id(c)]] = "provisioned"
    unallocated = 0.0
    if remaining.ingested_gib == 0:
        unallocated = remaining.shortfall_gib * pricing.KINESIS_ADVANTAGE_INGEST_PER_GIB_USD
    return AccountPlan(name, modes, usd + unallocated, unallocated)


def account_plans(costs: list[StreamCost], account: AdvantageAccount) -> list[AccountPlan]:
    """The account's options: every stream in one mode, or each stream in its cheapest mode with or without the
    commitment (Advantage is account-wide: with it, every on-demand stream is an Advantage stream).

    "Cheapest per stream with the commitment" takes the streams Advantage beats provisioned at the whole stack's
    aggregate, then reprices the commitment on those alone: one pass, not a search over every subset."""
    keys = [f"{c.tenant}/{c.stream}" for c in costs]
    configured = {k: c.kinesis.mode for k, c in zip(keys, costs, strict=True)}

    def plan(name: str, modes: dict[str, str]) -> AccountPlan:
        return AccountPlan(name, modes, sum(c.mode_usd()[modes[k]] for k, c in zip(keys, costs, strict=True)))

    without = {
        k: min(("provisioned", "on_demand"), key=c.mode_usd().__getitem__) for k, c in zip(keys, costs, strict=True)
    }
    with_commitment = {
        k for k, c in zip(keys, costs, strict=True) if c.mode_usd()["on_demand_advantage"] < c.mode_usd()["provisioned"]
    }
    return [
        plan("as configured (no commitment)", configured),
        plan("all provisioned + scaler", dict.fromkeys(keys, "provisioned")),
        plan("all On-demand Standard", dict.fromkeys(keys, "on_demand")),
        _advantage_plan("all On-demand Advantage", costs, account, set(keys)),
        plan("cheapest per stream, no commitment", without),
        _advantage_plan("cheapest per stream, with commitment", costs, account, with_commitment),
    ]


def advantage_break_even_mib_per_s(
    on_demand_streams: int,
    commitment_mib_per_s: float = pricing.KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S,
    retrieved_per_ingested: float = 1.0,
) -> float:
    """Aggregate on-demand ingest (MiB/s, a month's average) from which Advantage costs no more than On-demand
    Standard for `on_demand_streams` streams each reading its data `retrieved_per_ingested` times.

    Below the commitment, Advantage bills the commitment's ingest whatever the usage, and Standard bills the streams'
    hours plus dearer data: Standard(X) = N h s + X (i_s + r o_s), Advantage(X) = C i_a + X r o_a, equal at
    X = (C i_a - N h s) / (i_s + r o_s - r o_a). Above the commitment Advantage is always cheaper (every price is
    lower). Billed bytes are taken as written bytes (the KiB rounding scales both modes alike)."""
    gib_per_mib_s = MIB * SECONDS_PER_MONTH / pricing.GIB
    committed_usd = (
        pricing.commitment_gib(HOURS_PER_MONTH, commitment_mib_per_s) * pricing.KINESIS_ADVANTAGE_INGEST_PER_GIB_USD
    )
    stream_hours_usd = on_demand_streams * HOURS_PER_MONTH * pricing.KINESIS_ON_DEMAND_STREAM_HOUR_USD
    saving_per_gib = pricing.KINESIS_ON_DEMAND_INGEST_PER_GIB_USD + retrieved_per_ingested * (
        pricing.KINESIS_ON_DEMAND_RETRIEVAL_PER_GIB_USD - pricing.KINESIS_ADVANTAGE_RETRIEVAL_PER_GIB_USD
    )
    break_even_gib = (committed_usd - stream_hours_usd) / saving_per_gib
    return min(max(0.0, break_even_gib / gib_per_mib_s), commitment_mib_per_s)
