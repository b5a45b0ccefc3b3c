"""Powertools reads its service name and metrics namespace when the handler module is imported."""

from __future__ import annotations

import os

os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "StreamingPlatform")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "shard-scaler")
