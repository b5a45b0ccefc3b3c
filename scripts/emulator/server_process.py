"""The emulator process: moto's server on loopback, with five moto behaviours brought in line with AWS.

1. moto delivers every Kinesis put to each event source mapping's function by running it in Docker
   (there is none here). The mappings stay stored in the emulator; only the local runtime invokes them.
2. moto's SplitShard/MergeShards move the parent's records into the children (new sequence numbers,
   new arrival times), so a consumer would read them twice. In AWS a closed parent keeps its records
   until retention expires and children start empty; this process does the same, and routes new
   records to open shards only (moto would also route them to the closed parent).
3. moto treats a bucket-policy statement whose Condition does not match as a Deny, so the platform's
   "deny unless aws:SecureTransport" statement denies every request. Here a statement applies only when
   its conditions hold, evaluated with aws:SecureTransport true (AWS endpoints are all TLS).
4. moto's PutBucketLogging check reads every statement of the target bucket's policy as if its Principal
   were a mapping, and fails with a server error on `"Principal": "*"` (the TLS-only deny). Here such
   statements are skipped by that check, as they cannot grant the logging service anything.
5. moto's Firehose writes every PutRecordBatch at once into one uncompressed object, whatever the delivery role may do,
   under the literal prefix. Here Firehose's S3 delivery runs as AWS runs it (`emulator.firehose_delivery`: prefix
   expressions, buffering hints, compression, object names, SSE-KMS, error prefix, AWS/Firehose metrics), and a
   delivery stream whose writes the deployer found denied (`emulator.authorization`, published to
   `/moto-api/local/authorization`) accepts the records, as AWS does, and writes nothing: AWS retries a failing S3
   delivery for up to 24 hours and then drops the data (https://docs.aws.amazon.com/firehose/latest/dev/retry.html,
   "Amazon S3"). Each delivery reports `DeliveryToS3.Success` (1 or 0) in AWS/Firehose, and the process counts the
   records it dropped.

Run as `python -m emulator.server_process --port N`.
"""

from __future__ import annotations

import argparse
import hashlib
import threading
from operator import attrgetter
from types import SimpleNamespace
from typing import Any


def disable_moto_kinesis_delivery() -> None:
    from moto.awslambda.models import LambdaBackend

    def keep_mapping_only(self: LambdaBackend, **_: Any) -> None:
        return None

    LambdaBackend.send_kinesis_message = keep_mapping_only  # type: ignore[method-assign,assignment]


def keep_records_in_parent_shards() -> None:
    from moto.kinesis.exceptions import InvalidArgumentError
    from moto.kinesis.models import Shard, Stream

    def next_shard_index(stream: Stream) -> int:
        return int(sorted(stream.shards.values(), key=attrgetter("_shard_id"))[-1]._shard_id) + 1

    def split_shard(self: Stream, shard_to_split: str, new_starting_hash_key: str) -> None:
        new_start = int(new_starting_hash_key)
        shard = self.shards[shard_to_split]
        if not shard.starting_hash < new_start < shard.ending_hash:
            raise InvalidArgumentError(message=f"NewStartingHashKey {new_start} is outside shard {shard_to_split}")
        if not shard.is_open:
            raise InvalidArgumentError(message=f"Shard {shard.shard_id} has already been merged or split")
        first = next_shard_index(self)
        for index, (start, end) in enumerate(((shard.starting_hash, new_start - 1), (new_start, shard.ending_hash))):
            child = Shard(first + index, starting_hash=start, ending_hash=end, parent=shard.shard_id)
            self.shards[child.shard_id] = child
        shard.is_open = False

    def merge_shards(self: Stream, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
        shard1, shard2 = self.shards[shard_to_merge], self.shards[adjacent_shard_to_merge]
        if shard1.ending_hash + 1 != shard2.starting_hash and shard2.ending_hash + 1 != shard1.starting_hash:
            raise InvalidArgumentError(adjacent_shard_to_merge)
        low, high = sorted((shard1, shard2), key=attrgetter("starting_hash"))
        child = Shard(
            next_shard_index(self),
            starting_hash=low.starting_hash,
            ending_hash=high.ending_hash,
            parent=shard1.shard_id,
            adjacent_parent=shard2.shard_id,
        )
        self.shards[child.shard_id] = child
        shard1.is_open = False
        shard2.is_open = False

    original_shard_for_key = Stream.get_shard_for_key

    def get_shard_for_key(self: Stream, partition_key: str, explicit_hash_key: str) -> Shard | None:
        original_shard_for_key(self, partition_key, explicit_hash_key)  # moto's argument validation
        if explicit_hash_key:
            key = int(explicit_hash_key)
        else:
            key = int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)
        for shard in self.shards.values():
            if shard.is_open and shard.starting_hash <= key <= shard.ending_hash:
                return shard
        return None

    Stream.get_shard_for_key = get_shard_for_key  # type: ignore[method-assign]
    Stream.split_shard = split_shard  # type: ignore[method-assign]
    Stream.merge_shards = merge_shards  # type: ignore[method-assign]


# Condition keys the emulator can answer for every request; other keys are unknown (never match).
REQUEST_CONDITION_VALUES = {"aws:SecureTransport": "true"}


def evaluate_bucket_policy_conditions() -> None:
    import json

    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def conditions_hold(statement: dict[str, Any]) -> bool:
        """Bool/StringEquals on known keys; any other operator or key cannot be shown to hold."""
        for operator, pairs in (statement.get("Condition") or {}).items():
            for key, expected in pairs.items():
                actual = REQUEST_CONDITION_VALUES.get(key)
                allowed = [str(value).lower() for value in (expected if isinstance(expected, list) else [expected])]
                if operator not in ("Bool", "StringEquals") or actual is None or actual.lower() not in allowed:
                    return False
        return True

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy.decode())["Statement"]
        permitted = False
        for statement in statements if isinstance(statements, list) else [statements]:
            if not conditions_hold(statement):
                continue
            unconditional = {key: value for key, value in statement.items() if key != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def tolerate_wildcard_principals_in_logging_check() -> None:
    import json

    from moto.s3.models import FakeBucket

    original = FakeBucket._log_permissions_enabled_policy

    def log_permissions_enabled_policy(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
        if target_bucket.policy is None:
            return False
        policy = json.loads(target_bucket.policy.decode())
        statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
        mapped = [s for s in statements if isinstance(s.get("Principal"), dict)]
        # moto's check reads only the policy, name and partition of the target bucket.
        view: Any = SimpleNamespace(
            policy=json.dumps({**policy, "Statement": mapped}).encode(),
            name=target_bucket.name,
            partition=target_bucket.partition,
        )
        return bool(original(view, target_prefix))

    FakeBucket._log_permissions_enabled_policy = staticmethod(log_permissions_enabled_policy)  # type: ignore[method-assign]


def deliver_firehose_as_aws() -> None:
    import json
    from collections import Counter
    from urllib.parse import parse_qs, urlsplit

    from moto.moto_api._internal import urls

    from emulator.firehose_delivery import FirehoseDelivery, install, interval_cap_from_env

    stacks: dict[str, dict[str, Any]] = {}
    refused: dict[str, str] = {}  # delivery stream ARN -> why AWS would deny its S3 writes
    dropped: Counter[str] = Counter()
    lock = threading.Lock()

    def authorization(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        """POST a stack's record, DELETE ?stack=<name>, GET everything with the dropped-record counts."""
        with lock:
            if request.method == "POST":
                record = json.loads(request.get_data())
                stacks[str(record["stack"])] = record
            elif request.method == "DELETE":
                for stack in parse_qs(urlsplit(full_url).query).get("stack", []):
                    stacks.pop(stack, None)
            refused.clear()
            for record in stacks.values():
                for delivery in record["deliveries"]:
                    denials = [check for check in delivery["checks"] if check["decision"] != "Allowed"]
                    if denials:
                        refused[delivery["arn"]] = f"the deploy's authorization denies {len(denials)} of its requests"
            body = json.dumps({"stacks": stacks, "dropped": dict(dropped)})
        return 200, {"Content-Type": "application/json"}, body

    def denied(arn: str) -> str | None:
        with lock:
            return refused.get(arn)

    def record_dropped(arn: str, records: int) -> None:
        with lock:
            dropped[arn] += records

    install(FirehoseDelivery(denied, record_dropped, interval_cap_from_env()))
    urls.url_paths["{0}/moto-api/local/authorization"] = authorization


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    disable_moto_kinesis_delivery()
    keep_records_in_parent_shards()
    evaluate_bucket_policy_conditions()
    tolerate_wildcard_principals_in_logging_check()
    deliver_firehose_as_aws()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    # The server thread is a daemon: park the main thread until the process is terminated.
    threading.Event().wait()


if __name__ == "__main__":
    main()
