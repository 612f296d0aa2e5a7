"""``DataLakeKey``: the platform's customer-managed KMS key."""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ml_data_platform.core.removal import resolve_removal_policy

DEFAULT_PENDING_WINDOW_DAYS = 30
_ENCRYPT_DECRYPT = [
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
]


class DataLakeKey(Construct):
    """A customer-managed KMS key with rotation, an alias, and a key policy for the platform.

    The key policy keeps the account-root statement (so IAM policies, such as the ones the
    ``grant_*`` methods write, control use by S3, Kinesis, Firehose, Glue, Athena, Redshift and
    Secrets Manager, which call KMS on the caller's behalf) and adds the two services that use
    the key as themselves: CloudWatch Logs (encrypted log groups of this account and region)
    and CloudWatch (alarm notifications to encrypted SNS topics).

    Args:
        alias: Alias name, without ``alias/``. Default: ``ml-data-platform/<construct path>``.
        description: Key description. Default: a description naming the platform.
        pending_window_days: Waiting period (7–30) before a scheduled deletion. Default: 30.
        removal_policy: ``RETAIN`` (default) or ``DESTROY`` (needs the allow-destroy context).

    Attributes:
        key: The ``aws_kms.Key``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: str | None = None,
        description: str = "ml-data-platform data lake key (S3, Kinesis, Firehose, Glue, Redshift)",
        pending_window_days: int = DEFAULT_PENDING_WINDOW_DAYS,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if not 7 <= pending_window_days <= 30:
            raise ValueError(f"pending_window_days must be 7–30, got {pending_window_days}")
        stack = cdk.Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{alias or _default_alias(self)}",
            description=description,
            enable_key_rotation=True,
            pending_window=cdk.Duration.days(pending_window_days),
            removal_policy=resolve_removal_policy(self, removal_policy),
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=_ENCRYPT_DECRYPT,
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToEncryptedTopics",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )


def _default_alias(scope: Construct) -> str:
    path = "-".join(part for part in scope.node.path.split("/") if part).lower()
    return "ml-data-platform/" + re.sub(r"[^a-z0-9/_-]", "-", path)[:200]
