"""``DataLakeKey``: the platform's customer-managed KMS key."""

from __future__ import annotations

import hashlib
import re

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ml_data_platform.core.names import stack_scoped_path
from ml_data_platform.core.removal import resolve_removal_policy

DEFAULT_PENDING_WINDOW_DAYS = 30
ALIAS_PREFIX = "alias/"
DEFAULT_ALIAS_ROOT = "ml-data-platform"
# KMS: the alias name after "alias/" is 1–250 letters, digits, '/', '_' or '-'; "aws/" is AWS's.
MAX_ALIAS_NAME_LENGTH = 250
_ALIAS_NAME = re.compile(rf"^[a-zA-Z0-9/_-]{{1,{MAX_ALIAS_NAME_LENGTH}}}$")
_RESERVED_ALIAS_PREFIX = "aws/"
_ALIAS_HASH_LENGTH = 8
DENY_GRANTS_SID = "DenyGrantsNotForAwsResources"
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
    Secrets Manager, which call KMS on the caller's behalf) and adds the three services that use
    the key as themselves: CloudWatch Logs (encrypted log groups of this account and region),
    CloudWatch (alarm notifications to encrypted SNS topics) and EventBridge (rules of this
    account delivering to encrypted SNS topics and SQS dead-letter queues). Grants are limited
    to AWS resources: ``kms:CreateGrant`` is denied unless the grant is for an AWS resource
    (``kms:GrantIsForAWSResource``, e.g. Redshift Serverless encrypting its namespace) or the
    caller is an AWS service (``aws:PrincipalIsAWSService``); Firehose, S3, Kinesis, Glue and
    Secrets Manager use the key without grants (AWS Control Tower CT.KMS.PR.3,
    https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#grant-conditions).

    Args:
        alias: Alias name, with or without the leading ``alias/``: 1–250 letters, digits,
            ``/``, ``_`` or ``-``, not starting with ``aws/``. Default:
            ``ml-data-platform/<stack name>/<construct path inside the stack>`` (lowercased,
            other characters become ``-``, shortened with a hash suffix beyond 250).
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
        alias_name = _alias_name(alias) if alias is not None else _default_alias(self)
        if not 7 <= pending_window_days <= 30:
            raise ValueError(f"pending_window_days must be 7–30, got {pending_window_days}")
        stack = cdk.Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            alias=ALIAS_PREFIX + alias_name,
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
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeToEncryptedTargets",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=DENY_GRANTS_SID,
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={
                    "BoolIfExists": {
                        "kms:GrantIsForAWSResource": "false",
                        "aws:PrincipalIsAWSService": "false",
                    }
                },
            )
        )


def _alias_name(alias: str) -> str:
    """``alias`` without its optional ``alias/`` prefix, if KMS accepts it as an alias name."""
    if not isinstance(alias, str):
        raise TypeError(f"alias must be a string, got {type(alias).__name__}: {alias!r:.80}")
    name = alias.removeprefix(ALIAS_PREFIX)
    if not _ALIAS_NAME.match(name) or name.startswith(_RESERVED_ALIAS_PREFIX):
        raise ValueError(
            f"alias {alias!r} is not a valid KMS alias: after the optional 'alias/', 1–"
            f"{MAX_ALIAS_NAME_LENGTH} letters, digits, '/', '_' or '-', not starting with "
            f"'{_RESERVED_ALIAS_PREFIX}' (reserved for AWS managed keys)"
        )
    return name


def _default_alias(scope: Construct) -> str:
    """``ml-data-platform/<stack name>/<path inside the stack>``, unique per account and region.

    The stack name is unique in an account and region (and the platform names stacks
    ``<project>-<env>-<layer>``), so two projects or environments never share an alias. Nested
    stacks use their top-level stack's name and the path inside it. Beyond the KMS limit, the
    name is cut and a hash of the whole name keeps it unique.
    """
    stack_name, inside = stack_scoped_path(scope).split("/", 1)
    path = "-".join(part for part in inside.split("/") if part)
    name = f"{DEFAULT_ALIAS_ROOT}/{stack_name}/{path}".lower()
    name = re.sub(r"[^a-z0-9/_-]", "-", name)
    if len(name) <= MAX_ALIAS_NAME_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_ALIAS_HASH_LENGTH]
    return f"{name[: MAX_ALIAS_NAME_LENGTH - _ALIAS_HASH_LENGTH - 1]}-{digest}"
