"""``FlinkApplication``: a PyFlink job on Amazon Managed Service for Apache Flink.

Built on the stable L1 ``aws_kinesisanalyticsv2.CfnApplication`` (the L2 is alpha). Sources:
https://docs.aws.amazon.com/managed-flink/latest/java/how-python-creating.html (run options),
https://docs.aws.amazon.com/managed-flink/latest/java/manage-cmk-api.html (a customer-managed
key must admit ``kinesisanalytics.amazonaws.com`` and
``infrastructure.kinesisanalytics.amazonaws.com``),
https://docs.aws.amazon.com/managed-flink/latest/java/metrics-dimensions.html (metrics;
``fullRestarts`` is gone from Flink 2.2: ``numRestarts`` replaces it) and
https://docs.aws.amazon.com/managed-flink/latest/java/iam-role.html (the service role).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from enum import Enum
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisanalyticsv2 as kda
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import custom_resources as cr
from constructs import Construct

from ml_data_platform.analytics.checkpointing import require_flink_checkpointing
from ml_data_platform.analytics.code import RUN_OPTIONS_GROUP, FlinkCode
from ml_data_platform.compliance import acknowledge, skip_checkov
from ml_data_platform.compliance.wildcards import acknowledge_policy_wildcards
from ml_data_platform.core.inputs import Kind, optional_kind, require_int, require_kind
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.monitoring.alarms import ALARM_PERIOD, notify
from ml_data_platform.storage.key import DataLakeKey
from ml_data_platform.streaming.ingestion_stream import (
    CONSUMER_ACTIONS,
    DESCRIBE_ACTIONS,
    WRITE_ACTIONS,
    IngestionStream,
    kinesis_key_conditions,
)

SERVICE_PRINCIPAL = "kinesisanalytics.amazonaws.com"
INFRASTRUCTURE_PRINCIPAL = "infrastructure.kinesisanalytics.amazonaws.com"
METRICS_NAMESPACE = "AWS/KinesisAnalytics"
DEFAULT_CHECKPOINT_INTERVAL = cdk.Duration.seconds(60)
DEFAULT_MIN_PAUSE_BETWEEN_CHECKPOINTS = cdk.Duration.seconds(5)
DEFAULT_LAG_ALARM_THRESHOLD = cdk.Duration.minutes(5)
DEFAULT_MAX_KPUS = 64
"""Default service quota of KPUs per application (adjustable)."""
APPLICATION_NAME_MAX_LENGTH = 128
SOURCE_GROUP = "source"
SINK_GROUP_PREFIX = "sink."
PROPERTY_GROUP_MAX_LENGTH = 50
_APPLICATION_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_GROUP_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_SINK_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,29}$")
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant")
FIREHOSE_PUT_ACTIONS = ("firehose:PutRecord", "firehose:PutRecordBatch")
LOG_GROUP_WILDCARD_REASON = (
    "logs:DescribeLogGroups takes no resource narrower than the account's log groups "
    "(log-group:*); the application's role can only describe them, not read or write them."
)
METRICS_WILDCARD_REASON = (
    "cloudwatch:PutMetricData supports no resource ARN; the statement is limited to the "
    "AWS/KinesisAnalytics namespace by the cloudwatch:namespace condition."
)
START_REASON = (
    "CDK's AwsCustomResource provider (one Lambda per stack) calls kinesisanalyticsv2:"
    "StartApplication once per deployment when start_on_deploy is set; CloudFormation creates "
    "but never starts an application. It runs only during deployments (CloudFormation reports "
    "failures, so no DLQ or reserved concurrency) and calls a public AWS API (no VPC)."
)
START_FUNCTION_RULES = (
    "HIPAA.Security-LambdaConcurrency",
    "HIPAA.Security-LambdaDLQ",
    "HIPAA.Security-LambdaInsideVPC",
    "NIST.800.53.R5-LambdaConcurrency",
    "NIST.800.53.R5-LambdaDLQ",
    "NIST.800.53.R5-LambdaInsideVPC",
    "PCI.DSS.321-LambdaInsideVPC",
)
START_FUNCTION_CHECKOV = ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117")
AWS_CUSTOM_RESOURCE_SINGLETON_ID = "AWS679f53fac002430cb0da5b7982bd2287"

Source = IngestionStream | kinesis.IStream
Sink = IngestionStream | kinesis.IStream | firehose.IDeliveryStream


class FlinkRuntime(Enum):
    """Managed Service for Apache Flink runtimes that run Python (PyFlink) applications, as
    in the service's API (``RuntimeEnvironment``)."""

    FLINK_1_13 = "FLINK-1_13"
    """Apache Flink 1.13 (Python 3.8)."""
    FLINK_1_15 = "FLINK-1_15"
    """Apache Flink 1.15 (Python 3.8)."""
    FLINK_1_18 = "FLINK-1_18"
    """Apache Flink 1.18 (Python 3.10)."""
    FLINK_1_19 = "FLINK-1_19"
    """Apache Flink 1.19 (Python 3.11)."""
    FLINK_1_20 = "FLINK-1_20"
    """Apache Flink 1.20 (Python 3.11): the default."""
    FLINK_2_2 = "FLINK-2_2"
    """Apache Flink 2.2 (Python 3.12; ``numRestarts`` replaces ``fullRestarts``)."""

    @property
    def restarts_metric(self) -> str:
        """``fullRestarts`` up to Flink 1.20, ``numRestarts`` from 2.2 (fullRestarts removed)."""
        return "numRestarts" if self.value.startswith("FLINK-2") else "fullRestarts"


class FlinkLogLevel(Enum):
    """Log level of the application's CloudWatch logging."""

    DEBUG = "DEBUG"
    """Everything, for troubleshooting only (costly)."""
    INFO = "INFO"
    """Informational messages and above: the default."""
    WARN = "WARN"
    """Warnings and errors."""
    ERROR = "ERROR"
    """Errors only."""


class FlinkApplication(Construct):
    """A PyFlink application on Managed Service for Apache Flink, secure and monitored.

    Defaults: checkpointing every 60 s (5 s minimum pause), snapshots on, autoscaling on,
    application state encrypted with a customer-managed key, logs (INFO, APPLICATION metrics)
    to an encrypted log group with retention, a role that can only read the source, write the
    sinks and the logs, and alarms on downtime, restarts, failed checkpoints and source lag.
    CloudFormation creates the application but does not start it: ``start_on_deploy=True``
    starts it after each deployment (from the latest snapshot), see docs/constructs/
    flink-application.md for what a redeploy does to a running job.

    The job finds its inputs in property groups (read from
    ``/etc/flink/application_properties.json`` on the service): ``source`` and ``sink.<name>``
    with ``stream.name``/``stream.arn`` (Kinesis) or ``delivery-stream.name``/
    ``delivery-stream.arn`` (Firehose), and ``aws.region``; plus ``properties``.

    Args:
        code: The job's code (``FlinkCode.from_asset`` or ``FlinkCode.from_bucket``).
        source: The stream the job reads: an ``IngestionStream`` (decrypt scoped to the stream)
            or an ``IStream`` (its ``encryption_key``, if any, may be used for decrypt).
        sinks: ``{name: stream or Firehose delivery stream}`` the job writes to; names are
            1–30 lowercase letters, digits, ``_`` or ``-``. A Firehose must take direct puts
            (one with a Kinesis source refuses them). Default: none.
        properties: Further property groups ``{group id: {key: value}}``. Default: none.
        runtime: ``FlinkRuntime``. Default: ``FLINK_1_20``.
        application_name: 1–128 letters, digits, ``_``, ``.`` or ``-``. Default: generated.
        checkpoint_interval: Time between checkpoints (≥ 1 s). Default: 60 s.
        min_pause_between_checkpoints: Default: 5 s (shorter than the interval).
        snapshots: Take a snapshot when the application stops or updates. Default: True.
        autoscaling: Let the service raise parallelism under load. Default: True.
        parallelism: Initial parallelism (≥ 1). Default: 1.
        parallelism_per_kpu: Parallel tasks per KPU (≥ 1). Default: 1.
        max_kpus: The account's KPU quota per application; parallelism / parallelism_per_kpu
            must fit. Default: 64 (the default quota).
        encryption_key: Customer-managed key for the application's state and its log group.
            A ``kms.Key`` defined in this app gets the two service principals added to its
            policy; an imported key's policy must already admit them. Default: a new
            ``DataLakeKey``.
        log_retention: Default: one year. log_level: ``FlinkLogLevel``. Default: INFO.
        lag_alarm_threshold: Alarm when ``millisBehindLatest`` (max) reaches this.
            Default: 5 minutes.
        alarm_topic: SNS topic for the alarms. Default: the stack's ``AlarmTopic.of(stack)``
            (created on first need).
        start_on_deploy: Start the application after each deployment (a custom resource
            calling StartApplication). Default: False (start it with the CLI or console).
        removal_policy: Of the log group and a created key. Default: ``RETAIN``.

    Attributes:
        application: The ``CfnApplication``.
        application_name: Its name (a token when generated).
        application_arn: Its ARN.
        role: The service role.
        policy: The role's one managed policy.
        key: The encryption key.
        log_group: The log group.
        logging_option: The ``CfnApplicationCloudWatchLoggingOption``.
        alarms: ``{"Downtime", "Restarts", "FailedCheckpoints", "SourceLag": cloudwatch.Alarm}``.
        run_options: The ``kinesis.analytics.flink.run.options`` group.
        property_groups: Every property group, by id.
        runtime: The ``FlinkRuntime``.
        kpus: KPUs for the initial parallelism (``ceil(parallelism / parallelism_per_kpu)``;
            the service adds one for orchestration).
        starter: The start-on-deploy custom resource (None unless ``start_on_deploy``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: FlinkCode,
        source: Source,
        sinks: Mapping[str, Sink] | None = None,
        properties: Mapping[str, Mapping[str, str]] | None = None,
        runtime: FlinkRuntime = FlinkRuntime.FLINK_1_20,
        application_name: str | None = None,
        checkpoint_interval: cdk.Duration = DEFAULT_CHECKPOINT_INTERVAL,
        min_pause_between_checkpoints: cdk.Duration = DEFAULT_MIN_PAUSE_BETWEEN_CHECKPOINTS,
        snapshots: bool = True,
        autoscaling: bool = True,
        parallelism: int = 1,
        parallelism_per_kpu: int = 1,
        max_kpus: int = DEFAULT_MAX_KPUS,
        encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        log_level: FlinkLogLevel = FlinkLogLevel.INFO,
        lag_alarm_threshold: cdk.Duration = DEFAULT_LAG_ALARM_THRESHOLD,
        alarm_topic: sns.ITopic | None = None,
        start_on_deploy: bool = False,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if not isinstance(code, FlinkCode):
            raise TypeError(
                f"code must be a FlinkCode (FlinkCode.from_asset/from_bucket), got "
                f"{type(code).__name__}: {code!r:.80}"
            )
        if not isinstance(runtime, FlinkRuntime):
            raise TypeError(
                f"runtime must be a FlinkRuntime ({', '.join(r.name for r in FlinkRuntime)}), "
                f"got {type(runtime).__name__}: {runtime!r}"
            )
        if not isinstance(log_level, FlinkLogLevel):
            raise TypeError(f"log_level must be a FlinkLogLevel, got {log_level!r}")
        _validate_name(application_name)
        optional_kind(encryption_key, Kind.KEY, "encryption_key")
        optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        source_stream = _stream_of(source, "source")
        sink_map = dict(sinks or {})
        for name, sink in sink_map.items():
            _validate_sink(name, sink)
        user_groups = _validate_properties(properties)
        intervals = _validate_checkpoints(checkpoint_interval, min_pause_between_checkpoints)
        require_int(parallelism, "parallelism", minimum=1)
        require_int(parallelism_per_kpu, "parallelism_per_kpu", minimum=1)
        require_int(max_kpus, "max_kpus", minimum=1)
        kpus = math.ceil(parallelism / parallelism_per_kpu)
        if kpus > max_kpus:
            raise ValueError(
                f"parallelism={parallelism} with parallelism_per_kpu={parallelism_per_kpu} needs "
                f"{kpus} KPUs, over max_kpus={max_kpus} (the per-application quota): raise "
                "parallelism_per_kpu or the quota"
            )
        if not isinstance(lag_alarm_threshold, cdk.Duration):
            raise TypeError(
                f"lag_alarm_threshold must be a cdk.Duration, got {lag_alarm_threshold!r}"
            )
        self.runtime = runtime
        self.kpus = kpus
        policy = resolve_removal_policy(self, removal_policy)
        stack = cdk.Stack.of(self)

        self.key: kms.IKey = encryption_key or DataLakeKey(self, "Key", removal_policy=policy).key
        self._admit_service(self.key)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=self.key,
            retention=log_retention,
            removal_policy=policy,
        )
        log_stream = self.log_group.add_stream("LogStream")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                SERVICE_PRINCIPAL,
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="Service role of a Managed Service for Apache Flink application",
        )
        # One managed policy with every permission; the role takes nothing inline.
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[self.role])
        bound = code.bind(self)
        self.policy.add_statements(*bound.read_statements())

        self.run_options = bound.run_options
        groups: dict[str, dict[str, str]] = {RUN_OPTIONS_GROUP: dict(bound.run_options)}
        groups[SOURCE_GROUP] = _stream_properties(source_stream)
        for name, sink in sink_map.items():
            groups[SINK_GROUP_PREFIX + name] = _sink_properties(sink)
        groups.update(user_groups)
        self.property_groups = groups

        log_stream_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{self.log_group.log_group_name}:log-stream:{log_stream.log_stream_name}",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        self._statements(source, sink_map, log_stream_arn)

        self.application = kda.CfnApplication(
            self,
            "Resource",
            runtime_environment=runtime.value,
            service_execution_role=self.role.role_arn,
            application_name=application_name,
            application_description="PyFlink application (ml-data-platform FlinkApplication)",
            application_configuration=kda.CfnApplication.ApplicationConfigurationProperty(
                application_code_configuration=kda.CfnApplication.ApplicationCodeConfigurationProperty(
                    code_content_type="ZIPFILE",
                    code_content=kda.CfnApplication.CodeContentProperty(
                        s3_content_location=kda.CfnApplication.S3ContentLocationProperty(
                            bucket_arn=bound.bucket.bucket_arn,
                            file_key=bound.key,
                            object_version=bound.object_version,
                        )
                    ),
                ),
                application_snapshot_configuration=kda.CfnApplication.ApplicationSnapshotConfigurationProperty(
                    snapshots_enabled=snapshots
                ),
                application_encryption_configuration=kda.CfnApplication.ApplicationEncryptionConfigurationProperty(
                    key_type="CUSTOMER_MANAGED_KEY", key_id=self.key.key_arn
                ),
                environment_properties=kda.CfnApplication.EnvironmentPropertiesProperty(
                    property_groups=[
                        kda.CfnApplication.PropertyGroupProperty(
                            property_group_id=group_id, property_map=values
                        )
                        for group_id, values in groups.items()
                    ]
                ),
                flink_application_configuration=kda.CfnApplication.FlinkApplicationConfigurationProperty(
                    checkpoint_configuration=kda.CfnApplication.CheckpointConfigurationProperty(
                        configuration_type="CUSTOM",
                        checkpointing_enabled=True,
                        checkpoint_interval=intervals[0],
                        min_pause_between_checkpoints=intervals[1],
                    ),
                    monitoring_configuration=kda.CfnApplication.MonitoringConfigurationProperty(
                        configuration_type="CUSTOM",
                        log_level=log_level.value,
                        metrics_level="APPLICATION",
                    ),
                    parallelism_configuration=kda.CfnApplication.ParallelismConfigurationProperty(
                        configuration_type="CUSTOM",
                        auto_scaling_enabled=autoscaling,
                        parallelism=parallelism,
                        parallelism_per_kpu=parallelism_per_kpu,
                    ),
                ),
            ),
            run_configuration=kda.CfnApplication.RunConfigurationProperty(
                application_restore_configuration=kda.CfnApplication.ApplicationRestoreConfigurationProperty(
                    application_restore_type=(
                        "RESTORE_FROM_LATEST_SNAPSHOT"
                        if snapshots
                        else "SKIP_RESTORE_FROM_SNAPSHOT"
                    )
                ),
                flink_run_configuration=kda.CfnApplication.FlinkRunConfigurationProperty(
                    allow_non_restored_state=False
                ),
            ),
        )
        self.application.node.add_dependency(self.policy)
        self.application_name = self.application.ref
        self.application_arn = stack.format_arn(
            service="kinesisanalytics",
            resource="application",
            resource_name=self.application_name,
        )
        self.logging_option = kda.CfnApplicationCloudWatchLoggingOption(
            self,
            "Logging",
            application_name=self.application_name,
            cloud_watch_logging_option=kda.CfnApplicationCloudWatchLoggingOption.CloudWatchLoggingOptionProperty(
                log_stream_arn=log_stream_arn
            ),
        )
        require_flink_checkpointing(self)
        self.alarms = self._alarms(source_stream, lag_alarm_threshold)
        notify(self.alarms.values(), alarm_topic)
        self.starter: cr.AwsCustomResource | None = None
        if start_on_deploy:
            self.starter = self._start_on_deploy(snapshots)

    # -- permissions --------------------------------------------------------------------------

    def _admit_service(self, key: kms.IKey) -> None:
        """Key policy statements for the two service principals (applications of this account
        and region only), on a key this app defines; an imported key is left as it is."""
        stack = cdk.Stack.of(self)
        applications = stack.format_arn(
            service="kinesisanalytics", resource="application", resource_name="*"
        )
        for sid, principal in (
            ("AllowManagedFlink", SERVICE_PRINCIPAL),
            ("AllowManagedFlinkInfrastructure", INFRASTRUCTURE_PRINCIPAL),
        ):
            result = key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(principal)],
                    actions=list(KEY_ACTIONS),
                    resources=["*"],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": applications},
                    },
                ),
                allow_no_op=True,
            )
            if not result.statement_added:
                cdk.Annotations.of(self).add_warning_v2(
                    "ml-data-platform:flink-imported-key",
                    f"encryption_key is imported: its key policy must admit {principal} "
                    "(see the Managed Service for Apache Flink manage-cmk docs)",
                )

    def _statements(self, source: Source, sinks: Mapping[str, Sink], log_stream_arn: str) -> None:
        stack = cdk.Stack.of(self)
        source_stream = _stream_of(source, "source")
        statements = [
            iam.PolicyStatement(
                sid="ReadSource",
                actions=[*CONSUMER_ACTIONS, "kinesis:SubscribeToShard"],
                resources=[source_stream.stream_arn],
            ),
        ]
        source_key = _stream_key(source)
        if source_key is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="DecryptSource",
                    actions=["kms:Decrypt"],
                    resources=[source_key.key_arn],
                    conditions=kinesis_key_conditions(source_stream),
                )
            )
        for index, (name, sink) in enumerate(sinks.items()):
            suffix = f"{index}"
            if _is_stream(sink):
                stream = _stream_of(sink, f"sinks[{name!r}]")
                statements.append(
                    iam.PolicyStatement(
                        sid=f"WriteSink{suffix}",
                        actions=[*WRITE_ACTIONS, *DESCRIBE_ACTIONS],
                        resources=[stream.stream_arn],
                    )
                )
                key = _stream_key(sink)
                if key is not None:
                    statements.append(
                        iam.PolicyStatement(
                            sid=f"EncryptSink{suffix}",
                            actions=["kms:GenerateDataKey"],
                            resources=[key.key_arn],
                            conditions=kinesis_key_conditions(stream),
                        )
                    )
            else:
                statements.append(
                    iam.PolicyStatement(
                        sid=f"WriteSink{suffix}",
                        actions=list(FIREHOSE_PUT_ACTIONS),
                        resources=[cast(firehose.IDeliveryStream, sink).delivery_stream_arn],
                    )
                )
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        statements += [
            iam.PolicyStatement(
                sid="DescribeLogGroups", actions=["logs:DescribeLogGroups"], resources=[log_groups]
            ),
            iam.PolicyStatement(
                sid="DescribeLogStreams",
                actions=["logs:DescribeLogStreams"],
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="WriteLogs", actions=["logs:PutLogEvents"], resources=[log_stream_arn]
            ),
            iam.PolicyStatement(
                sid="PublishMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
            ),
        ]
        self.policy.add_statements(*statements)
        acknowledge_policy_wildcards(
            self.policy,
            LOG_GROUP_WILDCARD_REASON,
            resources=[log_groups],
        )
        # The one full wildcard, acknowledged by its exact id (compliance.wildcards refuses
        # full wildcards on purpose): PutMetricData has no resource-level permissions.
        acknowledge(self.policy, "AwsSolutions-IAM5[Resource::*]", METRICS_WILDCARD_REASON)

    # -- alarms -------------------------------------------------------------------------------

    def metric(
        self, metric_name: str, statistic: str = cloudwatch.Stats.MAXIMUM
    ) -> cloudwatch.Metric:
        """A metric of this application (namespace ``AWS/KinesisAnalytics``, dimension
        ``Application``), over the alarm period."""
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"Application": self.application_name},
            statistic=statistic,
            period=ALARM_PERIOD,
        )

    def _alarms(
        self, source: kinesis.IStream, lag_threshold: cdk.Duration
    ) -> dict[str, cloudwatch.Alarm]:
        greater = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        at_least = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD

        def alarm(
            construct_id: str,
            metric: cloudwatch.IMetric,
            threshold: float,
            operator: cloudwatch.ComparisonOperator,
            description: str,
            missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
        ) -> cloudwatch.Alarm:
            return cloudwatch.Alarm(
                self,
                construct_id,
                metric=metric,
                threshold=threshold,
                comparison_operator=operator,
                evaluation_periods=1,
                treat_missing_data=missing,
                alarm_description=description,
            )

        restarts = self.runtime.restarts_metric
        return {
            "Downtime": alarm(
                "DowntimeAlarm",
                self.metric("downtime"),
                0,
                greater,
                "The running job is down (downtime > 0): it is failing and restarting; see the "
                "application's logs",
            ),
            "Restarts": alarm(
                "RestartsAlarm",
                cloudwatch.MathExpression(
                    expression="RATE(restarts) * PERIOD(restarts)",
                    using_metrics={"restarts": self.metric(restarts)},
                    period=ALARM_PERIOD,
                    label=f"{restarts} in the period",
                ),
                0,
                greater,
                f"The job restarted ({restarts} rose): a task failed; see the application's logs",
            ),
            "FailedCheckpoints": alarm(
                "FailedCheckpointsAlarm",
                cloudwatch.MathExpression(
                    expression="RATE(failed) * PERIOD(failed)",
                    using_metrics={"failed": self.metric("numberOfFailedCheckpoints")},
                    period=ALARM_PERIOD,
                    label="failed checkpoints in the period",
                ),
                0,
                greater,
                "A checkpoint failed: state is not being saved, a restart would replay more",
            ),
            "SourceLag": alarm(
                "SourceLagAlarm",
                self.metric("millisBehindLatest"),
                lag_threshold.to_milliseconds(),
                at_least,
                f"The job reads {source.node.id} more than {lag_threshold.to_human_string()} "
                "behind its newest record: scale up (parallelism) or check back pressure",
            ),
        }

    # -- start on deploy ----------------------------------------------------------------------

    def _start_on_deploy(self, snapshots: bool) -> cr.AwsCustomResource:
        stack = cdk.Stack.of(self)
        restore = "RESTORE_FROM_LATEST_SNAPSHOT" if snapshots else "SKIP_RESTORE_FROM_SNAPSHOT"
        call = cr.AwsSdkCall(
            service="KinesisAnalyticsV2",
            action="startApplication",
            parameters={
                "ApplicationName": self.application_name,
                "RunConfiguration": {
                    "ApplicationRestoreConfiguration": {"ApplicationRestoreType": restore},
                    "FlinkRunConfiguration": {"AllowNonRestoredState": False},
                },
            },
            physical_resource_id=cr.PhysicalResourceId.of(f"start-{self.node.addr}"),
            # Already running (an update of a running application restarts it by itself).
            ignore_error_codes_matching="ResourceInUseException",
        )
        starter_logs = logs.LogGroup(
            self,
            "StarterLogs",
            encryption_key=self.key,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "StarterRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Starts the Flink application after a deployment",
        )
        starter_policy = iam.ManagedPolicy(
            self,
            "StarterPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="StartApplication",
                    actions=[
                        "kinesisanalytics:StartApplication",
                        "kinesisanalytics:DescribeApplication",
                    ],
                    resources=[self.application_arn],
                ),
                iam.PolicyStatement(
                    sid="WriteStarterLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[starter_logs.log_group_arn],
                ),
            ],
        )
        starter = cr.AwsCustomResource(
            self,
            "Start",
            on_create=call,
            on_update=call,
            role=iam.Role.from_role_arn(self, "StarterRoleRef", role.role_arn, mutable=False),
            log_group=starter_logs,
            install_latest_aws_sdk=False,
            timeout=cdk.Duration.minutes(2),
        )
        starter.node.add_dependency(starter_policy)
        starter.node.add_dependency(self.logging_option)
        provider = stack.node.try_find_child(AWS_CUSTOM_RESOURCE_SINGLETON_ID)
        if provider is not None:
            acknowledge(provider, START_FUNCTION_RULES, START_REASON)
            function = cast(cdk.CfnResource | None, provider.node.default_child)
            if function is not None and not function.get_metadata("checkov"):
                for check_id in START_FUNCTION_CHECKOV:
                    skip_checkov(function, check_id, START_REASON)
        return starter


def _is_stream(value: object) -> bool:
    return isinstance(value, IngestionStream) or _has(value, "stream_arn")


def _has(value: object, attribute: str) -> bool:
    """Whether ``value`` has ``attribute`` (the class first: on a jsii object, reading it is a
    call into Node; an interface proxy only has it on the instance)."""
    return not isinstance(value, (str, bytes)) and (
        hasattr(type(value), attribute) or hasattr(value, attribute)
    )


def _stream_of(value: object, prop: str) -> kinesis.IStream:
    if isinstance(value, IngestionStream):
        return value.stream
    stream: kinesis.IStream = require_kind(value, Kind.STREAM, prop)
    return stream


def _stream_key(value: object) -> kms.IKey | None:
    if isinstance(value, IngestionStream):
        return value.key
    return getattr(value, "encryption_key", None)


def _stream_properties(stream: kinesis.IStream) -> dict[str, str]:
    return {
        "stream.name": stream.stream_name,
        "stream.arn": stream.stream_arn,
        "aws.region": cdk.Stack.of(stream).region,
    }


def _sink_properties(sink: Sink) -> dict[str, str]:
    if _is_stream(sink):
        return _stream_properties(_stream_of(sink, "sink"))
    delivery = cast(firehose.IDeliveryStream, sink)  # not a stream: a delivery stream
    return {
        "delivery-stream.name": delivery.delivery_stream_name,
        "delivery-stream.arn": delivery.delivery_stream_arn,
        "aws.region": cdk.Stack.of(delivery).region,
    }


def _validate_name(name: str | None) -> None:
    if name is None:
        return
    if (
        not isinstance(name, str)
        or not _APPLICATION_NAME.match(name)
        or len(name) > APPLICATION_NAME_MAX_LENGTH
    ):
        raise ValueError(
            f"application_name {name!r} must be 1–{APPLICATION_NAME_MAX_LENGTH} letters, "
            "digits, '_', '.' or '-'"
        )


def _validate_sink(name: str, sink: object) -> None:
    if not isinstance(name, str) or not _SINK_NAME.match(name):
        raise ValueError(
            f"sinks: name {name!r} must be 1–30 lowercase letters, digits, '_' or '-', "
            "starting with a letter (it names the property group 'sink.<name>')"
        )
    if _is_stream(sink):
        return
    if not _has(sink, "delivery_stream_arn"):
        raise TypeError(
            f"sinks[{name!r}] must be an IngestionStream, an IStream (aws_kinesis) or an "
            f"IDeliveryStream (aws_kinesisfirehose), got {type(sink).__name__}: {sink!r:.80}"
        )


def _validate_properties(
    properties: Mapping[str, Mapping[str, str]] | None,
) -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    for group_id, values in (properties or {}).items():
        if (
            not isinstance(group_id, str)
            or not _GROUP_ID.match(group_id)
            or len(group_id) > PROPERTY_GROUP_MAX_LENGTH
        ):
            raise ValueError(
                f"properties: group id {group_id!r} must be 1–{PROPERTY_GROUP_MAX_LENGTH} "
                "letters, digits, '_', '.' or '-'"
            )
        if group_id in (RUN_OPTIONS_GROUP, SOURCE_GROUP) or group_id.startswith(SINK_GROUP_PREFIX):
            raise ValueError(
                f"properties: group id {group_id!r} is reserved (the construct writes "
                f"{RUN_OPTIONS_GROUP!r}, {SOURCE_GROUP!r} and '{SINK_GROUP_PREFIX}<name>')"
            )
        if not isinstance(values, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in values.items()
        ):
            raise TypeError(
                f"properties[{group_id!r}] must map strings to strings, got {values!r:.80}"
            )
        groups[group_id] = dict(values)
    return groups


def _validate_checkpoints(interval: cdk.Duration, pause: cdk.Duration) -> tuple[int, int]:
    for prop, value in (
        ("checkpoint_interval", interval),
        ("min_pause_between_checkpoints", pause),
    ):
        if not isinstance(value, cdk.Duration):
            raise TypeError(f"{prop} must be a cdk.Duration, got {type(value).__name__}: {value!r}")
    interval_ms = int(interval.to_milliseconds())
    pause_ms = int(pause.to_milliseconds())
    if interval_ms < 1_000:
        raise ValueError(
            f"checkpoint_interval must be ≥ 1 second, got {interval.to_human_string()}"
        )
    if not 0 <= pause_ms < interval_ms:
        raise ValueError(
            f"min_pause_between_checkpoints ({pause.to_human_string()}) must be shorter than "
            f"checkpoint_interval ({interval.to_human_string()})"
        )
    return interval_ms, pause_ms
