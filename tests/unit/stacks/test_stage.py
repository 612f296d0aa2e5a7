"""Composing the platform in a user's app: ``PlatformOptions(ml_role=...)`` from outside the
stage, ``MlDataPlatformStage(env=...)``, and a concrete account with the warehouse on
synthesizing without an Availability Zone lookup (no AWS credentials)."""

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from ml_data_platform import MlDataPlatform, MlDataPlatformStage, PlatformOptions
from ml_data_platform.config import settings_from_context
from ml_data_platform.stacks.platform import IMPORTED_ML_ROLE_ID
from tests.conftest import make_app, resources_of_type

ACCOUNT = "111111111111"
REGION = "us-east-1"


def settings(*, account=None, region=None, warehouse=False):
    environment = {
        "removal": "destroy",
        "warehouse": {"enabled": warehouse},
        "datasets": [{"name": "events", "columns": [{"name": "id", "type": "string"}]}],
    }
    environment |= {k: v for k, v in {"account": account, "region": region}.items() if v}
    context = {"ml-data-platform": {"project": "team", "environments": {"sandbox": environment}}}
    return settings_from_context(context, "sandbox")


def sagemaker_role(scope, construct_id, **kwargs):
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        **kwargs,
    )


def ml_consumer_policies(catalog_template: Template) -> list[dict]:
    """The catalog stack's policies that grant Athena queries (the MlConsumer's grants)."""
    return [
        p["Properties"]
        for p in resources_of_type(catalog_template, "AWS::IAM::Policy").values()
        if "athena:StartQueryExecution" in json.dumps(p["Properties"]["PolicyDocument"])
    ]


def sagemaker_roles(template: Template) -> list[str]:
    return [
        lid
        for lid, r in resources_of_type(template, "AWS::IAM::Role").items()
        if "sagemaker.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    ]


@pytest.fixture(scope="module")
def composed():
    """One app, synthesized once: the role outside the stage (named, by ARN, by name), the
    user's own stage with the user's own role, and a concrete account with the warehouse."""
    app = make_app()
    roles = cdk.Stack(app, "Roles", env=cdk.Environment(account=ACCOUNT, region=REGION))
    named = sagemaker_role(roles, "TeamSageMaker", role_name="team-sagemaker")
    stages = {
        "Named": MlDataPlatformStage(
            app, "Named", settings=settings(), options=PlatformOptions(ml_role=named)
        ),
        "ByArn": MlDataPlatformStage(
            app,
            "ByArn",
            settings=settings(),
            options=PlatformOptions(ml_role=f"arn:aws:iam::{ACCOUNT}:role/ml/team-sagemaker"),
        ),
        "ByName": MlDataPlatformStage(
            app, "ByName", settings=settings(), options=PlatformOptions(ml_role="team-sagemaker")
        ),
    }
    own_stage = cdk.Stage(app, "Own", env=cdk.Environment(account=ACCOUNT, region=REGION))
    own_stack = cdk.Stack(own_stage, "TeamRoles")
    own_role = sagemaker_role(own_stack, "Notebooks")
    own_platform = MlDataPlatform(
        own_stage, "Platform", settings=settings(), options=PlatformOptions(ml_role=own_role)
    )
    warehouse = MlDataPlatformStage(
        app, "Warehouse", settings=settings(account=ACCOUNT, region=REGION, warehouse=True)
    )
    assembly = app.synth()
    return {
        "assembly": Path(assembly.directory),
        "stages": stages,
        "own": (own_stack, own_platform),
        "warehouse": warehouse,
    }


@pytest.mark.parametrize(
    ("stage", "role_arn"),
    [
        ("Named", None),  # imported by its fixed name: ARN in the platform's account
        ("ByArn", f"arn:aws:iam::{ACCOUNT}:role/ml/team-sagemaker"),
        ("ByName", None),
    ],
)
def test_ml_role_from_outside_the_stage_is_imported_and_granted(composed, stage, role_arn):
    platform = composed["stages"][stage].platform
    catalog = Template.from_stack(platform.catalog)
    assert sagemaker_roles(catalog) == []  # no role of the platform's own
    (policy,) = ml_consumer_policies(catalog)
    assert policy["Roles"] == ["team-sagemaker"]  # attached to the user's role by name
    role = platform.ml_consumer.role
    assert role.node.path == f"{stage}/Platform/Catalog/{IMPORTED_ML_ROLE_ID}"
    if role_arn:
        assert role.role_arn == role_arn


def test_ml_role_in_the_users_own_stage_is_granted_where_it_lives(composed):
    own_stack, platform = composed["own"]
    catalog = Template.from_stack(platform.catalog)
    assert sagemaker_roles(catalog) == [] and ml_consumer_policies(catalog) == []
    users = Template.from_stack(own_stack)
    (role_id,) = sagemaker_roles(users)
    (policy,) = ml_consumer_policies(users)
    assert policy["Roles"] == [{"Ref": role_id}]
    document = json.dumps(policy["PolicyDocument"])
    # The lake's zone buckets, referenced across stacks (same stage: CDK wires it).
    assert "CuratedZoneBucket" in document and "AnalyticsZoneBucket" in document
    assert platform.ml_consumer.role.node.path == "Own/TeamRoles/Notebooks"


def test_ml_role_outside_the_stage_with_a_generated_name_is_refused():
    app = make_app()
    roles = cdk.Stack(app, "Roles")
    role = sagemaker_role(roles, "Generated")
    with pytest.raises(
        ValueError,
        match=r"PlatformOptions.ml_role: the role 'Roles/Generated' is defined outside the "
        r"stage 'Sandbox' and has a generated name.*role_name=.*ARN or name as a string",
    ):
        MlDataPlatformStage(
            app, "Sandbox", settings=settings(), options=PlatformOptions(ml_role=role)
        )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("arn:aws:iam::123:role/x", r"'arn:aws:iam::123:role/x' is not an IAM role ARN"),
        ("arn:aws:s3:::bucket", r"'arn:aws:s3:::bucket' is not an IAM role ARN"),
        ("team sagemaker", r"'team sagemaker' is neither an IAM role ARN .* nor a role name"),
    ],
)
def test_ml_role_string_that_is_no_role_fails_naming_the_option(value, message):
    with pytest.raises(ValueError, match=r"PlatformOptions.ml_role: " + message):
        MlDataPlatformStage(
            make_app(), "Sandbox", settings=settings(), options=PlatformOptions(ml_role=value)
        )


def test_ml_role_of_the_wrong_kind_fails_naming_the_option():
    with pytest.raises(TypeError, match=r"PlatformOptions.ml_role must be an IRole"):
        MlDataPlatformStage(
            make_app(), "Sandbox", settings=settings(), options=PlatformOptions(ml_role=42)
        )


def test_stage_env_fills_in_what_the_settings_leave_out():
    app = make_app()
    given = cdk.Environment(account=ACCOUNT, region=REGION)
    stage = MlDataPlatformStage(app, "Sandbox", settings=settings(), env=given)
    assert (stage.account, stage.region) == (ACCOUNT, REGION)
    storage = stage.platform.storage
    assert (storage.account, storage.region) == (ACCOUNT, REGION)
    partial = MlDataPlatformStage(
        app, "Partial", settings=settings(region="eu-west-1"), env=cdk.Environment(account=ACCOUNT)
    )
    assert (partial.platform.catalog.account, partial.platform.catalog.region) == (
        ACCOUNT,
        "eu-west-1",
    )
    same = MlDataPlatformStage(
        app, "Same", settings=settings(account=ACCOUNT, region=REGION), env=given
    )
    (ingestion,) = same.platform.ingestion_stacks.values()
    assert (ingestion.account, ingestion.region) == (ACCOUNT, REGION)


def test_stage_env_conflicting_with_the_settings_is_refused():
    with pytest.raises(
        ValueError,
        match=r"MlDataPlatformStage.env: region 'eu-west-1' conflicts with the region "
        r"'us-east-1' of environment 'sandbox' in the settings; set it in one place",
    ):
        MlDataPlatformStage(
            make_app(),
            "Sandbox",
            settings=settings(account=ACCOUNT, region=REGION),
            env=cdk.Environment(account=ACCOUNT, region="eu-west-1"),
        )
    with pytest.raises(TypeError, match=r"MlDataPlatformStage.env must be a cdk.Environment"):
        MlDataPlatformStage(make_app(), "Sandbox", settings=settings(), env={"region": REGION})


def test_concrete_account_with_the_warehouse_needs_no_context_lookup(composed):
    """A lookup would need AWS credentials at synth time (and the CLI still reports success
    when it cannot do it): the warehouse's VPC takes its zones from Fn::GetAZs instead."""
    manifests = [composed["assembly"] / "manifest.json"]
    manifests += sorted(composed["assembly"].glob("assembly-*/manifest.json"))
    assert len(manifests) > 1
    for manifest in manifests:
        assert "missing" not in json.loads(manifest.read_text()), manifest
    warehouse = composed["warehouse"].platform.warehouse
    assert (warehouse.account, warehouse.region) == (ACCOUNT, REGION)
    subnets = resources_of_type(Template.from_stack(warehouse), "AWS::EC2::Subnet").values()
    zones = sorted(json.dumps(s["Properties"]["AvailabilityZone"]) for s in subnets)
    assert zones == [json.dumps({"Fn::Select": [i, {"Fn::GetAZs": ""}]}) for i in range(3)]
