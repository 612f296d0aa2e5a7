"""``ServicesStack``: event-driven pipeline triggers, restore notifications and video of one
environment (each optional)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.config.services import PipelineTriggerSettings, VideoSettings
from ml_data_platform.events import ObjectCreatedPipelineTrigger, RestoreCompletedNotification
from ml_data_platform.storage import DataLake
from ml_data_platform.video import VideoIngestStream


class ServicesStack(cdk.Stack):
    """Services around the lake of one environment.

    Args:
        data_lake: The environment's ``DataLake`` (its zones and key).
        alarm_topic: The environment's alarm topic.
        pipeline_triggers: One ``ObjectCreatedPipelineTrigger`` each. Default: none.
        restore_notification_zones: Zones whose ``Object Restore Completed`` events go to
            the alarm topic. Default: none.
        video: A ``VideoIngestStream`` when ``video.enabled``. Default: none.
        removal_policy: Of the logs, queues and the video stream. Default: RETAIN.
        **kwargs: ``cdk.Stack`` props.

    Attributes:
        triggers: ``{"<zone>:<prefix>": ObjectCreatedPipelineTrigger}``.
        restore_notification: The ``RestoreCompletedNotification`` or ``None``.
        video: The ``VideoIngestStream`` or ``None``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        alarm_topic: sns.ITopic,
        pipeline_triggers: Sequence[PipelineTriggerSettings] = (),
        restore_notification_zones: Sequence[str] = (),
        video: VideoSettings | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.triggers: dict[str, ObjectCreatedPipelineTrigger] = {}
        ids: dict[str, str] = {}
        for trigger in pipeline_triggers:
            key = f"{trigger.zone}:{trigger.prefix}"
            construct_id = trigger_construct_id(trigger.zone, trigger.prefix)
            if construct_id in ids:
                raise ValueError(
                    f"pipeline triggers {ids[construct_id]!r} and {key!r} get the same construct "
                    f"id {construct_id!r}: use prefixes that differ in letters or digits"
                )
            ids[construct_id] = key
            self.triggers[key] = ObjectCreatedPipelineTrigger(
                self,
                construct_id,
                bucket=data_lake.zone(trigger.zone).bucket,
                prefix=trigger.prefix,
                pipeline_name=trigger.pipeline_name,
                bucket_parameter=trigger.bucket_parameter,
                key_parameter=trigger.key_parameter,
                encryption_key=data_lake.key,
                alarm_topic=alarm_topic,
                removal_policy=removal_policy,
            )
        self.restore_notification: RestoreCompletedNotification | None = None
        if restore_notification_zones:
            self.restore_notification = RestoreCompletedNotification(
                self,
                "RestoreCompleted",
                buckets=[data_lake.zone(zone).bucket for zone in restore_notification_zones],
                topic=alarm_topic,
            )
        self.video: VideoIngestStream | None = None
        if video is not None and video.enabled:
            self.video = VideoIngestStream(
                self,
                "Video",
                retention_hours=video.retention_hours,
                storage_tier=video.storage_tier,
                encryption_key=data_lake.key,
                alarm_topic=alarm_topic,
                removal_policy=removal_policy,
            )


def trigger_construct_id(zone: str, prefix: str) -> str:
    """``curated`` + ``features/daily/`` -> ``CuratedFeaturesDailyTrigger``: stable when
    triggers are added, removed or reordered (the queue and log group keep their logical IDs)."""
    words = [zone, *re.split(r"[^A-Za-z0-9]+", prefix)]
    return "".join(word[:1].upper() + word[1:] for word in words if word) + "Trigger"
