"""``StorageStack``: the data lake of one environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from ml_data_platform.storage import DEFAULT_ZONES, DataLake, DataLakeZone


class StorageStack(cdk.Stack):
    """The data lake (key, zone buckets, access-log bucket) of one environment.

    Args:
        zones: Lake zones. Default: raw, curated, analytics with their presets.
        bucket_name_prefix: See ``DataLake``. Default: generated names.
        removal_policy: See ``DataLake``. Default: RETAIN.
        **kwargs: ``cdk.Stack`` props (env, stack_name, synthesizer, ...).

    Attributes:
        data_lake: The ``DataLake``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        zones: Sequence[DataLakeZone] = DEFAULT_ZONES,
        bucket_name_prefix: str | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
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
