"""The IAM role every Firehose delivery stream of the platform assumes."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
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


def put_log_events_statement(
    *, sid: str, log_group: logs.ILogGroup, stream_names: list[str]
) -> iam.PolicyStatement:
    """``logs:PutLogEvents`` on exactly the named streams of ``log_group`` (Firehose's error
    logging writes to the streams its configuration names)."""
    stack = cdk.Stack.of(log_group)
    return iam.PolicyStatement(
        sid=sid,
        actions=["logs:PutLogEvents"],
        resources=[
            stack.format_arn(
                service="logs",
                resource="log-group",
                resource_name=f"{log_group.log_group_name}:log-stream:{name}",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            for name in stream_names
        ],
    )
