"""``StorageStack``: the data lake of one environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from ml_data_platform.monitoring import AlarmTopic
from ml_data_platform.storage import DEFAULT_ZONES, DataLake, DataLakeZone


class StorageStack(cdk.Stack):
    """The data lake (key, zone buckets, access-log bucket) of one environment, and the
    encrypted topic that the platform's alarms notify.

    Args:
        zones: Lake zones. Default: raw, curated, analytics with their presets.
        bucket_name_prefix: See ``DataLake``. Default: generated names.
        removal_policy: See ``DataLake``. Default: RETAIN.
        alarm_email: Subscribe this address to the alarm topic. Default: none.
        **kwargs: ``cdk.Stack`` props (env, stack_name, synthesizer, ...).

    Attributes:
        data_lake: The ``DataLake``.
        alarm_topic: The ``AlarmTopic``.
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
