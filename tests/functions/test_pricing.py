"""On-demand Advantage's prices and commitment, checked against figures worked out by hand from AWS's wording."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import botocore
import pytest

from functions import aws_limits, pricing


def test_advantage_prices_are_standard_less_the_60_percent_aws_states() -> None:
    # how-do-i-size-a-stream.html: "at least 60% lower than that of On-demand Standard"; no per-stream charge.
    assert pytest.approx(0.032) == pricing.KINESIS_ADVANTAGE_INGEST_PER_GIB_USD
    assert pytest.approx(0.016) == pricing.KINESIS_ADVANTAGE_RETRIEVAL_PER_GIB_USD
    assert pricing.KINESIS_ADVANTAGE_STREAM_HOUR_USD == 0


def test_a_25_mib_per_s_commitment_covers_64160_gib_a_month() -> None:
    # 25 MiB/s x 3,600 s x 730 h = 65,700,000 MiB = 64,160.15625 GiB
    assert pricing.commitment_gib(730, 25) == pytest.approx(64_160.15625)
    assert pricing.commitment_shortfall_gib(730, 60_000, 25) == pytest.approx(4_160.15625)
    assert pricing.commitment_shortfall_gib(730, 70_000, 25) == 0


def test_a_stream_carries_the_shortfall_in_proportion_to_its_ingest() -> None:
    # 1,048,576 records of 1 KiB = 1 GiB written; the account wrote 4 GiB in one hour against 10 MiB/s committed
    # (10 x 3,600 / 1,024 = 35.15625 GiB): shortfall 31.15625 GiB, a quarter of it this stream's.
    usd = pricing.on_demand_advantage_cost_usd(1024**2, 1024, hours=1, account_ingested_gib=4, commitment_mib_per_s=10)
    assert usd == pytest.approx((1 + 31.15625 / 4) * 0.032)
    above = pricing.on_demand_advantage_cost_usd(
        1024**2, 1024, hours=1, account_ingested_gib=40, commitment_mib_per_s=10
    )
    assert above == pytest.approx(0.032)  # above the commitment: only its own bytes, no stream-hour charge


def test_records_are_rounded_up_to_a_kib_as_in_on_demand_standard() -> None:
    one_byte = pricing.on_demand_advantage_cost_usd(1024**2, 1, hours=1, account_ingested_gib=1, commitment_mib_per_s=0)
    assert one_byte == pytest.approx(0.032)


def test_the_account_ingest_must_include_the_stream() -> None:
    with pytest.raises(ValueError, match="account_ingested_gib"):
        pricing.on_demand_advantage_cost_usd(1024**2, 1024, hours=1, account_ingested_gib=0.5)


def _kinesis_model() -> dict:  # type: ignore[type-arg]
    path = next((Path(botocore.__file__).parent / "data" / "kinesis").glob("*/service-2.json.gz"))
    return json.loads(gzip.decompress(path.read_bytes()))  # type: ignore[no-any-return]


def test_commitment_statuses_and_warm_throughput_match_the_api_model() -> None:
    shapes = _kinesis_model()["shapes"]
    assert tuple(shapes["MinimumThroughputBillingCommitmentInputStatus"]["enum"]) == (
        aws_limits.KINESIS_COMMITMENT_INPUT_STATUSES
    )
    assert (
        tuple(shapes["MinimumThroughputBillingCommitmentOutputStatus"]["enum"])
        == aws_limits.KINESIS_COMMITMENT_STATUSES
    )
    warm = shapes["UpdateStreamWarmThroughputInput"]["members"]["WarmThroughputMiBps"]["shape"]
    assert shapes[warm]["type"] == "integer" and shapes[warm].get("min", 0) == 0
    assert aws_limits.KINESIS_WARM_THROUGHPUT_MAX_MIB_PER_S == 10 * 1024  # "10 GiBps for an on-demand stream"
