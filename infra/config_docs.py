"""Render docs/configuration.md from the schema itself, so the reference can never drift from the code.

.venv/bin/python -m infra.config_docs > docs/configuration.md   (a test checks the file is current)
"""

from __future__ import annotations

import json
from typing import Any

from infra.config import PROJECT_NAMESPACE, PlatformConfig

HEADER = f"""# Configuration reference

Generated from `infra/config.py` by `python -m infra.config_docs`; a test fails when it is stale.

Every key lives in the project namespace of the stack file (`{PROJECT_NAMESPACE}:<key>` in
`Pulumi.<stack>.yaml`) and is set the Pulumi way, for example:

```bash
pulumi config set --path 'tenants.acme.streams.clicks.shards' 4
pulumi config set --path 'tenants.acme.streams.clicks.consumer.batch_size' 1000
pulumi config set --path 'alarms.emails[0]' oncall@example.com
```

Unknown keys are errors (with a "did you mean" hint), as is any value outside AWS's own limits; every
error names its key path, e.g. `tenants.acme.streams.clicks.retention_hours: 12 is below the Kinesis
minimum of 24`. `streamctl plan --stack <stack>` validates a stack file without AWS or the Pulumi CLI, then
checks every resource input against AWS's own API models (botocore's service models, `infra/api_model_check.py`),
as `streamctl local up` does before it deploys.

Names. Physical names are `<name_prefix>-<stack>-<tenant>-<stream>-<what>` (`infra/naming.py`). The stack name is
lowercase letters and digits, starting with a letter (S3 bucket names are lowercase; without hyphens in prefix,
stack and tenant, names split one way, so two tenant streams never derive the same name). Prefix and stack together
must leave room for the platform's own names: the longest, the replica bucket prefix
`<name_prefix>-<stack>-lake-replica-`, may be 37 characters (S3's 63 less the provider's 26-character suffix), so
`name_prefix` and stack may total 22 characters. Every name derived from a tenant and stream must fit its service
(IAM role, Lambda function, Firehose and EventBridge rule names 64, SQS 80, Kinesis 128, alarms 255, KMS aliases
256, log groups 512): the binding one is the IAM role `<name_prefix>-<stack>-<tenant>-<stream>-consumer-role`, so
with name_prefix `sp` and stack `dev` tenant and stream names may total 42 characters; a longer combination is
refused with the derived name that would be too long. The tenant name `platform` is reserved: its KMS alias would
be the platform key's.

Compression. `lake.compression` takes Firehose's own spellings, `UNCOMPRESSED`, `GZIP` or `HADOOP_SNAPPY`; `ZIP` and
`Snappy` (the snappy-java framing) are Firehose formats Athena cannot read from the lake's JSON table, and are
refused.

| Key | Type | Default | Allowed | Meaning |
|---|---|---|---|---|
"""


def _resolve(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return definitions[schema["$ref"].rsplit("/", 1)[1]]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        return {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]):
        return "string"
    if schema.get("type") == "array":
        return f"list of {schema.get('items', {}).get('type', 'value')}"
    return str(schema.get("type", "object"))


def _allowed(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        values = schema["enum"]
        return ", ".join(f"`{v}`" for v in values) if len(values) <= 6 else f"one of {len(values)} values"
    if "const" in schema:
        return f"`{schema['const']}`"
    if "minimum" in schema or "maximum" in schema:
        return f"{schema.get('minimum', '')}–{schema.get('maximum', '')}"
    return ""


def _rows(path: str, schema: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    rows = []
    for key, raw in schema.get("properties", {}).items():
        field = _resolve(raw, definitions)
        key_path = f"{path}.{key}" if path else key
        if field.get("type") == "object" and "additionalProperties" in field and "properties" not in field:
            item = _resolve(field["additionalProperties"], definitions)
            placeholder = "<tenant>" if key == "tenants" else "<stream>"
            rows.append(f"| `{key_path}` | map | | | {item.get('description', '')} |")
            rows.extend(_rows(f"{key_path}.{placeholder}", item, definitions))
        elif "properties" in field:
            rows.append(f"| `{key_path}` | object | | | {field.get('description', '')} |")
            rows.extend(_rows(key_path, field, definitions))
        else:
            default = raw.get("default", field.get("default"))
            shown = "" if default is None or default == [] else f"`{json.dumps(default)}`"
            description = raw.get("description", field.get("description", ""))
            rows.append(f"| `{key_path}` | {_type(field)} | {shown} | {_allowed(field)} | {description} |")
    return rows


def render() -> str:
    schema = PlatformConfig.model_json_schema()
    definitions = schema.get("$defs", {})
    return HEADER + "\n".join(_rows("", schema, definitions)) + "\n"


if __name__ == "__main__":
    print(render(), end="")
