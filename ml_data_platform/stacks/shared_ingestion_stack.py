"""``SharedIngestionStack``: one Kinesis stream and one routing Firehose delivery per group of
small datasets (``SharedLayout``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.catalog.data_catalog import camel
from ml_data_platform.core.inputs import Kind, optional_kind, repeated
from ml_data_platform.core.limits import KINESIS_MIN_RETENTION_HOURS
from ml_data_platform.datasets import Dataset
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.stacks.ingestion_stack import stream_into_lake
from ml_data_platform.storage import DataLake
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream, SharedLayout


class SharedIngestionStack(cdk.Stack):
    """Per group of datasets, one ``IngestionStream`` and one ``LakeDeliveryStream`` over a
    ``SharedLayout``: producers put every member's records on the group's stream with the
    dataset's name in the record's ``dataset`` field, and Firehose writes each under its
    dataset's prefix in the raw zone (where the dataset's table, in its ingestion slot stack,
    reads). Construct ids come from the group name (``small-events`` ->
    ``SmallEventsStream``/``SmallEventsDelivery``), so adding or removing members updates the
    delivery's routing in place and never replaces the stream.

    Args:
        data_lake: The lake (from ``StorageStack``); its ``raw`` zone receives the data.
        groups: ``{group name: member datasets}`` (at least one group; see ``SharedLayout``
            for what members must share).
        stream_mode: Capacity mode of every stream. Default: ``StreamMode.ON_DEMAND``.
        shard_count: Shards per stream, provisioned mode only. Default: none.
        retention_hours: Stream retention, 24–8,760. Default: 24.
        buffer_interval_seconds: Firehose buffer interval (≥ 60). Default: 300.
        buffer_size_mib: Firehose buffer size (≥ 64). Default: 128.
        alarm_topic: SNS topic for every alarm. Default: the stack's ``AlarmTopic.of(stack)``.
        removal_policy: Streams and log groups: ``RETAIN`` (default) or ``DESTROY`` (needs the
            allow-destroy context).
        **stack_kwargs: ``cdk.Stack`` props (env, stack_name, synthesizer, ...).

    Attributes:
        layouts: ``{group: SharedLayout}``.
        streams: ``{group: IngestionStream}``.
        deliveries: ``{group: LakeDeliveryStream}``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        groups: Mapping[str, Sequence[Dataset]],
        stream_mode: StreamMode = StreamMode.ON_DEMAND,
        shard_count: int | None = None,
        retention_hours: int = KINESIS_MIN_RETENTION_HOURS,
        buffer_interval_seconds: int | None = None,
        buffer_size_mib: int | None = None,
        alarm_topic: sns.ITopic | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
        **stack_kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **stack_kwargs)
        if not isinstance(data_lake, DataLake):
            raise TypeError(f"data_lake must be a DataLake, got {type(data_lake).__name__}")
        alarm_topic = optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        if not groups:
            raise ValueError("groups must give at least one shared group")
        self.layouts: dict[str, SharedLayout] = {
            group: SharedLayout(group, members) for group, members in groups.items()
        }
        members = [name for layout in self.layouts.values() for name in layout.dataset_names]
        duplicates = repeated(members)
        if duplicates:
            raise ValueError(f"datasets {duplicates} are in more than one shared group")
        self.streams: dict[str, IngestionStream] = {}
        self.deliveries: dict[str, LakeDeliveryStream] = {}
        for group, layout in self.layouts.items():
            stream, delivery = stream_into_lake(
                self,
                camel(group),
                data_lake=data_lake,
                stream_mode=stream_mode,
                shard_count=shard_count,
                retention_hours=retention_hours,
                buffer_interval_seconds=buffer_interval_seconds,
                buffer_size_mib=buffer_size_mib,
                alarm_topic=alarm_topic,
                removal_policy=removal_policy,
                layout=layout,
            )
            self.streams[group] = stream
            self.deliveries[group] = delivery
