"""The record of a load-test run that `verify` checks the lake against: which events were accepted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from streamctl.loadtest.envelope import event_id_for
from streamctl.stack_outputs import LOCAL_STATE_DIR

MANIFEST_DIR = LOCAL_STATE_DIR / "loadtest"


class WriterManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    writer: int
    events: int
    failed_event_ids: list[str] = []


class RunManifest(BaseModel):
    """Written by `streamctl loadtest run`, read by `streamctl loadtest verify`."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    stack: str
    tenant: str
    stream: str
    stream_name: str
    started_at: datetime
    ended_at: datetime
    record_bytes: int
    aggregate: bool
    writers: list[WriterManifest]

    def expected_event_ids(self) -> Iterator[str]:
        """Every event Kinesis accepted: all built events minus those that failed after all retries."""
        for writer in self.writers:
            failed = set(writer.failed_event_ids)
            for sequence in range(writer.events):
                event_id = event_id_for(self.run_id, writer.writer, sequence)
                if event_id not in failed:
                    yield event_id

    @property
    def accepted_events(self) -> int:
        return sum(writer.events - len(writer.failed_event_ids) for writer in self.writers)


def manifest_path(run_id: str, directory: Path | None = None) -> Path:
    return (directory or MANIFEST_DIR) / f"{run_id}.json"


def save_manifest(manifest: RunManifest, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(manifest.model_dump_json(indent=2))


def load_manifest(path: Path) -> RunManifest:
    try:
        return RunManifest.model_validate_json(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path} is not a load-test run manifest: {error}") from error
