"""Shared ingestion in the platform: the group's stream and delivery in the shared stack, the
members' tables in their own slot stacks; logical IDs that survive adding members and
switching modes; planner-chosen modes flagged at synth; and bad stack input."""

import copy
import dataclasses

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from ml_data_platform.catalog import DataCatalog
from ml_data_platform.config import CONTEXT_KEY, Removal, settings_from_context
from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.stacks import IngestionStack, MlDataPlatform, SharedIngestionStack
from ml_data_platform.stacks.placement import dataset_slot
from ml_data_platform.stacks.platform import PLANNED_INGESTION_WARNING
from ml_data_platform.storage import DataLake
from tests.conftest import CDK_CONTEXT, make_app

TINY = {"records_per_second": 0.5, "record_bytes": 300}


def platform_with(*datasets):
    """The dev environment with ``datasets`` (``(name, extra keys)``) instead of its own."""
    context = copy.deepcopy(CDK_CONTEXT)
    dev = context[CONTEXT_KEY]["environments"]["dev"]
    template = {
        k: v for k, v in dev["datasets"][0].items() if k not in ("ingestion", "volume", "analytics")
    }
    dev["datasets"] = [dict(template, name=name, **extra) for name, extra in datasets]
    settings = dataclasses.replace(settings_from_context(context, "dev"), removal=Removal.RETAIN)
    return MlDataPlatform(make_app(), "Platform", settings=settings)


def ids(construct) -> tuple[str, str]:
    """``(stack name, logical ID)`` of ``construct``'s CloudFormation resource."""
    resource = construct.node.default_child or construct
    stack = cdk.Stack.of(resource)
    return stack.stack_name, stack.resolve(stack.get_logical_id(resource))


def group_ids(platform, group):
    shared = platform.shared
    return (
        ids(shared.streams[group].stream),
        ids(shared.deliveries[group].delivery_stream),
        ids(shared.deliveries[group].log_group),
    )


SHARED = {"ingestion": "shared", "shared_group": "small"}


def test_adding_a_member_keeps_the_group_stream_and_updates_its_routing():
    two = platform_with(("likes", SHARED), ("saves", SHARED))
    three = platform_with(("likes", SHARED), ("saves", SHARED), ("shares", SHARED))
    assert group_ids(two, "small") == group_ids(three, "small")
    assert group_ids(two, "small")[0] == ("mldp-dev-ingestion-shared", "SmallStreamDB9B9E0C")
    routing = three.shared.layouts["small"].routing_query
    assert '"likes", "saves", "shares"' in routing
    # Each member's table in its own slot stack, named after the dataset.
    for platform in (two, three):
        for name in ("likes", "saves"):
            stack_name, _ = ids(platform.tables[name].table)
            assert stack_name == f"mldp-dev-ingestion-{dataset_slot(name):02d}"


def test_switching_a_dataset_to_shared_keeps_its_table_where_it_was():
    dedicated = platform_with(("likes", {}), ("saves", SHARED))
    shared = platform_with(("likes", SHARED), ("saves", SHARED))
    assert ids(dedicated.tables["likes"].table) == ids(shared.tables["likes"].table)
    # Its own stream is gone from its slot; it now maps to the group's.
    assert "likes" in dedicated.ingestion_stacks[dataset_slot("likes")].streams
    assert shared.ingestion_stacks[dataset_slot("likes")].streams == {}
    assert shared.streams["likes"] is shared.shared.streams["small"]
    # The prefix its records land under is the same in both modes (no data moves).
    assert dedicated.deliveries["likes"].written_prefixes[0] in (
        shared.deliveries["likes"].written_prefixes
    )


def test_no_shared_dataset_no_shared_stack():
    platform = platform_with(("likes", {}), ("saves", {"ingestion": "dedicated"}))
    assert platform.shared is None
    assert all(s.stack_name != "mldp-dev-ingestion-shared" for s in platform.stacks)


def test_planner_chosen_modes_are_flagged_at_synth():
    platform = platform_with(
        *((n, {"volume": TINY}) for n in ("likes", "saves", "shares")),
        ("pinned", {"volume": TINY, "ingestion": "shared"}),
    )
    assembly = cdk.Stage.of(platform).synth()
    warnings = [
        str(m.entry.data)
        for stack in assembly.stacks
        for m in stack.messages
        if PLANNED_INGESTION_WARNING in str(m.entry.data)
    ]
    assert len(warnings) == 3, warnings  # not for 'pinned'
    assert any(
        "dataset 'likes': ingestion 'shared' chosen by the planner" in w
        and '"ingestion": "shared"' in w
        for w in warnings
    )
    assert platform.shared.layouts["hour"].dataset_names == ("likes", "saves", "shares", "pinned")


def lake(app):
    storage = cdk.Stack(app, "Storage")
    return DataLake(storage, "Lake")


COLUMNS = (Column("id", "string"),)


def test_shared_stack_rejects_bad_groups():
    app = make_app()
    data_lake = lake(app)
    with pytest.raises(ValueError, match="groups must give at least one shared group"):
        SharedIngestionStack(app, "Empty", data_lake=data_lake, groups={})
    likes = Dataset("likes", COLUMNS)
    with pytest.raises(ValueError, match=r"datasets \['likes'\] are in more than one shared group"):
        SharedIngestionStack(app, "Twice", data_lake=data_lake, groups={"a": [likes], "b": [likes]})


def test_ingestion_stack_shared_datasets_need_the_catalog_and_no_overlap():
    app = make_app()
    data_lake = lake(app)
    likes = Dataset("likes", COLUMNS)
    with pytest.raises(ValueError, match="shared_datasets need catalog"):
        IngestionStack(app, "NoCatalog", data_lake=data_lake, datasets=[], shared_datasets=[likes])
    with pytest.raises(ValueError, match=r"datasets \['likes'\] are in both"):
        IngestionStack(app, "Both", data_lake=data_lake, datasets=[likes], shared_datasets=[likes])


def test_a_stack_of_shared_tables_only_creates_no_alarm_topic():
    """Nothing in it alarms: a default topic would cost a key-encrypted topic for nothing."""
    app = make_app()
    data_lake = lake(app)
    catalog = DataCatalog(cdk.Stack(app, "Catalog"), "Catalog", lake=data_lake)
    likes = Dataset("likes", COLUMNS)
    tables_only = IngestionStack(
        app, "Tables", data_lake=data_lake, datasets=[], shared_datasets=[likes], catalog=catalog
    )
    with_stream = IngestionStack(
        app, "Streams", data_lake=data_lake, datasets=[Dataset("saves", COLUMNS)], catalog=catalog
    )
    assert tables_only.alarm_topic is None
    assert with_stream.alarm_topic is not None
    template = Template.from_stack(tables_only)
    template.resource_count_is("AWS::SNS::Topic", 0)
    template.resource_count_is("AWS::Glue::Table", 1)
    Template.from_stack(with_stream).resource_count_is("AWS::SNS::Topic", 1)
