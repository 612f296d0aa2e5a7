"""Removal guard (two deliberate steps) and access points."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT, resolve_removal_policy
from ml_data_platform.storage import (
    AccessLevel,
    AccessLogsBucket,
    DataLake,
    DataLakeBucket,
    DataLakeKey,
)
from tests.conftest import TEST_ENV, make_app, only_resource, resources_of_type


def test_destroy_without_context_flag_fails_with_instructions():
    stack = cdk.Stack(make_app(), "Guarded")
    with pytest.raises(ValueError) as error:
        DataLake(stack, "Lake", removal_policy=cdk.RemovalPolicy.DESTROY)
    message = str(error.value)
    assert "removal_policy=DESTROY at 'Guarded/Lake' would delete data" in message
    assert f"{ALLOW_DESTROY_CONTEXT}=true" in message


def test_destroy_with_context_flag_deletes_and_empties_buckets():
    stack = cdk.Stack(make_app(**{ALLOW_DESTROY_CONTEXT: True}), "Dev")
    DataLake(stack, "Lake", removal_policy=cdk.RemovalPolicy.DESTROY)
    template = Template.from_stack(stack)
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in resources_of_type(template, resource_type).values():
            assert resource["DeletionPolicy"] == "Delete"
    template.resource_count_is("Custom::S3AutoDeleteObjects", 4)
    _, key = only_resource(template, "AWS::KMS::Key")
    assert key["Properties"]["PendingWindowInDays"] == 30


def test_context_flag_alone_keeps_retain():
    stack = cdk.Stack(make_app(**{ALLOW_DESTROY_CONTEXT: True}), "Flag")
    DataLake(stack, "Lake")
    for resource in resources_of_type(Template.from_stack(stack), "AWS::S3::Bucket").values():
        assert resource["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("construct", [DataLake, DataLakeBucket, AccessLogsBucket, DataLakeKey])
def test_snapshot_removal_policy_fails_at_synth(construct):
    stack = cdk.Stack(make_app(**{ALLOW_DESTROY_CONTEXT: True}), "Snap")
    with pytest.raises(ValueError) as error:
        construct(stack, "X", removal_policy=cdk.RemovalPolicy.SNAPSHOT)
    assert str(error.value) == (
        "removal_policy=SNAPSHOT at 'Snap/X' is not supported: use one of RETAIN, "
        "RETAIN_ON_UPDATE_OR_DELETE, DESTROY (CloudFormation accepts SNAPSHOT only for a few "
        "resource types, none of which this platform creates)"
    )


def test_removal_policy_must_be_a_removal_policy():
    stack = cdk.Stack(make_app(), "Str")
    with pytest.raises(
        TypeError, match=r"^retention must be a cdk.RemovalPolicy, got str: 'destroy'$"
    ):
        resolve_removal_policy(stack, "destroy", prop="retention")  # type: ignore[arg-type]


def test_retain_on_update_or_delete_is_kept_and_not_emptied():
    stack = cdk.Stack(make_app(), "RetainExceptOnCreate")
    DataLake(stack, "Lake", removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
    template = Template.from_stack(stack)
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in resources_of_type(template, resource_type).values():
            assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
    template.resource_count_is("Custom::S3AutoDeleteObjects", 0)


@pytest.fixture(scope="module")
def access_point_stack():
    stack = cdk.Stack(make_app(), "Ap", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    role = iam.Role(stack, "Scientist", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    point = lake.add_access_point(
        "FeaturesReader",
        zone="curated",
        access_point_name="features-reader",
        principal=role,
        prefix="features/",
    )
    return stack, point, Template.from_stack(stack)


def test_access_point_policy_scopes_principal_to_prefix(access_point_stack):
    _, _, template = access_point_stack
    _, resource = only_resource(template, "AWS::S3::AccessPoint")
    props = resource["Properties"]
    assert props["Name"] == "features-reader"
    assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    statements = props["Policy"]["Statement"]
    assert statements[0]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert statements[0]["Resource"] == (
        "arn:aws:s3:us-east-1:111111111111:accesspoint/features-reader/object/features/*"
    )
    assert statements[1]["Condition"] == {"StringLike": {"s3:prefix": ["features/*"]}}
    assert "s3:PutObject" not in str(statements)


def test_access_point_delegation_and_role_permissions(access_point_stack):
    _, _, template = access_point_stack
    policies = resources_of_type(template, "AWS::S3::BucketPolicy")
    curated = next(p for lid, p in policies.items() if lid.startswith("LakeCuratedZone"))
    delegation = next(
        s
        for s in curated["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "DelegateToFeaturesReader"
    )
    assert "s3:DataAccessPointArn" in delegation["Condition"]["StringEquals"]
    role_policy = next(iter(resources_of_type(template, "AWS::IAM::Policy").values()))
    actions = str([s["Action"] for s in role_policy["Properties"]["PolicyDocument"]["Statement"]])
    assert "kms:Decrypt" in actions and "s3:PutObject" not in actions


READ_ACTIONS = {"s3:GetObject", "s3:GetObjectVersion"}
WRITE_ACTIONS = {"s3:PutObject", "s3:AbortMultipartUpload"}
ENCRYPT_ACTIONS = {"kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}


def actions_of(statements):
    return {
        action
        for statement in statements
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }


@pytest.mark.parametrize(
    ("access", "extra_s3", "extra_kms"),
    [(AccessLevel.READ, set(), set()), (AccessLevel.READ_WRITE, WRITE_ACTIONS, ENCRYPT_ACTIONS)],
    ids=["read", "read-write"],
)
def test_access_level_decides_write_and_encrypt_actions(access, extra_s3, extra_kms):
    stack = cdk.Stack(make_app(), "ApLevel", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    role = iam.Role(stack, "Job", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    lake.add_access_point(
        "Jobs",
        zone="analytics",
        access_point_name="job-access",
        principal=role,
        prefix="jobs",  # normalised to "jobs/"
        access=access,
    )
    template = Template.from_stack(stack)
    _, role_policy = only_resource(template, "AWS::IAM::Policy")
    role_statements = role_policy["Properties"]["PolicyDocument"]["Statement"]
    _, point = only_resource(template, "AWS::S3::AccessPoint")
    point_statements = point["Properties"]["Policy"]["Statement"]

    assert actions_of(point_statements) == READ_ACTIONS | extra_s3 | {"s3:ListBucket"}
    assert point_statements[0]["Resource"] == (
        "arn:aws:s3:us-east-1:111111111111:accesspoint/job-access/object/jobs/*"
    )
    assert actions_of(role_statements) == (
        READ_ACTIONS | extra_s3 | {"s3:ListBucket", "kms:Decrypt"} | extra_kms
    )
    (kms_statement,) = [s for s in role_statements if "kms:Decrypt" in actions_of([s])]
    bucket_arn = stack.resolve(lake.zone("analytics").bucket.bucket_arn)
    assert kms_statement["Resource"] == stack.resolve(lake.key.key_arn)
    assert kms_statement["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["s3.us-east-1.", {"Ref": "AWS::URLSuffix"}]]}
        },
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [
                bucket_arn,
                {"Fn::Join": ["", [bucket_arn, "/jobs/*"]]},
            ]
        },
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"access_point_name": "AB"}, "access_point_name 'AB' must be 3–50 lowercase"),
        (
            {"access_point_name": "ok-name", "prefix": "/x"},
            r"prefix '/x' must be a relative key prefix: no leading '/', no '//', no '\*' or '\?'",
        ),
        (
            {"access_point_name": "ok-name", "prefix": "data/*"},
            r"prefix 'data/\*' must be a relative",
        ),
        ({"access_point_name": "ok-name", "zone": "gold"}, "no zone 'gold'"),
    ],
)
def test_access_point_bad_input(kwargs, message):
    stack = cdk.Stack(make_app(), "ApBad", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    args = {"zone": "curated", "principal": role, **kwargs}
    with pytest.raises((ValueError, KeyError), match=message):
        lake.add_access_point("Ap", **args)


def test_access_point_rejects_wrong_principal_kind():
    stack = cdk.Stack(make_app(), "ApKind", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    with pytest.raises(TypeError, match=r"principal must be an IRole \(aws_iam\), got str"):
        lake.add_access_point("Ap", zone="raw", access_point_name="abc", principal="arn:role")
