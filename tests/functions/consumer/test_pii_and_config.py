"""PII masking paths and configuration errors that name what is wrong."""

from __future__ import annotations

import pytest

from functions.consumer.config import ConsumerConfig, ConsumerConfigError
from functions.consumer.pii import MASK, PiiMasker

ENV = {
    "TENANT": "acme",
    "STREAM_NAME": "clicks",
    "CONSUMER_NAME": "acme-clicks-consumer",
    "CHECKPOINT_TABLE": "checkpoints",
    "DELIVERY_STREAM": "acme-clicks-lake",
    "QUARANTINE_BUCKET": "lake",
    "QUARANTINE_PREFIX": "quarantine/tenant=acme/stream=clicks",
    "PARALLELIZATION_FACTOR": "1",
}


def test_configured_pii_fields_are_masked_and_others_kept() -> None:
    doc = {
        "payload": {
            "email": "a@example.com",
            "user": {"phone": "+1 555", "name": "Ann"},
            "items": [{"card": "4111"}, {"card": "5500"}, "not-an-object"],
        }
    }
    PiiMasker(["payload.email", "$.payload.user.phone", "payload.items[*].card", "payload.absent.field"]).mask(doc)

    assert doc == {
        "payload": {
            "email": MASK,
            "user": {"phone": MASK, "name": "Ann"},
            "items": [{"card": MASK}, {"card": MASK}, "not-an-object"],
        }
    }


def test_whole_subtree_and_list_elements_can_be_masked() -> None:
    doc = {"payload": {"address": {"street": "Main"}, "tags": ["a", "b"]}}
    PiiMasker(["payload.address", "payload.tags[*]"]).mask(doc)
    assert doc == {"payload": {"address": MASK, "tags": [MASK, MASK]}}


@pytest.mark.parametrize("bad", ["payload..email", "payload.items[0]", "payload.[*]", "payload.email]"])
def test_malformed_pii_path_is_rejected_naming_the_entry(bad: str) -> None:
    with pytest.raises(ConsumerConfigError, match="PII_FIELDS entry"):
        ConsumerConfig.from_env(ENV | {"PII_FIELDS": f"payload.ok,{bad}"})


def test_config_reads_environment_and_normalises_prefix() -> None:
    config = ConsumerConfig.from_env(ENV | {"PII_FIELDS": " payload.email , payload.ip ", "MAX_EVENT_BYTES": "5000"})
    assert config.quarantine_prefix == "quarantine/tenant=acme/stream=clicks/"
    assert config.pii_fields == ("payload.email", "payload.ip")
    assert config.max_event_bytes == 5000


def test_missing_variables_are_all_named() -> None:
    env = {key: value for key, value in ENV.items() if key not in {"TENANT", "DELIVERY_STREAM"}}
    with pytest.raises(ConsumerConfigError, match="TENANT, DELIVERY_STREAM"):
        ConsumerConfig.from_env(env)


@pytest.mark.parametrize(("value", "message"), [("ten", "not an integer"), ("0", "between 1 and")])
def test_bad_numeric_setting_names_the_variable(value: str, message: str) -> None:
    with pytest.raises(ConsumerConfigError, match=f"MAX_EVENT_BYTES.*{message}"):
        ConsumerConfig.from_env(ENV | {"MAX_EVENT_BYTES": value})
