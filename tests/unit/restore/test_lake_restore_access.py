"""LakeRestoreAccess: the zone's daily CSV inventory, the restore bucket, the least-privilege
Batch Operations role and the key policy for inventory delivery; nag-clean."""

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from ml_data_platform.restore import LakeRestoreAccess
from ml_data_platform.storage import DataLake
from tests.conftest import TEST_ENV, make_app, synth_with_nag


@pytest.fixture(scope="module")
def built():
    app = make_app()
    stack = cdk.Stack(app, "Restore", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    raw = lake.zone("raw")
    access = LakeRestoreAccess(
        stack,
        "RawRestores",
        bucket=raw.bucket,
        encryption_key=lake.key,
        access_logs_bucket=lake.access_logs_bucket,
    )
    report = synth_with_nag(app)
    return stack, lake, access, Template.from_stack(stack), report


def resources(built):
    return built[3].to_json()["Resources"]


def logical_id(built, construct):
    return built[0].get_logical_id(construct.node.default_child)


def test_zone_gets_a_daily_csv_inventory_into_the_restore_bucket(built):
    stack, lake, access, _, _ = built
    raw = resources(built)[logical_id(built, lake.zone("raw").bucket)]
    (inventory,) = raw["Properties"]["InventoryConfigurations"]
    assert inventory["Destination"]["Format"] == "CSV"
    assert inventory["Destination"]["Prefix"] == "inventory"
    assert inventory["Destination"]["BucketArn"] == stack.resolve(access.reports.bucket.bucket_arn)
    assert inventory["ScheduleFrequency"] == "Daily"
    assert inventory["IncludedObjectVersions"] == "Current"
    assert {"Size", "StorageClass", "IntelligentTieringAccessTier"} <= set(
        inventory["OptionalFields"]
    )


def test_restore_bucket_is_encrypted_retained_and_expires_its_files(built):
    stack, lake, access, _, _ = built
    bucket = resources(built)[logical_id(built, access.reports.bucket)]
    assert bucket["DeletionPolicy"] == "Retain"
    sse = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == stack.resolve(lake.key.key_arn)
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == 90 for r in rules)


def test_role_is_trusted_by_batch_operations_of_this_account_only(built):
    role = resources(built)[logical_id(built, built[2].role)]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "batchoperations.s3.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_role_policy_restores_reads_manifests_writes_reports_and_nothing_else(built):
    stack, _lake, access, _, _ = built
    policy = resources(built)[logical_id(built, access.policy)]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {
        "RestoreZoneObjects",
        "ReadManifests",
        "WriteReports",
        "LocateBuckets",
        "ReadManifestsWriteReportsWithTheKey",
        "RestoreEncryptedObjects",
    }
    assert statements["RestoreZoneObjects"]["Action"] == "s3:RestoreObject"
    assert statements["WriteReports"]["Action"] == "s3:PutObject"
    assert "/reports/*" in json.dumps(statements["WriteReports"]["Resource"])
    kms = statements["ReadManifestsWriteReportsWithTheKey"]
    assert kms["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"] == stack.resolve(
        access.reports.bucket.bucket_arn
    )
    assert not any(s["Resource"] == "*" for s in statements.values())
    assert all(s["Effect"] == "Allow" for s in statements.values())


def test_key_lets_s3_deliver_this_zones_inventory(built):
    _stack, lake, _access, _, _ = built
    key = resources(built)[logical_id(built, lake.key)]
    (statement,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "s3.amazonaws.com"}
    ]
    assert statement["Action"] == "kms:GenerateDataKey"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_operator_grant_lets_the_cli_run():
    """The caller's role is the user's: its findings (s3:CreateJob has no resource type, so
    '*') are acknowledged by its owner, so this stack is not run through nag."""
    stack = cdk.Stack(make_app(), "Operators", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    access = LakeRestoreAccess(stack, "R", bucket=lake.zone("raw").bucket, encryption_key=lake.key)
    operator = iam.Role(stack, "Operator", assumed_by=iam.AccountRootPrincipal())
    access.grant_run_restores(operator)
    statements = [
        s
        for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_action = {
        a: s
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert by_action["s3:CreateJob"]["Resource"] == "*"
    assert by_action["s3:DescribeJob"]["Resource"] == "arn:aws:s3:us-east-1:111111111111:job/*"
    assert by_action["iam:PassRole"]["Resource"] == stack.resolve(access.role.role_arn)
    assert by_action["s3:ListBucket"]["Resource"] == stack.resolve(
        lake.zone("raw").bucket.bucket_arn
    )
    assert "kms:GenerateDataKey*" in by_action  # put on manifests/ with the key


def test_every_pack_passes_with_only_the_restore_policy_wildcards_acknowledged(built):
    report = built[4]
    restore_acks = {
        (s["ruleName"].split("[")[0], s["acknowledgedAt"].split("/", 1)[1])
        for p in report["pluginReports"]
        for s in p.get("suppressedViolations", [])
        if "/RawRestores/" in s["acknowledgedAt"]
    }
    assert ("AwsSolutions-IAM5", "RawRestores/BatchOperationsPolicy") in restore_acks
    assert {at for _, at in restore_acks} <= {
        "RawRestores/BatchOperationsPolicy",
        "RawRestores/Reports/Bucket",
    }


def test_imported_bucket_is_refused():
    stack = cdk.Stack(make_app(), "Bad")
    lake = DataLake(stack, "Lake")
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "some-bucket")
    with pytest.raises(TypeError, match=r"aws_s3\.Bucket created in this app"):
        LakeRestoreAccess(stack, "R", bucket=imported, encryption_key=lake.key)
    with pytest.raises(ValueError, match="expire_after_days must be ≥ 1"):
        LakeRestoreAccess(
            stack, "S", bucket=lake.zone("raw").bucket, encryption_key=lake.key, expire_after_days=0
        )
