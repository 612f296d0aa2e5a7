"""The streaming construct pages and docstrings list every prop and every attribute."""

import inspect
import re

import aws_cdk as cdk
import pytest

from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.storage import DataLakeBucket
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream
from tests.conftest import ROOT, make_app

PAGES = {
    IngestionStream: ROOT / "docs" / "constructs" / "ingestion-stream.md",
    LakeDeliveryStream: ROOT / "docs" / "constructs" / "lake-delivery-stream.md",
}


@pytest.fixture(scope="module")
def instances():
    stack = cdk.Stack(make_app(), "Docs")
    stream = IngestionStream(stack, "Stream")
    bucket = DataLakeBucket(stack, "Bucket").bucket
    delivery = LakeDeliveryStream(
        stack,
        "Delivery",
        source_stream=stream,
        bucket=bucket,
        dataset=Dataset("x", [Column("a", "int")]),
    )
    return {IngestionStream: stream, LakeDeliveryStream: delivery}


def _props(construct):
    parameters = inspect.signature(construct.__init__).parameters.values()
    return {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _attributes(instance):
    return {name for name in vars(instance) if not name.startswith("_")}


@pytest.mark.parametrize("construct", sorted(PAGES, key=lambda c: c.__name__))
def test_every_prop_is_a_row_of_the_page_and_in_the_docstring(construct):
    rows = set(re.findall(r"^\| `(\w+)` \|", PAGES[construct].read_text(), flags=re.MULTILINE))
    props = _props(construct)
    assert len(props) >= 10
    assert props <= rows, f"props missing from {PAGES[construct].name}: {sorted(props - rows)}"
    documented = set(re.findall(r"^ {8}(\w+): ", construct.__doc__, flags=re.MULTILINE))
    assert props <= documented, f"props missing from the docstring: {sorted(props - documented)}"


@pytest.mark.parametrize("construct", sorted(PAGES, key=lambda c: c.__name__))
def test_every_attribute_is_on_the_page_and_in_the_docstring(construct, instances):
    attributes = _attributes(instances[construct])
    assert {"alarms", "key"} <= attributes
    attributes_line = PAGES[construct].read_text().split("Attributes:", 1)[1].split("\n\n", 1)[0]
    on_page = set(re.findall(r"`(\w+)`", attributes_line))
    assert attributes <= on_page, f"missing from {PAGES[construct].name}: {attributes - on_page}"
    docstring_section = construct.__doc__.split("Attributes:", 1)[1]
    in_docstring = set(re.findall(r"(\w+): ", docstring_section))
    assert attributes <= in_docstring, f"missing from the docstring: {attributes - in_docstring}"
