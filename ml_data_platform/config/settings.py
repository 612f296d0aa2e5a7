"""Typed, validated per-environment settings, read from ``cdk.json`` context.

Context layout (key ``ml-data-platform``)::

    {"project": "mldp",
     "environments": {"dev": {...EnvironmentSettings...}, "prod": {...}},
     "pipeline": {...PipelineSettings...}}            # optional

Every key except ``environments.<name>.datasets`` has a default; unknown keys, missing
required keys, wrong types and values outside the service limits (``core/limits.py``) raise
``ConfigError`` naming the key path.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache, partial
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import region_info

from ml_data_platform.analytics.flink_application import DEFAULT_MAX_KPUS
from ml_data_platform.analytics.streaming_features import (
    DEFAULT_LATENESS_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    StreamingFeatures,
    features_dataset,
)
from ml_data_platform.config.ingestion import (
    DatasetIngestion,
    IngestionRequest,
    check_analytics_sources,
    read_ingestion_request,
    resolve_ingestion,
)
from ml_data_platform.config.reader import ConfigError, Reader, reported_at
from ml_data_platform.config.services import (
    EventSettings,
    RestoreSettings,
    VideoSettings,
    read_events,
    read_restore,
    read_video,
)
from ml_data_platform.core.limits import (
    DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MAX_BUFFER_SIZE_MIB,
    FIREHOSE_MIN_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MIN_BUFFER_SIZE_MIB,
    FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION,
    GLUE_COLUMN_COMMENT_MAX_LENGTH,
    GLUE_DESCRIPTION_MAX_LENGTH,
    KINESIS_MAX_RETENTION_HOURS,
    KINESIS_MAX_SHARDS_PER_STREAM,
    KINESIS_MIN_RETENTION_HOURS,
)
from ml_data_platform.core.names import (
    CONTEXT_KEY,
    validate_bucket_name,
    validate_glue_name,
    validate_slug,
)
from ml_data_platform.datasets import (
    Column,
    DataFormat,
    Dataset,
    DeliveryFormat,
    dataset_id,
    datasets_by_name,
    name_collision,
    validate_text,
)
from ml_data_platform.monitoring.alarm_topic import _EMAIL as EMAIL_ADDRESS  # AlarmTopic's rule
from ml_data_platform.planning.ingestion_mode import DatasetVolume, IngestionMode
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.storage.layout import (
    KeyProjection,
    PartitionGranularity,
    PartitionKey,
    check_dataset_name,
    partition_keys_from,
)
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset
from ml_data_platform.storage.zones import ANALYTICS, CURATED, RAW
from ml_data_platform.warehouse.ddl import validate_identifier
from ml_data_platform.warehouse.from_dataset import redshift_table_for, redshift_type_for
from ml_data_platform.warehouse.network import FIREHOSE_REDSHIFT_CIDR_BY_REGION
from ml_data_platform.warehouse.warehouse import (
    DEFAULT_BASE_CAPACITY_RPUS,
    TWO_AZ_REGIONS,
    validate_base_capacity,
)

ENV_CONTEXT_KEY = "env"
DEFAULT_PROJECT = "mldp"
_PRESET_NAMES = "/".join(p.value for p in LifecyclePreset)
ACCOUNT_ID = re.compile(r"^\d{12}$")
"""An AWS account id: exactly 12 digits."""
CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):([a-z0-9-]+):(\d{12}):"
    r"connection/[A-Za-z0-9-]+$"
)
"""A CodeConnections (formerly CodeStar Connections) connection ARN."""


class Removal(Enum):
    """What happens to data-bearing resources when a stack is deleted."""

    RETAIN = "retain"
    DESTROY = "destroy"

    @property
    def policy(self) -> cdk.RemovalPolicy:
        return cdk.RemovalPolicy.DESTROY if self is Removal.DESTROY else cdk.RemovalPolicy.RETAIN


@dataclass(frozen=True)
class StreamSettings:
    """Kinesis settings. Default: on-demand, 24 h retention."""

    mode: StreamMode = StreamMode.ON_DEMAND
    shard_count: int | None = None
    retention_hours: int = KINESIS_MIN_RETENTION_HOURS


@dataclass(frozen=True)
class DeliverySettings:
    """Firehose settings. Default: 300 s / 64 MiB buffers, JSON + GZIP."""

    buffer_interval_seconds: int = FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS
    buffer_size_mib: int = FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION
    format: DeliveryFormat = DeliveryFormat.JSON_GZIP


@dataclass(frozen=True)
class WarehouseSettings:
    """Redshift Serverless settings. Default: disabled; 8 RPUs base capacity when enabled."""

    enabled: bool = False
    base_capacity_rpus: int = DEFAULT_BASE_CAPACITY_RPUS
    table: str | None = None
    dataset: str | None = None


@dataclass(frozen=True)
class ReplicationSettings:
    """A disaster-recovery replica of chosen zones in a second region (``ZoneReplication``).

    Args:
        region: The replica region (not the environment's).
        zones: Names of the replicated zones, in zone order.
    """

    region: str
    zones: tuple[str, ...]

    def bucket_name(self, settings: EnvironmentSettings, zone: str) -> str:
        """``<project>-<env>-<zone>-<account>-<replica region>``: unique across accounts."""
        return f"{settings.prefix}-{zone}-{settings.account}-{self.region}"

    def key_alias(self, settings: EnvironmentSettings) -> str:
        """``alias/ml-data-platform/<project>-<env>/replica``."""
        return f"alias/ml-data-platform/{settings.prefix}/replica"


@dataclass(frozen=True)
class EnvironmentSettings:
    """Everything one environment (``dev``, ``prod``, ...) needs; built from the context by
    ``settings_from_context`` (docs/configuration.md has every key).

    Args:
        name: The environment name (the stage id is it, capitalised).
        project: Project name: prefix of stack and resource names.
        datasets: The datasets ingested in this environment.
        account: AWS account id. Default: none (environment-agnostic).
        region: AWS region. Default: none (environment-agnostic).
        removal: What happens to data-bearing resources on stack deletion. Default: RETAIN.
        stream: Kinesis settings (``StreamSettings``). Default: on-demand, 24 h retention.
        delivery: Firehose settings (``DeliverySettings``). Default: 300 s / 64 MiB, JSON+GZIP.
        lifecycle: Lifecycle per zone name (a ``LifecyclePreset`` or a ``Lifecycle``).
            Default: each zone keeps its default preset.
        warehouse: Redshift Serverless settings (``WarehouseSettings``). Default: disabled.
        alarm_email: Address subscribed to the alarm topic. Default: none.
        events: Pipeline triggers and restore notifications (``EventSettings``). Default: none.
        restore: Zones prepared for restores (``RestoreSettings``). Default: none.
        video: The video stream (``VideoSettings``). Default: off.
        replication: A cross-region replica of chosen zones (``ReplicationSettings``).
            Default: none (off).
        volumes: ``{dataset name: DatasetVolume}``: the expected traffic of the datasets that
            give ``volume`` (planning only: ``ml-data-platform plan-ingestion --env`` prices
            them dedicated vs shared). Default: none.
        analytics: ``{dataset name: StreamingFeatures}`` for the datasets whose
            ``analytics.enabled`` is true (the streaming-features job on Managed Service for
            Apache Flink, ``AnalyticsStack``). Default: none.
        ingestion: ``{dataset name: DatasetIngestion}`` for every dataset: its own stream, or
            its group's shared stream (``datasets[].ingestion``; without it the planner's
            choice from ``volume``, else dedicated). Default: every dataset dedicated.
    """

    name: str
    project: str
    datasets: tuple[Dataset, ...]
    account: str | None = None
    region: str | None = None
    removal: Removal = Removal.RETAIN
    stream: StreamSettings = field(default_factory=StreamSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    lifecycle: Mapping[str, LifecyclePreset | Lifecycle] = field(default_factory=dict)
    warehouse: WarehouseSettings = field(default_factory=WarehouseSettings)
    alarm_email: str | None = None
    events: EventSettings = field(default_factory=EventSettings)
    restore: RestoreSettings = field(default_factory=RestoreSettings)
    video: VideoSettings = field(default_factory=VideoSettings)
    replication: ReplicationSettings | None = None
    volumes: Mapping[str, DatasetVolume] = field(default_factory=dict)
    analytics: Mapping[str, StreamingFeatures] = field(default_factory=dict)
    ingestion: Mapping[str, DatasetIngestion] = field(default_factory=dict)

    def ingestion_of(self, dataset: str) -> DatasetIngestion:
        """How ``dataset`` is ingested (dedicated unless ``ingestion`` says otherwise)."""
        return self.ingestion.get(dataset, DatasetIngestion())

    def shared_groups(self) -> dict[str, tuple[Dataset, ...]]:
        """``{group: member datasets}`` of the shared datasets, in dataset order."""
        groups: dict[str, list[Dataset]] = {}
        for dataset in self.datasets:
            group = self.ingestion_of(dataset.name).group
            if group is not None:
                groups.setdefault(group, []).append(dataset)
        return {group: tuple(members) for group, members in groups.items()}

    @property
    def env(self) -> cdk.Environment | None:
        """The CDK environment; ``None`` (environment-agnostic) when neither is set."""
        if self.account is None and self.region is None:
            return None
        return cdk.Environment(account=self.account, region=self.region)

    @property
    def prefix(self) -> str:
        """``<project>-<env>``: the prefix of stack names."""
        return f"{self.project}-{self.name}"


@dataclass(frozen=True)
class PipelineSettings:
    """CDK Pipelines settings (``PipelineStack``)."""

    connection_arn: str
    repository: str
    branch: str = "main"
    account: str | None = None
    region: str | None = None


def settings_from_context(context: Mapping[str, Any], env_name: str) -> EnvironmentSettings:
    """Read environment ``env_name`` from the ``ml-data-platform`` context object."""
    environments = all_environments(context)
    if env_name not in environments:
        raise ConfigError(
            f"{CONTEXT_KEY}.environments: no environment {env_name!r}; "
            f"defined: {sorted(environments)}"
        )
    return environments[env_name]


PIPELINE_STACK_ID = "Pipeline"
"""The id app.py gives the CI/CD pipeline stack, beside the environments' stages."""
RESERVED_TOP_LEVEL_IDS = {PIPELINE_STACK_ID: "CI/CD pipeline stack (PipelineStack)"}
"""Construct ids that app.py puts beside the stages (an environment's stage is its name,
capitalised): an environment named like one would collide with it."""


def all_environments(context: Mapping[str, Any]) -> dict[str, EnvironmentSettings]:
    """Read and validate every environment (so a typo in prod fails a dev synth too)."""
    root = Reader(context.get(CONTEXT_KEY), CONTEXT_KEY)
    project = root.wrap(
        "project", lambda: validate_slug(root.optional("project", str, DEFAULT_PROJECT), "project")
    )
    environments = {
        name: _environment(name, project, reader)
        for name, reader in root.child("environments", required=True).items()
    }
    if not environments:
        raise ConfigError(f"{CONTEXT_KEY}.environments: define at least one environment")
    for name in environments:
        if name.capitalize() in RESERVED_TOP_LEVEL_IDS:
            raise ConfigError(
                f"{CONTEXT_KEY}.environments.{name}: its stage would be '{name.capitalize()}', "
                f"the id of the {RESERVED_TOP_LEVEL_IDS[name.capitalize()]} beside the "
                "environments' stages in app.py: choose another environment name"
            )
    root.child("pipeline")  # read by pipeline_settings; accepted here
    root.done()
    return environments


def pipeline_settings(context: Mapping[str, Any]) -> PipelineSettings | None:
    """The ``pipeline`` section, or ``None`` when absent."""
    root = Reader(context.get(CONTEXT_KEY), CONTEXT_KEY)
    if not root.has("pipeline"):
        return None
    reader = root.child("pipeline")
    settings = PipelineSettings(
        connection_arn=reader.required("connection_arn", str),
        repository=reader.required("repository", str),
        branch=reader.optional("branch", str, "main"),
        account=_account(reader, required=True),
        region=_region(reader, required=True),
    )
    reader.done()
    if settings.repository.count("/") != 1:
        raise ConfigError(
            f"{reader.at('repository')}: {settings.repository!r} must be 'owner/name'"
        )
    _check_connection_arn(reader, settings.connection_arn)
    return settings


def _check_connection_arn(reader: Reader, arn: str) -> None:
    match = CONNECTION_ARN.match(arn)
    if match is None:
        raise ConfigError(
            f"{reader.at('connection_arn')}: {arn!r} is not a CodeConnections connection ARN "
            "(arn:aws:codeconnections:<region>:<account>:connection/<id>; "
            "codestar-connections also accepted)"
        )
    if match[2] not in known_regions():
        raise ConfigError(
            f"{reader.at('connection_arn')}: region {match[2]!r} of {arn!r} is not an AWS region"
        )


@cache
def known_regions() -> frozenset[str]:
    """The regions this aws-cdk-lib knows (``aws_cdk.region_info``): synthesis fails for any
    other (its region mappings have no entry), so a typo is caught when the config is read."""
    return frozenset(region.name for region in region_info.RegionInfo.regions)


def _region(reader: Reader, *, required: bool = False) -> str | None:
    region = reader.required("region", str) if required else reader.optional("region", str, None)
    if region is not None and region not in known_regions():
        raise ConfigError(
            f"{reader.at('region')}: {region!r} is not an AWS region known to aws-cdk-lib "
            f"(a newer region needs a newer aws-cdk-lib); known: {sorted(known_regions())}"
        )
    return region


def _account(reader: Reader, *, required: bool = False) -> str | None:
    account = reader.required("account", str) if required else reader.optional("account", str, None)
    if account is not None and not ACCOUNT_ID.match(account):
        raise ConfigError(
            f"{reader.at('account')}: {account!r} is not an AWS account id (12 digits, as a "
            "string: leading zeros count)"
        )
    return account


def _environment(name: str, project: str, reader: Reader) -> EnvironmentSettings:
    reader.wrap("name", lambda: validate_slug(name, "environment name"))
    delivery_reader = reader.child("delivery")
    delivery = _delivery(delivery_reader)
    volumes: dict[str, DatasetVolume] = {}
    analytics: dict[str, StreamingFeatures] = {}
    requests: dict[str, IngestionRequest] = {}
    datasets = tuple(
        _dataset(r, delivery.format, volumes, analytics, requests)
        for r in reader.readers("datasets")
    )
    if not datasets:
        raise ConfigError(f"{reader.at('datasets')}: missing required key (at least one dataset)")
    collision = name_collision([d.name for d in datasets])
    if collision is not None:
        first, second = collision
        raise ConfigError(
            f"{reader.at('datasets')}[{second}].name: {datasets[second].name!r} collides with "
            f"{reader.at('datasets')}[{first}].name {datasets[first].name!r} after normalisation "
            f"(both give construct ids {dataset_id(datasets[first].name)}...): rename one"
        )
    reader.wrap("datasets", lambda: datasets_by_name(datasets))
    _check_parquet_buffer(delivery_reader, delivery.buffer_size_mib, datasets)
    stream = _stream(reader.child("stream"))
    ingestion = resolve_ingestion(
        datasets,
        requests,
        volumes,
        stream_mode=stream.mode,
        shard_count=stream.shard_count,
        buffer_size_mib=delivery.buffer_size_mib,
        buffer_interval_seconds=delivery.buffer_interval_seconds,
    )
    _check_partitioning_buffer(delivery_reader, delivery, datasets, ingestion)
    check_analytics_sources(analytics, ingestion, requests)
    region = _region(reader)
    account = _account(reader)
    settings = EnvironmentSettings(
        name=name,
        project=project,
        datasets=datasets,
        account=account,
        region=region,
        removal=reader.convert("removal", Removal, Removal.RETAIN, "'retain' or 'destroy'"),
        stream=stream,
        delivery=delivery,
        lifecycle=_lifecycle(reader.child("lifecycle")),
        warehouse=_warehouse(reader.child("warehouse"), datasets, region, reader),
        alarm_email=_alarm_email(reader),
        events=read_events(reader.child("events")),
        restore=read_restore(reader.child("restore")),
        video=read_video(reader.child("video")),
        volumes=volumes,
        analytics=analytics,
        ingestion=ingestion,
    )
    _check_warehouse_source(reader.child("warehouse"), settings)
    if reader.has("replication"):
        replication = _replication(reader.child("replication"), reader, settings)
        settings = dataclasses.replace(settings, replication=replication)
    else:
        reader.child("replication")  # absent or null: off
    reader.done()
    return settings


def _replication(
    reader: Reader, environment: Reader, settings: EnvironmentSettings
) -> ReplicationSettings:
    """Validate ``replication``: a known region other than the environment's, known zones
    (at least one, no repeats), and a concrete account and region (the replica's bucket
    names and key alias ARN are built from them)."""
    replica_region = _region(reader, required=True)
    zones = reader.required("zones", list)
    reader.done()
    for missing in ("account", "region"):
        if getattr(settings, missing) is None:
            raise ConfigError(
                f"{environment.at(missing)}: required when replication is set (the replica's "
                "bucket names and key ARN are built from the account and the home region)"
            )
    if replica_region == settings.region:
        raise ConfigError(
            f"{reader.at('region')}: {replica_region!r} is the environment's own region; "
            "a disaster-recovery replica needs a second region"
        )
    known = [RAW, CURATED, ANALYTICS]
    if not zones:
        raise ConfigError(f"{reader.at('zones')}: name at least one zone of {known}")
    for index, zone in enumerate(zones):
        if zone not in known or zones.index(zone) != index:
            problem = "is repeated" if zone in known else f"is not a zone ({known})"
            raise ConfigError(f"{reader.at('zones')}[{index}]: {zone!r} {problem}")
    replication = ReplicationSettings(
        region=str(replica_region), zones=tuple(z for z in known if z in zones)
    )
    for zone in replication.zones:
        _check_replica_name(reader, replication.bucket_name(settings, zone), zone)
    return replication


def _check_replica_name(reader: Reader, name: str, zone: str) -> None:
    reported_at(
        reader.at("zones"),
        lambda: validate_bucket_name(name, f"replica bucket name of zone {zone!r}"),
        context=" (shorten the project or environment name)",
    )


def _alarm_email(reader: Reader) -> str | None:
    email = reader.optional("alarm_email", str, None)
    if email is not None and not EMAIL_ADDRESS.match(email):
        raise ConfigError(
            f"{reader.at('alarm_email')}: {email!r} is not an e-mail address (name@domain.tld)"
        )
    return email


def _stream(reader: Reader) -> StreamSettings:
    modes = "/".join(m.value for m in StreamMode)
    defaults = StreamSettings()
    settings = StreamSettings(
        mode=reader.convert("mode", StreamMode, defaults.mode, f"one of {modes}"),
        shard_count=reader.integer(
            "shard_count", None, minimum=1, maximum=KINESIS_MAX_SHARDS_PER_STREAM
        ),
        retention_hours=reader.integer(
            "retention_hours",
            defaults.retention_hours,
            minimum=KINESIS_MIN_RETENTION_HOURS,
            maximum=KINESIS_MAX_RETENTION_HOURS,
        ),
    )
    reader.done()
    if settings.shard_count is not None and settings.mode is StreamMode.ON_DEMAND:
        raise ConfigError(f"{reader.at('shard_count')}: only valid with mode 'provisioned'")
    if settings.shard_count is None and settings.mode is StreamMode.PROVISIONED:
        raise ConfigError(f"{reader.at('shard_count')}: required with mode 'provisioned'")
    return settings


def _delivery(reader: Reader) -> DeliverySettings:
    formats = "/".join(f.value for f in DeliveryFormat)
    defaults = DeliverySettings()
    settings = DeliverySettings(
        buffer_interval_seconds=reader.integer(
            "buffer_interval_seconds",
            defaults.buffer_interval_seconds,
            minimum=FIREHOSE_MIN_BUFFER_INTERVAL_SECONDS,
            maximum=FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS,
        ),
        buffer_size_mib=reader.integer(
            "buffer_size_mib",
            defaults.buffer_size_mib,
            minimum=FIREHOSE_MIN_BUFFER_SIZE_MIB,
            maximum=FIREHOSE_MAX_BUFFER_SIZE_MIB,
        ),
        format=reader.convert("format", DeliveryFormat, defaults.format, f"one of {formats}"),
    )
    reader.done()
    return settings


def _check_parquet_buffer(reader: Reader, size_mib: int, datasets: tuple[Dataset, ...]) -> None:
    """Firehose's Parquet conversion needs ``FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION``."""
    parquet = [d.name for d in datasets if d.data_format is DataFormat.PARQUET]
    if parquet and size_mib < FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION:
        raise ConfigError(
            f"{reader.at('buffer_size_mib')}: must be ≥ "
            f"{FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION} with Parquet (datasets {parquet}), "
            f"got {size_mib}"
        )


def _check_partitioning_buffer(
    reader: Reader,
    delivery: DeliverySettings,
    datasets: tuple[Dataset, ...],
    ingestion: Mapping[str, DatasetIngestion],
) -> None:
    """Dynamic partitioning (partition keys, or a shared delivery routing by dataset) needs
    ≥ 64 MiB buffers and a buffer interval ≥ 60 s."""
    partitioned = [d.name for d in datasets if d.partition_keys]
    shared = [n for n, i in ingestion.items() if i.mode is IngestionMode.SHARED]
    if not partitioned and not shared:
        return
    reasons = [f"datasets {partitioned} have partition_keys"] if partitioned else []
    reasons += [f"datasets {shared} are ingested shared"] if shared else []
    why = f"with dynamic partitioning ({'; '.join(reasons)})"
    if delivery.buffer_size_mib < FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION:
        raise ConfigError(
            f"{reader.at('buffer_size_mib')}: must be ≥ "
            f"{FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION} {why}, got {delivery.buffer_size_mib}"
        )
    if delivery.buffer_interval_seconds < DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS:
        raise ConfigError(
            f"{reader.at('buffer_interval_seconds')}: must be ≥ "
            f"{DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS} {why}, got "
            f"{delivery.buffer_interval_seconds}"
        )


def _lifecycle(reader: Reader) -> dict[str, LifecyclePreset | Lifecycle]:
    result = {zone: _zone_lifecycle(reader, zone) for zone in (RAW, CURATED, ANALYTICS)}
    reader.done()
    return {zone: lifecycle for zone, lifecycle in result.items() if lifecycle is not None}


def _zone_lifecycle(reader: Reader, zone: str) -> LifecyclePreset | Lifecycle | None:
    """A preset name, or ``{"preset": name, "expire_after_days": n}`` for an expiring preset."""
    expected = f"a lifecycle preset ({_PRESET_NAMES})"
    if not reader.is_object(zone):
        return reader.convert(zone, LifecyclePreset, None, expected)
    child = reader.child(zone)
    child.required("preset", str)  # absent or not a string: the usual messages
    # present: required above, so convert's default never applies
    preset = cast(LifecyclePreset, child.convert("preset", LifecyclePreset, None, expected))
    days = child.integer("expire_after_days", None, minimum=1)
    child.done()
    return child.wrap(
        "expire_after_days",
        lambda: Lifecycle.preset(preset, expire_after_days=days).validate(f"zone '{zone}'"),
    )


def _warehouse(
    reader: Reader, datasets: tuple[Dataset, ...], region: str | None, environment: Reader
) -> WarehouseSettings:
    rpus = reader.optional("base_capacity_rpus", int, DEFAULT_BASE_CAPACITY_RPUS)
    settings = WarehouseSettings(
        enabled=reader.optional("enabled", bool, False),
        base_capacity_rpus=reader.wrap(
            "base_capacity_rpus", lambda: validate_base_capacity(rpus, region)
        ),
        table=reader.optional("table", str, None),
        dataset=reader.optional("dataset", str, None),
    )
    reader.done()
    if settings.enabled:
        _check_warehouse_region(region, environment.at("region"))
    names = [d.name for d in datasets]
    if settings.dataset is not None and settings.dataset not in names:
        raise ConfigError(
            f"{reader.at('dataset')}: {settings.dataset!r} is not a dataset ({names})"
        )
    if settings.enabled and settings.dataset is None and len(names) > 1:
        raise ConfigError(
            f"{reader.at('dataset')}: required when there is more than one dataset ({names}): "
            "name the dataset the warehouse loads, so that adding or reordering datasets never "
            "switches its source stream"
        )
    if settings.enabled:
        index = names.index(settings.dataset) if settings.dataset is not None else 0
        _check_warehouse_table(
            reader, settings.table, datasets[index], f"{environment.at('datasets')}[{index}]"
        )
    return settings


def _check_warehouse_source(reader: Reader, settings: EnvironmentSettings) -> None:
    """The warehouse reads one dataset's stream: a shared stream carries other datasets too."""
    warehouse = settings.warehouse
    if not warehouse.enabled:
        return
    name = warehouse.dataset or settings.datasets[0].name
    ingestion = settings.ingestion_of(name)
    if ingestion.mode is IngestionMode.SHARED:
        chosen = "the planner chose 'shared' from its volume" if ingestion.planned else "shared"
        raise ConfigError(
            f"{reader.at('dataset')}: the warehouse loads dataset '{name}' from its stream, but "
            f"'{name}' is ingested shared ({chosen}; group '{ingestion.group}'), and a shared "
            f'stream carries other datasets too: set "ingestion": "dedicated" on \'{name}\''
        )


def _check_warehouse_region(region: str | None, path: str) -> None:
    """Firehose reaches Redshift from a per-region CIDR block: the region must be known; the
    warehouse's VPC spans three Availability Zones, which some regions do not have."""
    if region is None:
        raise ConfigError(
            f"{path}: required when warehouse.enabled is true (the warehouse admits Firehose's "
            "CIDR block for the region)"
        )
    if region not in FIREHOSE_REDSHIFT_CIDR_BY_REGION:
        raise ConfigError(
            f"{path}: no Firehose CIDR block known for {region!r} (warehouse.enabled); known: "
            f"{sorted(FIREHOSE_REDSHIFT_CIDR_BY_REGION)}"
        )
    if region in TWO_AZ_REGIONS:
        raise ConfigError(
            f"{path}: {region!r} has two Availability Zones; the warehouse's VPC needs three "
            "(warehouse.enabled): use another region, or compose Warehouse(vpc=...) with three "
            "subnets in your own stack"
        )


def _check_warehouse_table(
    reader: Reader, table: str | None, dataset: Dataset, dataset_path: str
) -> None:
    """The Redshift table Firehose loads ``dataset`` into must be buildable: every column name
    a Redshift identifier, every type loadable by COPY, and the table name valid."""
    why = f" (the warehouse loads dataset '{dataset.name}' into Redshift)"
    for index, column in enumerate(dataset.columns):
        path = f"{dataset_path}.columns[{index}]"
        reported_at(
            f"{path}.name", partial(validate_identifier, column.name, "column name"), context=why
        )
        reported_at(f"{path}.type", partial(redshift_type_for, column.type), context=why)
    try:
        redshift_table_for(dataset, table)
    except ValueError as error:
        named = "" if table is not None else f"not set, so named after dataset '{dataset.name}': "
        raise ConfigError(f"{reader.at('table')}: {named}{error}") from error


def _dataset(
    reader: Reader,
    default_format: DeliveryFormat,
    volumes: dict[str, DatasetVolume],
    analytics: dict[str, StreamingFeatures],
    requests: dict[str, IngestionRequest],
) -> Dataset:
    granularities = "/".join(g.name.lower() for g in PartitionGranularity)
    name = reader.required("name", str)
    reader.wrap("name", lambda: check_dataset_name(validate_slug(name, "dataset name")))
    columns = tuple(_column(r) for r in reader.readers("columns"))
    reader.optional("granularity", str, None)  # not a string: the usual message
    granularity = reader.convert(
        "granularity",
        lambda v: PartitionGranularity[v.upper()],
        PartitionGranularity.HOUR,
        f"one of {granularities}",
    )
    data_format = reader.convert(
        "format", DeliveryFormat, default_format, "one of json-gzip/parquet"
    ).data_format
    description = reader.optional("description", str, None)
    reader.wrap(
        "description",
        lambda: validate_text(
            description, f"dataset '{name}': description", GLUE_DESCRIPTION_MAX_LENGTH
        ),
    )
    keys = tuple(_partition_key(r) for r in reader.readers("partition_keys"))
    reader.wrap("partition_keys", lambda: partition_keys_from(keys))
    request = read_ingestion_request(reader, name, granularity, data_format, keys)
    requests[name] = request
    if reader.has("volume"):
        volumes[name] = _volume(
            reader.child("volume"),
            name,
            parquet=data_format is DataFormat.PARQUET,
            group=request.group,
            partitioned=bool(keys),
        )
    else:
        reader.child("volume")  # absent or null: none (and a known key for the typo hints)
    features = _analytics(reader.child("analytics"))
    reader.done()
    # Only column rules are left (at least one, unique, not a partition key).
    dataset = reader.wrap(
        "columns", lambda: Dataset(name, columns, granularity, data_format, description, keys)
    )
    if features is not None:
        reader.wrap("analytics", lambda: features_dataset(dataset))
        analytics[name] = features
    return dataset


def _analytics(reader: Reader) -> StreamingFeatures | None:
    """A dataset's ``analytics`` section: the streaming-features job, or None when off."""
    enabled = reader.optional("enabled", bool, False)
    features = StreamingFeatures(
        window_seconds=reader.integer("window_seconds", DEFAULT_WINDOW_SECONDS, minimum=1),
        lateness_seconds=reader.integer("lateness_seconds", DEFAULT_LATENESS_SECONDS, minimum=0),
        parallelism=reader.integer("parallelism", 1, minimum=1, maximum=DEFAULT_MAX_KPUS),
        start_on_deploy=reader.optional("start_on_deploy", bool, False),
    )
    reader.done()
    return features if enabled else None


def _volume(
    reader: Reader, name: str, *, parquet: bool, group: str, partitioned: bool
) -> DatasetVolume:
    """``{"records_per_second": > 0, "record_bytes": ≥ 1}``: the dataset's expected average
    traffic, which the ingestion planner prices (``ml-data-platform plan-ingestion --env``)."""
    rate = reader.convert(
        "records_per_second", _positive_number, None, "a number > 0 (average records per second)"
    )
    size = reader.integer("record_bytes", None, minimum=1)
    reader.done()
    if rate is None:
        raise ConfigError(f"{reader.at('records_per_second')}: missing required key")
    if size is None:
        raise ConfigError(f"{reader.at('record_bytes')}: missing required key")
    return DatasetVolume(name, rate, size, parquet=parquet, group=group, partitioned=partitioned)


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(value)
    return float(value)


def _partition_key(reader: Reader) -> PartitionKey:
    """``{"name": ..., "query": <jq>, "projection": "injected"|"enum", "values": [...]}``."""
    projections = "/".join(p.value for p in KeyProjection)
    name = reader.required("name", str)
    query = reader.required("query", str)
    projection = reader.convert(
        "projection", KeyProjection, KeyProjection.INJECTED, f"one of {projections}"
    )
    values = reader.optional("values", list, [])
    reader.done()
    reader.wrap("name", lambda: PartitionKey(name, ".").name)
    reader.wrap("query", lambda: PartitionKey(name, query).query)
    return reader.wrap("values", lambda: PartitionKey(name, query, projection, tuple(values)))


def _column(reader: Reader) -> Column:
    name = reader.required("name", str)
    type_text = reader.required("type", str)
    comment = reader.optional("comment", str, None)
    reader.done()
    reader.wrap("name", lambda: validate_glue_name(name, "column name"))
    reader.wrap(
        "comment",
        lambda: validate_text(
            comment, f"comment of column '{name}'", GLUE_COLUMN_COMMENT_MAX_LENGTH
        ),
    )
    # The name and comment are valid, so what Column rejects is the type.
    return reader.wrap("type", lambda: Column(name, type_text, comment))
