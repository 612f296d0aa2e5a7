"""``PipelineStack``: CDK Pipelines from a CodeStar/CodeConnections source to dev and prod."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import pipelines
from constructs import Construct

from ml_data_platform.compliance import acknowledge
from ml_data_platform.config import PipelineSettings, all_environments
from ml_data_platform.stacks.stage import MlDataPlatformStage

SYNTH_COMMANDS = ("make test", "npx cdk synth --quiet")
PROMOTION_ENVIRONMENT = "prod"


class PipelineStack(cdk.Stack):
    """A self-mutating pipeline: source → synth (``make test`` then ``cdk synth``, which runs
    every cdk-nag pack) → each non-prod environment automatically → prod after a manual
    approval.

    Args:
        settings: Source connection, repository, branch, and the pipeline's account/region.
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
    """CDK Pipelines' own resources; each finding is explained where it is acknowledged."""
    acknowledge(
        pipeline.pipeline.artifact_bucket,
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
