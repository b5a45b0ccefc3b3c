"""Firehose's S3 delivery as AWS runs it, in the emulator process, in place of moto's one-object-per-call write.

moto writes every PutRecordBatch at once into one uncompressed object under `<Prefix>YYYY/MM/DD/HH/`. Here
(`install`, called by `emulator.server_process`) a DirectPut stream with an S3 or extended S3 destination:

- **validates** its `Prefix`/`ErrorOutputPrefix` at CreateDeliveryStream/UpdateDestination (`emulator.firehose_prefix`)
  and its `BufferingHints` (1-128 MiB, 0-900 s: `functions.aws_limits`), answering InvalidArgumentException;
- **accepts** PutRecordBatch within AWS's limits ("up to 500 records. Each record in the request can be as large as
  1,000 KB (before base64 encoding), up to a limit of 4 MB for the entire request",
  https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html), answering a `RecordId` per record,
  `FailedPutCount` and `Encrypted` (whether the stream has server-side encryption on);
- **buffers** records per stream until `SizeInMBs` of incoming (uncompressed) data or `IntervalInSeconds` since the
  buffer's first record, "The condition satisfied first triggers data delivery"
  (https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html, "Data Delivery Frequency";
  https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html). A timer thread delivers what
  is due; `EMULATOR_FIREHOSE_INTERVAL_SECONDS` caps the interval for local runs; `POST /moto-api/local/firehose/flush`
  delivers every buffer now (the demo's drain and `streamctl local run`'s shutdown call it: `flush_firehose`);
- **writes** one object per delivered buffer: the records concatenated byte for byte ("Firehose concatenates data
  without any delimiters", basic-deliver.html, "Data delivery format"), compressed by `CompressionFormat`
  (`streamctl.lake_objects`), named `<evaluated Prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`
  at the oldest record's arrival, SSE-KMS with `EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN` when set;
- **fails** a delivery AWS would not complete (the deploy's authorization found the role's writes denied, or S3
  refuses the put): AWS retries S3 for 24 hours and then drops the data
  (https://docs.aws.amazon.com/firehose/latest/dev/retry.html, "Amazon S3"); here the buffer is dropped at once and
  counted (`dropped`). S3 delivery failures never go to the error prefix;
- **routes** records that fail processing or format conversion to the evaluated `ErrorOutputPrefix` with
  `!{firehose:error-output-type}` as AWS names it. A DirectPut stream without processing or conversion (the
  platform's) has no such failures, so local mode injects them: `POST /moto-api/local/firehose/fail`. Each failed
  record is one JSON line (`attemptsMade`, `arrivalTimestamp`, `errorCode`, `errorMessage`,
  `attemptEndingTimestamp`, `rawData`, the layout basic-deliver.html shows for failed records);
- **publishes** AWS/Firehose metrics by `DeliveryStreamName`
  (https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html): `IncomingRecords`,
  `IncomingBytes`, `PutRecordBatch.Requests/Records/Bytes` per call; per delivery `DeliveryToS3.Success` (1 or 0:
  "successful Amazon S3 put commands over ... all Amazon S3 put commands"), `DeliveryToS3.Records`,
  `DeliveryToS3.Bytes` (the records' bytes, comparable with IncomingBytes); and `DeliveryToS3.DataFreshness`, "the
  age ... of the oldest record in Kinesis Firehose" in seconds, at each delivery and once a minute while records wait.

Not emulated: dynamic partitioning, data transformation (Lambda processors), format conversion, CustomTimeZone, the
24-hour retry, Firehose raising the buffer size when delivery falls behind, S3 backup.

`POST /moto-api/local/firehose/clock {"epoch": seconds | null}` fixes (or releases) the clock used for arrival
times, names and intervals, and delivers what became due: tests assert exact keys and interval flushes without
sleeping.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from emulator import firehose_prefix
from emulator.server import local_api
from functions import aws_limits as aws
from streamctl.lake_objects import COMPRESSIONS, compress

INTERVAL_CAP_ENV: Final = "EMULATOR_FIREHOSE_INTERVAL_SECONDS"
FLUSH_ROUTE: Final = "/moto-api/local/firehose/flush"
CLOCK_ROUTE: Final = "/moto-api/local/firehose/clock"
FAIL_ROUTE: Final = "/moto-api/local/firehose/fail"
TICK_S: Final = 0.2
FRESHNESS_PERIOD_S: Final = 60.0  # "Firehose accumulates and publishes a particular metric ... in one minute intervals"
MIB: Final = 1024 * 1024
# Firehose's defaults when BufferingHints leaves a field out (API_BufferingHints.html).
DEFAULT_BUFFER_MB: Final = 5
DEFAULT_BUFFER_SECONDS: Final = 300
S3_DESTINATIONS: Final = ("ExtendedS3", "S3")


def interval_cap_from_env(environ: dict[str, str] | None = None) -> float | None:
    """`EMULATOR_FIREHOSE_INTERVAL_SECONDS`: the longest local buffer interval, or None (AWS's interval)."""
    raw = (environ if environ is not None else os.environ).get(INTERVAL_CAP_ENV, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{INTERVAL_CAP_ENV}={raw!r} is not a number of seconds") from None
    if value < 0:
        raise ValueError(f"{INTERVAL_CAP_ENV}={raw!r} must be 0 or more seconds")
    return value


@dataclass
class Buffer:
    """Records of one delivery stream waiting for their object, with the arrival of each."""

    backend: Any  # the stream's moto FirehoseBackend (account and region)
    name: str
    records: list[bytes] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    size: int = 0
    freshness_published_at: float = 0.0

    @property
    def oldest(self) -> float:
        return self.arrivals[0]


@dataclass
class InjectedFailure:
    """The next `records` records of a stream fail as `error_output_type` instead of being delivered."""

    records: int
    error_output_type: str
    error_code: str
    error_message: str


@dataclass
class Delivery:
    """What one delivery did: the object written (or None) and why it was not."""

    stream: str
    key: str | None
    records: int
    failure: str | None = None


def s3_destination(stream: Any) -> dict[str, Any] | None:
    """The stream's S3 destination description (extended first, as moto keeps both), or None for other kinds."""
    for destination in stream.destinations:
        for kind in S3_DESTINATIONS:
            if kind in destination:
                return dict(destination[kind])
    return None


def buffering(destination: dict[str, Any]) -> tuple[int, int]:
    hints = destination.get("BufferingHints") or {}
    return int(hints.get("SizeInMBs") or DEFAULT_BUFFER_MB), int(hints.get("IntervalInSeconds", DEFAULT_BUFFER_SECONDS))


def validate_destination(destination: dict[str, Any]) -> None:
    """What CreateDeliveryStream / UpdateDestination refuse in an S3 destination: prefixes, hints, compression."""
    firehose_prefix.validate(destination.get("Prefix") or "", destination.get("ErrorOutputPrefix") or "")
    hints = destination.get("BufferingHints") or {}
    size, interval = hints.get("SizeInMBs"), hints.get("IntervalInSeconds")
    if size is not None and not aws.FIREHOSE_MIN_BUFFER_MB <= int(size) <= aws.FIREHOSE_MAX_BUFFER_MB:
        raise firehose_prefix.PrefixError(
            f"BufferingHints.SizeInMBs {size} is outside {aws.FIREHOSE_MIN_BUFFER_MB}-{aws.FIREHOSE_MAX_BUFFER_MB}"
        )
    if interval is not None and not aws.FIREHOSE_MIN_BUFFER_SECONDS <= int(interval) <= aws.FIREHOSE_MAX_BUFFER_SECONDS:
        raise firehose_prefix.PrefixError(
            f"BufferingHints.IntervalInSeconds {interval} is outside "
            f"{aws.FIREHOSE_MIN_BUFFER_SECONDS}-{aws.FIREHOSE_MAX_BUFFER_SECONDS}"
        )
    compression = destination.get("CompressionFormat") or "UNCOMPRESSED"
    if compression not in COMPRESSIONS:
        raise firehose_prefix.PrefixError(f"CompressionFormat '{compression}' is not one of {', '.join(COMPRESSIONS)}")


class FirehoseDelivery:
    """Buffers, delivers and meters every S3 delivery stream of the emulator (all accounts and regions)."""

    def __init__(
        self,
        denied: Callable[[str], str | None],
        dropped: Callable[[str, int], None],
        interval_cap_s: float | None = None,
    ) -> None:
        self.denied = denied  # why AWS would refuse the stream's writes (by stream ARN), or None
        self.dropped = dropped  # records accepted and never written, by stream ARN
        self.interval_cap_s = interval_cap_s
        self.fixed_clock: float | None = None
        self.buffers: dict[tuple[str, str, str], Buffer] = {}
        self.failures: dict[tuple[str, str, str], list[InjectedFailure]] = {}
        self.lock = threading.RLock()
        self.stopping = threading.Event()

    # --- clock and configuration ---------------------------------------------------------------------------------

    def now(self) -> float:
        return self.fixed_clock if self.fixed_clock is not None else time.time()

    def interval_s(self, destination: dict[str, Any]) -> float:
        interval = float(buffering(destination)[1])
        return interval if self.interval_cap_s is None else min(interval, self.interval_cap_s)

    @staticmethod
    def key(backend: Any, name: str) -> tuple[str, str, str]:
        return (backend.account_id, backend.region_name, name)

    # --- PutRecordBatch ------------------------------------------------------------------------------------------

    def put_record_batch(self, backend: Any, name: str, records: list[dict[str, Any]]) -> dict[str, Any] | None:
        """AWS's answer for an S3 stream (records buffered), or None for a stream moto should handle itself."""
        from moto.firehose.exceptions import InvalidArgumentException, ResourceNotFoundException

        stream = backend.delivery_streams.get(name)
        if stream is None:
            raise ResourceNotFoundException(f"Firehose {name} under account {backend.account_id} not found.")
        destination = s3_destination(stream)
        if destination is None:
            return None
        payloads = [_record_bytes(record) for record in records]
        if not 1 <= len(payloads) <= aws.FIREHOSE_MAX_RECORDS_PER_CALL:
            raise InvalidArgumentException(
                f"PutRecordBatch takes 1 to {aws.FIREHOSE_MAX_RECORDS_PER_CALL} records, not {len(payloads)}"
            )
        for index, payload in enumerate(payloads):
            if len(payload) > aws.FIREHOSE_MAX_RECORD_BYTES:
                raise InvalidArgumentException(
                    f"Records[{index}] is {len(payload)} bytes; a record may be {aws.FIREHOSE_MAX_RECORD_BYTES}"
                )
        total = sum(len(payload) for payload in payloads)
        if total > aws.FIREHOSE_MAX_BYTES_PER_CALL:
            raise InvalidArgumentException(
                f"PutRecordBatch carries {total} bytes; a call may carry {aws.FIREHOSE_MAX_BYTES_PER_CALL}"
            )
        size_limit = buffering(destination)[0] * MIB
        arrival = self.now()
        with self.lock:
            key = self.key(backend, name)
            for payload in payloads:
                buffer = self.buffers.setdefault(key, Buffer(backend, name))
                buffer.records.append(payload)
                buffer.arrivals.append(arrival)
                buffer.size += len(payload)
                if buffer.size >= size_limit:
                    self._deliver(key)
            if key in self.buffers and self.interval_s(destination) <= 0:
                self._deliver(key)
        dimensions = [{"Name": "DeliveryStreamName", "Value": name}]
        _publish(
            backend,
            arrival,
            [
                ("IncomingRecords", float(len(payloads)), "Count"),
                ("IncomingBytes", float(total), "Bytes"),
                ("PutRecordBatch.Requests", 1.0, "Count"),
                ("PutRecordBatch.Records", float(len(payloads)), "Count"),
                ("PutRecordBatch.Bytes", float(total), "Bytes"),
            ],
            dimensions,
        )
        encryption = stream.delivery_stream_encryption_configuration or {}
        return {
            "FailedPutCount": 0,
            "Encrypted": bool(encryption) and encryption.get("Status", "ENABLED") != "DISABLED",
            "RequestResponses": [{"RecordId": _record_id()} for _ in payloads],
        }

    # --- delivery ------------------------------------------------------------------------------------------------

    def flush(self, name: str | None = None) -> list[Delivery]:
        """Deliver every buffer now (or only the named stream's, in every account and region)."""
        with self.lock:
            return [
                delivery
                for key in list(self.buffers)
                if name is None or key[2] == name
                for delivery in self._deliver(key)
            ]

    def deliver_due(self) -> list[Delivery]:
        """Deliver the buffers whose interval has passed; publish DataFreshness for those still waiting."""
        deliveries: list[Delivery] = []
        with self.lock:
            now = self.now()
            for key, buffer in list(self.buffers.items()):
                stream = buffer.backend.delivery_streams.get(buffer.name)
                destination = s3_destination(stream) if stream is not None else None
                if destination is None:
                    self.buffers.pop(key, None)  # "Deletes a Firehose stream and its data" (DeleteDeliveryStream)
                    continue
                if now - buffer.oldest >= self.interval_s(destination):
                    deliveries.extend(self._deliver(key))
                elif now - buffer.freshness_published_at >= FRESHNESS_PERIOD_S:
                    buffer.freshness_published_at = now
                    self._publish_freshness(buffer, now)
        return deliveries

    def run_timer(self) -> None:
        while not self.stopping.wait(TICK_S):
            try:
                self.deliver_due()
            except Exception as error:  # the timer must outlive one bad delivery; the error is in the server log
                print(f"firehose delivery timer: {type(error).__name__}: {error}", flush=True)

    def _publish_freshness(self, buffer: Buffer, now: float) -> None:
        _publish(
            buffer.backend,
            now,
            [("DeliveryToS3.DataFreshness", max(0.0, now - buffer.oldest), "Seconds")],
            [{"Name": "DeliveryStreamName", "Value": buffer.name}],
        )

    def _deliver(self, key: tuple[str, str, str]) -> list[Delivery]:
        buffer = self.buffers.pop(key, None)
        if buffer is None or not buffer.records:
            return []
        stream = buffer.backend.delivery_streams.get(buffer.name)
        destination = s3_destination(stream) if stream is not None else None
        if stream is None or destination is None:
            return []
        deliveries: list[Delivery] = []
        records, arrivals = buffer.records, buffer.arrivals
        failed = self._take_failures(key, len(records))
        if failed:
            failing = sum(count for count, _ in failed)
            deliveries.extend(self._deliver_failed(buffer, stream, destination, records[:failing], arrivals, failed))
            records, arrivals = records[failing:], arrivals[failing:]
        if records:
            deliveries.append(self._deliver_records(buffer, stream, destination, records, arrivals[0]))
        return deliveries

    def _deliver_records(
        self, buffer: Buffer, stream: Any, destination: dict[str, Any], records: list[bytes], oldest: float
    ) -> Delivery:
        instant = datetime.fromtimestamp(oldest, UTC)
        prefix = firehose_prefix.evaluate(destination.get("Prefix") or "", instant)
        written = self._write(buffer, stream, destination, prefix, instant, b"".join(records), len(records))
        now = self.now()
        dimensions = [{"Name": "DeliveryStreamName", "Value": buffer.name}]
        metrics = [("DeliveryToS3.Success", 1.0 if written.key else 0.0, "None")]
        if written.key:
            metrics += [
                ("DeliveryToS3.Records", float(len(records)), "Count"),
                ("DeliveryToS3.Bytes", float(sum(len(record) for record in records)), "Bytes"),
            ]
        metrics.append(("DeliveryToS3.DataFreshness", max(0.0, now - oldest), "Seconds"))
        _publish(buffer.backend, now, metrics, dimensions)
        return written

    def _deliver_failed(
        self,
        buffer: Buffer,
        stream: Any,
        destination: dict[str, Any],
        records: list[bytes],
        arrivals: list[float],
        failed: list[tuple[int, InjectedFailure]],
    ) -> list[Delivery]:
        """One error object per error-output-type, under the evaluated ErrorOutputPrefix."""
        deliveries = []
        start = 0
        now_ms = int(self.now() * 1000)
        for count, failure in failed:
            lines = [
                json.dumps(
                    {
                        "attemptsMade": 1,
                        "arrivalTimestamp": int(arrivals[index] * 1000),
                        "errorCode": failure.error_code,
                        "errorMessage": failure.error_message,
                        "attemptEndingTimestamp": now_ms,
                        "rawData": base64.b64encode(records[index]).decode(),
                    }
                ).encode()
                + b"\n"
                for index in range(start, start + count)
            ]
            instant = datetime.fromtimestamp(arrivals[start], UTC)
            prefix = firehose_prefix.evaluate_error(
                destination.get("Prefix") or "",
                destination.get("ErrorOutputPrefix") or "",
                instant,
                failure.error_output_type,
            )
            deliveries.append(self._write(buffer, stream, destination, prefix, instant, b"".join(lines), count))
            start += count
        return deliveries

    def _write(
        self,
        buffer: Buffer,
        stream: Any,
        destination: dict[str, Any],
        prefix: str,
        instant: datetime,
        data: bytes,
        records: int,
    ) -> Delivery:
        """PutObject into the destination bucket as the delivery role, or drop the data as AWS does after 24 h."""
        from moto.s3.models import s3_backends

        refusal = self.denied(stream.delivery_stream_arn)
        if refusal is not None:
            self.dropped(stream.delivery_stream_arn, records)
            return Delivery(buffer.name, None, records, refusal)
        compression = COMPRESSIONS[destination.get("CompressionFormat") or "UNCOMPRESSED"]
        name = firehose_prefix.object_name(buffer.name, stream.version_id, instant, compression.extension)
        key = prefix + name
        kms = ((destination.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig") or {}).get("AWSKMSKeyARN")
        body = compress(compression.format, data, entry_name=name.removesuffix(compression.extension))
        bucket = str(destination["BucketARN"]).split(":")[-1]
        try:
            s3_backends[buffer.backend.account_id][buffer.backend.partition].put_object(
                bucket, key, body, encryption="aws:kms" if kms else None, kms_key_id=kms
            )
        except Exception as error:  # NoSuchBucket and the like: AWS retries, then drops the data
            self.dropped(stream.delivery_stream_arn, records)
            return Delivery(buffer.name, None, records, f"S3 PutObject failed: {type(error).__name__}: {error}")
        return Delivery(buffer.name, key, records)

    # --- injected failures ---------------------------------------------------------------------------------------

    def inject_failures(self, backend: Any, name: str, failure: InjectedFailure) -> None:
        if failure.error_output_type not in firehose_prefix.ERROR_OUTPUT_TYPES:
            raise ValueError(
                f"errorOutputType '{failure.error_output_type}' is not one of "
                f"{', '.join(firehose_prefix.ERROR_OUTPUT_TYPES)}"
            )
        with self.lock:
            self.failures.setdefault(self.key(backend, name), []).append(failure)

    def _take_failures(self, key: tuple[str, str, str], available: int) -> list[tuple[int, InjectedFailure]]:
        """Consume injected failures for up to `available` records: (records failing, failure) in order."""
        taken: list[tuple[int, InjectedFailure]] = []
        queue = self.failures.get(key, [])
        while queue and available > 0:
            failure = queue[0]
            count = min(failure.records, available)
            taken.append((count, failure))
            available -= count
            failure.records -= count
            if failure.records == 0:
                queue.pop(0)
        return taken


def _record_bytes(record: dict[str, Any]) -> bytes:
    data = record.get("Data", b"")
    return data if isinstance(data, bytes) else base64.b64decode(data)


def _record_id() -> str:
    """An opaque id per accepted record, as PutRecordBatch's RequestResponses carry."""
    return uuid.uuid4().hex + uuid.uuid4().hex


def _publish(backend: Any, at: float, metrics: list[tuple[str, float, str]], dimensions: list[dict[str, str]]) -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    timestamp = datetime.fromtimestamp(at, UTC).replace(tzinfo=None)  # naive UTC, as moto's own utcnow()
    data = [
        {"MetricName": name, "Value": value, "Unit": unit, "Dimensions": dimensions, "Timestamp": timestamp}
        for name, value, unit in metrics
    ]
    cloudwatch_backends[backend.account_id][backend.region_name].put_metric_data("AWS/Firehose", data)


def _s3_config(configuration: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if configuration:
        yield configuration


def install(delivery: FirehoseDelivery) -> None:
    """Patch moto's FirehoseBackend and register the local routes; start the delivery timer."""
    from moto.firehose.exceptions import InvalidArgumentException
    from moto.firehose.models import FirehoseBackend
    from moto.moto_api._internal import urls

    original_create = FirehoseBackend.create_delivery_stream
    original_update = FirehoseBackend.update_destination
    original_put = FirehoseBackend.put_record_batch

    def create_delivery_stream(self: FirehoseBackend, *args: Any) -> str:
        # (region, name, type, kinesis source, encryption, S3 destination, extended S3 destination, ...)
        for configuration in (*_s3_config(args[5]), *_s3_config(args[6])):
            try:
                validate_destination(configuration)
            except firehose_prefix.PrefixError as error:
                raise InvalidArgumentException(str(error)) from None
        return str(original_create(self, *args))

    def update_destination(self: FirehoseBackend, name: str, version: str, destination_id: str, *args: Any) -> None:
        # (S3 update, extended S3 update, ...): checked as merged onto the current destination
        stream = self.delivery_streams.get(name)
        current = s3_destination(stream) if stream is not None else None
        for update in (*_s3_config(args[0]), *_s3_config(args[1])):
            try:
                validate_destination({**(current or {}), **update})
            except firehose_prefix.PrefixError as error:
                raise InvalidArgumentException(str(error)) from None
        delivery.flush(name)  # what was buffered is written with the version it arrived under
        original_update(self, name, version, destination_id, *args)

    def put_record_batch(self: FirehoseBackend, name: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        answer = delivery.put_record_batch(self, name, records)
        return answer if answer is not None else original_put(self, name, records)

    def backend_for(body: dict[str, Any]) -> Any:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.firehose.models import firehose_backends

        account = str(body.get("account") or DEFAULT_ACCOUNT_ID)
        return firehose_backends[account][str(body.get("region") or "us-east-1")]

    def respond(payload: Any, status: int = 200) -> tuple[int, dict[str, str], str]:
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    def flush_route(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        """POST {"deliveryStreamName"?}: deliver every buffer (or one stream's) now; the objects written."""
        body = json.loads(request.get_data() or b"{}")
        deliveries = delivery.flush(body.get("deliveryStreamName"))
        return respond({"deliveries": [d.__dict__ for d in deliveries]})

    def clock_route(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        """POST {"epoch": seconds | null}: fix (or release) the delivery clock, then deliver what is due."""
        body = json.loads(request.get_data() or b"{}")
        epoch = body.get("epoch")
        with delivery.lock:
            delivery.fixed_clock = None if epoch is None else float(epoch)
            deliveries = delivery.deliver_due()
        return respond({"epoch": delivery.fixed_clock, "deliveries": [d.__dict__ for d in deliveries]})

    def fail_route(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        """POST {"deliveryStreamName", "records", "errorOutputType", "errorCode"?, "errorMessage"?}."""
        body = json.loads(request.get_data() or b"{}")
        failure = InjectedFailure(
            int(body["records"]),
            str(body["errorOutputType"]),
            str(body.get("errorCode") or "Lambda.FunctionError"),
            str(body.get("errorMessage") or "injected by local mode"),
        )
        try:
            delivery.inject_failures(backend_for(body), str(body["deliveryStreamName"]), failure)
        except ValueError as error:
            return respond({"error": str(error)}, 400)
        return respond({"injected": failure.__dict__})

    FirehoseBackend.create_delivery_stream = create_delivery_stream  # type: ignore[method-assign,assignment]
    FirehoseBackend.update_destination = update_destination  # type: ignore[method-assign,assignment]
    FirehoseBackend.put_record_batch = put_record_batch  # type: ignore[method-assign,assignment]
    urls.url_paths["{0}" + FLUSH_ROUTE] = flush_route
    urls.url_paths["{0}" + CLOCK_ROUTE] = clock_route
    urls.url_paths["{0}" + FAIL_ROUTE] = fail_route
    threading.Thread(target=delivery.run_timer, name="firehose-delivery", daemon=True).start()


# --- clients of the routes (the demo, the runtime, tests) ------------------------------------------------------------


def flush_firehose(endpoint_url: str, delivery_stream_name: str | None = None) -> list[dict[str, Any]]:
    """Deliver what the emulator's Firehose buffers hold now; the deliveries (none from a server without the route)."""
    body = {} if delivery_stream_name is None else {"deliveryStreamName": delivery_stream_name}
    answer = local_api(endpoint_url, FLUSH_ROUTE, "POST", body)
    return [] if answer is None else list(answer["deliveries"])


def set_firehose_clock(endpoint_url: str, epoch: float | None) -> list[dict[str, Any]]:
    """Fix the local Firehose's clock at `epoch` (None: real time again); the deliveries that became due."""
    answer = local_api(endpoint_url, CLOCK_ROUTE, "POST", {"epoch": epoch})
    return [] if answer is None else list(answer["deliveries"])


def inject_firehose_failures(
    endpoint_url: str, delivery_stream_name: str, records: int, error_output_type: str, error_code: str | None = None
) -> None:
    """Make the stream's next `records` records fail as `error_output_type` (they go to the error prefix)."""
    body = {
        "deliveryStreamName": delivery_stream_name,
        "records": records,
        "errorOutputType": error_output_type,
        "errorCode": error_code,
    }
    if local_api(endpoint_url, FAIL_ROUTE, "POST", body) is None:
        raise RuntimeError(f"{endpoint_url} has no {FAIL_ROUTE}: not an emulator started by streamctl")
