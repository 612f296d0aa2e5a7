"""``WarehouseLookup``: a small deploy-time function that reads what CloudFormation does not
return about the warehouse (the Redshift-managed admin secret's ARN, the S3 prefix list id).

Its code is ``lookup_handler.py``, inlined (standard library + boto3). It gets its own role with
one managed policy (``GetNamespace`` on the namespace, ``DescribeManagedPrefixLists``, its own
logs) and a KMS-encrypted log group, and runs only when CloudFormation creates or updates it.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_redshiftserverless as redshiftserverless
from constructs import Construct

from ml_data_platform.compliance import acknowledge, skip_checkov
from ml_data_platform.compliance.control_tower import LAMBDA_INSIDE_VPC, acknowledge_control_tower
from ml_data_platform.compliance.nag import IAM5

HANDLER_SOURCE = Path(__file__).with_name("lookup_handler.py")
# Findings of a deploy-time function that cannot be fixed: it must reach the Redshift Serverless
# and EC2 APIs and CloudFormation's response URL (the warehouse VPC has no NAT), it runs once per
# deployment (no reserved concurrency needed), and CloudFormation reports a failed invocation
# (no DLQ). RedshiftTableSetup's provider function shares them.
DEPLOY_TIME_FUNCTION_RULES = (
    "HIPAA.Security-LambdaConcurrency",
    "HIPAA.Security-LambdaDLQ",
    "HIPAA.Security-LambdaInsideVPC",
    "NIST.800.53.R5-LambdaConcurrency",
    "NIST.800.53.R5-LambdaDLQ",
    "NIST.800.53.R5-LambdaInsideVPC",
    "PCI.DSS.321-LambdaInsideVPC",
)
# The same three findings in checkov: concurrency limit, DLQ, inside a VPC.
DEPLOY_TIME_FUNCTION_CHECKOV = ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117")
LOOKUP_REASON = (
    "A deploy-time lookup (GetNamespace, DescribeManagedPrefixLists) that CloudFormation invokes "
    "on create and update only: it must reach those APIs and CloudFormation's response URL, so it "
    "runs outside the warehouse VPC (which has no NAT); CloudFormation reports a failed "
    "invocation (no DLQ) and it never runs concurrently (no reserved concurrency)."
)
PREFIX_LIST_REASON = (
    "ec2:DescribeManagedPrefixLists has no resource-level permissions (Resource must be '*'); "
    "it only reads the names and ids of AWS-managed prefix lists."
)


class WarehouseLookup(Construct):
    """Read the namespace's managed admin secret ARN and the region's S3 prefix list id.

    Args:
        namespace: The Redshift Serverless namespace (with ``manage_admin_password``).
        key: The KMS key of the function's log group.
        log_retention: The function's log retention. Default: one year.
        removal_policy: The log group's removal policy (already resolved).

    Attributes:
        admin_secret_arn: The managed admin secret's ARN (a token).
        s3_prefix_list_id: The id of ``com.amazonaws.<region>.s3`` (a token).
        function, role, log_group: What runs the lookup.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        namespace: redshiftserverless.CfnNamespace,
        key: kms.IKey,
        removal_policy: cdk.RemovalPolicy,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Reads the warehouse's managed admin secret ARN and the S3 prefix list id",
        )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadNamespace",
                    actions=["redshift-serverless:GetNamespace"],
                    resources=[namespace.attr_namespace_namespace_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadPrefixLists",
                    actions=["ec2:DescribeManagedPrefixLists"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="WriteLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
            ],
        )
        acknowledge(policy, f"{IAM5}[Resource::*]", PREFIX_LIST_REASON)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="index.handler",
            code=lambda_.Code.from_inline(HANDLER_SOURCE.read_text()),
            role=self.role,
            log_group=self.log_group,
            timeout=cdk.Duration.minutes(1),
            description="Deploy-time lookup for the Redshift Serverless warehouse",
        )
        self.function.node.add_dependency(policy)
        acknowledge(self.function, DEPLOY_TIME_FUNCTION_RULES, LOOKUP_REASON)
        acknowledge_control_tower(self.function, LAMBDA_INSIDE_VPC, LOOKUP_REASON)
        function_resource = cast(cdk.CfnResource, self.function.node.default_child)
        for check_id in DEPLOY_TIME_FUNCTION_CHECKOV:
            skip_checkov(function_resource, check_id, LOOKUP_REASON)
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=self.function.function_arn,
            resource_type="Custom::WarehouseLookup",
            properties={
                "NamespaceName": namespace.namespace_name,
                "S3PrefixListName": f"com.amazonaws.{cdk.Aws.REGION}.s3",
            },
        )
        self.resource.node.add_dependency(namespace)
        self.admin_secret_arn = self.resource.get_att_string("AdminPasswordSecretArn")
        self.s3_prefix_list_id = self.resource.get_att_string("S3PrefixListId")
