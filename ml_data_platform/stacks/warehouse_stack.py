"""``WarehouseStack``: Redshift Serverless, the target table, and Firehose delivery into it."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.core.inputs import Kind, optional_kind, require_kind
from ml_data_platform.storage import RAW, DataLake, Lifecycle
from ml_data_platform.warehouse import (
    CopyFormat,
    JsonPaths,
    RedshiftTable,
    RedshiftTableSetup,
    Warehouse,
    WarehouseDeliveryStream,
    deploy_time_availability_zones,
)

MISSING_STAGING_RULE_WARNING = "ml-data-platform:warehouseStagingNotExpired"


class WarehouseStack(cdk.Stack):
    """A Redshift Serverless warehouse loaded by Firehose from a Kinesis stream.

    The stack needs a concrete region (``env``): the Firehose CIDR block admitted by the
    workgroup's security group depends on it.

    Args:
        stream: The source Kinesis stream (e.g. ``IngestionStream.stream``).
        stream_key: The stream's KMS key (e.g. ``IngestionStream.key``).
        data_lake: The lake: staging and backup go to its ``raw`` zone, with its key; the
            warehouse uses the same key. Give the raw zone ``warehouse_staging_rule()`` in its
            lifecycle (a synth warning says so otherwise).
        table: The target table.
        base_capacity: Base RPUs. Default: 8.
        namespace_name / workgroup_name: Physical names. Default: derived from the stack name
            (see ``Warehouse``); pin them to keep a namespace deployed under other names.
        vpc: VPC for the workgroup. Default: a new one (see ``Warehouse``).
        create_table: Create the table at deploy time (Data API custom resource). Default: True.
            Set False on the local emulator path (custom resources cannot run there).
        jsonpaths: Load through a jsonpaths file written to the raw zone at deploy time (needs
            ``create_table``). Default: none (``JSON 'auto'``: keys named like the columns).
        alarm_topic: Where delivery alarms notify. Default: a new SNS topic encrypted with the
            lake key (subscribe to it).
        removal_policy: For the namespace, workgroup, secret and logs. Default: RETAIN.
        **stack_kwargs: ``cdk.Stack`` props (env, stack_name, ...).

    Availability Zones: ``availability_zones`` is overridden to the region's first three,
    resolved at deploy time (``Fn::GetAZs``), so a concrete ``env`` account does not make CDK
    look them up (which needs AWS credentials at synth time).

    Attributes:
        warehouse: The ``Warehouse``. delivery: The ``WarehouseDeliveryStream``.
        table_setup: The ``RedshiftTableSetup`` (None when ``create_table`` is False).
        alarm_topic: The topic the delivery alarms notify.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream: kinesis.IStream,
        stream_key: kms.IKey,
        data_lake: DataLake,
        table: RedshiftTable,
        base_capacity: int = 8,
        namespace_name: str | None = None,
        workgroup_name: str | None = None,
        vpc: ec2.IVpc | None = None,
        create_table: bool = True,
        jsonpaths: JsonPaths | None = None,
        alarm_topic: sns.ITopic | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
        **stack_kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **stack_kwargs)
        stream = require_kind(stream, Kind.STREAM, "stream")
        stream_key = require_kind(stream_key, Kind.KEY, "stream_key")
        if not isinstance(data_lake, DataLake):
            raise TypeError(f"data_lake must be a DataLake, got {type(data_lake).__name__}")
        alarm_topic = optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        if jsonpaths is not None and not create_table:
            raise ValueError(
                "jsonpaths needs create_table=True: the table setup writes the jsonpaths file"
            )
        raw = data_lake.zone(RAW)
        if jsonpaths is not None:
            _check_jsonpaths_kept(raw.lifecycle, JsonPaths.object_key(table))
        raw_bucket = self._local_bucket(raw.bucket, data_lake.key)
        self.warehouse = Warehouse(
            self,
            "Warehouse",
            encryption_key=data_lake.key,
            vpc=vpc,
            base_capacity=base_capacity,
            namespace_name=namespace_name,
            workgroup_name=workgroup_name,
            removal_policy=removal_policy,
        )
        self.table_setup = (
            RedshiftTableSetup(
                self,
                "TableSetup",
                endpoint=self.warehouse,
                table=table,
                encryption_key=data_lake.key,
                jsonpaths=jsonpaths,
                jsonpaths_bucket=raw_bucket,
                jsonpaths_bucket_key=data_lake.key,
                removal_policy=removal_policy,
            )
            if create_table
            else None
        )
        self.alarm_topic: sns.ITopic = alarm_topic or sns.Topic(
            self,
            "AlarmTopic",
            display_name="Warehouse delivery alarms",
            master_key=data_lake.key,
            enforce_ssl=True,
        )
        self.delivery = WarehouseDeliveryStream(
            self,
            "Delivery",
            source_stream=stream,
            source_key=stream_key,
            warehouse=self.warehouse,
            table=table,
            bucket=raw_bucket,
            bucket_key=data_lake.key,
            copy_format=(
                self.table_setup.jsonpaths_file
                if self.table_setup is not None and self.table_setup.jsonpaths_file is not None
                else CopyFormat.JSON_AUTO
            ),
            alarm_topic=self.alarm_topic,
            removal_policy=removal_policy,
        )
        if raw.lifecycle.expiration_days(self.delivery.staging_prefix) is None:
            cdk.Annotations.of(self.delivery).add_warning_v2(
                MISSING_STAGING_RULE_WARNING,
                f"the raw zone's lifecycle does not expire '{self.delivery.staging_prefix}': "
                "Firehose never deletes the files it stages for COPY; add "
                "warehouse_staging_rule() to the raw zone's lifecycle (MlDataPlatform does)",
            )
        if self.table_setup is not None:
            # Only the delivery stream waits for the table; its role and logs need not.
            self.delivery.delivery_stream.node.add_dependency(self.table_setup)

    @property
    def availability_zones(self) -> list[str]:
        """The region's first three Availability Zones as deploy-time tokens (CDK's documented
        override point): ``ec2.Vpc`` reads this to validate its zones, and the default for a
        stack with a concrete account is a context lookup that needs AWS credentials."""
        return deploy_time_availability_zones()

    def _local_bucket(self, bucket: s3.IBucket, key: kms.IKey) -> s3.IBucket:
        """``bucket`` itself if it is in this stack; otherwise the same bucket imported through
        an explicit export of its ARN (``Stack.export_value``).

        The explicit export renders identically at construction and at validation time, so the
        delivery role's per-prefix IAM5 acknowledgements (whose ids embed the bucket ARN) match.
        """
        producer = cdk.Stack.of(bucket)
        if producer is self:
            return bucket
        return s3.Bucket.from_bucket_attributes(
            self,
            "RawZoneBucket",
            bucket_arn=producer.export_value(bucket.bucket_arn),
            encryption_key=key,
        )


def _check_jsonpaths_kept(lifecycle: Lifecycle, key: str) -> None:
    """The jsonpaths file is written once; a raw-zone expiration would delete it, and every
    COPY after that would fail."""
    days = lifecycle.expiration_days(key)
    if days is not None:
        raise ValueError(
            f"jsonpaths: the raw zone's lifecycle expires '{key}' after {days} days, after which "
            "every COPY would fail; keep the raw zone's data (no expiration covering "
            "'warehouse-jsonpaths/'), or write the file elsewhere with RedshiftTableSetup "
            "(jsonpaths_bucket)"
        )
