"""docs/deploy.md stays true to the pack and its trust policies can be pasted as they are."""

from __future__ import annotations

import json
import re
from pathlib import Path

from policy.deploy_role import BEGIN, END
from policy.pack import build_policies

DEPLOY_DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def test_every_policy_is_documented() -> None:
    text = DEPLOY_DOC.read_text()
    missing = sorted(policy.name for policy in build_policies() if f"`{policy.name}`" not in text)
    assert missing == [], f"docs/deploy.md does not describe {missing}"


def test_trust_policies_are_valid_json_pinned_to_one_github_subject() -> None:
    """Every JSON block but the deploy-role permissions policy (tests/policy/test_deploy_role.py checks that one)."""
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), "", DEPLOY_DOC.read_text(), flags=re.DOTALL)
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    subjects = []
    for block in blocks:
        (statement,) = json.loads(block)["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]["StringEquals"]
        assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        subjects.append(condition["token.actions.githubusercontent.com:sub"])
    assert subjects == ["repo:OWNER/REPO:environment:prod", "repo:OWNER/REPO:pull_request"]
