"""Entry point the Pulumi CLI runs for `--policy-pack policy`: serve every guardrail as one pack."""

from __future__ import annotations

import sys
from pathlib import Path

# The CLI runs this file from inside policy/; the repository root makes `policy.*` importable without an install.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import PACK_NAME, build_policies

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="cdk-nag AwsSolutions equivalents and the platform's defaults for Kinesis, Lambda, Firehose, S3.",
)
