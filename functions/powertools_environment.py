"""The environment Powertools for AWS Lambda reads (names from its documentation), set on every platform function.

The program sets it (infra/components/platform_function.py); each function's config module names its service.
"""

from __future__ import annotations

from typing import Final

ENV_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
ENV_LOG_LEVEL: Final = "LOG_LEVEL"
METRICS_NAMESPACE: Final = "StreamingPlatform"
LOG_LEVEL: Final = "INFO"


def powertools_environment(service_name: str) -> dict[str, str]:
    """The Powertools variables of a function whose logs and metrics carry `service_name`."""
    return {ENV_SERVICE_NAME: service_name, ENV_METRICS_NAMESPACE: METRICS_NAMESPACE, ENV_LOG_LEVEL: LOG_LEVEL}
