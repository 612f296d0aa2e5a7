"""Exact IAM5 finding patterns for ``compliance.wildcards.acknowledge_policy_wildcards``.

cdk-nag names a wildcard finding after the action or the flattened resource, e.g.
``Action::s3:GetObject*`` or ``Resource::<LakeRawZoneBucket1234ABCD.Arn>/*``. These patterns
match the findings of named actions and of one named bucket, database or service ARN only, so
a wildcard on anything else added to the same policy stays an unacknowledged finding.

A bucket created in the app is recognised by its logical ID, which every rendering of its ARN
contains (``<Id.Arn>`` in its own stack; the export or stack-output name in another stack); an
imported bucket by its ARN as it resolves. A bucket whose logical ID is overridden after the
pattern was made is not recognised (the finding then stays unacknowledged).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from ml_data_platform.compliance.wildcards import flatten_reference

# How cdk-nag renders an ARN's partition, region and account: the pseudo parameters
# (env-agnostic stacks) or the literal values (stacks whose environment is known).
_PARTITION = r"(?:<AWS::Partition>|aws[a-z-]*)"
_REGION = r"(?:<AWS::Region>|[a-z]{2,4}(?:-[a-z]+)+-\d)"
ACCOUNT_PATTERN = r"(?:<AWS::AccountId>|\d{12})"

# The wildcard actions of CDK's bucket and key grants (``grantRead``/``grantReadWrite`` on an
# encrypted bucket: its objects and its KMS key).
BUCKET_GRANT_WILDCARD_ACTIONS = (
    "s3:GetObject*",
    "s3:GetBucket*",
    "s3:List*",
    "s3:DeleteObject*",
    "s3:Abort*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
)


def action_patterns(actions: Iterable[str]) -> list[str]:
    """``Action::<action>`` of each of ``actions``, exactly."""
    return [re.escape(f"Action::{action}") for action in actions]


def arn_pattern(service: str, resource: str) -> str:
    """``Resource::arn:<partition>:<service>:<region>:<account>:<resource>``; ``resource`` is
    a regular expression."""
    return f"Resource::arn:{_PARTITION}:{re.escape(service)}:{_REGION}:{ACCOUNT_PATTERN}:{resource}"


def glue_tables_pattern(database_name: str) -> str:
    """Every table of one Glue database: ``…:table/<database_name>/*``."""
    return arn_pattern("glue", "table/" + re.escape(database_name) + r"/\*")


def bucket_objects_pattern(bucket: s3.IBucket, prefix: str = "") -> str:
    """The objects of ``bucket`` under ``prefix``: ``<bucket ARN>/<prefix>*``."""
    return f"Resource::{_bucket_arn(bucket)}/{re.escape(prefix)}\\*"


def _bucket_arn(bucket: s3.IBucket) -> str:
    resource = bucket.node.default_child
    if isinstance(resource, cdk.CfnElement):
        logical_id = cdk.Stack.of(resource).resolve(resource.logical_id)
        return f"[^/]*{re.escape(logical_id)}[^/]*"
    return re.escape(flatten_reference(cdk.Stack.of(bucket).resolve(bucket.bucket_arn)))
