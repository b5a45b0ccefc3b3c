"""Infrastructure faults under the real program and consumer: each ends with 0 lost, poison quarantined."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.function_host import FunctionConfig
from emulator.server import Emulator
from tests.emulator.scenarios import FACTORS, assert_nothing_lost, run_scenario


class FaultyClient:
    """Wraps a boto3 client; `faults` maps an operation to a function that may raise or answer instead."""

    def __init__(self, client: Any, faults: dict[str, Any]) -> None:
        self._client = client
        self._faults = faults
        self.injected = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        operation = getattr(self._client, name)
        fault = self._faults.get(name)
        if fault is None:
            return operation

        def call(**kwargs: Any) -> Any:
            return fault(self, operation, kwargs)

        return call

    def count(self) -> None:
        with self._lock:
            self.injected += 1


def install(module: ModuleType, service: str, client: FaultyClient) -> None:
    """The consumer handler reuses `CLIENT_CACHE.clients[service]`; filling it first puts the fault in its path."""
    module.CLIENT_CACHE.clients[service] = client


def _real(module: ModuleType, service: str) -> Any:
    import boto3

    return boto3.client(service, config=module.CLIENT_CACHE.config)


@pytest.mark.parametrize("factor", FACTORS)
def test_crash_after_delivery_before_checkpoint_redelivers_and_loses_nothing(
    emulator: Emulator, tmp_path: Path, factor: int
) -> None:
    """The function dies right after a Firehose call succeeded: nothing after it (checkpoint, marks) is written."""
    crashes = itertools.count()
    clients: list[FaultyClient] = []

    def crash_after_delivery(client: FaultyClient, operation: Any, kwargs: dict[str, Any]) -> Any:
        answer = operation(**kwargs)
        if next(crashes) < 3:
            client.count()
            raise RuntimeError("injected crash: the batch is in Firehose, nothing after it happened")
        return answer

    def on_load(config: FunctionConfig, module: ModuleType) -> None:
        client = FaultyClient(_real(module, "firehose"), {"put_record_batch": crash_after_delivery})
        clients.append(client)
        install(module, "firehose", client)

    result = run_scenario(emulator, tmp_path, "crash", on_load=on_load, parallelization=factor)
    assert clients[0].injected == 3 and result.stats.function_errors >= 3
    assert result.audit.total("duplicates") > 0  # the crashed batches were delivered, then delivered again
    assert_nothing_lost(result)


@pytest.mark.parametrize("factor", FACTORS)
def test_firehose_partial_failures_are_retried_without_loss(emulator: Emulator, tmp_path: Path, factor: int) -> None:
    calls = itertools.count()
    clients: list[FaultyClient] = []

    def fail_every_third_record(client: FaultyClient, operation: Any, kwargs: dict[str, Any]) -> Any:
        call = next(calls)
        if call >= 9:
            return operation(**kwargs)
        records = kwargs["Records"]
        # the consumer packs many lines into one Firehose record, so calls often carry a single record
        failed = {index for index in range(len(records)) if (index + call) % 3 == 1}
        sent = (
            operation(
                DeliveryStreamName=kwargs["DeliveryStreamName"],
                Records=[r for i, r in enumerate(records) if i not in failed],
            )
            if len(failed) < len(records)
            else {"RequestResponses": []}
        )
        answers = iter(sent["RequestResponses"])
        responses = []
        for index in range(len(records)):
            if index in failed:
                client.count()
                responses.append(
                    {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "injected partial failure"}
                )
            else:
                responses.append(next(answers))
        return {"FailedPutCount": len(failed), "Encrypted": False, "RequestResponses": responses}

    def on_load(config: FunctionConfig, module: ModuleType) -> None:
        client = FaultyClient(_real(module, "firehose"), {"put_record_batch": fail_every_third_record})
        clients.append(client)
        install(module, "firehose", client)

    result = run_scenario(emulator, tmp_path, "firehose", events=1200, on_load=on_load, parallelization=factor)
    assert clients[0].injected > 0
    assert_nothing_lost(result)


@pytest.mark.parametrize("factor", FACTORS)
def test_dynamodb_throttling_of_checkpoints_loses_nothing(emulator: Emulator, tmp_path: Path, factor: int) -> None:
    calls = itertools.count()
    clients: list[FaultyClient] = []

    def throttle_every_other_call(client: FaultyClient, operation: Any, kwargs: dict[str, Any]) -> Any:
        if next(calls) % 2 == 0:
            client.count()
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected throttling"}}
            raise ClientError(error, operation.__name__)  # type: ignore[arg-type]
        return operation(**kwargs)

    def on_load(config: FunctionConfig, module: ModuleType) -> None:
        faults = {"get_item": throttle_every_other_call, "update_item": throttle_every_other_call}
        client = FaultyClient(_real(module, "dynamodb"), faults)
        clients.append(client)
        install(module, "dynamodb", client)

    result = run_scenario(emulator, tmp_path, "throttle", on_load=on_load, parallelization=factor)
    assert clients[0].injected > 0
    assert_nothing_lost(result)
