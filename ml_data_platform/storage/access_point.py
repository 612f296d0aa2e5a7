"""``LakeAccessPoint``: an S3 access point giving one consumer scoped access to a zone."""

from __future__ import annotations

import re
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_data_platform.compliance.nag_patterns import action_patterns
from ml_data_platform.compliance.wildcards import acknowledge_role_grants
from ml_data_platform.core.inputs import Kind, optional_kind, require_kind
from ml_data_platform.core.kms import STRING_LIKE, kms_conditions
from ml_data_platform.core.names import validate_key_prefix

_ACCESS_POINT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$")


_KMS_DECRYPT = ("kms:Decrypt",)
_KMS_ENCRYPT = ("kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")


class AccessLevel(Enum):
    """What a consumer may do through an access point: S3 object actions, KMS actions."""

    READ = (("s3:GetObject", "s3:GetObjectVersion"), _KMS_DECRYPT)
    """Read objects (and their versions); decrypt with the bucket's key."""
    READ_WRITE = (
        ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:AbortMultipartUpload"),
        _KMS_DECRYPT + _KMS_ENCRYPT,
    )
    """Read and write objects; decrypt and encrypt with the bucket's key."""

    @property
    def object_actions(self) -> list[str]:
        """The S3 object actions of this level."""
        return list(self.value[0])

    @property
    def key_actions(self) -> list[str]:
        """The KMS actions of this level on the bucket's key."""
        return list(self.value[1])


class LakeAccessPoint(Construct):
    """An access point on ``bucket`` whose policy lets ``principal`` reach ``prefix`` only.

    The principal also gets the matching IAM permissions through the access point ARN, so it
    needs no bucket-wide grant, and the KMS actions its access level needs on the bucket's key,
    only through S3 (``kms:ViaService``) and only for this bucket
    (``kms:EncryptionContext:aws:s3:arn``: the bucket ARN with an S3 Bucket Key, as on every
    ``DataLakeBucket``, or an object ARN under ``prefix`` without one).

    Args:
        bucket: The zone bucket (its ``encryption_key`` is granted when present).
        access_point_name: 3–50 lowercase letters, digits and ``-``.
        principal: The consumer role.
        prefix: Relative object key prefix the consumer may access (``/`` is appended; no
            leading ``/``, ``//``, ``*`` or ``?``). Default: ``""`` (whole bucket).
        access: ``AccessLevel.READ`` (default) or ``READ_WRITE``.
        vpc: Restrict the access point to requests from this VPC. Default: internet origin
            (still private: block public access is on and the policy names one principal).

    Attributes:
        access_point: The ``CfnAccessPoint``.
        access_point_arn: Its ARN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        access_point_name: str,
        principal: iam.IRole,
        prefix: str = "",
        access: AccessLevel = AccessLevel.READ,
        vpc: ec2.IVpc | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        bucket = require_kind(bucket, Kind.BUCKET, "bucket")
        principal = require_kind(principal, Kind.ROLE, "principal")
        vpc = optional_kind(vpc, Kind.VPC, "vpc")
        if not _ACCESS_POINT_NAME.match(access_point_name):
            raise ValueError(
                f"access_point_name {access_point_name!r} must be 3–50 lowercase letters, "
                "digits or '-', starting and ending with a letter or digit"
            )
        prefix = validate_key_prefix(prefix, "prefix")
        stack = cdk.Stack.of(self)
        self.access_point_arn = stack.format_arn(
            service="s3", resource="accesspoint", resource_name=access_point_name
        )
        objects_arn = f"{self.access_point_arn}/object/{prefix}*"
        statements = [
            iam.PolicyStatement(
                actions=access.object_actions,
                principals=[iam.ArnPrincipal(principal.role_arn)],
                resources=[objects_arn],
            ),
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                principals=[iam.ArnPrincipal(principal.role_arn)],
                resources=[self.access_point_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            ),
        ]
        self.access_point = s3.CfnAccessPoint(
            self,
            "AccessPoint",
            bucket=bucket.bucket_name,
            name=access_point_name,
            policy=iam.PolicyDocument(statements=statements),
            public_access_block_configuration=s3.CfnAccessPoint.PublicAccessBlockConfigurationProperty(
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            vpc_configuration=s3.CfnAccessPoint.VpcConfigurationProperty(vpc_id=vpc.vpc_id)
            if vpc
            else None,
        )
        # The bucket delegates to this access point for this principal only.
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"DelegateTo{construct_id}"[:100],
                actions=access.object_actions,
                principals=[iam.ArnPrincipal(principal.role_arn)],
                resources=[bucket.arn_for_objects(f"{prefix}*")],
                conditions={"StringEquals": {"s3:DataAccessPointArn": self.access_point_arn}},
            )
        )
        principal.add_to_principal_policy(
            iam.PolicyStatement(actions=access.object_actions, resources=[objects_arn])
        )
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.access_point_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            )
        )
        if bucket.encryption_key is not None:
            grant = bucket.encryption_key.grant(principal, *access.key_actions)
            for statement in (*grant.principal_statements, *grant.resource_statements):
                statement.add_conditions(
                    kms_conditions(
                        service="s3",
                        stack=stack,
                        encryption_context={
                            "aws:s3:arn": [bucket.bucket_arn, bucket.arn_for_objects(f"{prefix}*")]
                        },
                        context_operator=STRING_LIKE,
                    )
                )
        acknowledge_role_grants(
            principal,
            f"Access point grant: the {access.name} object actions on the objects under "
            f"'{prefix}' through this one access point (objects under a prefix can only be "
            "named with a trailing '*'), and its key actions through S3 for this bucket only.",
            patterns=action_patterns(a for a in access.key_actions if "*" in a),
            resources=[objects_arn],
        )
