"""StorageStack: snapshot, pinned logical IDs of stateful resources."""

import pytest
from aws_cdk.assertions import Template

from ml_data_platform.stacks import StorageStack
from tests.conftest import assert_matches_snapshot, logical_ids, make_app, only_resource

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
