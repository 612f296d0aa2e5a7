"""Firehose CIDR map and Serverless base capacity rules."""

import aws_cdk as cdk
import pytest

from ml_data_platform.warehouse import (
    FIREHOSE_REDSHIFT_CIDR_BY_REGION,
    firehose_cidr_for_region,
    validate_base_capacity,
)


@pytest.mark.parametrize(
    ("region", "cidr"),
    [
        ("us-east-1", "52.70.63.192/27"),
        ("us-east-2", "13.58.135.96/27"),
        ("us-west-2", "52.89.255.224/27"),
        ("eu-west-1", "52.19.239.192/27"),
        ("eu-central-1", "35.158.127.160/27"),
        ("ap-southeast-2", "13.210.67.224/27"),
        ("af-south-1", "13.244.121.224/27"),
    ],
)
def test_documented_cidr_blocks(region, cidr):
    assert firehose_cidr_for_region(region) == cidr


def test_every_entry_is_a_slash_27():
    assert len(FIREHOSE_REDSHIFT_CIDR_BY_REGION) == 37
    assert all(cidr.endswith("/27") for cidr in FIREHOSE_REDSHIFT_CIDR_BY_REGION.values())
    assert len(set(FIREHOSE_REDSHIFT_CIDR_BY_REGION.values())) == 37


def test_unknown_region_fails_with_the_docs_page():
    with pytest.raises(ValueError, match=r"no Firehose CIDR block known for region 'xx-east-9'"):
        firehose_cidr_for_region("xx-east-9")


def test_token_region_fails_clearly():
    stack = cdk.Stack()
    with pytest.raises(ValueError, match="region is not resolved at synth time"):
        firehose_cidr_for_region(stack.region)


@pytest.mark.parametrize("rpus", [4, 8, 16, 128, 512, 544, 1024])
def test_valid_base_capacities(rpus):
    assert validate_base_capacity(rpus, "us-east-1") == rpus


@pytest.mark.parametrize(
    ("rpus", "region", "error", "message"),
    [
        (0, "us-east-1", ValueError, r"base_capacity must be 4, a multiple of 8 .* got 0"),
        (12, "us-east-1", ValueError, "got 12"),
        (520, "us-east-1", ValueError, "got 520"),
        (1056, "us-east-1", ValueError, "got 1056"),
        (544, "ap-south-1", ValueError, r"region 'ap-south-1' allows at most 512"),
        (8.0, "us-east-1", TypeError, "base_capacity must be an integer"),
    ],
)
def test_invalid_base_capacities(rpus, region, error, message):
    with pytest.raises(error, match=message):
        validate_base_capacity(rpus, region)
