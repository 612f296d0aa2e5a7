"""``MlDataPlatform``: every stack of one environment, wired from one settings object."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from ml_data_platform.analytics.streaming_features import DEFAULT_CONNECTOR_JAR
from ml_data_platform.catalog import LakeTable
from ml_data_platform.config import EnvironmentSettings, Removal
from ml_data_platform.consumers import MlConsumer
from ml_data_platform.core.inputs import Kind, require_kind
from ml_data_platform.core.names import glue_name
from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.stacks.analytics_stack import AnalyticsStack
from ml_data_platform.stacks.catalog_stack import CatalogStack
from ml_data_platform.stacks.ingestion_stack import IngestionStack
from ml_data_platform.stacks.placement import check_stack_budget, slot_assignment, slot_suffix
from ml_data_platform.stacks.replica_stack import ReplicaStack
from ml_data_platform.stacks.services_stack import ServicesStack
from ml_data_platform.stacks.shared_ingestion_stack import SharedIngestionStack
from ml_data_platform.stacks.storage_stack import StorageStack
from ml_data_platform.stacks.warehouse_stack import WarehouseStack
from ml_data_platform.storage import DEFAULT_ZONES, RAW, DataLakeZone
from ml_data_platform.storage.replication import ZoneReplication, replica_key_alias_arn
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream
from ml_data_platform.warehouse import warehouse_staging_rule
from ml_data_platform.warehouse.from_dataset import redshift_table_for


@dataclass(frozen=True)
class PlatformOptions:
    """How the stacks are produced (not what they contain).

    Args:
        synthesizer_factory: Builds each stack's synthesizer. Default: CDK's default.
        create_warehouse_table: Create the Redshift table at deploy time. Default: True.
        ml_role: Grant this existing role instead of creating a SageMaker role: an ``IRole``,
            or the role's ARN or name (``str``). A role defined outside the platform's stage
            (e.g. in a stack at the app's top level, next to an ``MlDataPlatformStage``) is
            imported into the catalog stack by its ARN or fixed ``role_name``: CDK cannot
            reference across stage boundaries, so a role there with a generated name is
            refused with a ``ValueError`` saying what to pass instead. The grants then attach a
            policy of the catalog stack to the role: deploy the role's stack first.
            Default: none (a new role assumed by ``sagemaker.amazonaws.com``).
        flink_connector_jar: The connector jar of the streaming-features job (``make
            flink-jar``), for environments with ``analytics``. Default:
            ``build/flink/ml-data-platform-flink-connectors.jar`` (relative to the app's folder).
    """

    synthesizer_factory: Callable[[], cdk.IStackSynthesizer] | None = None
    create_warehouse_table: bool = True
    ml_role: iam.IRole | str | None = None
    flink_connector_jar: str | Path = DEFAULT_CONNECTOR_JAR


DEFAULT_OPTIONS = PlatformOptions()


class MlDataPlatform(Construct):
    """The data platform of one environment: storage, catalog, ingestion, warehouse stacks.

    Data flows one way: producers → Kinesis (``ingestion``) → Firehose → raw zone
    (``storage``) → Glue tables with partition projection → Athena/SageMaker; the same streams
    feed Redshift (``warehouse``, when ``settings.warehouse.enabled``). Stacks are named
    ``<project>-<env>-<layer>``; prod-like environments (``removal: retain``) get termination
    protection; ``removal: destroy`` sets the allow-destroy context for the stacks below (the
    config key is the named opt-in to losing data on deletion). Every alarm (ingestion and
    warehouse) notifies the storage stack's ``AlarmTopic``, the one ``alarm_email`` subscribes to.

    Datasets are spread over up to ``placement.DATASET_STACK_SLOTS`` ingestion stacks
    (``Ingestion<NN>``, named ``<project>-<env>-ingestion-<NN>``): each dataset's stream,
    delivery, alarms and raw-zone table live in the stack of its hash slot
    (``placement.dataset_slot``), which depends on its name only, so no stack reaches
    CloudFormation's limits and adding, removing or reordering datasets never moves another one.
    Datasets ingested shared (``datasets[].ingestion``) keep their table in their slot stack;
    their group's stream and routing delivery live in ``IngestionShared``
    (``<project>-<env>-ingestion-shared``), named after the group.

    Attributes:
        storage, catalog: The stacks. ``warehouse``: the stack or ``None``.
        ingestion_stacks: ``{slot: IngestionStack}`` for the occupied slots.
        streams, deliveries, tables: ``{dataset name: IngestionStream | LakeDeliveryStream |
            LakeTable}`` across the ingestion stacks (a shared dataset maps to its group's
            stream and delivery: put its records there with its name in the ``dataset`` field).
        shared: The ``SharedIngestionStack`` or ``None`` (no dataset ingested shared).
        services: The ``ServicesStack`` (pipeline triggers, restore notifications, video) or
            ``None`` when the environment turns none of them on.
        replica: The ``ReplicaStack`` (in the replica region) or ``None`` (no
            ``replication`` configured).
        analytics: The ``AnalyticsStack`` (streaming features) or ``None`` (no dataset has
            ``analytics.enabled``).
        ml_consumer: The ``MlConsumer`` (its ``role`` reads curated/analytics and queries).
        stacks: Every stack of the environment, in creation order (see the property).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        options: PlatformOptions = DEFAULT_OPTIONS,
    ) -> None:
        super().__init__(scope, construct_id)
        if settings.removal is Removal.DESTROY:
            # The environment's "removal": "destroy" is the named opt-in to losing data on
            # deletion: it sets the allow-destroy context for the stacks below, wherever this
            # construct lives (an MlDataPlatformStage or the user's own Stage).
            self.node.set_context(ALLOW_DESTROY_CONTEXT, True)
        policy = settings.removal.policy
        common = {
            "env": settings.env,
            "termination_protection": settings.removal is Removal.RETAIN,
        }

        def stack_kwargs(layer: str, **extra: Any) -> dict[str, Any]:
            synthesizer = options.synthesizer_factory() if options.synthesizer_factory else None
            return {
                **common,
                "stack_name": f"{settings.prefix}-{layer}",
                "synthesizer": synthesizer,
                **extra,
            }

        self.storage = StorageStack(
            self,
            "Storage",
            zones=_zones(settings),
            removal_policy=policy,
            alarm_email=settings.alarm_email,
            restore_zones=settings.restore.zones,
            description=f"ml-data-platform {settings.name}: data lake, key, alarm topic",
            **stack_kwargs("storage"),
        )
        lake = self.storage.data_lake
        self.replica = _replica(self, settings, policy, stack_kwargs("replica"))
        self.catalog = CatalogStack(
            self,
            "Catalog",
            data_lake=lake,
            database_prefix=glue_name(f"{settings.project}_{settings.name}"),
            removal_policy=policy,
            description=f"ml-data-platform {settings.name}: Glue catalog, Athena, ML consumer",
            **stack_kwargs("catalog"),
        )
        self.ml_consumer = MlConsumer(
            self.catalog,
            "MlConsumer",
            data_lake=lake,
            catalog=self.catalog.catalog,
            workgroup=self.catalog.workgroup,
            role=ml_role_in(self.catalog, options.ml_role),
        )
        self.ingestion_stacks: dict[int, IngestionStack] = {}
        self.streams: dict[str, IngestionStream] = {}
        self.deliveries: dict[str, LakeDeliveryStream] = {}
        self.tables: dict[str, LakeTable] = {}
        by_name = {d.name: d for d in settings.datasets}
        groups = settings.shared_groups()
        shared = {d.name for members in groups.values() for d in members}
        for slot, names in slot_assignment(by_name).items():
            suffix = slot_suffix(slot)
            stack = IngestionStack(
                self,
                f"Ingestion{suffix}",
                data_lake=lake,
                datasets=[by_name[name] for name in names if name not in shared],
                shared_datasets=[by_name[name] for name in names if name in shared],
                stream_mode=settings.stream.mode,
                shard_count=settings.stream.shard_count,
                retention_hours=settings.stream.retention_hours,
                buffer_interval_seconds=settings.delivery.buffer_interval_seconds,
                buffer_size_mib=settings.delivery.buffer_size_mib,
                catalog=self.catalog.catalog,
                catalog_key=self.catalog.catalog.catalog_key,
                alarm_topic=self.storage.alarm_topic.topic,
                removal_policy=policy,
                description=(
                    f"ml-data-platform {settings.name}: Kinesis → Firehose → raw zone, tables "
                    f"(dataset slot {suffix})"
                ),
                # Compact JSON: a third smaller, for CloudFormation's template-size limit.
                **stack_kwargs(f"ingestion-{suffix}", suppress_template_indentation=True),
            )
            check_stack_budget(stack)
            self.ingestion_stacks[slot] = stack
            self.streams.update(stack.streams)
            self.deliveries.update(stack.deliveries)
            self.tables.update(stack.tables)
            _warn_planned(stack, settings, names)
        self.shared: SharedIngestionStack | None = None
        if groups:
            self.shared = SharedIngestionStack(
                self,
                "IngestionShared",
                data_lake=lake,
                groups=groups,
                stream_mode=settings.stream.mode,
                shard_count=settings.stream.shard_count,
                retention_hours=settings.stream.retention_hours,
                buffer_interval_seconds=settings.delivery.buffer_interval_seconds,
                buffer_size_mib=settings.delivery.buffer_size_mib,
                alarm_topic=self.storage.alarm_topic.topic,
                removal_policy=policy,
                description=(
                    f"ml-data-platform {settings.name}: shared Kinesis streams → routing "
                    f"Firehose → raw zone ({', '.join(groups)})"
                ),
                **stack_kwargs("ingestion-shared", suppress_template_indentation=True),
            )
            check_stack_budget(self.shared)
            for group, layout in self.shared.layouts.items():
                for name in layout.dataset_names:
                    self.streams[name] = self.shared.streams[group]
                    self.deliveries[name] = self.shared.deliveries[group]
        self.warehouse: WarehouseStack | None = None
        if settings.warehouse.enabled:
            dataset = next(
                (d for d in settings.datasets if d.name == settings.warehouse.dataset),
                settings.datasets[0],
            )
            stream = self.streams[dataset.name]
            self.warehouse = WarehouseStack(
                self,
                "Warehouse",
                stream=stream.stream,
                stream_key=stream.key,
                data_lake=lake,
                table=redshift_table_for(dataset, settings.warehouse.table),
                base_capacity=settings.warehouse.base_capacity_rpus,
                create_table=options.create_warehouse_table,
                alarm_topic=self.storage.alarm_topic.topic,
                removal_policy=policy,
                description=f"ml-data-platform {settings.name}: Redshift Serverless + Firehose",
                **stack_kwargs("warehouse"),
            )
        self.services: ServicesStack | None = None
        events, video = settings.events, settings.video
        if events.pipeline_triggers or events.restore_notifications or video.enabled:
            self.services = ServicesStack(
                self,
                "Services",
                data_lake=lake,
                alarm_topic=self.storage.alarm_topic.topic,
                pipeline_triggers=events.pipeline_triggers,
                restore_notification_zones=(
                    tuple(lake.zones) if events.restore_notifications else ()
                ),
                video=video,
                removal_policy=policy,
                description=(
                    f"ml-data-platform {settings.name}: pipeline triggers, restore "
                    "notifications, video"
                ),
                **stack_kwargs("services"),
            )
        self.analytics: AnalyticsStack | None = None
        if settings.analytics:
            self.analytics = AnalyticsStack(
                self,
                "Analytics",
                data_lake=lake,
                catalog=self.catalog.catalog,
                streams=self.streams,
                datasets={d.name: d for d in settings.datasets},
                analytics=settings.analytics,
                connector_jar=options.flink_connector_jar,
                alarm_topic=self.storage.alarm_topic.topic,
                catalog_key=self.catalog.catalog.catalog_key,
                removal_policy=policy,
                description=(
                    f"ml-data-platform {settings.name}: streaming features (Managed Service for "
                    "Apache Flink → Kinesis → Firehose → curated zone)"
                ),
                **stack_kwargs("analytics"),
            )
        cdk.Tags.of(self).add("ml-data-platform:project", settings.project)
        cdk.Tags.of(self).add("ml-data-platform:environment", settings.name)

    @property
    def stacks(self) -> list[cdk.Stack]:
        """Every stack of the environment: storage, replica, catalog, the ingestion slots, the
        shared ingestion, warehouse, services and analytics (those that exist)."""
        found: list[cdk.Stack | None] = [
            self.storage,
            self.replica,
            self.catalog,
            *self.ingestion_stacks.values(),
            self.shared,
            self.warehouse,
            self.services,
            self.analytics,
        ]
        return [stack for stack in found if stack is not None]


PLANNED_INGESTION_WARNING = "ml-data-platform:plannedIngestion"


def _warn_planned(stack: cdk.Stack, settings: EnvironmentSettings, names: tuple[str, ...]) -> None:
    """A synth warning per dataset whose mode the planner chose: a later choice (other volumes
    or group members) would replace its stream, so the mode should be pinned in cdk.json."""
    for name in names:
        ingestion = settings.ingestion_of(name)
        if ingestion.planned:
            mode = ingestion.mode.value
            cdk.Annotations.of(stack).add_warning_v2(
                PLANNED_INGESTION_WARNING,
                f"dataset '{name}': ingestion '{mode}' chosen by the planner from its volume; "
                f'pin it in cdk.json ("ingestion": "{mode}"): a different choice later (other '
                "volumes or datasets) would replace its stream (make deploy refuses that)",
            )


_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
IMPORTED_ML_ROLE_ID = "MlRole"
"""Construct id, in the catalog stack, of an ``ml_role`` imported from outside the stage."""


def ml_role_in(stack: cdk.Stack, role: iam.IRole | str | None) -> iam.IRole | None:
    """``PlatformOptions.ml_role`` as a role that ``stack`` may reference (see there).

    A string is a role ARN (``arn:aws:iam::<account>:role/<path/name>``) or a role name; an
    ``IRole`` in the same stage as ``stack`` is used as it is; one from another stage (or the
    app's top level) is imported into ``stack`` by its concrete ARN or fixed name.
    """
    if role is None:
        return None
    if isinstance(role, str):
        return _import_role(stack, role, "PlatformOptions.ml_role")
    require_kind(role, Kind.ROLE, "PlatformOptions.ml_role")
    if _stage_path(role) == _stage_path(stack):
        return role
    if not cdk.Token.is_unresolved(role.role_arn):
        return _import_role(stack, role.role_arn, "PlatformOptions.ml_role")
    # A Role given a role_name keeps it as its physical name; an imported one has a concrete
    # role_name.
    for name in (getattr(role, "_physical_name", None), role.role_name):
        if isinstance(name, str) and not cdk.Token.is_unresolved(name):
            return _import_role(stack, name, "PlatformOptions.ml_role")
    outside = _stage_path(stack)
    raise ValueError(
        f"PlatformOptions.ml_role: the role {role.node.path!r} is defined outside the stage "
        f"{outside!r} and has a generated name, and CDK cannot reference a resource across "
        "stage boundaries (NoCrossStageDependency). Give the role a fixed name "
        "(iam.Role(..., role_name='team-sagemaker')), pass its ARN or name as a string "
        "(PlatformOptions(ml_role='arn:aws:iam::111111111111:role/team-sagemaker')), or "
        "create the role in a stack inside the same stage"
    )


def _import_role(stack: cdk.Stack, arn_or_name: str, prop: str) -> iam.IRole:
    if arn_or_name.startswith("arn:"):
        if not _ROLE_ARN.match(arn_or_name):
            raise ValueError(
                f"{prop}: {arn_or_name!r} is not an IAM role ARN "
                "(arn:aws:iam::<12-digit account>:role/<name>)"
            )
        return iam.Role.from_role_arn(stack, IMPORTED_ML_ROLE_ID, arn_or_name)
    if not _ROLE_NAME.match(arn_or_name):
        raise ValueError(
            f"{prop}: {arn_or_name!r} is neither an IAM role ARN (arn:aws:iam::...:role/...) "
            "nor a role name (1-64 letters, digits and +=,.@_-)"
        )
    return iam.Role.from_role_name(stack, IMPORTED_ML_ROLE_ID, arn_or_name)


def _replica(
    platform: MlDataPlatform,
    settings: EnvironmentSettings,
    policy: cdk.RemovalPolicy,
    kwargs: dict[str, Any],
) -> ReplicaStack | None:
    """With ``settings.replication``: the replica stack in the replica region, and one
    ``ZoneReplication`` per chosen zone in the storage stack (deployed after the replica)."""
    replication = settings.replication
    if replication is None:
        return None
    names = {zone: replication.bucket_name(settings, zone) for zone in replication.zones}
    alias = replication.key_alias(settings)
    replica = ReplicaStack(
        platform,
        "Replica",
        bucket_names=names,
        key_alias=alias,
        removal_policy=policy,
        description=f"ml-data-platform {settings.name}: disaster-recovery replica of {list(names)}",
        **{**kwargs, "env": cdk.Environment(account=settings.account, region=replication.region)},
    )
    storage = platform.storage
    storage.add_stack_dependency(replica)
    key_arn = replica_key_alias_arn(
        alias=alias, region=replication.region, account=str(settings.account)
    )
    for zone, name in names.items():
        ZoneReplication(
            storage,
            f"{storage.data_lake.zones[zone].node.id}Replication",
            source=storage.data_lake.zones[zone],
            destination_bucket_name=name,
            destination_region=replication.region,
            destination_key_arn=key_arn,
            alarm_topic=storage.alarm_topic.topic,
        )
    return replica


def _zones(settings: EnvironmentSettings) -> tuple[DataLakeZone, ...]:
    """The default zones with the environment's lifecycle presets applied; with the warehouse
    on, the raw zone also expires what Firehose stages for Redshift."""
    zones = []
    for zone in DEFAULT_ZONES:
        lifecycle = DataLakeZone(
            zone.name, settings.lifecycle.get(zone.name, zone.lifecycle)
        ).resolved_lifecycle()
        if zone.name == RAW and settings.warehouse.enabled:
            lifecycle = lifecycle.with_rules(warehouse_staging_rule())
        zones.append(DataLakeZone(zone.name, lifecycle, zone.ml_readable))
    return tuple(zones)


def _stage_path(scope: IConstruct) -> str:
    """The path of the stage ``scope`` is in (``""``: the app, or no stage at all)."""
    stage = cdk.Stage.of(scope)
    return "" if stage is None else stage.node.path
