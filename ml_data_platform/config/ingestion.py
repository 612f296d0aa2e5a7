"""``datasets[].ingestion`` and ``datasets[].shared_group``: each dataset on its own stream or
on its group's shared stream.

``"ingestion": "dedicated"`` or ``"shared"`` decides. Without it, a dataset that gives a
``volume`` gets the mode the planner finds cheaper (``planning.ingestion_mode``); one without a
``volume`` stays dedicated. A planner-chosen mode can change when volumes or other datasets of
the group change, which would replace the dataset's stream: synthesis warns for each such
dataset (pin it in cdk.json), and ``make deploy`` refuses to delete a stream (deploy guard).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ml_data_platform.config.reader import ConfigError, Reader
from ml_data_platform.core.limits import (
    DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION,
)
from ml_data_platform.core.names import validate_slug
from ml_data_platform.datasets import DataFormat, Dataset
from ml_data_platform.planning.ingestion_mode import (
    DatasetVolume,
    IngestionMode,
    compare_ingestion_modes,
)
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.storage.layout import PartitionGranularity, PartitionKey
from ml_data_platform.streaming.shared import SharedLayout

_MODES = "'dedicated' or 'shared'"


@dataclass(frozen=True)
class DatasetIngestion:
    """How one dataset's records reach the lake.

    Args:
        mode: Its own stream and delivery, or its group's shared ones. Default: ``DEDICATED``.
        group: The shared group (``SHARED`` only). Default: none.
        planned: The planner chose the mode from the dataset's ``volume`` (cdk.json gives no
            ``ingestion``). Default: False.
    """

    mode: IngestionMode = IngestionMode.DEDICATED
    group: str | None = None
    planned: bool = False


@dataclass(frozen=True)
class IngestionRequest:
    """What cdk.json asks for one dataset (``mode`` None: the planner decides)."""

    mode: IngestionMode | None
    group: str
    path: str
    """Key path of the dataset (``...datasets[2]``), for messages."""


def read_ingestion_request(
    reader: Reader,
    name: str,
    granularity: PartitionGranularity,
    data_format: DataFormat,
    keys: Sequence[PartitionKey],
) -> IngestionRequest:
    """``ingestion`` and ``shared_group`` of one dataset, checked against its format and keys.

    The group defaults to the dataset's granularity (``hour``/``day``): datasets of one
    granularity can share a delivery, others cannot.
    """
    mode = reader.convert("ingestion", IngestionMode, None, _MODES)
    group = reader.optional("shared_group", str, None)
    if group is not None:
        reader.wrap("shared_group", lambda: validate_slug(group, "shared_group"))
        if mode is IngestionMode.DEDICATED:
            raise ConfigError(
                f"{reader.at('shared_group')}: {group!r} is only for shared ingestion, but "
                f"{reader.at('ingestion')} is 'dedicated': remove one"
            )
    if mode is IngestionMode.SHARED:
        if data_format is DataFormat.PARQUET:
            raise ConfigError(
                f"{reader.at('ingestion')}: 'shared' needs JSON, but dataset '{name}' "
                "lands as Parquet (Firehose converts with one table schema per delivery): use "
                '\'dedicated\' or "format": "json-gzip"'
            )
        if keys:
            raise ConfigError(
                f"{reader.at('ingestion')}: 'shared' partitions by dataset and time only, but "
                f"dataset '{name}' has partition_keys "
                f"{[k.name for k in keys]}: use 'dedicated'"
            )
    default_group = granularity.name.lower()
    return IngestionRequest(mode, group or default_group, reader.at("ingestion").rsplit(".", 1)[0])


def check_analytics_sources(
    analytics: Mapping[str, object],
    ingestion: Mapping[str, DatasetIngestion],
    requests: Mapping[str, IngestionRequest],
) -> None:
    """The streaming-features job reads one dataset's stream: not a shared one."""
    for name in analytics:
        if ingestion[name].mode is IngestionMode.SHARED:
            raise ConfigError(
                f"{requests[name].path}.analytics: the streaming-features job reads dataset "
                f"'{name}' from its stream, but '{name}' is ingested shared (group "
                f"'{ingestion[name].group}'), and a shared stream carries other datasets too: "
                f'set "ingestion": "dedicated" on \'{name}\''
            )


def shareable(dataset: Dataset) -> bool:
    """JSON without dynamic partition keys: the datasets a shared delivery can carry."""
    return dataset.data_format is DataFormat.JSON and not dataset.partition_keys


def resolve_ingestion(
    datasets: Sequence[Dataset],
    requests: Mapping[str, IngestionRequest],
    volumes: Mapping[str, DatasetVolume],
    *,
    stream_mode: StreamMode,
    shard_count: int | None,
    buffer_size_mib: int,
    buffer_interval_seconds: int,
) -> dict[str, DatasetIngestion]:
    """Every dataset's ``DatasetIngestion``: as asked, else the planner's choice for the
    shareable datasets with a ``volume`` (priced with the environment's stream and buffering,
    grouped by ``shared_group``), else dedicated. The planner only offers sharing when the
    environment's buffering allows dynamic partitioning (≥ 64 MiB, ≥ 60 s): it never turns a
    valid configuration into an invalid one. ``ConfigError`` when a group cannot be one
    delivery (mixed granularities, a routing query too long)."""
    partitionable = (
        buffer_size_mib >= FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION
        and buffer_interval_seconds >= DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS
    )
    undecided = [
        dataclasses.replace(volumes[d.name], group=requests[d.name].group)
        for d in datasets
        if partitionable and requests[d.name].mode is None and d.name in volumes and shareable(d)
    ]
    planned = {}
    if undecided:
        planned = dict(
            compare_ingestion_modes(
                undecided,
                stream_mode=stream_mode,
                shard_count=shard_count,
                buffer_size_mib=buffer_size_mib,
                buffer_interval_seconds=buffer_interval_seconds,
            ).modes
        )
    result = {}
    for dataset in datasets:
        request = requests[dataset.name]
        mode = request.mode or planned.get(dataset.name, IngestionMode.DEDICATED)
        shared = mode is IngestionMode.SHARED
        result[dataset.name] = DatasetIngestion(
            mode, request.group if shared else None, dataset.name in planned
        )
    _check_groups(datasets, requests, result)
    return result


def _check_groups(
    datasets: Sequence[Dataset],
    requests: Mapping[str, IngestionRequest],
    ingestion: Mapping[str, DatasetIngestion],
) -> None:
    groups: dict[str, list[Dataset]] = {}
    for dataset in datasets:
        group = ingestion[dataset.name].group
        if group is not None:
            groups.setdefault(group, []).append(dataset)
    for group, members in groups.items():
        first = members[0]
        for member in members[1:]:
            if member.granularity is not first.granularity:
                raise ConfigError(
                    f"{requests[member.name].path}.shared_group: dataset '{member.name}' "
                    f"(granularity {member.granularity.name.lower()}) cannot share group "
                    f"'{group}' with '{first.name}' (granularity "
                    f"{first.granularity.name.lower()}): one delivery writes one time layout; "
                    "give it another shared_group"
                )
        try:
            SharedLayout(group, members)
        except ValueError as error:
            raise ConfigError(f"{requests[members[-1].name].path}.shared_group: {error}") from error
