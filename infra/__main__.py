"""Entry point of `pulumi preview/up` (Pulumi.yaml `main: infra/`)."""

from __future__ import annotations

import pulumi

from infra.function_code import build_dependency_layer
from infra.program import load_platform_config, platform_program

config, region = load_platform_config()
build_dependency_layer(config.architecture)
for key, value in platform_program(config, region).items():
    pulumi.export(key, value)
