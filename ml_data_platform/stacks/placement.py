"""Which stack a dataset's resources live in: a fixed, hash-addressed slot per dataset name.

A dataset's stream, Firehose delivery, Glue table and alarms live in ingestion stack
``dataset_slot(name)`` (one of ``DATASET_STACK_SLOTS``); only slots that hold a dataset become
stacks. The slot depends on the dataset's name and nothing else (not on the other datasets, their
order or their count), so adding, removing or reordering datasets never moves an existing
dataset to another stack, and its logical IDs (derived from the name inside its stack) never
change. Slots are never rebalanced: changing ``DATASET_STACK_SLOTS`` or the hash would move
datasets (and replace their streams), which is why both are pinned by tests.

Capacity: with about ten resources per dedicated dataset, sixteen slots keep every stack under
``STACK_RESOURCE_BUDGET`` (80 % of CloudFormation's 500) up to roughly 500 dedicated datasets
(the fullest slot, not the average, decides; ``tools/bench.py`` measures it).
``check_stack_budget`` warns at synth when a stack passes the budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import aws_cdk as cdk

from ml_data_platform.core.limits import (
    CLOUDFORMATION_MAX_RESOURCES,
    CLOUDFORMATION_MAX_TEMPLATE_BYTES,
)

DATASET_STACK_SLOTS = 16
"""Number of hash slots (ingestion stacks at most, per environment). Never change it for a
deployed environment: most datasets would move to another stack."""
BUDGET_FRACTION = 0.8
STACK_RESOURCE_BUDGET = int(CLOUDFORMATION_MAX_RESOURCES * BUDGET_FRACTION)
"""Resources per stack we plan for (80 % of CloudFormation's limit)."""
STACK_TEMPLATE_BUDGET_BYTES = int(CLOUDFORMATION_MAX_TEMPLATE_BYTES * BUDGET_FRACTION)
"""Template bytes per stack we plan for (80 % of the 1 MB limit for templates in S3)."""


def dataset_slot(name: str) -> int:
    """The slot (0 … ``DATASET_STACK_SLOTS`` - 1) of dataset ``name``: the first 8 bytes of
    SHA-256 of the name, modulo the slot count. Stable across Python versions and runs (unlike
    ``hash()``)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % DATASET_STACK_SLOTS


def slot_assignment(names: Iterable[str]) -> dict[int, tuple[str, ...]]:
    """``{slot: dataset names}`` for the occupied slots, slots ascending, names in the given
    order within each slot."""
    slots: dict[int, list[str]] = {}
    for name in names:
        slots.setdefault(dataset_slot(name), []).append(name)
    return {slot: tuple(slots[slot]) for slot in sorted(slots)}


def slot_suffix(slot: int) -> str:
    """``7`` -> ``"07"``: the suffix of the slot's construct id and stack name."""
    return f"{slot:02d}"


def check_stack_budget(stack: cdk.Stack) -> int:
    """Count ``stack``'s CloudFormation resources; warn (a synth annotation naming the stack, the
    count and what to do) when they pass ``STACK_RESOURCE_BUDGET``. Returns the count."""
    count = sum(1 for c in stack.node.find_all() if isinstance(c, cdk.CfnResource))
    if count > STACK_RESOURCE_BUDGET:
        cdk.Annotations.of(stack).add_warning_v2(
            "ml-data-platform:stackResourceBudget",
            f"{count} resources in {stack.node.path}: more than the planned "
            f"{STACK_RESOURCE_BUDGET} (80 % of CloudFormation's {CLOUDFORMATION_MAX_RESOURCES}). "
            "Split the environment (another environment or app for some datasets); never rename "
            "a deployed dataset to change its slot (a new name is a new stream).",
        )
    return count
