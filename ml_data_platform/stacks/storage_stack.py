"""``StorageStack``: the data lake of one environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from ml_data_platform.core.inputs import reject_string
from ml_data_platform.monitoring import AlarmTopic
from ml_data_platform.restore import LakeRestoreAccess
from ml_data_platform.storage import DEFAULT_ZONES, DataLake, DataLakeZone


class StorageStack(cdk.Stack):
    """The data lake (key, zone buckets, access-log bucket) of one environment, and the
    encrypted topic that the platform's alarms notify.

    Args:
        zones: Lake zones. Default: raw, curated, analytics with their presets.
        bucket_name_prefix: See ``DataLake``. Default: generated names.
        removal_policy: See ``DataLake``. Default: RETAIN.
        alarm_email: Subscribe this address to the alarm topic. Default: none.
        restore_zones: Zones prepared for restores from the archive tiers (a
            ``LakeRestoreAccess`` each: inventory, restore bucket, Batch Operations role).
            Default: none.
        **kwargs: ``cdk.Stack`` props (env, stack_name, synthesizer, ...).

    Attributes:
        data_lake: The ``DataLake``.
        alarm_topic: The ``AlarmTopic``.
        restores: ``{zone: LakeRestoreAccess}`` for ``restore_zones``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        zones: Sequence[DataLakeZone] = DEFAULT_ZONES,
        bucket_name_prefix: str | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
        alarm_email: str | None = None,
        restore_zones: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.data_lake = DataLake(
            self,
            "DataLake",
            zones=zones,
            bucket_name_prefix=bucket_name_prefix,
            removal_policy=removal_policy,
        )
        self.alarm_topic = AlarmTopic(
            self, "AlarmTopic", encryption_key=self.data_lake.key, email=alarm_email
        )
        reject_string(restore_zones, "restore_zones", "zone names")
        # The inventory is a property of the zone bucket: the restore resources must live in
        # this stack (a restore bucket elsewhere would make the two stacks depend on each other).
        self.restores: dict[str, LakeRestoreAccess] = {
            zone: LakeRestoreAccess(
                self,
                f"{zone.capitalize()}Restores",
                bucket=self.data_lake.zone(zone).bucket,
                encryption_key=self.data_lake.key,
                access_logs_bucket=self.data_lake.access_logs_bucket,
                removal_policy=removal_policy,
            )
            for zone in restore_zones
        }
