"""Datasets over several ingestion stacks (stacks.placement): a dataset's stream, delivery and
table never move to another stack and never change logical ID when other datasets are added,
removed or reordered — that would replace them and lose data."""

import copy
import dataclasses
import string

import aws_cdk as cdk
import pytest

from ml_data_platform.config import CONTEXT_KEY, Removal, settings_from_context
from ml_data_platform.stacks import MlDataPlatform
from ml_data_platform.stacks.placement import (
    DATASET_STACK_SLOTS,
    STACK_RESOURCE_BUDGET,
    dataset_slot,
    slot_assignment,
)
from tests.conftest import CDK_CONTEXT, make_app

BASE = [f"events-{letter}" for letter in string.ascii_lowercase[:6]]
"""Six datasets over four slots (building a dataset's constructs costs ~0.2 s: kept small)."""


def names(count: int, prefix: str = "added") -> list[str]:
    return [f"{prefix}-{i:03d}" for i in range(count)]


def settings_with(dataset_names):
    """The dev environment with one copy of its dataset per name."""
    context = copy.deepcopy(CDK_CONTEXT)
    dev = context[CONTEXT_KEY]["environments"]["dev"]
    template = dev["datasets"][0]
    dev["datasets"] = [dict(template, name=name) for name in dataset_names]
    return settings_from_context(context, "dev")


def placement(dataset_names) -> dict[str, tuple[str, str, str, str]]:
    """``{dataset: (stack name, stream, delivery stream, table logical IDs)}`` of a platform
    built (not synthesized) with ``dataset_names``."""
    settings = dataclasses.replace(settings_with(dataset_names), removal=Removal.RETAIN)
    platform = MlDataPlatform(make_app(), "Platform", settings=settings)
    found = {}
    for name in dataset_names:
        stream = platform.streams[name].stream.node.default_child
        delivery = platform.deliveries[name].delivery_stream.node.default_child
        table = platform.tables[name].table
        stack = cdk.Stack.of(stream)
        assert cdk.Stack.of(delivery) is stack and cdk.Stack.of(table) is stack, name
        found[name] = (
            stack.stack_name,
            *(stack.resolve(stack.get_logical_id(e)) for e in (stream, delivery, table)),
        )
    return found


@pytest.fixture(scope="module")
def base():
    return placement(BASE)


def test_the_slot_depends_on_the_name_only_and_is_pinned():
    # Changing the hash or the slot count moves deployed datasets: these values must not change.
    assert DATASET_STACK_SLOTS == 16
    assert {n: dataset_slot(n) for n in ("clickstream", "events", "page-views", "features")} == {
        "clickstream": 14,
        "events": 11,
        "page-views": 1,
        "features": 7,
    }
    assignment = slot_assignment(BASE)
    assert sorted(n for group in assignment.values() for n in group) == sorted(BASE)
    assert list(assignment) == sorted(assignment)
    assert slot_assignment(reversed(BASE)).keys() == assignment.keys()


def test_the_base_layout_uses_one_stack_per_occupied_slot(base):
    stacks = {stack for stack, *_ in base.values()}
    assert stacks == {f"mldp-dev-ingestion-{slot:02d}" for slot in slot_assignment(BASE)}
    assert 1 < len(stacks) <= DATASET_STACK_SLOTS
    assert len(stacks) < len(BASE)  # some datasets share a stack
    assert base["events-a"] == (
        "mldp-dev-ingestion-14",
        "EventsAStream9EDA82C4",
        "EventsADeliveryDeliveryStreamA5DDB543",
        "EventsATable5A62180D",
    )


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param([*BASE, "late-arrival"], id="add-one"),
        pytest.param(["first-now", *BASE[:3], *BASE[4:]], id="remove-middle-and-prepend"),
        pytest.param(list(reversed(BASE)), id="reorder"),
    ],
)
def test_existing_datasets_keep_stack_and_logical_ids(base, variant):
    after = placement(variant)
    kept = set(BASE) & set(variant)
    assert {name: after[name] for name in kept} == {name: base[name] for name in kept}


def test_adding_a_hundred_datasets_moves_none():
    # Logical IDs come from the dataset name inside its stack (the variants above build the
    # constructs); the stack comes from the slot, a function of the name: adding 100 datasets
    # before, between or after leaves every existing slot as it was.
    before = slot_assignment(BASE)
    for added in (
        [*names(100), *BASE],
        [*BASE, *names(100)],
        [*BASE[:3], *names(100), *BASE[3:]],
    ):
        after = slot_assignment(added)
        for slot, group in before.items():
            assert [n for n in after[slot] if n in BASE] == list(group)
        assert {dataset_slot(n) for n in BASE} == set(before)


def test_three_hundred_datasets_fill_no_slot_past_the_budget():
    # The pure placement (no constructs): the fullest of the 16 slots with 300 datasets.
    fullest = max(len(group) for group in slot_assignment(names(300, "dataset")).values())
    # A Parquet dataset: stream, delivery, role, policy, log group + stream, 3 alarms, table.
    per_dataset = 10
    assert fullest * per_dataset < STACK_RESOURCE_BUDGET, fullest


def test_a_stack_past_the_resource_budget_gets_a_synth_warning(monkeypatch):
    from aws_cdk.assertions import Annotations, Match

    from ml_data_platform.stacks import placement as module

    app = make_app()
    full, fine = cdk.Stack(app, "Full"), cdk.Stack(app, "Fine")
    for index in range(3):
        cdk.CfnWaitConditionHandle(full, f"Handle{index}")
    cdk.CfnWaitConditionHandle(fine, "Handle")
    monkeypatch.setattr(module, "STACK_RESOURCE_BUDGET", 2)
    assert module.check_stack_budget(full) == 3
    assert module.check_stack_budget(fine) == 1
    Annotations.from_stack(full).has_warning(
        "/Full", Match.string_like_regexp("3 resources in Full: more than the planned 2")
    )
    assert Annotations.from_stack(fine).find_warning("*", Match.any_value()) == []
