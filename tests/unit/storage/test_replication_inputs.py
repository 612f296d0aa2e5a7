"""ZoneReplication's input rules word for word (property, value, rule) and at their limits:
the region name, the replica key ARN (key or alias, in the destination region), the rule id
(1-255 characters), the source bucket (concrete region, versioned, not yet replicated). No
synthesis: the constructs raise while they are built, so one app serves every test."""

import itertools

import aws_cdk as cdk
import pytest

from ml_data_platform.storage.bucket import DataLakeBucket
from ml_data_platform.storage.replication import (
    ZoneReplication,
    _check_key_arn,
    _zone_id,
    replica_key_alias_arn,
    validate_region,
)
from tests.conftest import TEST_ENV, make_app

REGION = "us-west-2"
REPLICA = "acme-prod-raw-111111111111-us-west-2"
ALIAS_ARN = f"arn:aws:kms:{REGION}:111111111111:alias/ml-data-platform/acme-prod/replica"
KEY_ARN = f"arn:aws:kms:{REGION}:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_ids = itertools.count()


@pytest.fixture(scope="module")
def app():
    return make_app()


def source(app, env=TEST_ENV, **bucket_props):
    stack = cdk.Stack(app, f"Source{next(_ids)}", env=env)
    return DataLakeBucket(stack, "Zone", **bucket_props)


def replicate(bucket, construct_id="Replication", **overrides):
    props = {
        "source": bucket,
        "destination_bucket_name": REPLICA,
        "destination_region": REGION,
        "destination_key_arn": ALIAS_ARN,
        **overrides,
    }
    return ZoneReplication(cdk.Stack.of(bucket), construct_id, **props)


@pytest.mark.parametrize(
    "region", ["us-west-2", "eu-central-1", "ap-southeast-7", "us-gov-west-1", "il-central-1"]
)
def test_region_names_are_accepted_unchanged(region):
    assert validate_region(region, "destination_region") == region


@pytest.mark.parametrize(
    "region",
    ["uswest2", "us-west", "US-WEST-2", "us-west-2a", "u-west-2", "usa-west-2", "-us-west-2", 7],
)
def test_other_region_values_are_refused_with_the_rule(region):
    with pytest.raises(ValueError) as raised:
        validate_region(region, "destination_region")
    assert str(raised.value) == (
        f"destination_region {region!r} is not an AWS region name (e.g. 'us-west-2'); it must "
        "be a concrete value, not a token"
    )


def test_a_region_token_is_refused(app):
    stack = cdk.Stack(app, f"Tokens{next(_ids)}")
    with pytest.raises(ValueError, match=r"^replica region '\$\{Token\[AWS\.Region\.\d+\]\}' is"):
        validate_region(stack.region, "replica region")


def test_the_replica_key_alias_arn():
    assert replica_key_alias_arn(alias="alias/a/b", region=REGION, account="111111111111") == (
        f"arn:aws:kms:{REGION}:111111111111:alias/a/b"
    )
    assert replica_key_alias_arn(
        alias="a/b", region="cn-north-1", account="222222222222", partition="aws-cn"
    ) == ("arn:aws-cn:kms:cn-north-1:222222222222:alias/a/b")


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (KEY_ARN, (KEY_ARN, None)),
        (
            ALIAS_ARN,
            (
                f"arn:aws:kms:{REGION}:111111111111:key/*",
                "alias/ml-data-platform/acme-prod/replica",
            ),
        ),
        (
            "arn:aws-us-gov:kms:us-west-2:111111111111:alias/a:b/alias/c",
            ("arn:aws-us-gov:kms:us-west-2:111111111111:key/*", "alias/a:b/alias/c"),
        ),
    ],
)
def test_a_key_arn_is_the_resource_an_alias_arn_gives_the_alias(arn, expected):
    assert _check_key_arn(arn, REGION) == expected


@pytest.mark.parametrize(
    "arn",
    [
        "alias/x",
        "arn:aws:kms:eu-west-1:111111111111:alias/x",
        f"arn:aws:kms:{REGION}:11111111111:alias/x",
        f"arn:aws:kms:{REGION}:111111111111:alias/",
        f"arn:aws:kms:{REGION}:111111111111:grant/x",
        f"arn:aws:s3:{REGION}:111111111111:key/x",
        f"xarn:aws:kms:{REGION}:111111111111:key/x",
        None,
    ],
)
def test_other_key_arns_are_refused_with_the_destination_region(arn):
    with pytest.raises(ValueError) as raised:
        _check_key_arn(arn, REGION)
    assert str(raised.value) == (
        f"destination_key_arn {arn!r} must be a KMS key ARN or alias ARN in the destination "
        f"region '{REGION}' (arn:aws:kms:{REGION}:<account>:key/<id> or ...:alias/<name>)"
    )


@pytest.mark.parametrize(
    ("zone", "construct_id"),
    [("raw", "RawReplica"), ("feature-store", "FeatureStoreReplica"), ("a_b-c", "ABCReplica")],
)
def test_zone_construct_ids(zone, construct_id):
    assert _zone_id(zone) == construct_id


@pytest.mark.parametrize("length", [1, 255])
def test_rule_ids_of_1_to_255_characters_are_accepted(app, length):
    assert replicate(source(app), rule_id="r" * length).rule_id == "r" * length


@pytest.mark.parametrize("rule_id", ["", "r" * 256, "line\nbreak", 7])
def test_other_rule_ids_are_refused(app, rule_id):
    with pytest.raises(ValueError) as raised:
        replicate(source(app), rule_id=rule_id)
    assert str(raised.value) == f"rule_id {rule_id!r} must be 1–255 characters"


def test_the_replica_must_be_in_another_region(app):
    bucket = source(app)
    with pytest.raises(ValueError) as raised:
        replicate(bucket, destination_region="us-east-1")
    assert str(raised.value) == (
        f"destination_region 'us-east-1' of ZoneReplication '{bucket.node.scope.node.path}/"
        "Replication' is the source bucket's region: disaster recovery needs a second region"
    )


@pytest.mark.parametrize(
    ("env", "bucket_props", "rule"),
    [
        (
            None,
            {},
            "the source bucket's stack '{stack}' needs a concrete region (env=Environment("
            "account=..., region=...)) to check the replica is elsewhere",
        ),
        (
            cdk.Environment(account="111111111111"),
            {},
            "the source bucket's stack '{stack}' needs a concrete region (env=Environment("
            "account=..., region=...)) to check the replica is elsewhere",
        ),
        (
            TEST_ENV,
            {"versioned": False},
            "source bucket '{stack}/Zone' is not versioned; S3 replication requires versioning "
            "on the source (DataLakeBucket(versioned=True), the default)",
        ),
    ],
)
def test_the_source_needs_a_concrete_region_and_versioning(app, env, bucket_props, rule):
    bucket = source(app, env, **bucket_props)
    stack = cdk.Stack.of(bucket).node.path
    with pytest.raises(ValueError) as raised:
        replicate(bucket)
    assert str(raised.value) == (
        f"ZoneReplication '{stack}/Replication': " + rule.format(stack=stack)
    )


def test_one_replication_per_source_bucket(app):
    bucket = source(app)
    replicate(bucket)
    stack = cdk.Stack.of(bucket).node.path
    with pytest.raises(ValueError) as raised:
        replicate(bucket, "Again")
    assert str(raised.value) == (
        f"ZoneReplication '{stack}/Again': source bucket '{stack}/Zone' already has a "
        "replication configuration; use one ZoneReplication per bucket"
    )


def test_versioning_set_through_a_token_in_cloudformation_case_counts(app):
    """The check reads the versioning as the L1 property (``status``) or as a token written in
    CloudFormation's case (``Status``) resolves."""
    bucket = source(app, versioned=False)
    bucket.bucket.node.default_child.versioning_configuration = cdk.Token.as_any(
        {"Status": "Enabled"}
    )
    assert replicate(bucket).rule_id == "DisasterRecoveryReplica"
    suspended = source(app, versioned=False)
    suspended.bucket.node.default_child.versioning_configuration = cdk.Token.as_any(
        {"Status": "Suspended"}
    )
    with pytest.raises(ValueError, match="is not versioned"):
        replicate(suspended)
