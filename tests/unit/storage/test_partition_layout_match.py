"""One layout gives both sides: what Firehose writes is what the Glue table projects.

Over every layout (granularity x dynamic keys x format), the synthesized Firehose ``Prefix``
and the synthesized Glue table's ``storage.location.template`` are parsed here, independently
of the library's own parser, and must name the same keys in the same order under the same
literal path; the table's partition keys, the projection of each key and the jq metadata
extraction must agree too. And a hand-built mismatch fails the synth, naming both sides.
"""

from __future__ import annotations

import itertools
import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from ml_data_platform.catalog import LakeTable
from ml_data_platform.datasets import Column, DataFormat, Dataset
from ml_data_platform.stacks import StorageStack
from ml_data_platform.stacks.catalog_stack import CatalogStack
from ml_data_platform.stacks.ingestion_stack import IngestionStack
from ml_data_platform.storage import (
    DataLake,
    KeyProjection,
    PartitionGranularity,
    PartitionKey,
    PartitionLayout,
)
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream
from tests.conftest import TEST_ENV, make_app

KEY_SETS = {
    "none": (),
    "injected": (PartitionKey("customer", ".customer.id"),),
    "enum": (PartitionKey("country", ".country", KeyProjection.ENUM, ("de", "fr")),),
    "both": (
        PartitionKey("tenant", '.tenant // "unknown"'),
        PartitionKey("region", ".region", "enum", ["eu", "us"]),
    ),
}
LAYOUTS = [
    (granularity, keys, data_format)
    for granularity, keys, data_format in itertools.product(
        PartitionGranularity, KEY_SETS, DataFormat
    )
]
# Parsers of the two synthesized strings, written for this test (not the library's).
FIREHOSE_SEGMENT = re.compile(r"^(\w+)=!\{(partitionKeyFromQuery|timestamp):([^}]+)\}$")
TEMPLATE_SEGMENT = re.compile(r"^(\w+)=\$\{(\w+)\}$")
TIMESTAMP_OF = {"year": "yyyy", "month": "MM", "day": "dd", "hour": "HH"}


def _name(granularity, keys, data_format):
    return f"d{granularity.name[0]}{keys[:2]}{data_format.value[0]}".lower()


@pytest.fixture(scope="module")
def synthesized():
    stack = cdk.Stack(make_app(), "Layouts", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    raw = lake.zone("raw").bucket
    source = IngestionStream(stack, "Source", encryption_key=lake.key)
    built = {}
    for granularity, keys, data_format in LAYOUTS:
        name = _name(granularity, keys, data_format)
        dataset = Dataset(
            name,
            [Column("id", "string"), Column("amount", "decimal(10,2)")],
            granularity,
            data_format,
            partition_keys=KEY_SETS[keys],
        )
        table = LakeTable(stack, f"{name}Table", database="lake_raw", bucket=raw, dataset=dataset)
        delivery = LakeDeliveryStream(
            stack,
            f"{name}Delivery",
            source_stream=source,
            bucket=raw,
            dataset=dataset,
            parquet_table=table.table if data_format is DataFormat.PARQUET else None,
        )
        built[(granularity, keys, data_format)] = (
            stack.get_logical_id(delivery.delivery_stream.node.default_child),
            stack.get_logical_id(table.table),
        )
    resources = Template.from_stack(stack).to_json()["Resources"]
    return built, resources


def _firehose_side(resource):
    config = resource["Properties"]["ExtendedS3DestinationConfiguration"]
    prefix = config["Prefix"]
    assert isinstance(prefix, str) and prefix.endswith("/")
    segments = prefix.rstrip("/").split("/")
    literal = []
    while segments and "!{" not in segments[0]:
        literal.append(segments.pop(0))
    keys = []
    for segment in segments:
        match = FIREHOSE_SEGMENT.match(segment)
        assert match, f"{segment!r} of {prefix!r} is not a Hive-style key=!{{...}} segment"
        name, namespace, value = match.groups()
        if namespace == "partitionKeyFromQuery":
            assert value == name
        else:
            assert TIMESTAMP_OF[name] == value
        keys.append(name)
    queries = {}
    for processor in config.get("ProcessingConfiguration", {}).get("Processors", []):
        for parameter in processor["Parameters"]:
            if parameter["ParameterName"] == "MetadataExtractionQuery":
                # '{"k":<jq>,...}': only the key names are read here.
                queries = dict.fromkeys(re.findall(r'"(\w+)":', parameter["ParameterValue"]))
    return "/".join(literal) + "/", keys, list(queries)


def _glue_side(resource):
    table_input = resource["Properties"]["TableInput"]
    template = table_input["Parameters"]["storage.location.template"]
    # s3://<bucket ref>/<path>: a Fn::Join of the bucket reference and the literal path.
    parts = template["Fn::Join"][1]
    assert parts[0] == "s3://"
    path = "".join(p for p in parts[2:] if isinstance(p, str))
    assert path.startswith("/") and path.endswith("/")
    segments = path.strip("/").split("/")
    literal = []
    while segments and "${" not in segments[0]:
        literal.append(segments.pop(0))
    keys = []
    for segment in segments:
        match = TEMPLATE_SEGMENT.match(segment)
        assert match and match[1] == match[2], f"{segment!r} of {path!r}"
        keys.append(match[1])
    location = "".join(p for p in table_input["StorageDescriptor"]["Location"]["Fn::Join"][1][2:])
    columns = [(k["Name"], k["Type"]) for k in table_input["PartitionKeys"]]
    return "/".join(literal) + "/", keys, location, columns, table_input["Parameters"]


@pytest.mark.parametrize(
    "layout", LAYOUTS, ids=lambda layout: "-".join(str(getattr(p, "name", p)) for p in layout)
)
def test_firehose_prefix_and_location_template_name_the_same_keys(synthesized, layout):
    built, resources = synthesized
    delivery_id, table_id = built[layout]
    written_root, written_keys, extracted = _firehose_side(resources[delivery_id])
    read_root, read_keys, location, columns, parameters = _glue_side(resources[table_id])

    assert written_root == read_root == f"{_name(*layout)}/"
    assert written_keys == read_keys
    assert location == f"/{read_root}"
    assert [name for name, _ in columns] == read_keys
    dynamic = [k.name for k in KEY_SETS[layout[1]]]
    assert extracted == dynamic
    assert read_keys == [*dynamic, *layout[0].keys]
    for name, glue_type in columns:
        kind = parameters[f"projection.{name}.type"]
        if name in dynamic:
            assert glue_type == "string" and kind in {"injected", "enum"}
            assert (kind == "enum") == (f"projection.{name}.values" in parameters)
        else:
            assert (glue_type, kind) == ("int", "integer")


def test_layouts_without_keys_write_as_before(synthesized):
    built, resources = synthesized
    delivery_id, _ = built[(PartitionGranularity.HOUR, "none", DataFormat.JSON)]
    config = resources[delivery_id]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert config["Prefix"] == (
        "dhnoj/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    )
    assert "DynamicPartitioningConfiguration" not in config


def test_enum_values_and_jq_query_reach_the_template(synthesized):
    built, resources = synthesized
    delivery_id, table_id = built[(PartitionGranularity.DAY, "both", DataFormat.PARQUET)]
    parameters = resources[table_id]["Properties"]["TableInput"]["Parameters"]
    assert parameters["projection.region.values"] == "eu,us"
    assert parameters["projection.tenant.type"] == "injected"
    config = resources[delivery_id]["Properties"]["ExtendedS3DestinationConfiguration"]
    processor = config["ProcessingConfiguration"]["Processors"][0]
    query = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert query["MetadataExtractionQuery"] == '{"tenant":(.tenant // "unknown"),"region":.region}'
    assert config["DynamicPartitioningConfiguration"]["Enabled"] is True


# --- hand-built mismatches fail the synth --------------------------------------------------

COLUMNS = (Column("id", "string"),)
BY_COUNTRY = Dataset("orders", COLUMNS, partition_keys={"country": ".country"})


def _synth_error(build) -> str:
    app = make_app()
    stack = cdk.Stack(app, "Mismatch", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    source = IngestionStream(stack, "Source", encryption_key=lake.key)
    build(stack, lake.zone("raw").bucket, source)
    with pytest.raises(RuntimeError) as raised:
        app.synth()
    return str(raised.value)


def _delivery(stack, bucket, source, **kwargs):
    return LakeDeliveryStream(stack, "Delivery", source_stream=source, bucket=bucket, **kwargs)


def test_a_table_without_the_deliverys_keys_fails_the_synth():
    def build(stack, bucket, source):
        _delivery(stack, bucket, source, dataset=BY_COUNTRY)
        LakeTable(stack, "Table", database="db", bucket=bucket, dataset=Dataset("orders", COLUMNS))

    message = _synth_error(build)
    assert (
        "[Mismatch/Table] LakeTable 'Mismatch/Table' (table 'orders') reads orders/year=" in message
    )
    assert "LakeDeliveryStream 'Mismatch/Delivery' writes orders/country=" in message
    assert (
        "the partition keys differ: ['country', 'year', 'month', 'day', 'hour'] written" in message
    )
    assert "Athena would return no rows" in message


def test_keys_in_another_order_fail_the_synth():
    first = PartitionLayout("orders", keys={"a": ".a", "b": ".b"})
    second = PartitionLayout("orders", keys={"b": ".b", "a": ".a"})

    def build(stack, bucket, source):
        _delivery(stack, bucket, source, layout=first)
        LakeTable(stack, "Table", database="db", bucket=bucket, table_name="t",
                  columns=COLUMNS, layout=second)  # fmt: skip

    assert "same names in the same order" in _synth_error(build)


def test_an_explicit_table_with_other_partition_columns_fails_the_synth():
    def build(stack, bucket, source):
        _delivery(stack, bucket, source, dataset=BY_COUNTRY)
        LakeTable(stack, "Table", database="db", bucket=bucket, table_name="t", columns=COLUMNS,
                  location_prefix="orders/", partition_keys=[("dt", "string")])  # fmt: skip

    assert "['dt'] read" in _synth_error(build)


def test_a_bucket_imported_by_the_same_name_is_the_same_bucket():
    def build(stack, bucket, source):
        named = s3.Bucket.from_bucket_attributes(
            stack, "Named", bucket_name="lake-raw", encryption_key=bucket.encryption_key
        )
        again = s3.Bucket.from_bucket_name(stack, "Again", "lake-raw")
        _delivery(stack, named, source, dataset=BY_COUNTRY)
        LakeTable(stack, "Table", database="db", bucket=again, dataset=Dataset("orders", COLUMNS))

    assert "the partition keys differ" in _synth_error(build)


def test_matching_sides_and_other_locations_synthesize():
    app = make_app()
    stack = cdk.Stack(app, "Match", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    raw, curated = lake.zone("raw").bucket, lake.zone("curated").bucket
    source = IngestionStream(stack, "Source", encryption_key=lake.key)
    layout = PartitionLayout("orders", PartitionGranularity.DAY, {"country": ".country"})
    _delivery(stack, raw, source, layout=layout)
    LakeTable(stack, "Same", database="db", bucket=raw, table_name="t", columns=COLUMNS,
              layout=layout)  # fmt: skip
    # Another dataset's location, and the same location in another bucket, are not compared.
    LakeTable(stack, "Other", database="db", bucket=raw, dataset=Dataset("returns", COLUMNS))
    LakeTable(stack, "Elsewhere", database="db", bucket=curated, dataset=Dataset("orders", COLUMNS))
    app.synth()


def test_a_delivery_given_a_layout_other_than_its_datasets_is_rejected():
    stack = cdk.Stack(make_app(), "Both", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    source = IngestionStream(stack, "Source", encryption_key=lake.key)
    with pytest.raises(ValueError, match=r"is not the layout of dataset 'orders'"):
        _delivery(stack, lake.zone("raw").bucket, source, dataset=BY_COUNTRY,
                  layout=PartitionLayout("orders"))  # fmt: skip


# --- the platform stacks use the dataset's layout on both sides -------------------------------


def test_ingestion_and_catalog_stacks_share_the_datasets_keys():
    app = make_app()
    storage = StorageStack(app, "Storage")
    datasets = (BY_COUNTRY, Dataset("clicks", COLUMNS))
    ingestion = IngestionStack(app, "Ingestion", data_lake=storage.data_lake, datasets=datasets)
    catalog = CatalogStack(app, "Catalog", data_lake=storage.data_lake, datasets=datasets)
    delivery = ingestion.deliveries["orders"]
    table = catalog.tables["orders"]
    assert delivery.prefix == BY_COUNTRY.layout.firehose_prefix()
    template = table.parameters["storage.location.template"]
    assert template.endswith("/orders/country=${country}/year=${year}/month=${month}/day=${day}/"
                             "hour=${hour}/")  # fmt: skip
    assert [k.name for k in table.partition_keys] == ["country", "year", "month", "day", "hour"]
    assert json.dumps(ingestion.resolve(delivery.layout.partition_queries)) == (
        '{"country": ".country"}'
    )
    app.synth()  # the cross-stack check passes


def test_platform_stacks_given_different_datasets_fail_the_synth_across_stacks():
    app = make_app()
    storage = StorageStack(app, "Storage")
    IngestionStack(app, "Ingestion", data_lake=storage.data_lake, datasets=(BY_COUNTRY,))
    CatalogStack(
        app, "Catalog", data_lake=storage.data_lake, datasets=(Dataset("orders", COLUMNS),)
    )
    with pytest.raises(RuntimeError, match=r"\[Catalog/OrdersTable\] LakeTable .* but LakeDeliveryStream "
                       r"'Ingestion/OrdersDelivery' writes orders/country="):  # fmt: skip
        app.synth()
