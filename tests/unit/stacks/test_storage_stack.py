"""StorageStack: snapshot, pinned logical IDs of stateful resources."""

import pytest
from aws_cdk.assertions import Template

from ml_data_platform.stacks import StorageStack
from tests.conftest import (
    assert_matches_snapshot,
    logical_ids,
    make_app,
    only_resource,
    resources_of_type,
)

# Renaming a construct must fail here rather than replace a bucket or key on deploy.
PINNED_STORAGE_IDS = {
    "AWS::KMS::Key": {"DataLakeKeyBF9D10AC"},
    "AWS::S3::Bucket": {
        "DataLakeAccessLogsBucketD1E72160",
        "DataLakeRawZoneBucketC98FCD5D",
        "DataLakeCuratedZoneBucket4033E605",
        "DataLakeAnalyticsZoneBucket19A5549C",
    },
}


@pytest.fixture(scope="module")
def template():
    return Template.from_stack(StorageStack(make_app(), "Storage"))


@pytest.mark.parametrize("resource_type", sorted(PINNED_STORAGE_IDS))
def test_storage_stack_logical_ids_are_pinned(template, resource_type):
    assert logical_ids(template, resource_type) == PINNED_STORAGE_IDS[resource_type]


def test_storage_stack_matches_snapshot(template):
    assert_matches_snapshot("storage_stack", template)


def test_storage_stack_is_env_agnostic(template):
    assert "111111111111" not in str(template.to_json())


def test_storage_stack_alarm_topic_is_encrypted_and_subscribes_email():
    stack = StorageStack(make_app(), "WithEmail", alarm_email="oncall@example.com")
    template = Template.from_stack(stack)
    _, topic = only_resource(template, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataLakeKeyBF9D10AC", "Arn"]}
    _, subscription = only_resource(template, "AWS::SNS::Subscription")
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "oncall@example.com"


def test_storage_stack_rejects_bad_alarm_email():
    with pytest.raises(ValueError, match="email 'oncall' is not an e-mail address"):
        StorageStack(make_app(), "BadEmail", alarm_email="oncall")


ZONE_BUCKETS = PINNED_STORAGE_IDS["AWS::S3::Bucket"] - {"DataLakeAccessLogsBucketD1E72160"}
LAKE_KEY = {"Fn::GetAtt": ["DataLakeKeyBF9D10AC", "Arn"]}


def test_every_bucket_is_retained_private_and_versioned(template):
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    assert set(buckets) == PINNED_STORAGE_IDS["AWS::S3::Bucket"]
    for logical_id, bucket in buckets.items():
        assert bucket["DeletionPolicy"] == "Retain", logical_id
        assert bucket["UpdateReplacePolicy"] == "Retain", logical_id
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id


def test_zone_buckets_use_sse_kms_with_the_lake_key(template):
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    for logical_id in ZONE_BUCKETS:
        (rule,) = buckets[logical_id]["Properties"]["BucketEncryption"][
            "ServerSideEncryptionConfiguration"
        ]
        assert rule == {
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {
                "KMSMasterKeyID": LAKE_KEY,
                "SSEAlgorithm": "aws:kms",
            },
        }, logical_id
    # S3 server access logging delivers only to SSE-S3 buckets (acknowledged in the nag test).
    (logs_rule,) = buckets["DataLakeAccessLogsBucketD1E72160"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert logs_rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_alarm_topic_is_encrypted_with_the_lake_key(template):
    _, topic = only_resource(template, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == LAKE_KEY
    _, key = only_resource(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
