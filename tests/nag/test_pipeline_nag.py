"""PipelineStack (the documented ``pipeline`` section of cdk.json) under every enforced cdk-nag
pack: zero unacknowledged findings, and exactly the expected acknowledgements on the
resources CDK Pipelines generates (the stages inside carry the platform's own)."""

import copy
import json

import pytest
from aws_cdk.assertions import Template

from ml_data_platform.config import CONTEXT_KEY, PipelineSettings, pipeline_settings
from ml_data_platform.stacks import PipelineStack
from ml_data_platform.stacks.pipeline_stack import CDK_CLI_VERSION
from tests.conftest import (
    CDK_CONTEXT,
    ROOT,
    acknowledged_rules,
    make_app,
    resources_of_type,
    synth_with_nag,
)

PIPELINE_SECTION = {
    "connection_arn": "arn:aws:codeconnections:us-east-1:111111111111:connection/abc",
    "repository": "acme/ml-data-platform",
    "account": "111111111111",
    "region": "us-east-1",
}
ROOT_PATH = "Pipeline/Pipeline"
BUCKET = f"{ROOT_PATH}/Pipeline/ArtifactsBucket"
PIPELINE_POLICY = f"{ROOT_PATH}/Pipeline/Role/DefaultPolicy"
SYNTH_POLICY = f"{ROOT_PATH}/Pipeline/Build/Synth/CdkBuildProject/Role/DefaultPolicy"
MUTATION_POLICY = f"{ROOT_PATH}/UpdatePipeline/SelfMutation/Role/DefaultPolicy"
ASSETS_POLICY = f"{ROOT_PATH}/Assets/FileRole/DefaultPolicy"
PROJECTS = (
    f"{ROOT_PATH}/Pipeline/Build/Synth/CdkBuildProject/Resource",
    f"{ROOT_PATH}/UpdatePipeline/SelfMutation/Resource",
    f"{ROOT_PATH}/Assets/FileAsset/Resource",
)
PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
ARTIFACTS = "Resource::<PipelineArtifactsBucketAEA9A052.Arn>/*"
READ = ("s3:GetBucket*", "s3:GetObject*", "s3:List*")
READ_WRITE = (*READ, "s3:Abort*", "s3:DeleteObject*")
KMS = ("kms:GenerateDataKey*", "kms:ReEncrypt*")
ARN = "arn:aws:{service}:us-east-1:111111111111:{resource}"


def iam5(policy, *findings):
    return {(f"AwsSolutions-IAM5[{finding}]", policy) for finding in findings}


def actions(*names):
    return [f"Action::{name}" for name in names]


def project_logs(project_id):
    return (
        "Resource::" + ARN.format(service="codebuild", resource=f"report-group/<{project_id}>-*"),
        "Resource::"
        + ARN.format(service="logs", resource=f"log-group:/aws/codebuild/<{project_id}>:*"),
    )


EXPECTED = {
    # The artifact bucket: transient artifacts, KMS-encrypted, TLS-only.
    ("AwsSolutions-S1", BUCKET),
    *(
        (f"{pack}-{rule}", BUCKET)
        for pack in PACKS
        for rule in (
            "S3BucketLoggingEnabled",
            "S3BucketReplicationEnabled",
            "S3BucketVersioningEnabled",
        )
    ),
    # CodeBuild projects with a CODEPIPELINE source (no repository URL of their own).
    *(
        (f"{pack}-CodeBuildProjectSourceRepoUrl", project)
        for pack in ("HIPAA.Security", "PCI.DSS.321")
        for project in PROJECTS
    ),
    # The default (inline) policies of the four roles CDK Pipelines creates.
    *(
        (f"{pack}-IAMNoInlinePolicy", policy)
        for pack in PACKS
        for policy in (PIPELINE_POLICY, SYNTH_POLICY, MUTATION_POLICY, ASSETS_POLICY)
    ),
    # Wildcards, finding by finding.
    *iam5(PIPELINE_POLICY, *actions(*READ_WRITE, *KMS), ARTIFACTS),
    *iam5(
        SYNTH_POLICY,
        *actions(*READ_WRITE, *KMS),
        ARTIFACTS,
        *project_logs("PipelineBuildSynthCdkBuildProject6BEFA8E6"),
    ),
    *iam5(
        MUTATION_POLICY,
        *actions(*READ, *KMS),
        ARTIFACTS,
        *project_logs("PipelineUpdatePipelineSelfMutationDAA41400"),
        "Resource::arn:*:iam::111111111111:role/*",
        "Resource::*",
    ),
    *iam5(
        ASSETS_POLICY,
        *actions(*READ),
        ARTIFACTS,
        "Resource::" + ARN.format(service="codebuild", resource="report-group/*"),
        "Resource::" + ARN.format(service="logs", resource="log-group:/aws/codebuild/*"),
        "Resource::*",
    ),
}


def pipeline_context():
    context = copy.deepcopy(CDK_CONTEXT)
    context[CONTEXT_KEY]["pipeline"] = dict(PIPELINE_SECTION)
    return context


@pytest.fixture(scope="module")
def built():
    context = pipeline_context()
    app = make_app()
    stack = PipelineStack(app, "Pipeline", settings=pipeline_settings(context), context=context)
    report = synth_with_nag(app)
    return stack, report


def test_pipeline_stack_passes_all_packs(built):
    _, report = built
    assert {p["pluginName"] for p in report["pluginReports"]} == {"AwsSolutions", *PACKS}
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])
    assert all(not p.get("violations") for p in report["pluginReports"])


def test_pipeline_acknowledgements_are_exactly_the_expected_ones(built):
    _, report = built
    generated = {
        (rule, at)
        for rule, at in acknowledged_rules(report)
        if at == ROOT_PATH or at.startswith(ROOT_PATH + "/")
    }
    assert generated == EXPECTED


def test_stages_inside_the_pipeline_keep_the_platform_acknowledgements(built):
    _, report = built
    paths = {at for _, at in acknowledged_rules(report)}
    scopes = (ROOT_PATH + "/", "Pipeline/Dev/Platform/", "Pipeline/Prod/Platform/")
    assert {p for p in paths if not p.startswith(scopes)} == set()
    assert any(p.startswith("Pipeline/Prod/Platform/Warehouse/") for p in paths)
    assert any(p.startswith("Pipeline/Dev/Platform/Ingestion14/") for p in paths)


def test_full_wildcards_say_why(built):
    _, report = built
    reasons = {
        (s["ruleName"], s["acknowledgedAt"]): s["reason"]
        for p in report["pluginReports"]
        for s in p.get("suppressedViolations", [])
    }
    full = "AwsSolutions-IAM5[Resource::*]"
    assert "cloudformation:DescribeStacks and s3:ListBucket" in reasons[(full, MUTATION_POLICY)]
    assert "codebuild:StartBuild" in reasons[(full, ASSETS_POLICY)]
    assert (
        "aws-cdk:bootstrap-role"
        in reasons[("AwsSolutions-IAM5[Resource::arn:*:iam::111111111111:role/*]", MUTATION_POLICY)]
    )


def test_pipeline_runs_actions_with_its_role_and_publishes_assets_in_one_project(built):
    stack, _ = built
    template = Template.from_stack(stack)
    roles = resources_of_type(template, "AWS::IAM::Role")
    # Pipeline role, synth, self-mutation, asset publishing: no per-action roles for the
    # source and CodeBuild actions (the pipeline role runs them).
    assert sorted(roles) == sorted(
        {
            stack.get_logical_id(stack.pipeline.pipeline.role.node.default_child),
            stack.get_logical_id(stack.pipeline.synth_project.role.node.default_child),
            stack.get_logical_id(stack.pipeline.self_mutation_project.role.node.default_child),
            "PipelineAssetsFileRole59943A77",
        }
    )
    assert set(resources_of_type(template, "AWS::CodeBuild::Project")) == {
        "PipelineBuildSynthCdkBuildProject6BEFA8E6",
        "PipelineUpdatePipelineSelfMutationDAA41400",
        "PipelineAssetsFileAsset5D8C5DA6",
    }


def test_self_mutation_installs_the_pinned_cli(built):
    stack, _ = built
    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"]["aws-cdk"] == CDK_CLI_VERSION
    template = Template.from_stack(stack)
    mutation = resources_of_type(template, "AWS::CodeBuild::Project")[
        "PipelineUpdatePipelineSelfMutationDAA41400"
    ]
    assert (
        f"npm install -g aws-cdk@{CDK_CLI_VERSION}" in mutation["Properties"]["Source"]["BuildSpec"]
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"account": None}, r"settings\.account: set ml-data-platform\.pipeline\.account in"),
        (
            {"account": None, "region": None},
            r"ml-data-platform\.pipeline\.account and ml-data-platform\.pipeline\.region",
        ),
        ({"region": None}, r"settings\.region: set ml-data-platform\.pipeline\.region in"),
    ],
)
def test_missing_account_or_region_fails_clearly(missing, message):
    settings = PipelineSettings(**{**PIPELINE_SECTION, **missing})
    with pytest.raises(ValueError, match=message):
        PipelineStack(make_app(), "Pipeline", settings=settings, context=CDK_CONTEXT)
