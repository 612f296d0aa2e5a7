"""``IngestionStack``: one Kinesis stream and one Firehose delivery per dataset into the raw zone
(and, given the catalog, each dataset's Glue table)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.catalog import DataCatalog, LakeTable
from ml_data_platform.catalog.data_catalog import camel
from ml_data_platform.core.inputs import Kind, optional_kind
from ml_data_platform.core.limits import KINESIS_MIN_RETENTION_HOURS
from ml_data_platform.datasets import DataFormat, Dataset, datasets_by_name
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.storage import RAW, DataLake
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream


class IngestionStack(cdk.Stack):
    """Streaming ingestion of one environment: per dataset, an ``IngestionStream`` and a
    ``LakeDeliveryStream`` into the raw zone of ``data_lake``, encrypted with the lake key.

    Construct ids come from the dataset name (``page-views`` -> ``PageViewsStream``,
    ``PageViewsDelivery`` and ``PageViewsTable``), so logical IDs stay stable when datasets are
    added or reordered. ``MlDataPlatform`` spreads datasets over several of these stacks (see
    ``stacks.placement``); with ``catalog`` given, each dataset's raw-zone ``LakeTable`` lives
    here too, next to the delivery that writes its location (a Parquet delivery then references
    its table inside the stack instead of through one catalog-stack output per table).

    Args:
        data_lake: The lake (from ``StorageStack``); its ``raw`` zone receives the data.
        datasets: Datasets to ingest, each with its own stream and delivery (unique names).
        shared_datasets: Datasets whose records arrive on a shared stream
            (``SharedIngestionStack``): only their ``LakeTable`` lives here (needs
            ``catalog``). Default: none. ``datasets`` and ``shared_datasets`` together list at
            least one dataset.
        stream_mode: Capacity mode of every stream. Default: ``StreamMode.ON_DEMAND``.
        shard_count: Shards per stream, provisioned mode only. Default: none.
        retention_hours: Stream retention, 24–8,760. Default: 24.
        buffer_interval_seconds: Firehose buffer interval. Default: see ``LakeDeliveryStream``.
        buffer_size_mib: Firehose buffer size. Default: see ``LakeDeliveryStream``.
        parquet_tables: ``{dataset name: glue.CfnTable}`` for datasets landing as Parquet
            (``LakeTable.table`` from the catalog). Default: none.
        catalog: The ``DataCatalog``: create each dataset's ``LakeTable`` in its raw database
            here (``.tables``), and use them as the Parquet schemas. Default: none (no tables;
            Parquet datasets then need ``parquet_tables``).
        catalog_key: The key that encrypts the Glue Data Catalog, if it is encrypted
            (``DataCatalog.catalog_key``): Parquet conversion reads the table through Glue.
            Default: none.
        alarm_topic: SNS topic for every alarm. Default: a new topic encrypted with the lake
            key (subscribe to it; ``.alarm_topic``); none when the stack only holds the tables
            of ``shared_datasets`` (nothing here alarms).
        removal_policy: Streams and log groups: ``RETAIN`` (default) or ``DESTROY`` (needs the
            allow-destroy context).
        **stack_kwargs: ``cdk.Stack`` props (env, stack_name, synthesizer, ...).

    Attributes:
        streams: ``{dataset name: IngestionStream}``.
        deliveries: ``{dataset name: LakeDeliveryStream}``.
        tables: ``{dataset name: LakeTable}`` (empty without ``catalog``).
        alarm_topic: The SNS topic every alarm notifies (``None`` for a stack of tables only
            that was given no topic).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        datasets: Sequence[Dataset],
        shared_datasets: Sequence[Dataset] = (),
        stream_mode: StreamMode = StreamMode.ON_DEMAND,
        shard_count: int | None = None,
        retention_hours: int = KINESIS_MIN_RETENTION_HOURS,
        buffer_interval_seconds: int | None = None,
        buffer_size_mib: int | None = None,
        parquet_tables: Mapping[str, glue.CfnTable] | None = None,
        catalog: DataCatalog | None = None,
        catalog_key: kms.IKey | None = None,
        alarm_topic: sns.ITopic | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
        **stack_kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **stack_kwargs)
        if not isinstance(data_lake, DataLake):
            raise TypeError(f"data_lake must be a DataLake, got {type(data_lake).__name__}")
        alarm_topic = optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        catalog_key = optional_kind(catalog_key, Kind.KEY, "catalog_key")
        by_name = datasets_by_name(datasets)
        table_only = datasets_by_name(shared_datasets)
        if not by_name and not table_only:
            raise ValueError("datasets must list at least one dataset")
        both = sorted(set(by_name) & set(table_only))
        if both:
            raise ValueError(f"datasets {both} are in both datasets and shared_datasets")
        if table_only and catalog is None:
            raise ValueError("shared_datasets need catalog: only their tables live in this stack")
        tables = dict(parquet_tables or {})
        unknown = sorted(set(tables) - set(by_name))
        if unknown:
            raise ValueError(f"parquet_tables names unknown datasets {unknown}")
        if catalog is not None and not isinstance(catalog, DataCatalog):
            raise TypeError(f"catalog must be a DataCatalog, got {type(catalog).__name__}")
        if catalog is not None and tables:
            raise ValueError(
                "give catalog or parquet_tables, not both: with catalog the stack creates the "
                "tables and converts with them"
            )
        self.tables: dict[str, LakeTable] = {}
        if catalog is not None:
            for name, dataset in {**by_name, **table_only}.items():
                self.tables[name] = LakeTable(
                    self,
                    f"{camel(name)}Table",
                    database=catalog.database(RAW),
                    bucket=catalog.bucket(RAW),
                    dataset=dataset,
                )
                if dataset.data_format is DataFormat.PARQUET:
                    tables[name] = self.tables[name].table
        self.alarm_topic: sns.ITopic | None = alarm_topic
        if alarm_topic is None and by_name:
            self.alarm_topic = sns.Topic(
                self,
                "AlarmTopic",
                display_name="ml-data-platform ingestion alarms",
                master_key=data_lake.key,
                enforce_ssl=True,
            )
        self.streams: dict[str, IngestionStream] = {}
        self.deliveries: dict[str, LakeDeliveryStream] = {}
        for name, dataset in by_name.items():
            base = camel(name)
            if dataset.data_format is DataFormat.PARQUET and name not in tables:
                raise ValueError(
                    f"dataset '{name}' lands as Parquet: parquet_tables[{name!r}] must give its "
                    "Glue table (LakeTable.table), or pass catalog"
                )
            stream, delivery = stream_into_lake(
                self,
                base,
                data_lake=data_lake,
                stream_mode=stream_mode,
                shard_count=shard_count,
                retention_hours=retention_hours,
                buffer_interval_seconds=buffer_interval_seconds,
                buffer_size_mib=buffer_size_mib,
                alarm_topic=self.alarm_topic,
                removal_policy=removal_policy,
                dataset=dataset,
                parquet_table=tables.get(name),
                catalog_key=catalog_key if name in tables else None,
            )
            self.streams[name] = stream
            self.deliveries[name] = delivery


def stream_into_lake(
    scope: Construct,
    base: str,
    *,
    data_lake: DataLake,
    stream_mode: StreamMode,
    shard_count: int | None,
    retention_hours: int,
    buffer_interval_seconds: int | None,
    buffer_size_mib: int | None,
    alarm_topic: sns.ITopic | None,
    removal_policy: cdk.RemovalPolicy | None,
    **delivery: Any,
) -> tuple[IngestionStream, LakeDeliveryStream]:
    """``<base>Stream`` (an ``IngestionStream`` with the lake key) and ``<base>Delivery`` (a
    ``LakeDeliveryStream`` from it into the raw zone, with ``delivery``'s dataset or layout):
    the ids every ingestion stack's logical IDs are pinned on."""
    stream = IngestionStream(
        scope,
        f"{base}Stream",
        stream_mode=stream_mode,
        shard_count=shard_count,
        retention_hours=retention_hours,
        encryption_key=data_lake.key,
        alarm_topic=alarm_topic,
        removal_policy=removal_policy,
    )
    return stream, LakeDeliveryStream(
        scope,
        f"{base}Delivery",
        source_stream=stream,
        bucket=data_lake.zone(RAW).bucket,
        encryption_key=data_lake.key,
        buffer_interval_seconds=buffer_interval_seconds,
        buffer_size_mib=buffer_size_mib,
        alarm_topic=alarm_topic,
        removal_policy=removal_policy,
        **delivery,
    )
