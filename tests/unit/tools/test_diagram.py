"""docs/architecture.md's diagram is what tools/diagram.py draws from the synthesized app."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("diagram", ROOT / "tools" / "diagram.py")
diagram = importlib.util.module_from_spec(SPEC)
sys.modules["diagram"] = diagram  # dataclasses look their module up there
SPEC.loader.exec_module(diagram)


@pytest.fixture(scope="module")
def graph():
    return diagram.Graph(diagram.synthesize(["dev", "prod"]))


def test_the_documented_diagram_is_current(graph):
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert diagram.replace_block(text, graph.mermaid()) == text, "run `make diagram`"


def test_the_diagram_draws_every_layer_and_the_data_flow(graph):
    layers = {stack.layer for stack in graph.stacks}
    assert layers == {
        "storage",
        "catalog",
        "ingestion",
        "ingestion-shared",  # dev's small-events group
        "analytics",
        "warehouse",
        "services",
    }
    labels = {label for _, _, label in graph.edges}
    assert {"source", "delivers to", "loads", "encrypted by"} <= labels
    kinds = {node.type for node in graph.nodes.values()}
    assert "AWS::RedshiftServerless::Namespace" in kinds
    assert "AWS::KinesisFirehose::DeliveryStream" in kinds
    assert "AWS::KinesisAnalyticsV2::Application" in kinds


def test_replace_block_needs_exactly_one_pair_of_markers():
    with pytest.raises(ValueError, match="expected one"):
        diagram.replace_block("no markers here", "x")
    text = f"a\n{diagram.START}\nold\n{diagram.END}\nb"
    assert diagram.replace_block(text, "new") == f"a\n{diagram.START}\nnew\n{diagram.END}\nb"
