"""``AnalyticsStack``: streaming features between the stream and the lake, per dataset.

For each dataset whose ``analytics`` section is enabled: the reference streaming-features job
(``ml_data_platform/analytics/jobs/streaming_features``) on Managed Service for Apache Flink
reads the dataset's stream and writes events per user and event type per window to a features
stream, which a ``LakeDeliveryStream`` lands in the curated zone as Parquet under the Glue
table ``<dataset>_features`` (so Athena and SageMaker read it at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.analytics import FlinkApplication
from ml_data_platform.analytics.streaming_features import (
    DEFAULT_CONNECTOR_JAR,
    StreamingFeatures,
    features_dataset,
    streaming_features_code,
)
from ml_data_platform.catalog import DataCatalog, LakeTable
from ml_data_platform.core.inputs import Kind, optional_kind
from ml_data_platform.datasets import Dataset, dataset_id
from ml_data_platform.storage import CURATED, DataLake
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream

FEATURES_BUFFER_SIZE_MIB = 64
"""Parquet conversion needs at least 64 MiB of buffer."""


class AnalyticsStack(cdk.Stack):
    """Streaming features for the datasets in ``analytics``.

    Args:
        data_lake: The lake (its key encrypts everything; features land in ``curated``).
        catalog: The ``DataCatalog`` (the features table goes in the curated database).
        streams: ``{dataset name: IngestionStream}`` (from ``IngestionStack``).
        datasets: ``{dataset name: Dataset}``.
        analytics: ``{dataset name: StreamingFeatures}`` (at least one; each dataset has the
            columns the job reads: ``user_id``, ``event_type``, ``event_time``).
        connector_jar: The Flink connector jar (``make flink-jar``). Default:
            ``build/flink/ml-data-platform-flink-connectors.jar``.
        alarm_topic: Topic for every alarm. Default: a new topic encrypted with the lake key
            (``.alarm_topic``).
        catalog_key: The Data Catalog's key, if encrypted. Default: none.
        removal_policy: Streams, log groups: ``RETAIN`` (default) or ``DESTROY``.
        **stack_kwargs: ``cdk.Stack`` props.

    Attributes:
        applications: ``{dataset name: FlinkApplication}``.
        feature_streams: ``{dataset name: IngestionStream}`` (the features streams).
        deliveries: ``{dataset name: LakeDeliveryStream}`` (features into the curated zone).
        tables: ``{dataset name: LakeTable}`` (``<dataset>_features`` in the curated database).
        alarm_topic: The SNS topic every alarm notifies.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        catalog: DataCatalog,
        streams: Mapping[str, IngestionStream],
        datasets: Mapping[str, Dataset],
        analytics: Mapping[str, StreamingFeatures],
        connector_jar: str | Path = DEFAULT_CONNECTOR_JAR,
        alarm_topic: sns.ITopic | None = None,
        catalog_key: kms.IKey | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
        **stack_kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **stack_kwargs)
        optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        if not analytics:
            raise ValueError("analytics must name at least one dataset")
        curated = data_lake.zone(CURATED)
        self.add_stack_dependency(cdk.Stack.of(catalog))
        if alarm_topic is None:
            self.alarm_topic: sns.ITopic = sns.Topic(
                self,
                "AlarmTopic",
                display_name="ml-data-platform analytics alarms",
                master_key=data_lake.key,
                enforce_ssl=True,
            )
        else:
            self.alarm_topic = alarm_topic
        alarm_topic = self.alarm_topic
        self.applications: dict[str, FlinkApplication] = {}
        self.feature_streams: dict[str, IngestionStream] = {}
        self.deliveries: dict[str, LakeDeliveryStream] = {}
        self.tables: dict[str, LakeTable] = {}
        for name, settings in analytics.items():
            if name not in datasets or name not in streams:
                raise ValueError(f"analytics names dataset {name!r}, which is not ingested")
            if not isinstance(settings, StreamingFeatures):
                raise TypeError(f"analytics[{name!r}] must be a StreamingFeatures")
            features = features_dataset(datasets[name])
            base = dataset_id(name)
            table = LakeTable(
                self,
                f"{base}FeaturesTable",
                # By name (a literal): no cross-stack output for the database; the stack
                # dependency below orders the deployment instead.
                database=catalog.database_name(CURATED),
                bucket=curated.bucket,
                dataset=features,
            )
            stream = IngestionStream(
                self,
                f"{base}FeaturesStream",
                encryption_key=data_lake.key,
                alarm_topic=alarm_topic,
                removal_policy=removal_policy,
            )
            delivery = LakeDeliveryStream(
                self,
                f"{base}FeaturesDelivery",
                source_stream=stream,
                bucket=curated.bucket,
                dataset=features,
                encryption_key=data_lake.key,
                parquet_table=table.table,
                catalog_key=catalog_key,
                buffer_size_mib=FEATURES_BUFFER_SIZE_MIB,
                alarm_topic=alarm_topic,
                removal_policy=removal_policy,
            )
            self.applications[name] = FlinkApplication(
                self,
                f"{base}Features",
                code=streaming_features_code(connector_jar),
                source=streams[name],
                sinks={"features": stream},
                properties={"job": settings.job_properties()},
                parallelism=settings.parallelism,
                encryption_key=data_lake.key,
                alarm_topic=alarm_topic,
                start_on_deploy=settings.start_on_deploy,
                removal_policy=removal_policy,
            )
            self.feature_streams[name] = stream
            self.deliveries[name] = delivery
            self.tables[name] = table
