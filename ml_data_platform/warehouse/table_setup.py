"""``RedshiftTableSetup``: create the target table at deploy time through the Redshift Data API.

Firehose's COPY needs the table to exist before the first delivery, and CloudFormation has no
resource for a table inside Redshift: this is one place where a Lambda-backed custom resource
(``AwsCustomResource``) is justified. It calls ``BatchExecuteStatement`` with
``RedshiftTable.setup_statements()`` on create and on update: ``CREATE SCHEMA/TABLE IF NOT
EXISTS``, then a temporary procedure that adds the columns an existing table lacks, all in one
transaction and safe to re-run. The physical id is a hash of the statements, so a changed table
spec (e.g. a column added to the dataset) runs the batch again and the new column is added
before Firehose's ``DataTableColumns`` names it. A changed column type, a removed column and
changed sort/distribution keys are not migrated: see the warehouse runbook in
docs/operations.md.

The Data API is asynchronous: the call returns a statement id once the statement is *submitted*,
so a failing DDL does not fail the deployment. Polling ``DescribeStatement`` until it finishes
is out of scope (it needs a custom Lambda with a waiter); check the statement in the console or
with ``aws redshift-data describe-statement --id <Id>`` (the custom resource's ``Id`` attribute),
and Firehose's ``DeliveryToRedshift.Success`` alarm catches a missing table or column.

API: https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html
IAM: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftdataapi.html
"""

from __future__ import annotations

import hashlib
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from ml_data_platform.compliance import acknowledge, skip_checkov
from ml_data_platform.compliance.control_tower import LAMBDA_INSIDE_VPC, acknowledge_control_tower
from ml_data_platform.core.inputs import Kind, optional_kind
from ml_data_platform.core.limits import REDSHIFT_DATA_API_MAX_SQL_BYTES
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.warehouse.ddl import RedshiftTable
from ml_data_platform.warehouse.jsonpaths import JsonPaths, JsonPathsFile
from ml_data_platform.warehouse.warehouse import Warehouse, WarehouseEndpoint

# The singleton Lambda that every AwsCustomResource in a stack shares.
AWS_CUSTOM_RESOURCE_SINGLETON_ID = "AWS679f53fac002430cb0da5b7982bd2287"
CUSTOM_RESOURCE_REASON = (
    "CDK's AwsCustomResource provider (one Lambda per stack) runs a single Redshift Data API "
    "call at deploy time to create the Firehose target table; CloudFormation has no resource for "
    "a table inside Redshift. It runs only during deployments (CloudFormation reports failures, "
    "so no DLQ or reserved concurrency), and stays outside the warehouse VPC because it must "
    "reach the Data API and CloudFormation's response URL and that VPC has no NAT."
)
# Findings of the CDK-managed provider function that cannot be fixed: it must reach the Data API
# and CloudFormation's response URL (no NAT in the warehouse VPC), it runs once per deployment
# (no reserved concurrency needed), and CloudFormation itself reports a failed invocation (no
# DLQ). Its role, managed policy and encrypted log group are ours, so IAM4, IAM5-free policy,
# IAMNoInlinePolicy and CloudWatchLogGroupEncrypted do not arise.
PROVIDER_FUNCTION_RULES = (
    "HIPAA.Security-LambdaConcurrency",
    "HIPAA.Security-LambdaDLQ",
    "HIPAA.Security-LambdaInsideVPC",
    "NIST.800.53.R5-LambdaConcurrency",
    "NIST.800.53.R5-LambdaDLQ",
    "NIST.800.53.R5-LambdaInsideVPC",
    "PCI.DSS.321-LambdaInsideVPC",
)


# The same three findings in checkov: concurrency limit, DLQ, inside a VPC.
PROVIDER_FUNCTION_CHECKOV = ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117")


class RedshiftTableSetup(Construct):
    """Run ``table.setup_statements()`` against ``endpoint`` on create and update and, with
    ``jsonpaths``, write COPY's jsonpaths file for the table to ``jsonpaths_bucket``.

    The provider function gets a role of ours with one managed policy (Data API on the
    workgroup or cluster, read of the secret, decrypt through Secrets Manager, its own logs,
    and ``s3:PutObject`` on exactly the jsonpaths object) and an encrypted log group with
    retention. It is the stack's ``AwsCustomResource`` singleton: create this before any other
    ``AwsCustomResource`` in the same stack.

    Args:
        endpoint: A ``Warehouse`` or a ``WarehouseEndpoint`` (needs ``workgroup_name`` + ``workgroup_arn`` or
            ``cluster_identifier``, and ``secret``).
        table: The table to create.
        encryption_key: Key for the provider's log group. Default: ``endpoint.secret_key``
            (required if that is None).
        log_retention: Provider log retention. Default: one year.
        removal_policy: The provider's log group (the record of every DDL run): ``RETAIN``
            (default) or ``DESTROY`` (needs the allow-destroy context), like the platform's other
            log groups.
        jsonpaths: Write a jsonpaths file for the table (pass ``jsonpaths_file`` to
            ``WarehouseDeliveryStream(copy_format=...)``). Default: none (COPY uses
            ``JSON 'auto'``).
        jsonpaths_bucket: Where the file goes, under ``warehouse-jsonpaths/<schema>/``
            (required with ``jsonpaths``; e.g. the raw zone).
        jsonpaths_bucket_key: The SSE-KMS key of ``jsonpaths_bucket``. Default: none (SSE-S3).

    Attributes:
        resource: The ``AwsCustomResource``. role: The provider's role.
        statement_id: The Data API statement id (``DescribeStatement`` it to see the result).
        jsonpaths_file: The ``JsonPathsFile`` written (None without ``jsonpaths``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: Warehouse | WarehouseEndpoint,
        table: RedshiftTable,
        encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        removal_policy: cdk.RemovalPolicy | None = None,
        jsonpaths: JsonPaths | None = None,
        jsonpaths_bucket: s3.IBucket | None = None,
        jsonpaths_bucket_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        warehouse = endpoint if isinstance(endpoint, Warehouse) else None
        if warehouse is not None:
            endpoint = warehouse.endpoint
        if not isinstance(endpoint, WarehouseEndpoint):
            raise TypeError(
                f"endpoint must be a Warehouse or WarehouseEndpoint, got {type(endpoint).__name__}"
            )
        if not isinstance(table, RedshiftTable):
            raise TypeError(f"table must be a RedshiftTable, got {type(table).__name__}")
        encryption_key = optional_kind(encryption_key, Kind.KEY, "encryption_key")
        jsonpaths_bucket = optional_kind(jsonpaths_bucket, Kind.BUCKET, "jsonpaths_bucket")
        jsonpaths_bucket_key = optional_kind(jsonpaths_bucket_key, Kind.KEY, "jsonpaths_bucket_key")
        if jsonpaths is not None and not isinstance(jsonpaths, JsonPaths):
            raise TypeError(f"jsonpaths must be a JsonPaths, got {type(jsonpaths).__name__}")
        if jsonpaths is not None and jsonpaths_bucket is None:
            raise ValueError("jsonpaths_bucket is required with jsonpaths (where the file goes)")
        if not endpoint.supports_data_api:
            raise ValueError(
                "creating the table needs the Redshift Data API target: give the "
                "WarehouseEndpoint workgroup_name and workgroup_arn (Serverless) or "
                "cluster_identifier, or set create_table=False and create it yourself"
            )
        log_key = encryption_key or endpoint.secret_key
        if log_key is None:
            raise ValueError(
                "encryption_key is required when the WarehouseEndpoint has no secret_key: "
                "the provider's log group is KMS-encrypted"
            )
        stack = cdk.Stack.of(self)
        statements = table.setup_statements()
        _check_statement_sizes(statements, table)
        target: dict[str, str] = {
            "Database": endpoint.database,
            "SecretArn": endpoint.secret.secret_arn,
        }
        if endpoint.cluster_identifier:
            target["ClusterIdentifier"] = endpoint.cluster_identifier
            target_arn = stack.format_arn(
                service="redshift",
                resource="cluster",
                resource_name=endpoint.cluster_identifier,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
        else:
            target["WorkgroupName"] = endpoint.workgroup_name  # type: ignore[assignment]
            target_arn = endpoint.workgroup_arn  # type: ignore[assignment]
        # One transaction: a failing statement rolls the whole batch back.
        action, parameters = "BatchExecuteStatement", {**target, "Sqls": statements}
        digest = hashlib.sha256("\n".join(statements).encode()).hexdigest()[:16]
        call = cr.AwsSdkCall(
            service="RedshiftData",
            action=action,
            parameters=parameters,
            physical_resource_id=cr.PhysicalResourceId.of(f"{table.qualified_name}-{digest}"),
            output_paths=["Id"],
        )

        self.log_group = logs.LogGroup(
            self,
            "ProviderLogs",
            encryption_key=log_key,
            retention=log_retention,
            removal_policy=resolve_removal_policy(self, removal_policy),
        )
        self.role = iam.Role(
            self,
            "ProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Creates {table.qualified_name} through the Redshift Data API at deploy time",
        )
        policy_statements = [
            iam.PolicyStatement(
                sid="RunTableDdl", actions=[f"redshift-data:{action}"], resources=[target_arn]
            ),
            iam.PolicyStatement(
                sid="ReadAdminSecret",
                actions=["secretsmanager:GetSecretValue"],
                resources=[endpoint.secret.secret_arn],
            ),
            iam.PolicyStatement(
                sid="WriteProviderLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
        ]
        decrypt_secret = endpoint.secret_key_statement(sid="DecryptAdminSecret", stack=stack)
        if decrypt_secret is not None:
            policy_statements.append(decrypt_secret)
        self.jsonpaths_file: JsonPathsFile | None = None
        jsonpaths_call = None
        if jsonpaths is not None:
            self.jsonpaths_file = JsonPathsFile(
                bucket=jsonpaths_bucket,  # type: ignore[arg-type]
                key=JsonPaths.object_key(table),
                encryption_key=jsonpaths_bucket_key,
            )
            jsonpaths_call = _put_object_call(self.jsonpaths_file, jsonpaths.document(table))
            policy_statements.extend(_put_object_statements(stack, self.jsonpaths_file))
        self.policy = iam.ManagedPolicy(
            self, "ProviderPolicy", roles=[self.role], statements=policy_statements
        )
        # Immutable: the provider adds nothing inline; the managed policy grants it all.
        provider_role = iam.Role.from_role_arn(
            self, "ProviderRoleRef", self.role.role_arn, mutable=False
        )

        def custom_resource(construct_id: str, sdk_call: cr.AwsSdkCall) -> cr.AwsCustomResource:
            resource = cr.AwsCustomResource(
                self,
                construct_id,
                on_create=sdk_call,
                on_update=sdk_call,
                role=provider_role,
                log_group=self.log_group,
                install_latest_aws_sdk=False,
                timeout=cdk.Duration.minutes(2),
            )
            resource.node.add_dependency(self.policy)
            return resource

        self.resource = custom_resource("Resource", call)
        if jsonpaths_call is not None:
            custom_resource("JsonPathsFile", jsonpaths_call)
        if warehouse is not None:
            # The workgroup must be available before the Data API can run the DDL.
            self.resource.node.add_dependency(warehouse.workgroup)
        self.statement_id = self.resource.get_response_field("Id")
        provider = stack.node.try_find_child(AWS_CUSTOM_RESOURCE_SINGLETON_ID)
        if provider is not None:
            acknowledge(provider, PROVIDER_FUNCTION_RULES, CUSTOM_RESOURCE_REASON)
            acknowledge_control_tower(provider, LAMBDA_INSIDE_VPC, CUSTOM_RESOURCE_REASON)
            function = cast(cdk.CfnResource | None, provider.node.default_child)
            if function is not None and not function.get_metadata("checkov"):
                for check_id in PROVIDER_FUNCTION_CHECKOV:
                    skip_checkov(function, check_id, CUSTOM_RESOURCE_REASON)


def _put_object_call(file: JsonPathsFile, body: str) -> cr.AwsSdkCall:
    """``PutObject`` of ``body``; a changed body changes the physical id, so it runs again."""
    parameters = {
        "Bucket": file.bucket.bucket_name,
        "Key": file.key,
        "Body": body,
        "ContentType": "application/json",
    }
    if file.encryption_key is not None:
        parameters["ServerSideEncryption"] = "aws:kms"
        parameters["SSEKMSKeyId"] = file.encryption_key.key_arn
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return cr.AwsSdkCall(
        service="S3",
        action="PutObject",
        parameters=parameters,
        physical_resource_id=cr.PhysicalResourceId.of(f"{file.key}-{digest}"),
    )


def _put_object_statements(stack: cdk.Stack, file: JsonPathsFile) -> list[iam.PolicyStatement]:
    statements = [
        iam.PolicyStatement(
            sid="WriteJsonPathsFile", actions=["s3:PutObject"], resources=[file.object_arn]
        )
    ]
    encrypt = file.key_statement("kms:GenerateDataKey", sid="EncryptJsonPathsFile", stack=stack)
    if encrypt is not None:
        statements.append(encrypt)
    return statements


def _check_statement_sizes(statements: list[str], table: RedshiftTable) -> None:
    """The Data API rejects a statement over ``REDSHIFT_DATA_API_MAX_SQL_BYTES``: fail now."""
    largest = max(len(statement.encode()) for statement in statements)
    if largest > REDSHIFT_DATA_API_MAX_SQL_BYTES:
        raise ValueError(
            f"table {table.qualified_name}: with {len(table.columns)} columns its setup SQL has a "
            f"statement of {largest:,} bytes, over the Redshift Data API's "
            f"{REDSHIFT_DATA_API_MAX_SQL_BYTES:,}: create the table yourself (create_table=False) "
            "or split it"
        )
