"""``WarehouseDeliveryStream``: Kinesis stream → Amazon Data Firehose → Amazon Redshift (COPY).

Firehose buffers records into an intermediate S3 prefix, then runs
``COPY <schema.table> (<columns>) FROM <manifest> ... <copy options>`` against the warehouse,
with the credentials it reads from the Secrets Manager secret. It never deletes the staged files:
the bucket needs an expiration rule on the staging prefix: ``warehouse_staging_rule()``, which
``MlDataPlatform`` adds to the raw zone (``WarehouseStack`` warns when the rule is missing).

Sources:
- https://docs.aws.amazon.com/firehose/latest/APIReference/API_RedshiftDestinationConfiguration.html
  (``Prefix`` without ``!{...}``, no ``ErrorOutputPrefix``, no SNAPPY/ZIP in the intermediate S3)
- https://docs.aws.amazon.com/firehose/latest/APIReference/API_CopyCommand.html
- https://docs.aws.amazon.com/firehose/latest/APIReference/API_RedshiftRetryOptions.html (0–7,200 s)
- https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-rs
- Metrics: https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html
"""

from __future__ import annotations

import re
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.compliance import acknowledge
from ml_data_platform.compliance.wildcards import acknowledge_policy_wildcards
from ml_data_platform.core import limits
from ml_data_platform.core.firehose import firehose_role, put_log_events_statement
from ml_data_platform.core.inputs import Kind, optional_kind, require_int, require_kind
from ml_data_platform.core.kms import kms_statement
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.monitoring.alarms import ALARM_PERIOD, notify
from ml_data_platform.storage.layout import BACKUP_PREFIX_ROOT, STAGING_PREFIX_ROOT
from ml_data_platform.storage.lifecycle import LifecycleRule
from ml_data_platform.warehouse.ddl import RedshiftTable
from ml_data_platform.warehouse.jsonpaths import JsonPathsFile
from ml_data_platform.warehouse.warehouse import Warehouse, WarehouseEndpoint

DEFAULT_RETRY_SECONDS = 3_600
STAGING_EXPIRATION_DAYS = 7
STAGING_RULE_ID = "warehouse-staging"
DESTINATION_LOG_STREAM = "RedshiftDelivery"
BACKUP_LOG_STREAM = "S3Backup"
DEFAULT_FRESHNESS_ALARM_SECONDS = 1_800

KDF1_REASON = (
    "The source is a Kinesis data stream encrypted with its KMS key; Firehose rejects "
    "server-side encryption on a delivery stream with a Kinesis source. Staged and backup "
    "objects are SSE-KMS with the lake key, and Redshift encrypts the loaded data."
)
IAM5_REASON = (
    "Object-level S3 permissions are limited to this table's staging and backup prefixes; "
    "objects under a prefix can only be named with a trailing '*'. Every other statement names "
    "exact resources, and KMS use is conditioned on the calling service and on the bucket's "
    "and stream's encryption context."
)
ALARM_EVALUATION_PERIODS = 3
ALARM_DATAPOINTS = 2
"""The delivery alarms fire when ``ALARM_DATAPOINTS`` of the last ``ALARM_EVALUATION_PERIODS``
periods breach."""


def warehouse_staging_rule(expire_after_days: int = STAGING_EXPIRATION_DAYS) -> LifecycleRule:
    """The lifecycle rule that deletes what Firehose stages for Redshift (it never does).

    Covers every table's staging prefix (``warehouse-staging/``): current versions expire after
    ``expire_after_days`` (default 7: a COPY is retried for at most two hours), and the
    noncurrent versions that expiration leaves in a versioned bucket one day later. The
    ``warehouse-backup/`` copy of every record is kept (it follows the zone's own rules).
    """
    return LifecycleRule(
        id=STAGING_RULE_ID,
        prefix=f"{STAGING_PREFIX_ROOT}/",
        expire_after_days=expire_after_days,
        noncurrent_expire_after_days=1,
    )


class CopyFormat(Enum):
    """How COPY parses the staged records."""

    JSON_AUTO = "JSON 'auto'"
    """JSON keys match the column names (lowercase)."""
    JSON_AUTO_IGNORECASE = "JSON 'auto ignorecase'"
    """JSON keys match the column names case-insensitively."""


class WarehouseDeliveryStream(Construct):
    """Firehose from a Kinesis stream into a Redshift table, staged in the raw zone bucket.

    Args:
        source_stream: The Kinesis stream (any ``IStream``).
        source_key: The KMS key that encrypts ``source_stream`` (``None`` for an unencrypted or
            AWS-managed-key stream).
        warehouse: A ``Warehouse`` or a ``WarehouseEndpoint`` (bring your own).
        table: The target ``RedshiftTable`` (it must exist; see ``RedshiftTableSetup``).
        bucket: The intermediate bucket (the raw zone's ``bucket``). If it belongs to another
            stack, pass it imported through ``Stack.export_value`` (as ``WarehouseStack`` does):
            the per-prefix IAM5 acknowledgements embed the rendered bucket ARN.
        bucket_key: The bucket's KMS key.
        copy_format: ``CopyFormat`` or a ``JsonPathsFile`` (e.g.
            ``RedshiftTableSetup.jsonpaths_file``; the role is granted read on it).
            Default: ``CopyFormat.JSON_AUTO``.
        compression: ``GZIP`` (COPY gets ``GZIP``) or ``UNCOMPRESSED``. Default: ``GZIP``.
        buffer_size_mib: 1–128. Default: 5. buffer_interval_seconds: 0–900. Default: 300.
        retry_seconds: How long Firehose retries a failed COPY (0–7,200). Default: 3,600.
        backup_all: Also back up every source record to
            ``warehouse-backup/<schema>/<table>/``.
            Default: True.
        alarm_topic: SNS topic for alarm actions. Default: the stack's
            ``AlarmTopic.of(stack)`` (created on first need).
        freshness_alarm_seconds: ``DeliveryToRedshift.DataFreshness`` threshold. Default: 1,800.
        log_retention: Retention of the delivery log group. Default: one year.
        removal_policy: For the log group. Default: ``RETAIN``.

    Attributes:
        delivery_stream: The ``CfnDeliveryStream``. role: Its role. log_group: Its log group.
        staging_prefix, backup_prefix: The S3 prefixes. success_alarm, freshness_alarm: Alarms.
        policy: The role's managed policy. endpoint: The ``WarehouseEndpoint``. table: The
        ``RedshiftTable``. copy_options: The COPY options string.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_stream: kinesis.IStream,
        source_key: kms.IKey | None,
        warehouse: Warehouse | WarehouseEndpoint,
        table: RedshiftTable,
        bucket: s3.IBucket,
        bucket_key: kms.IKey,
        copy_format: CopyFormat | JsonPathsFile = CopyFormat.JSON_AUTO,
        compression: str = "GZIP",
        buffer_size_mib: int = limits.FIREHOSE_DEFAULT_BUFFER_SIZE_MIB,
        buffer_interval_seconds: int = limits.FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS,
        retry_seconds: int = DEFAULT_RETRY_SECONDS,
        backup_all: bool = True,
        alarm_topic: sns.ITopic | None = None,
        freshness_alarm_seconds: int = DEFAULT_FRESHNESS_ALARM_SECONDS,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        source_stream = require_kind(source_stream, Kind.STREAM, "source_stream")
        source_key = optional_kind(source_key, Kind.KEY, "source_key")
        bucket = require_kind(bucket, Kind.BUCKET, "bucket")
        bucket_key = require_kind(bucket_key, Kind.KEY, "bucket_key")
        alarm_topic = optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        if isinstance(warehouse, Warehouse):
            endpoint = warehouse.endpoint
        elif isinstance(warehouse, WarehouseEndpoint):
            endpoint = warehouse
        else:
            raise TypeError(
                f"warehouse must be a Warehouse or WarehouseEndpoint, got {type(warehouse).__name__}"
            )
        if not isinstance(table, RedshiftTable):
            raise TypeError(f"table must be a RedshiftTable, got {type(table).__name__}")
        if compression not in ("GZIP", "UNCOMPRESSED"):
            raise ValueError(
                f"compression must be 'GZIP' or 'UNCOMPRESSED' for a Redshift destination "
                f"(COPY cannot read SNAPPY/ZIP/HADOOP_SNAPPY), got {compression!r}"
            )
        require_int(
            buffer_size_mib,
            "buffer_size_mib",
            minimum=limits.FIREHOSE_MIN_BUFFER_SIZE_MIB,
            maximum=limits.FIREHOSE_MAX_BUFFER_SIZE_MIB,
        )
        require_int(
            buffer_interval_seconds,
            "buffer_interval_seconds",
            minimum=limits.FIREHOSE_MIN_BUFFER_INTERVAL_SECONDS,
            maximum=limits.FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS,
        )
        require_int(
            retry_seconds,
            "retry_seconds",
            minimum=0,
            maximum=limits.FIREHOSE_MAX_RETRY_DURATION_SECONDS,
        )
        require_int(freshness_alarm_seconds, "freshness_alarm_seconds", minimum=60)
        self.endpoint = endpoint
        self.table = table
        self.staging_prefix = f"{STAGING_PREFIX_ROOT}/{table.schema}/{table.name}/"
        self.backup_prefix = f"{BACKUP_PREFIX_ROOT}/{table.schema}/{table.name}/"
        self.copy_options = _copy_options(copy_format, compression)
        stack = cdk.Stack.of(self)

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=bucket_key,
            retention=log_retention,
            removal_policy=resolve_removal_policy(self, removal_policy),
        )
        destination_log = self.log_group.add_stream(
            "DestinationLogStream", log_stream_name=DESTINATION_LOG_STREAM
        )
        backup_log = self.log_group.add_stream("BackupLogStream", log_stream_name=BACKUP_LOG_STREAM)

        self.role = firehose_role(
            self, "Role", description=f"Firehose delivery of {table.qualified_name} into Redshift"
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=_role_statements(
                stack=stack,
                source_stream=source_stream,
                source_key=source_key,
                bucket=bucket,
                bucket_key=bucket_key,
                prefixes=[self.staging_prefix, self.backup_prefix],
                endpoint=endpoint,
                log_group=self.log_group,
                log_streams=[DESTINATION_LOG_STREAM, BACKUP_LOG_STREAM],
                jsonpaths=copy_format if isinstance(copy_format, JsonPathsFile) else None,
            ),
        )
        acknowledge_policy_wildcards(
            self.policy,
            IAM5_REASON,
            patterns=[
                rf"Resource::.+/{re.escape(prefix)}\*"
                for prefix in (self.staging_prefix, self.backup_prefix)
            ],
        )

        def s3_config(
            prefix: str, log_stream: str
        ) -> firehose.CfnDeliveryStream.S3DestinationConfigurationProperty:
            return firehose.CfnDeliveryStream.S3DestinationConfigurationProperty(
                bucket_arn=bucket.bucket_arn,
                role_arn=self.role.role_arn,
                prefix=prefix,
                compression_format=compression,
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    size_in_m_bs=buffer_size_mib, interval_in_seconds=buffer_interval_seconds
                ),
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=bucket_key.key_arn
                    )
                ),
                cloud_watch_logging_options=_logging(self.log_group, log_stream),
            )

        redshift = firehose.CfnDeliveryStream.RedshiftDestinationConfigurationProperty(
            cluster_jdbcurl=endpoint.jdbc_url,
            role_arn=self.role.role_arn,
            copy_command=firehose.CfnDeliveryStream.CopyCommandProperty(
                data_table_name=table.qualified_name,
                data_table_columns=",".join(table.column_names),
                copy_options=self.copy_options,
            ),
            secrets_manager_configuration=firehose.CfnDeliveryStream.SecretsManagerConfigurationProperty(
                enabled=True,
                secret_arn=endpoint.secret.secret_arn,
                role_arn=self.role.role_arn,
            ),
            retry_options=firehose.CfnDeliveryStream.RedshiftRetryOptionsProperty(
                duration_in_seconds=retry_seconds
            ),
            s3_configuration=s3_config(self.staging_prefix, destination_log.log_stream_name),
            s3_backup_mode="Enabled" if backup_all else "Disabled",
            s3_backup_configuration=(
                s3_config(self.backup_prefix, backup_log.log_stream_name) if backup_all else None
            ),
            processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                enabled=False
            ),
            cloud_watch_logging_options=_logging(self.log_group, destination_log.log_stream_name),
        )
        self.delivery_stream = firehose.CfnDeliveryStream(
            self,
            "Resource",
            delivery_stream_type="KinesisStreamAsSource",
            kinesis_stream_source_configuration=firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty(
                kinesis_stream_arn=source_stream.stream_arn, role_arn=self.role.role_arn
            ),
            redshift_destination_configuration=redshift,
        )
        # Firehose validates the role when the stream is created: the policy must exist first.
        self.delivery_stream.node.add_dependency(self.policy)
        acknowledge(self.delivery_stream, "AwsSolutions-KDF1", KDF1_REASON)

        self.success_alarm, self.freshness_alarm = self._alarms(freshness_alarm_seconds)
        alarms = (self.success_alarm, self.freshness_alarm)
        notify(alarms, alarm_topic)

    @property
    def delivery_stream_name(self) -> str:
        """The delivery stream's name (a token)."""
        return self.delivery_stream.ref

    def metric(self, metric_name: str, statistic: str) -> cloudwatch.Metric:
        """A CloudWatch metric of this delivery stream (``AWS/Firehose`` namespace)."""
        return cloudwatch.Metric(
            namespace="AWS/Firehose",
            metric_name=metric_name,
            dimensions_map={"DeliveryStreamName": self.delivery_stream.ref},
            statistic=statistic,
            period=ALARM_PERIOD,
        )

    def _alarms(self, freshness_seconds: int) -> tuple[cloudwatch.Alarm, cloudwatch.Alarm]:
        success = cloudwatch.Alarm(
            self,
            "SuccessAlarm",
            alarm_description=(
                f"Firehose COPY into {self.table.qualified_name} failed (DeliveryToRedshift."
                "Success < 1): check the delivery log group and STL_LOAD_ERRORS"
            ),
            metric=self.metric("DeliveryToRedshift.Success", "Minimum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=ALARM_EVALUATION_PERIODS,
            datapoints_to_alarm=ALARM_DATAPOINTS,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        freshness = cloudwatch.Alarm(
            self,
            "FreshnessAlarm",
            alarm_description=(
                f"Oldest record not yet loaded into {self.table.qualified_name} is older than "
                f"{freshness_seconds} s (DeliveryToRedshift.DataFreshness)"
            ),
            metric=self.metric("DeliveryToRedshift.DataFreshness", "Maximum"),
            threshold=freshness_seconds,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=ALARM_EVALUATION_PERIODS,
            datapoints_to_alarm=ALARM_DATAPOINTS,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        return success, freshness


def _copy_options(copy_format: CopyFormat | JsonPathsFile, compression: str) -> str:
    if isinstance(copy_format, CopyFormat):
        parse = copy_format.value
    elif isinstance(copy_format, JsonPathsFile):
        parse = f"JSON '{copy_format.uri}'"
    else:
        raise TypeError(
            f"copy_format must be a CopyFormat or a JsonPathsFile, got {copy_format!r:.80}"
        )
    options = [parse, "TIMEFORMAT 'auto'"]
    if compression == "GZIP":
        options.append("GZIP")
    return " ".join(options)


def _logging(
    log_group: logs.ILogGroup, stream_name: str
) -> firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty:
    return firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
        enabled=True, log_group_name=log_group.log_group_name, log_stream_name=stream_name
    )


def _role_statements(
    *,
    stack: cdk.Stack,
    source_stream: kinesis.IStream,
    source_key: kms.IKey | None,
    bucket: s3.IBucket,
    bucket_key: kms.IKey,
    prefixes: list[str],
    endpoint: WarehouseEndpoint,
    log_group: logs.ILogGroup,
    log_streams: list[str],
    jsonpaths: JsonPathsFile | None,
) -> list[iam.PolicyStatement]:
    """Least privilege for the delivery role (the documented Redshift-destination policy, with
    KMS scoped by service and encryption context: the bucket ARN, as the bucket uses an S3
    Bucket Key, and the stream ARN)."""
    statements = [
        iam.PolicyStatement(
            sid="ReadSourceStream",
            actions=[
                "kinesis:DescribeStream",
                "kinesis:GetShardIterator",
                "kinesis:GetRecords",
                "kinesis:ListShards",
            ],
            resources=[source_stream.stream_arn],
        ),
        iam.PolicyStatement(
            sid="ListStagingBucket",
            actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            resources=[bucket.bucket_arn],
        ),
        iam.PolicyStatement(
            sid="WriteAndCopyStagedObjects",
            actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
        ),
        kms_statement(
            sid="EncryptStagedObjects",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            key=bucket_key,
            service="s3",
            stack=stack,
            encryption_context={"aws:s3:arn": bucket.bucket_arn},
        ),
        iam.PolicyStatement(
            sid="ReadWarehouseSecret",
            actions=["secretsmanager:GetSecretValue"],
            resources=[endpoint.secret.secret_arn],
        ),
        put_log_events_statement(
            sid="WriteDeliveryLogs", log_group=log_group, stream_names=log_streams
        ),
    ]
    if jsonpaths is not None:
        statements.extend(_jsonpaths_statements(stack, jsonpaths, bucket))
    if source_key is not None:
        statements.append(
            kms_statement(
                sid="DecryptSourceStream",
                actions=["kms:Decrypt"],
                key=source_key,
                service="kinesis",
                stack=stack,
                encryption_context={"aws:kinesis:arn": source_stream.stream_arn},
            )
        )
    decrypt_secret = endpoint.secret_key_statement(sid="DecryptWarehouseSecret", stack=stack)
    if decrypt_secret is not None:
        statements.append(decrypt_secret)
    return statements


def _jsonpaths_statements(
    stack: cdk.Stack, jsonpaths: JsonPathsFile, staging_bucket: s3.IBucket
) -> list[iam.PolicyStatement]:
    """COPY reads the jsonpaths file with the delivery role's credentials."""
    statements = [
        iam.PolicyStatement(
            sid="ReadJsonPathsFile", actions=["s3:GetObject"], resources=[jsonpaths.object_arn]
        )
    ]
    decrypt = jsonpaths.key_statement("kms:Decrypt", sid="DecryptJsonPathsFile", stack=stack)
    if decrypt is not None and jsonpaths.bucket is not staging_bucket:
        statements.append(decrypt)
    return statements
