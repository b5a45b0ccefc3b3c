"""Every alarm the program creates, in every stack, links a runbook page that exists and is complete."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from infra import defaults
from infra.alarm_specs import AlarmSpec, alarm_specs, replication_alarm_specs, scaler_alarm_spec
from infra.config import StreamSettings
from infra.mock_runtime import ProgramRun, available_stacks

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = REPO_ROOT / "docs" / "runbooks"
RUNBOOK_LINK = re.compile(r"Runbook: (docs/runbooks/[a-z0-9-]+\.md)$")
REQUIRED_SECTIONS = ("## What it means", "## How to confirm", "## What to do", "## How to verify recovery")
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
NOT_ALARM_PAGES = {"README.md", "replay.md"}


def runbook_links(run: ProgramRun) -> dict[str, str]:
    """Alarm name -> the runbook path its description ends with ("" when it links none)."""
    links = {}
    for alarm in run.of_type(METRIC_ALARM):
        match = RUNBOOK_LINK.search(str(alarm.inputs.get("alarmDescription", "")))
        links[str(alarm.inputs.get("name", alarm.name))] = match.group(1) if match else ""
    return links


@pytest.mark.parametrize("stack", available_stacks())
def test_every_alarm_links_an_existing_runbook(stack: str, stack_run: Callable[[str], ProgramRun]) -> None:
    links = runbook_links(stack_run(stack))
    assert links, f"stack {stack} creates no MetricAlarm: the program or the resource type changed"
    unlinked = sorted(name for name, path in links.items() if not path)
    missing = sorted(f"{name} -> {path}" for name, path in links.items() if path and not (REPO_ROOT / path).is_file())
    assert not unlinked, f"alarms without a 'Runbook: docs/runbooks/<kind>.md' description: {unlinked}"
    assert not missing, f"alarms linking a runbook page that does not exist: {missing}"


@pytest.mark.parametrize("page", sorted(p.name for p in RUNBOOKS.glob("*.md") if p.name not in NOT_ALARM_PAGES))
def test_runbook_page_says_meaning_confirmation_action_and_recovery(page: str) -> None:
    text = (RUNBOOKS / page).read_text()
    absent = [section for section in REQUIRED_SECTIONS if section not in text]
    assert not absent, f"docs/runbooks/{page} lacks the sections {absent}"


def test_runbook_index_lists_every_alarm_kind_the_program_creates(stack_run: Callable[[str], ProgramRun]) -> None:
    kinds = {Path(path).stem for stack in available_stacks() for path in runbook_links(stack_run(stack)).values()}
    index = (RUNBOOKS / "README.md").read_text()
    unlisted = sorted(kind for kind in kinds if f"({kind}.md)" not in index)
    assert not unlisted, f"docs/runbooks/README.md does not list the alarm kinds {unlisted}"


def _every_spec() -> list[AlarmSpec]:
    """Every alarm kind the program builds, from the same functions the program calls."""
    return [
        *alarm_specs(StreamSettings.model_validate({}), defaults.LAKE_BUFFER_SECONDS),
        scaler_alarm_spec(),
        *replication_alarm_specs(),
    ]


@pytest.mark.parametrize("spec", _every_spec(), ids=lambda spec: spec.kind)
def test_runbook_shows_the_missing_data_rule_and_its_reason(spec: AlarmSpec) -> None:
    """The reason is written once (infra/alarm_specs.py); the page must say the same, wrapped as it likes."""
    text = (RUNBOOKS / f"{spec.kind}.md").read_text()
    assert "## Missing data" in text, f"docs/runbooks/{spec.kind}.md lacks its '## Missing data' section"
    section = " ".join(text.split("## Missing data", 1)[1].split())
    expected = f"Treated as `{spec.missing_data.treatment}`. {' '.join(spec.missing_data.reason.split())}"
    assert section.startswith(expected), (
        f"docs/runbooks/{spec.kind}.md: its Missing data section must read {expected!r}"
    )


def test_every_alarm_kind_has_a_spec_and_every_spec_a_kind_the_program_creates(
    stack_run: Callable[[str], ProgramRun],
) -> None:
    kinds = {Path(path).stem for stack in available_stacks() for path in runbook_links(stack_run(stack)).values()}
    assert kinds == {spec.kind for spec in _every_spec()}
