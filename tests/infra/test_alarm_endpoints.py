"""Alarm endpoints that work: placeholders are refused, the paging URL is a Pulumi secret from the stack file to the
SNS subscription (decrypted for the program, kept secret in the resource inputs)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from typer.testing import CliRunner

from infra.config import StackConfigError, config_from_pulumi_values
from infra.mock_runtime import (
    DecryptedSecret,
    UndecryptableSecretError,
    engine_config,
    load_stack_config,
    mock_secret,
    run_program,
    stack_file,
)
from infra.program import secret_config_keys, stack_config_values
from streamctl.cli import app

ALARMS = "streaming-platform:alarms"
PAGING_URL = "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"


def prod_with_alarms(alarms: dict[str, Any]) -> dict[str, Any]:
    return {**load_stack_config("prod"), ALARMS: alarms}


def subscriptions(run: Any) -> dict[str, Any]:
    return {
        r.name: r for r in run.of_type("aws:sns/topicSubscription:TopicSubscription") if r.name.startswith("alarms")
    }


@pytest.mark.parametrize(
    ("alarms", "key", "marker"),
    [
        ({"https_endpoints": ["https://events.pagerduty.com/integration/REPLACE_ME/enqueue"]},
         "alarms.https_endpoints[0]", "REPLACE_ME"),
        ({"https_endpoints": ["https://a.example.net/ok", "https://api.opsgenie.com/v1/json/sns?apiKey=<key>"]},
         "alarms.https_endpoints[1]", "<key>"),
        ({"emails": ["CHANGEME@corp.example"]}, "alarms.emails[0]", "CHANGEME"),
        ({"emails": ["oncall@corp.example", "change-me@corp.example"]}, "alarms.emails[1]", "change-me"),
    ],
)  # fmt: skip
def test_a_placeholder_endpoint_is_refused_naming_its_key(alarms: dict[str, Any], key: str, marker: str) -> None:
    with pytest.raises(StackConfigError) as refused:
        config_from_pulumi_values(prod_with_alarms(alarms), stack="prod")
    [problem] = refused.value.problems
    assert problem.startswith(f"{key}: ") and marker in problem
    assert f"pulumi config set {'--secret ' if 'https' in key else ''}--path '{key}'" in problem


def test_the_refusal_never_shows_a_paging_urls_path(tmp_path: Path) -> None:
    """The path of a paging URL is its integration key: errors show scheme and host only."""
    secret_path = "integration/abcdef0123456789-REPLACE_ME/enqueue"
    with pytest.raises(StackConfigError) as refused:
        config_from_pulumi_values(
            prod_with_alarms({"https_endpoints": [f"https://x.pagerduty.com/{secret_path}"]}), stack="prod"
        )
    assert "abcdef0123456789" not in str(refused.value) and "https://x.pagerduty.com/..." in str(refused.value)
    with pytest.raises(StackConfigError) as not_https:
        config_from_pulumi_values(
            prod_with_alarms({"https_endpoints": ["http://x.pagerduty.com/abcdef0123456789"]}), stack="prod"
        )
    assert "abcdef0123456789" not in str(not_https.value)


def test_the_program_refuses_a_placeholder_before_registering_anything() -> None:
    config = prod_with_alarms(
        {"https_endpoints": [mock_secret("https://events.pagerduty.com/integration/<key>/enqueue")]}
    )
    with pytest.raises(Exception, match=r"alarms\.https_endpoints\[0\]: https://events\.pagerduty\.com/\.\.\. holds"):
        run_program("prod", config=config)


def test_example_domains_are_accepted_as_the_shipped_stand_ins() -> None:
    """The decision documented in docs/deploy.md: RFC 2606 addresses are the shipped stacks' stand-in inboxes."""
    for stack in ("dev", "staging", "prod"):
        emails = config_from_pulumi_values(load_stack_config(stack), stack=stack).alarms.emails
        assert emails and all(email.endswith("@example.com") for email in emails)


def test_the_shipped_prod_stack_holds_its_paging_url_as_a_nested_secret() -> None:
    document = yaml.safe_load(stack_file("prod").read_text())
    [endpoint] = document["config"][ALARMS]["https_endpoints"]
    assert set(endpoint) == {"secure"}  # as `pulumi config set --secret --path 'alarms.https_endpoints[0]'` writes it
    text = stack_file("prod").read_text()
    assert "pulumi config set --stack prod --secret --path 'alarms.https_endpoints[0]'" in text
    assert "REPLACE_ME/" not in text
    decrypted = load_stack_config("prod")[ALARMS]["https_endpoints"][0]
    assert isinstance(decrypted, DecryptedSecret) and decrypted.startswith("https://events.pagerduty.com/")
    assert isinstance(copy.deepcopy(load_stack_config("prod"))[ALARMS]["https_endpoints"][0], DecryptedSecret)


def test_the_engine_hands_the_program_decrypted_values_and_the_secret_keys() -> None:
    """As the CLI runs a Python program: PULUMI_CONFIG holds the decrypted object, PULUMI_CONFIG_SECRET_KEYS its
    top-level key (a nested secret makes the whole key secret), and pulumi.Config reads the plain string."""
    values = prod_with_alarms({"emails": ["oncall@corp.example"], "https_endpoints": [mock_secret(PAGING_URL)]})
    with engine_config(values):
        assert json.loads(os.environ["PULUMI_CONFIG_SECRET_KEYS"]) == [ALARMS]
        assert json.loads(json.loads(os.environ["PULUMI_CONFIG"])[ALARMS])["https_endpoints"] == [PAGING_URL]
        assert pulumi.runtime.is_config_secret(ALARMS)
        assert not pulumi.runtime.is_config_secret("streaming-platform:tenants")
        assert pulumi.Config("streaming-platform").get_object("alarms")["https_endpoints"] == [PAGING_URL]
        expected = {"emails": ["oncall@corp.example"], "https_endpoints": [PAGING_URL]}
        assert json.loads(stack_config_values()[ALARMS]) == expected  # the plain string, as the engine passes it
        assert secret_config_keys() == frozenset({"alarms"})
    assert not pulumi.runtime.is_config_secret(ALARMS)


def test_a_secret_endpoint_reaches_the_sns_subscription_as_a_secret() -> None:
    run = run_program(
        "prod",
        config=prod_with_alarms({"emails": ["oncall@corp.example"], "https_endpoints": [mock_secret(PAGING_URL)]}),
    )
    https = subscriptions(run)["alarms-https-0"]
    assert https.inputs["endpoint"] == PAGING_URL  # the plain string AWS receives
    assert "endpoint" in https.secret_inputs  # ...sent by the program as a secret: the state holds it encrypted
    assert "endpoint" in subscriptions(run)["alarms-email-0"].secret_inputs  # the whole `alarms` key is secret
    plain = run_program("prod", config=prod_with_alarms({"https_endpoints": [PAGING_URL]}))
    assert subscriptions(plain)["alarms-https-0"].secret_inputs == frozenset()


def test_a_secret_no_mock_can_decrypt_is_named_by_its_path() -> None:
    values = prod_with_alarms({"https_endpoints": [{"secure": "v1:AAAAAAAAAAAAAAAA:c2VjcmV0"}]})
    with pytest.raises(UndecryptableSecretError, match=r"streaming-platform:alarms\.https_endpoints\[0\]"):
        run_program("prod", config=values)


def test_plan_and_local_up_refuse_a_placeholder_in_prod_with_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    placeholder = prod_with_alarms({"https_endpoints": ["https://events.pagerduty.com/integration/REPLACE_ME/enqueue"]})
    monkeypatch.setattr("infra.mock_runtime.load_stack_config", lambda stack: placeholder)
    runner = CliRunner()
    result = runner.invoke(app, ["plan", "--stack", "prod"])
    assert result.exit_code == 2, result.output
    assert (
        "alarms.https_endpoints[0]: https://events.pagerduty.com/... holds the placeholder REPLACE_ME" in result.output
    )
    monkeypatch.setattr("emulator.deployer.load_stack_config", lambda stack: placeholder)
    monkeypatch.setattr("streamctl.local.load_stack_config", lambda stack: placeholder)
    monkeypatch.setattr("streamctl.local._endpoint", lambda stack: "http://127.0.0.1:9")  # refused before it is used
    result = runner.invoke(app, ["local", "up", "--stack", "prod"])
    assert result.exit_code == 2, result.output
    assert "alarms.https_endpoints[0]:" in result.output
