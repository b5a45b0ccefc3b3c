"""Config enums are AWS's own spellings, and AWS's model patterns are matched as AWS matches them."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from infra import config as platform_config
from infra import defaults
from infra.aws_api_models import enum_of, member_rules, pattern_matcher


def test_the_lakes_compressions_are_awss_own_spellings() -> None:
    firehose_enum = enum_of(*platform_config.FIREHOSE_COMPRESSION_MEMBER)
    assert set(platform_config.LAKE_COMPRESSIONS) <= set(firehose_enum)
    assert get_args(platform_config.LakeCompression) == platform_config.LAKE_COMPRESSIONS
    assert defaults.LAKE_COMPRESSION in platform_config.LAKE_COMPRESSIONS
    # Athena reads none of these from the lake's JSON table, so the config refuses them though AWS takes them.
    assert set(firehose_enum) - set(platform_config.LAKE_COMPRESSIONS) == {"ZIP", "Snappy"}


@pytest.mark.parametrize(
    ("literal", "member"),
    [
        (
            platform_config.ConsumerSettings.model_fields["starting_position"].annotation,
            ("lambda", "CreateEventSourceMapping", "StartingPosition"),
        ),
        (
            platform_config.PlatformConfig.model_fields["architecture"].annotation,
            ("lambda", "CreateFunction", "Architectures[]"),
        ),
    ],
    ids=["starting_position", "architecture"],
)
def test_config_enums_are_subsets_of_the_api_enums(literal: Any, member: tuple[str, str, str]) -> None:
    assert set(get_args(literal)) <= set(enum_of(*member))


def test_a_model_members_rules_are_read_from_botocore() -> None:
    rules = member_rules("lambda", "CreateEventSourceMapping", "ParallelizationFactor")
    assert (rules.type_name, rules.minimum, rules.maximum) == ("integer", 1, 10)
    assert rules.source == "lambda CreateEventSourceMapping ParallelizationFactor"
    assert rules.problems(11.0) == ["is above the maximum of 10"]
    with pytest.raises(KeyError, match="no member 'Nope'"):
        member_rules("lambda", "CreateEventSourceMapping", "Nope")


@pytest.mark.parametrize(
    ("pattern", "accepted", "refused"),
    [
        # Java's \p{..} classes, which Python's re lacks (a Firehose tag key).
        (r"^(?!aws:)[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$", ["tenant", "Mandant über", "環境 1"], ["aws:x", "a$b", "a\tb"]),
        # A surrogate pair is one supplementary character in Java (a Glue name).
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", ["sp_dev_lake", "\U0001f600"], ["a\x01"]),
        # The whole value must match, as AWS matches.
        (r"[a-zA-Z0-9_.-]+", ["sp-dev-acme-clicks"], ["sp dev", ""]),
    ],
    ids=["unicode-classes", "surrogate-pairs", "whole-value"],
)
def test_aws_patterns_are_matched_as_aws_matches_them(pattern: str, accepted: list[str], refused: list[str]) -> None:
    matches = pattern_matcher(pattern)
    assert [value for value in accepted if not matches(value)] == []
    assert [value for value in refused if matches(value)] == []
