"""Create and delete each resource type of the platform program in the emulator with boto3.

A provisioner takes the resource's Pulumi inputs and returns what AWS would: the physical id and the
computed outputs (ARN, name, URL...), so later resources are built from real emulator identifiers.
Types without a provisioner are held as fabricated state and reported as "not emulated".
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from emulator.api_shapes import api_value, json_text, pascal, tag_list
from infra.mock_runtime import fabricated_state
from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"


@dataclass
class Created:
    """What a provisioner made: its physical id, its outputs, what `delete` needs, and caveats."""

    id: str
    outputs: dict[str, Any]
    delete_args: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class ProvisionContext:
    """Clients for one emulator endpoint (boto3 clients are thread-safe; `new_resource` runs on several threads)."""

    def __init__(self, endpoint_url: str, region: str, account: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account = account
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._function_zip: bytes | None = None

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = aws_client(
                    service, region=self.region, endpoint_url=self.endpoint_url, max_pool_connections=20
                )
            return self._clients[service]

    def function_zip(self) -> bytes:
        """The `functions/` package zipped as the program's code archive describes it (sources only)."""
        with self._lock:
            if self._function_zip is None:
                self._function_zip = zip_functions_package(FUNCTIONS_DIR)
            return self._function_zip


def zip_functions_package(functions_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(functions_dir.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".json", ".txt"} and "__pycache__" not in path.parts:
                archive.write(path, str(path.relative_to(functions_dir.parent)))
    return buffer.getvalue()


Create = Callable[[ProvisionContext, str, Mapping[str, Any]], Created]
Delete = Callable[[ProvisionContext, dict[str, Any]], None]


def _name(logical: str, inputs: Mapping[str, Any]) -> str:
    return str(inputs.get("name") or logical)


def _arn(ctx: ProvisionContext, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{ctx.region}:{ctx.account}:{resource}"


# --- KMS -------------------------------------------------------------------------------------------


def create_kms_key(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    kms = ctx.client("kms")
    params: dict[str, Any] = {
        "Description": str(inputs.get("description", "")),
        "Tags": tag_list(inputs.get("tags"), "TagKey", "TagValue"),
    }
    if inputs.get("policy"):
        params["Policy"] = json_text(inputs["policy"])
    metadata = kms.create_key(**params)["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    # ScheduleKeyDeletion's window is the key's `deletion_window_in_days` (AWS's default, 30, when unset).
    window = int(inputs.get("deletionWindowInDays") or 30)
    return Created(
        metadata["KeyId"],
        {"keyId": metadata["KeyId"], "arn": metadata["Arn"]},
        {"KeyId": metadata["KeyId"], "PendingWindowInDays": window},
    )


def delete_kms_key(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("kms").schedule_key_deletion(**args)


def create_kms_alias(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name = _name(logical, inputs)
    ctx.client("kms").create_alias(AliasName=name, TargetKeyId=str(inputs["targetKeyId"]))
    return Created(name, {"arn": _arn(ctx, "kms", name)}, {"AliasName": name})


def delete_kms_alias(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("kms").delete_alias(**args)


# --- Kinesis and Firehose --------------------------------------------------------------------------


def create_kinesis_stream(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    kinesis = ctx.client("kinesis")
    name = _name(logical, inputs)
    mode = (inputs.get("streamModeDetails") or {}).get("streamMode", "PROVISIONED")
    params: dict[str, Any] = {"StreamName": name, "StreamModeDetails": {"StreamMode": mode}}
    if mode == "PROVISIONED":
        params["ShardCount"] = int(inputs.get("shardCount") or 1)
    if inputs.get("tags"):
        params["Tags"] = {str(k): str(v) for k, v in inputs["tags"].items()}
    kinesis.create_stream(**params)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    if inputs.get("encryptionType") == "KMS":
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=str(inputs["kmsKeyId"]))
    if inputs.get("shardLevelMetrics"):
        kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=list(inputs["shardLevelMetrics"]))
    retention = int(inputs.get("retentionPeriod") or 24)
    if retention > 24:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=retention)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    notes = ["on-demand capacity is not modelled: the emulator gives on-demand streams 4 shards, no throttling"]
    return Created(arn, {"name": name, "arn": arn}, {"StreamName": name}, notes if mode == "ON_DEMAND" else [])


def delete_kinesis_stream(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("kinesis").delete_stream(**args, EnforceConsumerDeletion=True)


def create_firehose(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    firehose = ctx.client("firehose")
    name = _name(logical, inputs)
    s3 = dict(inputs.get("extendedS3Configuration") or {})
    destination: dict[str, Any] = {
        "RoleARN": s3["roleArn"],
        "BucketARN": s3["bucketArn"],
        "Prefix": s3.get("prefix", ""),
        "ErrorOutputPrefix": s3.get("errorOutputPrefix", ""),
        "BufferingHints": {
            "SizeInMBs": int(s3.get("bufferingSize") or 5),
            "IntervalInSeconds": int(s3.get("bufferingInterval") or 300),
        },
        "CompressionFormat": s3.get("compressionFormat", "UNCOMPRESSED"),
    }
    if s3.get("kmsKeyArn"):
        destination["EncryptionConfiguration"] = {"KMSEncryptionConfig": {"AWSKMSKeyARN": s3["kmsKeyArn"]}}
    if s3.get("cloudwatchLoggingOptions"):
        destination["CloudWatchLoggingOptions"] = pascal(s3["cloudwatchLoggingOptions"])
    params: dict[str, Any] = {
        "DeliveryStreamName": name,
        "DeliveryStreamType": "DirectPut",
        "ExtendedS3DestinationConfiguration": destination,
        "Tags": tag_list(inputs.get("tags")),
    }
    sse = inputs.get("serverSideEncryption") or {}
    if sse.get("enabled"):
        params["DeliveryStreamEncryptionConfigurationInput"] = {
            "KeyType": sse.get("keyType"),
            "KeyARN": sse.get("keyArn"),
        }
    arn = firehose.create_delivery_stream(**params)["DeliveryStreamARN"]
    notes = [
        "buffering, compression, prefixes and object names as AWS (emulator.firehose_delivery); not emulated: the"
        " 24 h S3 retry (a failed delivery is dropped at once), dynamic partitioning, processing, format conversion"
    ]
    return Created(arn, {"name": name, "arn": arn}, {"DeliveryStreamName": name}, notes)


def delete_firehose(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("firehose").delete_delivery_stream(**args)


# --- S3 --------------------------------------------------------------------------------------------


def create_bucket(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    bucket = str(fabricated_state("aws:s3/bucket:Bucket", logical, inputs, ctx.region, ctx.account)["bucket"])
    s3 = ctx.client("s3")
    s3.create_bucket(Bucket=bucket)
    if inputs.get("tags"):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(inputs["tags"])})
    return Created(
        bucket,
        {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketRegionalDomainName": f"{bucket}.s3.{ctx.region}.amazonaws.com",
        },
        {"Bucket": bucket, FORCE_DESTROY: bool(inputs.get("forceDestroy"))},
    )


# delete_args of a bucket: whether it is emptied first, as the resource's `force_destroy` says.
FORCE_DESTROY = "ForceDestroy"
# DeleteObjects takes at most 1,000 keys (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
DELETE_OBJECTS_MAX_KEYS = 1000


def bucket_not_empty(bucket: str) -> ClientError:
    """What S3 answers DeleteBucket on a bucket holding any object version or delete marker: "The bucket you tried
    to delete is not empty. You must delete all versions in the bucket."
    (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html, BucketNotEmpty, 409)."""
    return ClientError(
        {
            "Error": {
                "Code": "BucketNotEmpty",
                "Message": f"The bucket you tried to delete is not empty. You must delete all versions in the bucket."
                f" ({bucket})",
            }
        },
        "DeleteBucket",
    )


def delete_bucket(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    """DeleteBucket as pulumi-aws does it: with `force_destroy` every object version and delete marker is deleted
    first (ListObjectVersions, then DeleteObjects by version id); without it a bucket that holds any is refused with
    BucketNotEmpty, as S3 refuses it (moto would delete a bucket of noncurrent versions only: it is kinder)."""
    s3 = ctx.client("s3")
    bucket = args["Bucket"]
    versions = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
    ]
    if versions and not args.get(FORCE_DESTROY, False):
        raise bucket_not_empty(bucket)
    for start in range(0, len(versions), DELETE_OBJECTS_MAX_KEYS):
        chunk = versions[start : start + DELETE_OBJECTS_MAX_KEYS]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def _bucket_setting(
    put: Callable[[ProvisionContext, str, Mapping[str, Any]], None], delete_method: str | None
) -> tuple[Create, Delete]:
    """A bucket sub-resource: one put call, id = bucket name, deleted with `delete_method` if any."""

    def create(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
        bucket = str(inputs["bucket"])
        put(ctx, bucket, inputs)
        return Created(bucket, {}, {"Bucket": bucket})

    def delete(ctx: ProvisionContext, args: dict[str, Any]) -> None:
        if delete_method is not None:
            getattr(ctx.client("s3"), delete_method)(**args)

    return create, delete


def _put_versioning(ctx: ProvisionContext, bucket: str, inputs: Mapping[str, Any]) -> None:
    status = (inputs.get("versioningConfiguration") or {}).get("status", "Enabled")
    ctx.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def _put_encryption(ctx: ProvisionContext, bucket: str, inputs: Mapping[str, Any]) -> None:
    rules = []
    for rule in inputs.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        entry: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default.get("sseAlgorithm")}}
        if default.get("kmsMasterKeyId"):
            entry["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        if "bucketKeyEnabled" in rule:
            entry["BucketKeyEnabled"] = bool(rule["bucketKeyEnabled"])
        rules.append(entry)
    ctx.client("s3").put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})


def _put_public_access_block(ctx: ProvisionContext, bucket: str, inputs: Mapping[str, Any]) -> None:
    keys = {
        "blockPublicAcls": "BlockPublicAcls",
        "ignorePublicAcls": "IgnorePublicAcls",
        "blockPublicPolicy": "BlockPublicPolicy",
        "restrictPublicBuckets": "RestrictPublicBuckets",
    }
    config = {api: bool(inputs.get(key, False)) for key, api in keys.items()}
    ctx.client("s3").put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)


def _put_policy(ctx: ProvisionContext, bucket: str, inputs: Mapping[str, Any]) -> None:
    ctx.client("s3").put_bucket_policy(Bucket=bucket, Policy=json_text(inputs["policy"]))


def _put_lifecycle(ctx: ProvisionContext, bucket: str, inputs: Mapping[str, Any]) -> None:
    rules = []
    for rule in inputs.get("rules") or []:
        entry = pascal(rule)
        entry["ID"] = entry.pop("Id", None) or "rule"
        if "Filter" not in entry:
            entry["Filter"] = {"Prefix": ""}
        rules.append(entry)
    ctx.client("s3").put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


def _put_logging(ctx: ProvisionContext, bucket: str, inputs: Mapping[str, Any]) -> None:
    ctx.client("s3").put_bucket_logging(
        Bucket=bucket,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": inputs["targetBucket"], "TargetPrefix": inputs.get("targetPrefix", "")}
        },
    )


def _put_ownership(ctx: ProvisionContext, bucket: str, inputs: Mapping[str, Any]) -> None:
    ownership = (inputs.get("rule") or {}).get("objectOwnership", "BucketOwnerEnforced")
    ctx.client("s3").put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}
    )


# --- DynamoDB --------------------------------------------------------------------------------------


def create_table(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    dynamodb = ctx.client("dynamodb")
    name = _name(logical, inputs)
    key_schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        key_schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    params: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs.get("attributes") or []
        ],
        "KeySchema": key_schema,
        "BillingMode": inputs.get("billingMode", "PAY_PER_REQUEST"),
        # DeleteTable on a protected table fails (moto enforces it as DynamoDB does).
        "DeletionProtectionEnabled": bool(inputs.get("deletionProtectionEnabled")),
        "Tags": tag_list(inputs.get("tags")),
    }
    if params["BillingMode"] == "PROVISIONED":
        params["ProvisionedThroughput"] = {
            "ReadCapacityUnits": int(inputs.get("readCapacity") or 1),
            "WriteCapacityUnits": int(inputs.get("writeCapacity") or 1),
        }
    sse = inputs.get("serverSideEncryption") or {}
    if sse.get("enabled"):
        params["SSESpecification"] = {
            "Enabled": True,
            "SSEType": "KMS",
            **({"KMSMasterKeyId": sse["kmsKeyArn"]} if sse.get("kmsKeyArn") else {}),
        }
    arn = dynamodb.create_table(**params)["TableDescription"]["TableArn"]
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    if inputs.get("ttl") and (inputs["ttl"] or {}).get("enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": inputs["ttl"]["attributeName"]}
        )
    return Created(name, {"name": name, "arn": arn}, {"TableName": name})


def delete_table(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("dynamodb").delete_table(**args)


# --- IAM -------------------------------------------------------------------------------------------


def create_role(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name = _name(logical, inputs)
    role = ctx.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json_text(inputs["assumeRolePolicy"]),
        Description=str(inputs.get("description", "")),
        Tags=tag_list(inputs.get("tags")),
    )["Role"]
    return Created(name, {"name": name, "arn": role["Arn"], "uniqueId": role["RoleId"]}, {"RoleName": name})


def delete_role(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    iam = ctx.client("iam")
    for policy in iam.list_role_policies(**args)["PolicyNames"]:
        iam.delete_role_policy(RoleName=args["RoleName"], PolicyName=policy)
    iam.delete_role(**args)


def create_role_policy(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name, role = _name(logical, inputs), str(inputs["role"])
    ctx.client("iam").put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json_text(inputs["policy"]))
    return Created(f"{role}:{name}", {"name": name}, {"RoleName": role, "PolicyName": name})


def delete_role_policy(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("iam").delete_role_policy(**args)


# --- Lambda ----------------------------------------------------------------------------------------


def create_layer(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    # The real layer is built by pip for Lambda's platform; locally the handlers import from .venv.
    name = str(inputs.get("layerName") or logical)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(FUNCTIONS_DIR / "requirements.txt", "python/requirements.txt")
    layer = ctx.client("lambda").publish_layer_version(
        LayerName=name,
        Description=str(inputs.get("description", "")),
        Content={"ZipFile": buffer.getvalue()},
        CompatibleRuntimes=list(inputs.get("compatibleRuntimes") or []),
        CompatibleArchitectures=list(inputs.get("compatibleArchitectures") or []),
    )
    return Created(
        layer["LayerVersionArn"],
        {"arn": layer["LayerVersionArn"], "layerArn": layer["LayerArn"], "version": str(layer["Version"])},
        {"LayerName": name, "VersionNumber": layer["Version"]},
        ["holds requirements.txt only: locally the handlers import their dependencies from .venv"],
    )


def delete_layer(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("lambda").delete_layer_version(**args)


def create_function(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    lam = ctx.client("lambda")
    name = _name(logical, inputs)
    notes: list[str] = []
    layers: list[str] = []
    for layer in inputs.get("layers") or []:
        if f":{ctx.account}:" in str(layer):
            layers.append(str(layer))
        else:
            notes.append(f"public layer {layer} is not in the emulator: the runtime imports it from .venv")
    variables = {str(k): str(v) for k, v in ((inputs.get("environment") or {}).get("variables") or {}).items()}
    params: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": inputs.get("runtime", "python3.12"),
        "Role": inputs["role"],
        "Handler": inputs["handler"],
        "Code": {"ZipFile": ctx.function_zip()},
        "Description": str(inputs.get("description", "")),
        "Timeout": int(inputs.get("timeout") or 3),
        "MemorySize": int(inputs.get("memorySize") or 128),
        "Environment": {"Variables": variables},
        "Architectures": list(inputs.get("architectures") or ["x86_64"]),
        "Layers": layers,
        "Tags": {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()},
        "Publish": False,
    }
    if inputs.get("tracingConfig"):
        params["TracingConfig"] = pascal(inputs["tracingConfig"])
    if inputs.get("reservedConcurrentExecutions") not in (None, -1, -1.0):
        notes.append("reserved concurrency is not enforced locally")
    function = lam.create_function(**params)
    arn = function["FunctionArn"]
    outputs = {
        "name": name,
        "arn": arn,
        "qualifiedArn": f"{arn}:$LATEST",
        "invokeArn": f"arn:aws:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/{arn}/invocations",
        "version": "$LATEST",
    }
    return Created(name, outputs, {"FunctionName": name}, notes)


def delete_function(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("lambda").delete_function(**args)


def create_event_source_mapping(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    params: dict[str, Any] = {
        "EventSourceArn": inputs["eventSourceArn"],
        "FunctionName": inputs["functionName"],
        "Enabled": bool(inputs.get("enabled", True)),
    }
    optional = {
        "batchSize": "BatchSize",
        "startingPosition": "StartingPosition",
        "maximumBatchingWindowInSeconds": "MaximumBatchingWindowInSeconds",
        "parallelizationFactor": "ParallelizationFactor",
        "maximumRecordAgeInSeconds": "MaximumRecordAgeInSeconds",
        "bisectBatchOnFunctionError": "BisectBatchOnFunctionError",
        "maximumRetryAttempts": "MaximumRetryAttempts",
        "functionResponseTypes": "FunctionResponseTypes",
        "tumblingWindowInSeconds": "TumblingWindowInSeconds",
    }
    for key, api in optional.items():
        if inputs.get(key) is not None:
            params[api] = api_value(inputs[key])
    destination = ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get("destinationArn")
    if destination:
        params["DestinationConfig"] = {"OnFailure": {"Destination": destination}}
    mapping = ctx.client("lambda").create_event_source_mapping(**params)
    notes = ["stored in the emulator; `streamctl local run` polls it (moto's own Docker delivery is switched off)"]
    return Created(
        mapping["UUID"],
        {
            "uuid": mapping["UUID"],
            "arn": mapping.get("EventSourceMappingArn", ""),
            "state": "Enabled",
            "functionArn": mapping["FunctionArn"],
        },
        {"UUID": mapping["UUID"]},
        notes,
    )


def delete_event_source_mapping(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("lambda").delete_event_source_mapping(**args)


def create_permission(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    statement = str(inputs.get("statementId") or logical)
    params: dict[str, Any] = {
        "FunctionName": inputs["function"],
        "StatementId": statement,
        "Action": inputs["action"],
        "Principal": inputs["principal"],
    }
    if inputs.get("sourceArn"):
        params["SourceArn"] = inputs["sourceArn"]
    ctx.client("lambda").add_permission(**params)
    return Created(
        statement, {"statementId": statement}, {"FunctionName": inputs["function"], "StatementId": statement}
    )


def delete_permission(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("lambda").remove_permission(**args)


# --- SQS and SNS -----------------------------------------------------------------------------------


def create_queue(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    sqs = ctx.client("sqs")
    name = _name(logical, inputs)
    names = {
        "kmsMasterKeyId": "KmsMasterKeyId",
        "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
        "messageRetentionSeconds": "MessageRetentionPeriod",
        "visibilityTimeoutSeconds": "VisibilityTimeout",
        "sqsManagedSseEnabled": "SqsManagedSseEnabled",
        "fifoQueue": "FifoQueue",
    }
    attributes = {
        api: str(api_value(inputs[key])).lower() if isinstance(inputs[key], bool) else str(api_value(inputs[key]))
        for key, api in names.items()
        if inputs.get(key) is not None
    }
    url = sqs.create_queue(
        QueueName=name, Attributes=attributes, tags={str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Created(url, {"name": name, "url": url, "arn": arn}, {"QueueUrl": url})


def delete_queue(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("sqs").delete_queue(**args)


def create_queue_policy(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    url = str(inputs["queueUrl"])
    ctx.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json_text(inputs["policy"])})
    return Created(url, {}, {})


def create_topic(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name = _name(logical, inputs)
    attributes = {"KmsMasterKeyId": str(inputs["kmsMasterKeyId"])} if inputs.get("kmsMasterKeyId") else {}
    arn = ctx.client("sns").create_topic(Name=name, Attributes=attributes, Tags=tag_list(inputs.get("tags")))[
        "TopicArn"
    ]
    return Created(arn, {"name": name, "arn": arn}, {"TopicArn": arn})


def delete_topic(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("sns").delete_topic(**args)


def create_topic_policy(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    arn = str(inputs["arn"])
    ctx.client("sns").set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=json_text(inputs["policy"])
    )
    return Created(arn, {}, {})


def create_subscription(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    attributes = {}
    for key, api in (
        ("filterPolicy", "FilterPolicy"),
        ("filterPolicyScope", "FilterPolicyScope"),
        ("rawMessageDelivery", "RawMessageDelivery"),
    ):
        if inputs.get(key) is not None:
            attributes[api] = (
                json_text(inputs[key])
                if key == "filterPolicy"
                else str(inputs[key]).lower()
                if isinstance(inputs[key], bool)
                else str(inputs[key])
            )
    arn = ctx.client("sns").subscribe(
        TopicArn=inputs["topic"],
        Protocol=inputs["protocol"],
        Endpoint=inputs["endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    notes = (
        ["email is never sent; local alarm evaluation sets states but runs no actions, so nothing is published"]
        if inputs["protocol"] == "email"
        else []
    )
    return Created(arn, {"arn": arn}, {"SubscriptionArn": arn}, notes)


def delete_subscription(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("sns").unsubscribe(**args)


# --- CloudWatch, Logs, EventBridge -----------------------------------------------------------------


def _metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": query["id"]}
    for key, api in (
        ("expression", "Expression"),
        ("label", "Label"),
        ("returnData", "ReturnData"),
        ("period", "Period"),
    ):
        if query.get(key) is not None:
            entry[api] = api_value(query[key])
    metric = query.get("metric")
    if metric:
        entry["MetricStat"] = {
            "Metric": {
                "Namespace": metric["namespace"],
                "MetricName": metric["metricName"],
                "Dimensions": [{"Name": k, "Value": str(v)} for k, v in (metric.get("dimensions") or {}).items()],
            },
            "Period": int(metric.get("period") or 60),
            "Stat": metric.get("stat", "Sum"),
        }
    return entry


def alarm_parameters(name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """PutMetricAlarm parameters of a MetricAlarm's inputs (the alarm evaluator's tests read them too)."""
    params: dict[str, Any] = {
        "AlarmName": name,
        "ComparisonOperator": inputs["comparisonOperator"],
        "EvaluationPeriods": int(inputs["evaluationPeriods"]),
        "AlarmActions": list(inputs.get("alarmActions") or []),
        "OKActions": list(inputs.get("okActions") or []),
        "Tags": tag_list(inputs.get("tags")),
    }
    scalar = {
        "alarmDescription": "AlarmDescription",
        "datapointsToAlarm": "DatapointsToAlarm",
        "threshold": "Threshold",
        "treatMissingData": "TreatMissingData",
        "metricName": "MetricName",
        "namespace": "Namespace",
        "period": "Period",
        "statistic": "Statistic",
        "extendedStatistic": "ExtendedStatistic",
        "unit": "Unit",
        "thresholdMetricId": "ThresholdMetricId",
    }
    for key, api in scalar.items():
        if inputs.get(key) is not None:
            params[api] = api_value(inputs[key])
    if inputs.get("dimensions"):
        params["Dimensions"] = [{"Name": k, "Value": str(v)} for k, v in inputs["dimensions"].items()]
    if inputs.get("metricQueries"):
        params["Metrics"] = [_metric_query(query) for query in inputs["metricQueries"]]
    return params


def create_alarm(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name = _name(logical, inputs)
    params = alarm_parameters(name, inputs)
    ctx.client("cloudwatch").put_metric_alarm(**params)
    return Created(
        name,
        {"name": name, "arn": _arn(ctx, "cloudwatch", f"alarm:{name}")},
        {"AlarmNames": [name]},
        ["evaluated by `streamctl local run` (emulator.alarms), not by moto"],
    )


def delete_alarm(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("cloudwatch").delete_alarms(**args)


def create_dashboard(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name = str(inputs["dashboardName"])
    ctx.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=json_text(inputs["dashboardBody"]))
    return Created(
        name, {"dashboardArn": f"arn:aws:cloudwatch::{ctx.account}:dashboard/{name}"}, {"DashboardNames": [name]}
    )


def delete_dashboard(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("cloudwatch").delete_dashboards(**args)


def create_log_group(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    logs = ctx.client("logs")
    name = _name(logical, inputs)
    params: dict[str, Any] = {
        "logGroupName": name,
        "tags": {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()},
    }
    if inputs.get("kmsKeyId"):
        params["kmsKeyId"] = inputs["kmsKeyId"]
    logs.create_log_group(**params)
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(inputs["retentionInDays"]))
    return Created(name, {"name": name, "arn": _arn(ctx, "logs", f"log-group:{name}")}, {"logGroupName": name})


def delete_log_group(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("logs").delete_log_group(**args)


def create_log_stream(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name, group = _name(logical, inputs), str(inputs["logGroupName"])
    ctx.client("logs").create_log_stream(logGroupName=group, logStreamName=name)
    return Created(
        name,
        {"name": name, "arn": _arn(ctx, "logs", f"log-group:{group}:log-stream:{name}")},
        {"logGroupName": group, "logStreamName": name},
    )


def delete_log_stream(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("logs").delete_log_stream(**args)


def create_event_rule(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name = _name(logical, inputs)
    params: dict[str, Any] = {
        "Name": name,
        "Description": str(inputs.get("description", "")),
        "State": inputs.get("state", "ENABLED"),
        "Tags": tag_list(inputs.get("tags")),
    }
    if inputs.get("scheduleExpression"):
        params["ScheduleExpression"] = inputs["scheduleExpression"]
    if inputs.get("eventPattern"):
        params["EventPattern"] = json_text(inputs["eventPattern"])
    arn = ctx.client("events").put_rule(**params)["RuleArn"]
    notes = ["schedules run in `streamctl local run`, not in the emulator"] if inputs.get("scheduleExpression") else []
    return Created(name, {"name": name, "arn": arn}, {"Name": name}, notes)


def delete_event_rule(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    events = ctx.client("events")
    targets = events.list_targets_by_rule(Rule=args["Name"])["Targets"]
    if targets:
        events.remove_targets(Rule=args["Name"], Ids=[t["Id"] for t in targets])
    events.delete_rule(**args)


def create_event_target(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    target_id, rule = str(inputs.get("targetId") or logical), str(inputs["rule"])
    target: dict[str, Any] = {"Id": target_id, "Arn": inputs["arn"]}
    if inputs.get("input"):
        target["Input"] = inputs["input"]
    ctx.client("events").put_targets(Rule=rule, Targets=[target])
    return Created(f"{rule}-{target_id}", {}, {"Rule": rule, "Ids": [target_id]})


def delete_event_target(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("events").remove_targets(**args)


# --- Glue and Athena -------------------------------------------------------------------------------


def create_glue_database(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name = _name(logical, inputs)
    ctx.client("glue").create_database(DatabaseInput={"Name": name, "Description": str(inputs.get("description", ""))})
    return Created(
        f"{ctx.account}:{name}", {"name": name, "arn": _arn(ctx, "glue", f"database/{name}")}, {"Name": name}
    )


def delete_glue_database(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("glue").delete_database(**args)


def create_glue_table(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name, database = _name(logical, inputs), str(inputs["databaseName"])
    table_input: dict[str, Any] = {
        "Name": name,
        "TableType": inputs.get("tableType", "EXTERNAL_TABLE"),
        "Parameters": dict(inputs.get("parameters") or {}),
    }
    if inputs.get("partitionKeys"):
        table_input["PartitionKeys"] = pascal(inputs["partitionKeys"])
    if inputs.get("storageDescriptor"):
        table_input["StorageDescriptor"] = pascal(inputs["storageDescriptor"])
    ctx.client("glue").create_table(DatabaseName=database, TableInput=table_input)
    return Created(
        f"{ctx.account}:{database}:{name}",
        {"name": name, "arn": _arn(ctx, "glue", f"table/{database}/{name}")},
        {"DatabaseName": database, "Name": name},
    )


def delete_glue_table(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("glue").delete_table(**args)


def create_workgroup(ctx: ProvisionContext, logical: str, inputs: Mapping[str, Any]) -> Created:
    name = _name(logical, inputs)
    configuration = pascal(inputs.get("configuration") or {})
    result = configuration.get("ResultConfiguration") or {}
    if "EncryptionConfiguration" in result:
        encryption = result["EncryptionConfiguration"]
        result["EncryptionConfiguration"] = {
            "EncryptionOption": encryption.get("EncryptionOption"),
            "KmsKey": encryption.get("KmsKeyArn"),
        }
    ctx.client("athena").create_work_group(Name=name, Configuration=configuration, Tags=tag_list(inputs.get("tags")))
    return Created(
        name,
        {"name": name, "arn": _arn(ctx, "athena", f"workgroup/{name}")},
        {"WorkGroup": name, "RecursiveDeleteOption": True},
        ["queries are not executed by the emulator"],
    )


def delete_workgroup(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    ctx.client("athena").delete_work_group(**args)


def _no_delete(ctx: ProvisionContext, args: dict[str, Any]) -> None:
    return None


PROVISIONERS: dict[str, tuple[Create, Delete]] = {
    "aws:kms/key:Key": (create_kms_key, delete_kms_key),
    "aws:kms/alias:Alias": (create_kms_alias, delete_kms_alias),
    "aws:kinesis/stream:Stream": (create_kinesis_stream, delete_kinesis_stream),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (create_firehose, delete_firehose),
    "aws:s3/bucket:Bucket": (create_bucket, delete_bucket),
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_setting(_put_versioning, None),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_setting(
        _put_encryption, "delete_bucket_encryption"
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_setting(
        _put_public_access_block, "delete_public_access_block"
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_setting(_put_policy, "delete_bucket_policy"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_setting(
        _put_lifecycle, "delete_bucket_lifecycle"
    ),
    "aws:s3/bucketLogging:BucketLogging": _bucket_setting(_put_logging, None),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_setting(
        _put_ownership, "delete_bucket_ownership_controls"
    ),
    "aws:dynamodb/table:Table": (create_table, delete_table),
    "aws:iam/role:Role": (create_role, delete_role),
    "aws:iam/rolePolicy:RolePolicy": (create_role_policy, delete_role_policy),
    "aws:lambda/layerVersion:LayerVersion": (create_layer, delete_layer),
    "aws:lambda/function:Function": (create_function, delete_function),
    "aws:lambda/eventSourceMapping:EventSourceMapping": (create_event_source_mapping, delete_event_source_mapping),
    "aws:lambda/permission:Permission": (create_permission, delete_permission),
    "aws:sqs/queue:Queue": (create_queue, delete_queue),
    "aws:sqs/queuePolicy:QueuePolicy": (create_queue_policy, _no_delete),
    "aws:sns/topic:Topic": (create_topic, delete_topic),
    "aws:sns/topicPolicy:TopicPolicy": (create_topic_policy, _no_delete),
    "aws:sns/topicSubscription:TopicSubscription": (create_subscription, delete_subscription),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (create_alarm, delete_alarm),
    "aws:cloudwatch/dashboard:Dashboard": (create_dashboard, delete_dashboard),
    "aws:cloudwatch/logGroup:LogGroup": (create_log_group, delete_log_group),
    "aws:cloudwatch/logStream:LogStream": (create_log_stream, delete_log_stream),
    "aws:cloudwatch/eventRule:EventRule": (create_event_rule, delete_event_rule),
    "aws:cloudwatch/eventTarget:EventTarget": (create_event_target, delete_event_target),
    "aws:glue/catalogDatabase:CatalogDatabase": (create_glue_database, delete_glue_database),
    "aws:glue/catalogTable:CatalogTable": (create_glue_table, delete_glue_table),
    "aws:athena/workgroup:Workgroup": (create_workgroup, delete_workgroup),
}
