"""Parsing ``cdk diff`` output (the pinned CLI's format) and the guard's verdict."""

from __future__ import annotations

import pytest

from ml_data_platform.deploy_guard import DATA_BEARING_TYPES, data_loss_changes
from ml_data_platform.deploy_guard.cli import EXIT_DATA_LOSS, report

DIFF = """
Stack Prod/Platform/Ingestion (mldp-prod-ingestion)
Resources
[-] AWS::Kinesis::Stream Platform/Ingestion/ClickstreamStream/Stream ClickstreamStream7A92171B orphan
[-] AWS::CloudWatch::Alarm Platform/Ingestion/ClickstreamStream/IteratorAgeAlarm ClickstreamStreamIteratorAgeAlarm77BC72D1 destroy
[+] AWS::Kinesis::Stream Platform/Ingestion/ClicksStream/Stream ClicksStreamD98A12A8

Stack Prod/Platform/Storage (mldp-prod-storage)
Resources
[~] AWS::KMS::Key Platform/Storage/DataLake/Key/Key DataLakeKeyBF9D10AC
[~] AWS::KMS::Alias Platform/Storage/DataLake/Key/Key/Alias DataLakeKeyAlias8C3EE3A4 replace
 └─ [~] AliasName (requires replacement)
\x1b[33m[~] AWS::S3::Bucket Platform/Storage/DataLake/RawZone/Bucket DataLakeRawZoneBucketC98FCD5D may be replaced\x1b[39m
[-] AWS::Glue::Database Platform/Catalog/Catalog/RawDatabase CatalogRawDatabaseCC29CEE7 destroy
[-] AWS::CloudFormation::Stack Platform/Ingestion/Clicks.NestedStack/Clicks.NestedStackResource ClicksNestedStackResource destroy
"""


def test_only_data_bearing_resources_that_would_be_lost_are_reported():
    changes = data_loss_changes(DIFF)
    assert [(c.stack, c.logical_id, c.impact) for c in changes] == [
        ("Prod/Platform/Ingestion", "ClickstreamStream7A92171B", "orphan"),
        ("Prod/Platform/Storage", "DataLakeRawZoneBucketC98FCD5D", "may be replaced"),
        ("Prod/Platform/Storage", "CatalogRawDatabaseCC29CEE7", "destroy"),
        ("Prod/Platform/Storage", "ClicksNestedStackResource", "destroy"),
    ]
    # An updated key (no replacement), a replaced alias, a destroyed alarm and a created
    # stream lose no data.


def test_the_message_names_stack_resource_path_and_what_is_lost():
    (change,) = data_loss_changes(DIFF.splitlines()[:6])
    assert str(change) == (
        "Prod/Platform/Ingestion: AWS::Kinesis::Stream ClickstreamStream7A92171B "
        "(Platform/Ingestion/ClickstreamStream/Stream) would be orphaned (left behind, "
        "unmanaged, still billed): " + DATA_BEARING_TYPES["AWS::Kinesis::Stream"]
    )


@pytest.mark.parametrize("resource_type", sorted(DATA_BEARING_TYPES))
@pytest.mark.parametrize("impact", ["destroy", "orphan", "replace", "may be replaced"])
def test_every_data_bearing_type_and_losing_impact_is_caught(resource_type, impact):
    line = f"[-] {resource_type} A/B ABC123 {impact}"
    (change,) = data_loss_changes(line)
    assert (change.resource_type, change.impact) == (resource_type, impact)


def test_refusal_exit_code_and_explicit_allowance(capsys):
    changes = data_loss_changes(DIFF)
    assert report(changes, allow=False) == EXIT_DATA_LOSS
    refused = capsys.readouterr()
    assert "refusing to deploy, 4 data-bearing resource(s)" in refused.err
    assert "ALLOW_DATA_LOSS=1" in refused.err
    assert report(changes, allow=True) == 0
    allowed = capsys.readouterr()
    assert "deploying although data will be lost" in allowed.out
    assert allowed.out.count("would be") == 4
    assert report([], allow=False) == 0


def test_a_resource_line_before_any_stack_header_is_reported_under_stack_unknown():
    (change,) = data_loss_changes("[-] AWS::SQS::Queue P/Dlq Dlq1 destroy")
    assert change.stack == "?"
    assert str(change).startswith("?: AWS::SQS::Queue Dlq1 (P/Dlq) would be deleted: ")
