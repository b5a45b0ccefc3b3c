"""The emulator's Firehose delivers to S3 as AWS does (emulator.firehose_delivery): keys, buffering, compression,
SSE-KMS, the error prefix, PutRecordBatch's answer and AWS/Firehose metrics, against the emulator server.

The delivery clock is fixed through `/moto-api/local/firehose/clock` so keys are exact and interval flushes happen
when the test moves the clock, never by sleeping.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import struct
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cramjam
import pytest
from botocore.exceptions import ClientError

from emulator.deployer import deploy
from emulator.firehose_delivery import (
    FirehoseDelivery,
    flush_firehose,
    inject_firehose_failures,
    interval_cap_from_env,
    set_firehose_clock,
)
from emulator.firehose_prefix import PrefixError, evaluate, evaluate_error, java_datetime_format, validate
from emulator.server import Emulator
from functions.aws_limits import FIREHOSE_MAX_RECORD_BYTES
from streamctl.aws_clients import aws_client
from streamctl.lake_objects import COMPRESSIONS, HADOOP_SNAPPY_BLOCK, decompress, hadoop_snappy_decompress
from streamctl.stack_outputs import StackOutputs
from tests.emulator.scenarios import one_stream_config

ARRIVAL = datetime(2026, 12, 8, 1, 23, 45, tzinfo=UTC)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The platform's expressions (infra/components/lake_delivery.py) under a test bucket's own prefixes.
PREFIX = "events/tenant=t/stream=s/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/"
ERROR_PREFIX = "errors/tenant=t/stream=s/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
BUCKET = "firehose-local-tests"
ROLE = "arn:aws:iam::123456789012:role/firehose-tests"


@pytest.fixture
def clock(emulator: Emulator) -> Iterator[None]:
    """The delivery clock fixed at ARRIVAL for the test, real time again after it (buffers flushed)."""
    set_firehose_clock(emulator.endpoint_url, ARRIVAL.timestamp())
    try:
        yield
    finally:
        flush_firehose(emulator.endpoint_url)
        set_firehose_clock(emulator.endpoint_url, None)


def move_clock(emulator: Emulator, seconds: float) -> list[dict[str, Any]]:
    return set_firehose_clock(emulator.endpoint_url, (ARRIVAL + timedelta(seconds=seconds)).timestamp())


def s3() -> Any:
    return aws_client("s3")


def firehose() -> Any:
    return aws_client("firehose")


def make_stream(
    name: str,
    *,
    prefix: str = PREFIX,
    error_prefix: str = ERROR_PREFIX,
    size_mb: int = 128,
    interval_s: int = 900,
    compression: str = "UNCOMPRESSED",
    kms_key: str | None = None,
) -> str:
    """A DirectPut stream into BUCKET (created once) under `<name>/`; its name."""
    if BUCKET not in {bucket["Name"] for bucket in s3().list_buckets()["Buckets"]}:
        s3().create_bucket(Bucket=BUCKET)
    destination: dict[str, Any] = {
        "RoleARN": ROLE,
        "BucketARN": f"arn:aws:s3:::{BUCKET}",
        "Prefix": f"{name}/{prefix}",
        "ErrorOutputPrefix": f"{name}/{error_prefix}" if error_prefix else "",
        "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s},
        "CompressionFormat": compression,
    }
    if kms_key:
        destination["EncryptionConfiguration"] = {"KMSEncryptionConfig": {"AWSKMSKeyARN": kms_key}}
    firehose().create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut", ExtendedS3DestinationConfiguration=destination
    )
    return name


def put(name: str, records: list[bytes]) -> dict[str, Any]:
    answer: dict[str, Any] = firehose().put_record_batch(
        DeliveryStreamName=name, Records=[{"Data": record} for record in records]
    )
    return answer


def objects(prefix: str, bucket: str = BUCKET) -> dict[str, bytes]:
    listed = s3().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"]: s3().get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}


def lines(n: int, tag: str = "r") -> list[bytes]:
    return [json.dumps({"event_id": f"{tag}-{i}"}).encode() + b"\n" for i in range(n)]


# --- the program's own delivery stream -------------------------------------------------------------------------------


def test_the_programs_delivery_writes_the_keys_aws_writes_for_a_fixed_clock(
    emulator: Emulator, tmp_path: Path, clock: None
) -> None:
    """dev's lake: `events/tenant=acme/stream=clicks/dt=2026-12-08/hour=01/<stream>-1-2026-12-08-01-23-45-<uuid>.gz`,
    the records byte for byte (no delimiter added), gzip, SSE-KMS with the destination's key, and AWS's answer."""
    _, program = deploy("fhkeys", emulator.endpoint_url, config=one_stream_config(), state_dir=tmp_path)
    outputs = StackOutputs.model_validate(program.outputs)
    stream = outputs.stream("acme", "clicks")
    assert stream.delivery_stream.endswith("-acme-clicks-lake")
    records = [b'{"event_id":"a"}\n', b'{"event_id":"b"}\n', b"no newline here"]
    answer = put(stream.delivery_stream, records)
    assert answer["FailedPutCount"] == 0 and answer["Encrypted"] is True
    ids = [response["RecordId"] for response in answer["RequestResponses"]]
    assert len(ids) == len(set(ids)) == len(records) and all("ErrorCode" not in r for r in answer["RequestResponses"])

    assert objects(stream.lake_prefix, outputs.lake_bucket) == {}, "buffered until its size or interval, as in AWS"
    (delivered,) = flush_firehose(emulator.endpoint_url, stream.delivery_stream)
    assert delivered["records"] == len(records) and delivered["failure"] is None

    (key,) = objects(stream.lake_prefix, outputs.lake_bucket)
    expected = (
        rf"{re.escape(stream.lake_prefix)}dt=2026-12-08/hour=01/"
        rf"{re.escape(stream.delivery_stream)}-1-2026-12-08-01-23-45-{UUID}\.gz"
    )
    assert re.fullmatch(expected, key), key
    head = s3().head_object(Bucket=outputs.lake_bucket, Key=key)
    described = firehose().describe_delivery_stream(DeliveryStreamName=stream.delivery_stream)
    destination = described["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]
    key_arn = destination["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]
    assert head["ServerSideEncryption"] == "aws:kms" and key_arn.endswith(head["SSEKMSKeyId"].split("/")[-1])
    body = s3().get_object(Bucket=outputs.lake_bucket, Key=key)["Body"].read()
    assert gzip.decompress(body) == b"".join(records)


# --- buffering -----------------------------------------------------------------------------------------------------


def test_a_buffer_is_delivered_when_it_reaches_its_size(emulator: Emulator, clock: None) -> None:
    """SizeInMBs 1: the record that brings the buffer to 1 MiB closes its object; the rest waits for the interval."""
    name = make_stream("bysize", size_mb=1)
    record = b"x" * 99_999 + b"\n"  # 11 records reach 1 MiB (1,048,576 bytes); 10 do not
    for _ in range(5):
        put(name, [record] * 5)
    delivered = objects(f"{name}/")
    assert sorted(len(body) for body in delivered.values()) == [11 * len(record)] * 2
    flush_firehose(emulator.endpoint_url, name)
    assert sorted(len(body) for body in objects(f"{name}/").values()) == [3 * len(record)] + [11 * len(record)] * 2


def test_a_buffer_is_delivered_when_its_interval_has_passed_since_its_first_record(
    emulator: Emulator, clock: None
) -> None:
    """IntervalInSeconds 60 counts from the buffer's first record; the key's time is that oldest record's arrival,
    even when a later record in the same object arrived in the next hour."""
    name = make_stream("byinterval", interval_s=60)
    put(name, [b"first\n"])
    move_clock(emulator, 30)
    put(name, [b"second\n"])
    assert move_clock(emulator, 59.5) == [] and objects(f"{name}/") == {}
    (delivery,) = move_clock(emulator, 60)
    assert delivery["records"] == 2
    ((key, body),) = objects(f"{name}/").items()
    assert key.startswith(f"{name}/events/tenant=t/stream=s/dt=2026-12-08/hour=01/{name}-1-2026-12-08-01-23-45-")
    assert body == b"first\nsecond\n"


def test_the_oldest_record_names_the_hour_partition() -> None:
    """Records arriving 01:59:50 and 02:00:10 in one object land in hour=01 ("the approximate arrival timestamp of
    the oldest record that's contained in the Amazon S3 object being written")."""
    oldest = datetime(2026, 12, 8, 1, 59, 50, tzinfo=UTC)
    assert evaluate(PREFIX, oldest) == "events/tenant=t/stream=s/dt=2026-12-08/hour=01/"


def test_local_runs_may_cap_the_interval() -> None:
    """EMULATOR_FIREHOSE_INTERVAL_SECONDS caps IntervalInSeconds; unset, AWS's interval applies; bad values say so."""
    assert interval_cap_from_env({}) is None
    assert interval_cap_from_env({"EMULATOR_FIREHOSE_INTERVAL_SECONDS": "5"}) == 5.0
    for bad in ("soon", "-1"):
        with pytest.raises(ValueError, match="EMULATOR_FIREHOSE_INTERVAL_SECONDS"):
            interval_cap_from_env({"EMULATOR_FIREHOSE_INTERVAL_SECONDS": bad})
    destination = {"BufferingHints": {"SizeInMBs": 8, "IntervalInSeconds": 60}}
    assert FirehoseDelivery(lambda _: None, lambda _a, _n: None, 5.0).interval_s(destination) == 5.0
    assert FirehoseDelivery(lambda _: None, lambda _a, _n: None, None).interval_s(destination) == 60.0
    assert FirehoseDelivery(lambda _: None, lambda _a, _n: None, 120.0).interval_s(destination) == 60.0


def test_zero_buffering_interval_delivers_every_call(emulator: Emulator, clock: None) -> None:
    name = make_stream("zerobuffer", interval_s=0)
    put(name, [b"a\n", b"b\n"])
    put(name, [b"c\n"])
    assert sorted(objects(f"{name}/").values()) == [b"a\nb\n", b"c\n"]


# --- compression ---------------------------------------------------------------------------------------------------


def independent_decode(compression: str, body: bytes) -> bytes:
    """Each format decoded without streamctl.lake_objects (Hadoop-Snappy by hand from its documented framing)."""
    if compression == "GZIP":
        return gzip.decompress(body)
    if compression == "ZIP":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            (entry,) = archive.namelist()
            return archive.read(entry)
    if compression == "Snappy":
        return bytes(cramjam.snappy.decompress(body))
    if compression == "HADOOP_SNAPPY":
        out, position = b"", 0
        while position < len(body):
            (raw_length,) = struct.unpack_from(">I", body, position)
            (compressed_length,) = struct.unpack_from(">I", body, position + 4)
            block = bytes(cramjam.snappy.decompress_raw(body[position + 8 : position + 8 + compressed_length]))
            assert len(block) == raw_length <= HADOOP_SNAPPY_BLOCK
            out, position = out + block, position + 8 + compressed_length
        return out
    return body


@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
def test_objects_are_compressed_and_named_by_compression_format(
    emulator: Emulator, clock: None, compression: str
) -> None:
    name = make_stream(f"compress-{compression.lower().replace('_', '-')}", compression=compression)
    records = lines(3000, compression)  # over one Hadoop-Snappy block
    put(name, records[:500])
    put(name, records[500:1000])
    flush_firehose(emulator.endpoint_url, name)
    ((key, body),) = objects(f"{name}/").items()
    extension = COMPRESSIONS[compression].extension
    assert re.fullmatch(rf".*/{re.escape(name)}-1-2026-12-08-01-23-45-{UUID}{re.escape(extension)}", key), key
    assert independent_decode(compression, body) == b"".join(records[:1000])
    if compression == "Snappy":  # `.snappy` is read as Hadoop-Snappy, as Athena does: why the lake refuses Snappy
        with pytest.raises(ValueError, match="corrupt Snappy chunk"):
            decompress(key, body)
    else:
        assert decompress(key, body) == b"".join(records[:1000])


def test_hadoop_snappy_reader_refuses_a_truncated_object() -> None:
    with pytest.raises(ValueError, match="truncated"):
        hadoop_snappy_decompress(struct.pack(">I", 10))


# --- error prefix --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("error_type", ["processing-failed", "format-conversion-failed"])
def test_failed_records_go_to_the_evaluated_error_prefix(emulator: Emulator, clock: None, error_type: str) -> None:
    """Records that fail are written under ErrorOutputPrefix with `!{firehose:error-output-type}` evaluated, one JSON
    line each with the raw data; the others are delivered under Prefix as usual."""
    name = make_stream(f"errors-{error_type}", compression="GZIP")
    inject_firehose_failures(emulator.endpoint_url, name, 2, error_type, "Lambda.FunctionError")
    records = lines(5, error_type)
    put(name, records)
    move_clock(emulator, 7)
    flush_firehose(emulator.endpoint_url, name)
    ((error_key, error_body),) = objects(f"{name}/errors/").items()
    assert error_key.startswith(f"{name}/errors/tenant=t/stream=s/{error_type}/dt=2026-12-08/{name}-1-2026-12-08-01-")
    failed = [json.loads(line) for line in gzip.decompress(error_body).splitlines()]
    assert [base64.b64decode(entry["rawData"]) for entry in failed] == records[:2]
    assert {entry["errorCode"] for entry in failed} == {"Lambda.FunctionError"}
    assert all(entry["arrivalTimestamp"] == int(ARRIVAL.timestamp() * 1000) for entry in failed)
    assert all(entry["attemptEndingTimestamp"] == int(ARRIVAL.timestamp() * 1000) + 7000 for entry in failed)
    ((_, body),) = objects(f"{name}/events/").items()
    assert gzip.decompress(body) == b"".join(records[2:])


def test_the_error_prefix_rules() -> None:
    """s3-prefixes.html's examples and rules: the default time prefix, and the no-expression ErrorOutputPrefix."""
    at = datetime(2018, 8, 27, 10, 30, tzinfo=UTC)
    assert evaluate("myFirehosePrefix/", at) == "myFirehosePrefix/2018/08/27/10/"
    assert evaluate_error("myFirehosePrefix/", "", at, "processing-failed") == (
        "myFirehosePrefix/processing-failed/2018/08/27/10/"
    )
    both = "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}"
    assert evaluate_error("p/", both, datetime(2018, 7, 6, 23, tzinfo=UTC), "processing-failed") == (
        "myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed"
    )
    random = evaluate("rand=!{firehose:random-string}/!{firehose:random-string}/!{timestamp:yyyy}", at)
    first, second, year = random.removeprefix("rand=").split("/")
    assert len(first) == len(second) == 11 and first != second and year == "2018"


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "reason"),
    [
        ("!{timestamp:yyyy/MM/dd}", "", "ErrorOutputPrefix can't be null"),
        ("p/!{firehose:error-output-type}/", "e/!{firehose:error-output-type}", "can't contain"),
        ("p/", "e/!{timestamp:yyyy}/", "must include"),
        ("p/!{timestamp:ddd}/", "e/!{firehose:error-output-type}", "too many pattern letters"),
        ("p/!{timestamp:yyyy#}/", "e/!{firehose:error-output-type}", "reserved"),
        ("p/!{timestamp:ww}/", "e/!{firehose:error-output-type}", "not evaluated by local mode"),
        ("p/!{timestamp:yyyy", "e/!{firehose:error-output-type}", "may only start"),
        ("p/!{firehose:nonsense}/", "e/!{firehose:error-output-type}", "is not error-output-type"),
        ("p/!{partitionKeyFromQuery:id}/", "e/!{firehose:error-output-type}", "dynamic partitioning"),
        ("p/" + "x" * 520, "", "at most 512"),
    ],
)
def test_create_delivery_stream_refuses_prefixes_firehose_refuses(
    emulator: Emulator, prefix: str, error_prefix: str, reason: str
) -> None:
    with pytest.raises(PrefixError, match=reason):
        validate(prefix, error_prefix)
    with pytest.raises(ClientError) as raised:
        make_stream(f"refused-{abs(hash(prefix)) % 10**8}", prefix=prefix, error_prefix=error_prefix)
    assert raised.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert reason in raised.value.response["Error"]["Message"]


def test_java_patterns_format_as_datetimeformatter() -> None:
    at = datetime(2026, 3, 5, 14, 7, 9, 123456, tzinfo=UTC)
    assert java_datetime_format("yyyy-MM-dd HH:mm:ss.SSS", at) == "2026-03-05 14:07:09.123"
    assert java_datetime_format("yy/M/d/H", at) == "26/3/5/14"
    assert java_datetime_format("MMM MMMM EEE EEEE a hh DDD", at) == "Mar March Thu Thursday PM 02 064"
    assert java_datetime_format("'It''s' yyyy['Q']", at) == "It's 2026Q"


# --- PutRecordBatch and metrics ------------------------------------------------------------------------------------


def test_put_record_batch_refuses_a_record_over_aws_limit(emulator: Emulator) -> None:
    name = make_stream("toolarge")
    with pytest.raises(ClientError) as raised:
        put(name, [b"x" * (FIREHOSE_MAX_RECORD_BYTES + 1)])
    assert raised.value.response["Error"]["Code"] == "InvalidArgumentException"


def metric(name: str, stream: str, statistic: str) -> list[float]:
    points = aws_client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Firehose",
        MetricName=name,
        Dimensions=[{"Name": "DeliveryStreamName", "Value": stream}],
        StartTime=ARRIVAL - timedelta(hours=1),
        EndTime=ARRIVAL + timedelta(hours=1),
        Period=3600,
        Statistics=[statistic],
    )["Datapoints"]
    return [point[statistic] for point in points]


def test_deliveries_publish_firehose_metrics(emulator: Emulator, clock: None) -> None:
    """IncomingRecords/Bytes per call; DeliveryToS3.Records/Bytes/Success per object; DataFreshness is the oldest
    record's age when it was delivered (42 s here)."""
    name = make_stream("metrics")
    records = lines(7, "m")
    put(name, records[:4])
    put(name, records[4:])
    move_clock(emulator, 42)
    flush_firehose(emulator.endpoint_url, name)
    size = float(sum(len(record) for record in records))
    assert metric("IncomingRecords", name, "Sum") == [7.0] and metric("IncomingBytes", name, "Sum") == [size]
    assert metric("DeliveryToS3.Records", name, "Sum") == [7.0] and metric("DeliveryToS3.Bytes", name, "Sum") == [size]
    assert metric("DeliveryToS3.Success", name, "Minimum") == [1.0]
    assert metric("DeliveryToS3.DataFreshness", name, "Maximum") == [42.0]


def test_a_delivery_s3_refuses_is_dropped_and_reported(emulator: Emulator, clock: None) -> None:
    """The bucket is gone: AWS retries for 24 h and drops the data; locally it is dropped at once, Success 0."""
    name = make_stream("nobucket")
    firehose().update_destination(
        DeliveryStreamName=name,
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"BucketARN": "arn:aws:s3:::no-such-bucket-here"},
    )
    put(name, [b"lost\n"])
    (delivery,) = flush_firehose(emulator.endpoint_url, name)
    assert delivery["key"] is None and "NoSuchBucket" in delivery["failure"]
    assert metric("DeliveryToS3.Success", name, "Maximum") == [0.0]
