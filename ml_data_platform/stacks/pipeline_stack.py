"""``PipelineStack``: CDK Pipelines from a CodeStar/CodeConnections source to dev and prod."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import pipelines
from constructs import Construct, IConstruct

from ml_data_platform.compliance import acknowledge
from ml_data_platform.compliance.nag import IAM5
from ml_data_platform.compliance.nag_patterns import (
    ACCOUNT_PATTERN,
    BUCKET_GRANT_WILDCARD_ACTIONS,
    action_patterns,
    arn_pattern,
    bucket_objects_pattern,
)
from ml_data_platform.compliance.rules import IAM_NO_INLINE_POLICY
from ml_data_platform.compliance.wildcards import acknowledge_policy_wildcards
from ml_data_platform.config import PipelineSettings, all_environments
from ml_data_platform.stacks.stage import MlDataPlatformStage

SYNTH_COMMANDS = ("make test", "npx cdk synth --quiet")
PROMOTION_ENVIRONMENT = "prod"
CDK_CLI_VERSION = "2.1148.1"
"""The CDK CLI the self-mutation step installs: the pin of ``aws-cdk`` in package.json (the
2.x line that reads this aws-cdk-lib's assemblies; ``aws-cdk@latest`` is 3.x and cannot)."""


class PipelineStack(cdk.Stack):
    """A self-mutating pipeline: source → synth (``make test`` then ``cdk synth``, which runs
    every cdk-nag pack) → each non-prod environment automatically → prod after a manual
    approval.

    Deliberate CDK Pipelines options: the pipeline's own role runs the actions
    (``use_pipeline_role_for_actions``: no extra action roles that the pipeline role could
    assume anyway), one asset-publishing project instead of one per asset
    (``publish_assets_in_parallel=False``), and the pinned CLI for self-mutation. What cdk-nag
    still finds in the generated roles and projects is acknowledged resource by resource, with
    the reason (``_acknowledge_pipeline_findings``).

    Args:
        settings: Source connection, repository, branch, and the pipeline's account/region
            (both required: the deploy actions cross environments).
        context: The ``ml-data-platform`` context (the environments to deploy).

    Attributes:
        pipeline: The ``pipelines.CodePipeline``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: PipelineSettings,
        context: Mapping[str, Any],
        **kwargs: Any,
    ) -> None:
        missing = [key for key in ("account", "region") if not getattr(settings, key)]
        if missing:
            raise ValueError(
                f"PipelineStack needs settings.{' and settings.'.join(missing)}: set "
                + " and ".join(f"ml-data-platform.pipeline.{key}" for key in missing)
                + " in cdk.json (the account and region the pipeline runs in)"
            )
        super().__init__(
            scope,
            construct_id,
            env=cdk.Environment(account=settings.account, region=settings.region),
            **kwargs,
        )
        source = pipelines.CodePipelineSource.connection(
            settings.repository, settings.branch, connection_arn=settings.connection_arn
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=pipelines.ShellStep(
                "Synth",
                input=source,
                commands=list(SYNTH_COMMANDS),
                primary_output_directory="cdk.out",
            ),
            cross_account_keys=True,
            enable_key_rotation=True,
            use_pipeline_role_for_actions=True,
            publish_assets_in_parallel=False,
            cli_version=CDK_CLI_VERSION,
        )
        environments = all_environments(context)
        for name, environment in environments.items():
            stage = MlDataPlatformStage(self, name.capitalize(), settings=environment)
            pre = (
                [pipelines.ManualApprovalStep(f"Promote{name.capitalize()}")]
                if name == PROMOTION_ENVIRONMENT
                else []
            )
            self.pipeline.add_stage(stage, pre=pre)
        self.pipeline.build_pipeline()
        _acknowledge_pipeline_findings(self.pipeline)


def _acknowledge_pipeline_findings(pipeline: pipelines.CodePipeline) -> None:
    """CDK Pipelines' own resources; each finding is explained where it is acknowledged.

    Only the constructs named here are acknowledged: a role or project that a newer CDK
    Pipelines adds stays an unacknowledged finding (synthesis fails) until someone reads it.
    """
    artifacts = pipeline.pipeline.artifact_bucket
    acknowledge(
        artifacts,
        (
            "AwsSolutions-S1",
            "HIPAA.Security-S3BucketLoggingEnabled",
            "NIST.800.53.R5-S3BucketLoggingEnabled",
            "PCI.DSS.321-S3BucketLoggingEnabled",
            "HIPAA.Security-S3BucketReplicationEnabled",
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "PCI.DSS.321-S3BucketReplicationEnabled",
            "HIPAA.Security-S3BucketVersioningEnabled",
            "NIST.800.53.R5-S3BucketVersioningEnabled",
            "PCI.DSS.321-S3BucketVersioningEnabled",
        ),
        "Pipeline artifact bucket: holds transient build artifacts re-creatable from the "
        "source repository; encrypted with the pipeline's rotated KMS key and TLS-only.",
    )
    assets = _child(pipeline, "Assets")
    projects = [
        pipeline.synth_project,
        pipeline.self_mutation_project,
        *(c for c in assets.node.children if isinstance(c, codebuild.Project)),
    ]
    for project in projects:
        _acknowledge_pipeline_source(project)

    artifact_patterns = [
        *action_patterns(BUCKET_GRANT_WILDCARD_ACTIONS),
        bucket_objects_pattern(artifacts),
    ]
    _acknowledge_generated_policy(
        pipeline.pipeline.role,
        "The pipeline's service role (it also runs the actions): CDK's read/write grant on "
        "the pipeline's own artifact bucket and its key (s3:GetObject*, s3:List*, "
        "kms:GenerateDataKey*, ... on the bucket's objects) and nothing broader.",
        artifact_patterns,
    )
    for project in (pipeline.synth_project, pipeline.self_mutation_project):
        _acknowledge_generated_policy(
            project.role,
            "CodeBuild service role of one pipeline project: CDK's grant on the pipeline's "
            "artifact bucket and key, and the build's own log streams and report groups "
            "(named after this project: /aws/codebuild/<project>:*, report-group/<project>-*).",
            [*artifact_patterns, *_project_log_patterns(project)],
        )
    acknowledge(
        _policy(pipeline.self_mutation_project.role),
        f"{IAM5}[Resource::*]",
        "Self-mutation runs `cdk deploy` of the pipeline stack, which needs "
        "cloudformation:DescribeStacks and s3:ListBucket before it knows the stack and the "
        "bootstrap bucket; both are read-only and are the only actions on '*' (CDK Pipelines).",
    )
    acknowledge_policy_wildcards(
        _policy(pipeline.self_mutation_project.role),
        "Self-mutation assumes the CDK bootstrap roles of this account: sts:AssumeRole on "
        "role/* is limited by a condition to roles tagged aws-cdk:bootstrap-role = "
        "deploy / file-publishing / image-publishing (CDK Pipelines).",
        patterns=[rf"Resource::arn:\*:iam::{ACCOUNT_PATTERN}:role/\*"],
    )
    file_role = _child(assets, "FileRole")
    _acknowledge_generated_policy(
        file_role,
        "Shared asset-publishing role of CDK Pipelines, created before the asset projects it "
        "serves: it may write any CodeBuild build's logs and reports in this account and "
        "region (/aws/codebuild/*, report-group/*) and read the pipeline's artifacts.",
        [
            *artifact_patterns,
            arn_pattern("logs", r"log-group:/aws/codebuild/\*"),
            arn_pattern("codebuild", r"report-group/\*"),
        ],
    )
    acknowledge(
        _policy(file_role),
        f"{IAM5}[Resource::*]",
        "CDK Pipelines uses the asset-publishing role also as the action role that starts its "
        "CodeBuild projects (codebuild:StartBuild, BatchGetBuilds, StopBuild on '*', no other "
        "action); only CodeBuild and this pipeline can assume it.",
    )


def _acknowledge_generated_policy(
    role: IConstruct | None, reason: str, patterns: list[str]
) -> None:
    """A role CDK Pipelines creates: its default (inline) policy, and the IAM5 findings of
    that policy which fully match ``patterns`` (each by its exact id)."""
    policy = _policy(role)
    acknowledge(
        policy,
        IAM_NO_INLINE_POLICY,
        "CDK Pipelines writes the permissions of a role it creates for this one purpose into "
        "that role's default policy; no other principal uses it and it is deleted with the role.",
    )
    acknowledge_policy_wildcards(policy, reason, patterns=patterns)


def _acknowledge_pipeline_source(project: codebuild.IProject) -> None:
    cfn = _cfn_project(project)
    source = cdk.Stack.of(cfn).resolve(cfn.source)
    if source.get("type") != "CODEPIPELINE":
        raise ValueError(f"{cfn.node.path}: expected a CODEPIPELINE source, got {source}")
    acknowledge(
        cfn,
        (
            "HIPAA.Security-CodeBuildProjectSourceRepoUrl",
            "PCI.DSS.321-CodeBuildProjectSourceRepoUrl",
        ),
        "The project's source type is CODEPIPELINE: it has no repository URL or credentials of "
        "its own; the pipeline hands it the checked-out artifact (CodeConnections source).",
    )


def _project_log_patterns(project: codebuild.IProject) -> list[str]:
    cfn = _cfn_project(project)
    name = re.escape(f"<{cdk.Stack.of(cfn).resolve(cfn.logical_id)}>")
    return [
        arn_pattern("logs", f"log-group:/aws/codebuild/{name}:\\*"),
        arn_pattern("codebuild", f"report-group/{name}-\\*"),
    ]


def _cfn_project(project: codebuild.IProject) -> codebuild.CfnProject:
    """The project's ``CfnProject`` (a CDK Pipelines project is always a ``Project``)."""
    return cast(codebuild.CfnProject, project.node.default_child)


def _policy(role: IConstruct | None) -> IConstruct:
    if role is None:
        raise LookupError("CDK Pipelines created no role here: review pipeline_stack.py")
    return _child(role, "DefaultPolicy")


def _child(scope: IConstruct, construct_id: str) -> IConstruct:
    child = scope.node.try_find_child(construct_id)
    if child is None:
        raise LookupError(
            f"{scope.node.path}/{construct_id} not found: CDK Pipelines changed what it "
            "generates; review the acknowledgements in pipeline_stack.py"
        )
    return child
