"""The pack as the Pulumi CLI meets it: `policy/__main__.py` serving the analyzer gRPC API on loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.pack import PACK_NAME, build_policies

REPO_ROOT = Path(__file__).resolve().parents[2]
MANDATORY = 1  # pulumirpc.EnforcementLevel.MANDATORY
ADVISORY = 0
STREAM_URN = "urn:pulumi:dev::streaming-platform::aws:kinesis/stream:Stream::clicks"


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    """Start the pack the way the CLI does (run __main__.py, read the port from its first line)."""
    server = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "policy" / "__main__.py")], stdout=subprocess.PIPE, text=True, cwd="/"
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _analyze_stream(analyzer: Any, props: dict[str, Any]) -> Any:
    properties = struct_pb2.Struct()
    properties.update(props)
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:kinesis/stream:Stream", properties=properties, urn=STREAM_URN, name="clicks"
    )
    return analyzer.Analyze(request, timeout=30)


def test_pack_serves_every_policy_as_mandatory(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == PACK_NAME
    assert {p.name for p in info.policies} == {p.name for p in build_policies()}
    assert {p.enforcementLevel for p in info.policies} == {MANDATORY}


def test_pack_blocks_an_unencrypted_stream(analyzer: Any) -> None:
    response = _analyze_stream(analyzer, {"name": "sp-dev-acme-clicks", "encryptionType": "NONE"})
    (diagnostic,) = response.diagnostics
    assert diagnostic.policyName == "kinesis-stream-kms-encrypted"
    assert diagnostic.enforcementLevel == MANDATORY
    assert "encryptionType is 'NONE'" in diagnostic.message


def test_pack_passes_an_encrypted_stream(analyzer: Any) -> None:
    response = _analyze_stream(
        analyzer, {"encryptionType": "KMS", "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"}
    )
    assert list(response.diagnostics) == []


def test_key_unknown_during_preview_is_advisory_until_up(analyzer: Any) -> None:
    """A key created in the same update has no ARN at preview: the engine re-checks it at `up`."""
    response = _analyze_stream(analyzer, {"encryptionType": "KMS", "kmsKeyId": UNKNOWN_STRING_VALUE})
    (diagnostic,) = response.diagnostics
    assert diagnostic.enforcementLevel == ADVISORY
    assert "can't be known during preview" in diagnostic.message
