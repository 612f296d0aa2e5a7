"""The resource-type catalogue of the local emulator."""

from __future__ import annotations

import pytest

from ml_data_platform.local.catalogue import (
    ACCEPTED,
    ACCEPTED_NOT_EMULATED,
    CREATED,
    EMULATED,
    classify,
    is_custom_resource,
    unclassified_types,
)


def test_the_two_sets_are_disjoint_and_name_real_types() -> None:
    assert set(EMULATED).isdisjoint(ACCEPTED_NOT_EMULATED)
    for resource_type in [*EMULATED, *ACCEPTED_NOT_EMULATED]:
        assert resource_type.count("::") == 2 and resource_type.startswith("AWS::")


@pytest.mark.parametrize(
    ("resource_type", "expected"),
    [
        ("AWS::S3::Bucket", CREATED),
        ("AWS::Kinesis::Stream", CREATED),
        ("AWS::KinesisFirehose::DeliveryStream", ACCEPTED),
        ("AWS::Glue::Crawler", ACCEPTED),
        ("AWS::S3::BucketPolicy", ACCEPTED),
        ("Custom::S3AutoDeleteObjects", None),
        ("AWS::CloudFormation::CustomResource", None),
        ("AWS::DynamoDB::Table", None),
    ],
)
def test_classify(resource_type: str, expected: str | None) -> None:
    assert classify(resource_type) == expected


def test_custom_resources_are_recognised() -> None:
    assert is_custom_resource("Custom::Anything")
    assert is_custom_resource("AWS::CloudFormation::CustomResource")
    assert not is_custom_resource("AWS::Lambda::Function")


def test_unclassified_types_lists_only_the_unknown_ones() -> None:
    template = {
        "Resources": {
            "A": {"Type": "AWS::S3::Bucket"},
            "B": {"Type": "AWS::Glue::Table"},
            "C": {"Type": "Custom::Thing"},
            "D": {"Type": "AWS::DynamoDB::Table"},
        }
    }
    assert unclassified_types(template) == {"Custom::Thing", "AWS::DynamoDB::Table"}
    assert unclassified_types({}) == set()


def test_known_gaps_are_documented_where_the_read_back_reports_them() -> None:
    assert "StreamEncryption" in EMULATED["AWS::Kinesis::Stream"]
    assert "versioning" in EMULATED["AWS::S3::Bucket"]
    assert "Firehose" not in EMULATED and "AWS::KinesisFirehose::DeliveryStream" not in EMULATED
