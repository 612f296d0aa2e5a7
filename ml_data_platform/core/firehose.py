"""The IAM role every Firehose delivery stream of the platform assumes."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct


def firehose_role(scope: Construct, construct_id: str, *, description: str) -> iam.Role:
    """A role only Firehose, acting for this account, may assume (``sts:ExternalId`` = the
    account id, as the Firehose access-control docs show). It has no permissions: the caller
    attaches one scoped policy."""
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal(
            "firehose.amazonaws.com",
            conditions={"StringEquals": {"sts:ExternalId": cdk.Stack.of(scope).account}},
        ),
        description=description,
    )
