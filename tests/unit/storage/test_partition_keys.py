"""Dynamic partition keys: names, jq queries (compiled with jq), projection, and the config."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from ml_data_platform.config import ConfigError, settings_from_context
from ml_data_platform.core.jq import firehose_extraction_query, validate_jq
from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.storage import KeyProjection, PartitionKey, PartitionLayout
from ml_data_platform.storage.layout import layout_mismatch, parse_partitioned_path

COLUMNS = (Column("id", "string"),)


@pytest.mark.parametrize(
    "query",
    [".country", ".customer.id", '.a["b c"]', "(.a // \"x\")", ".tags[0] | ascii_downcase",
     ".ts | strptime(\"%Y-%m-%d\") | mktime | tostring", '"fixed"'],
)  # fmt: skip
def test_jq_queries_firehose_can_run_are_accepted(query):
    assert PartitionKey("k", query).query == query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (".a |", r"not a valid jq expression \(\.a \|\): jq: error: syntax error"),
        (".[", r"syntax error"),
        ("customer_id", r"customer_id/0 is not defined"),
        (".a // ", r"as Firehose runs it \(\{\"k\":\(\.a // \)\}\)|syntax error"),
        ("pick(.a)", r"uses \['pick'\], which Firehose's jq 1\.6 does not have"),
        ("  ", r"must be a jq expression such as '\.customer_id'"),
    ],
)
def test_bad_jq_queries_fail_with_jqs_message(query, message):
    with pytest.raises(ValueError, match=r"partition key 'k': query ") as raised:
        PartitionKey("k", query)
    assert raised.match(message)


def test_a_builtin_name_inside_a_string_is_not_a_call():
    assert validate_jq('.kind == "pick"', "q") == '.kind == "pick"'
    assert (
        firehose_extraction_query({"a": ".a.b", "b": '.b // "x"'}) == '{"a":.a.b,"b":(.b // "x")}'
    )
    with pytest.raises(TypeError, match="q must be a jq expression string, got int"):
        validate_jq(7, "q")


@pytest.mark.parametrize("name", ["year", "month", "day", "hour", "dt", "date", "date_hour", "d_t"])
def test_keys_named_like_a_time_partition_are_rejected(name):
    with pytest.raises(ValueError, match=rf"partition key name '{name}' reads as a time partition"):
        PartitionKey(name, ".x")


@pytest.mark.parametrize("name", ["Country", "2x", "bad-key", "", "k" * 65, 7])
def test_key_names_must_be_glue_and_firehose_names(name):
    with pytest.raises(ValueError, match="must be 1–64 lowercase letters, digits or '_'"):
        PartitionKey(name, ".x")


def test_keys_reading_alike_after_normalisation_are_rejected():
    with pytest.raises(ValueError, match=r"keys 'country_code' and 'countrycode' read alike"):
        PartitionLayout("orders", keys={"country_code": ".a", "countrycode": ".b"})
    with pytest.raises(ValueError, match=r"keys 'a' and 'a' read alike"):
        PartitionLayout("orders", keys=[PartitionKey("a", ".a"), PartitionKey("a", ".b")])
    with pytest.raises(ValueError, match=r"at most 50 keys \(Firehose's limit\), got 51"):
        PartitionLayout("orders", keys={f"k{i}": ".a" for i in range(51)})


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"projection": KeyProjection.ENUM}, ValueError, "projection ENUM needs values"),
        ({"values": ("a",)}, ValueError, "values are only used with projection ENUM"),
        ({"projection": "range"}, ValueError, r"projection must be a KeyProjection \(or one of"),
        ({"projection": "enum", "values": "de"}, TypeError, "values must be a sequence of str"),
        ({"projection": "enum", "values": ("a/b",)}, ValueError, r"value 'a/b' must be a non-em"),
        ({"projection": "enum", "values": ("a,b",)}, ValueError, r"value 'a,b' must be"),
        ({"projection": "enum", "values": ("a", "a")}, ValueError, r"duplicate values \['a'\]"),
    ],
)
def test_projection_rules(kwargs, error, message):
    with pytest.raises(error, match=message):
        PartitionKey("k", ".k", **kwargs)


def test_the_projection_may_be_given_by_its_value():
    key = PartitionKey("k", ".k", "ENUM", ["x", "y"])
    assert key.projection is KeyProjection.ENUM and key.values == ("x", "y")
    assert key.projection_parameters() == {
        "projection.k.type": "enum",
        "projection.k.values": "x,y",
    }


def test_the_layout_orders_dynamic_keys_before_time_keys_everywhere():
    layout = PartitionLayout("orders", keys={"country": ".country"})
    assert layout.partition_keys == ("country", "year", "month", "day", "hour")
    assert layout.partition_columns()[:2] == [("country", "string"), ("year", "int")]
    assert layout.prefix_for(datetime(2026, 1, 2, 3, tzinfo=timezone.utc), {"country": "de"}) == (
        "orders/country=de/year=2026/month=01/day=02/hour=03/"
    )
    with pytest.raises(
        ValueError, match=r"values must give exactly the dynamic keys \['country'\]"
    ):
        layout.prefix_for(datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert "partitionKeyFromQuery" not in layout.firehose_error_prefix()
    written = parse_partitioned_path(layout.firehose_prefix())
    read = parse_partitioned_path(
        layout.projection_parameters("b")["storage.location.template"][7:]
    )
    assert written.root == "orders/" and written.keys == layout.partition_keys
    # The template's path (after s3://b/) parses to the same shape.
    assert (read.root, read.keys) == (written.root, written.keys)
    assert layout_mismatch(written, read) is None


def test_layout_mismatch_reasons():
    def shape(path):
        return parse_partitioned_path(path)

    written = shape("o/c=!{partitionKeyFromQuery:c}/year=!{timestamp:yyyy}/")
    assert "literal paths differ" in layout_mismatch(written, shape("p/c=${c}/year=${year}/"))
    assert "filled from partition key 'd'" in layout_mismatch(
        shape("o/c=!{partitionKeyFromQuery:d}/"), shape("o/c=${c}/")
    )
    assert "written as !{timestamp:yy}" in layout_mismatch(
        shape("o/year=!{timestamp:yy}/"), shape("o/year=${year}/")
    )
    with pytest.raises(ValueError, match="is not a Hive-style partition"):
        shape("o/!{timestamp:yyyy/MM}/")


def test_dataset_keys_must_not_also_be_columns_and_reach_the_layout():
    with pytest.raises(ValueError, match=r"columns \['country'\] are also dynamic partition keys"):
        Dataset("orders", (Column("country", "string"),), partition_keys={"country": ".country"})
    dataset = Dataset("orders", COLUMNS, partition_keys=[PartitionKey("country", ".country")])
    assert dataset.layout.keys == dataset.partition_keys
    with pytest.raises(TypeError, match="partition_keys must be a sequence of PartitionKey"):
        Dataset("orders", COLUMNS, partition_keys=PartitionKey("country", ".country"))


# --- cdk.json ---------------------------------------------------------------------------------

DATASET = {"name": "orders", "columns": [{"name": "id", "type": "string"}]}


def context_with(keys, **delivery):
    dataset = copy.deepcopy(DATASET)
    dataset["partition_keys"] = keys
    env = {"datasets": [dataset]}
    if delivery:
        env["delivery"] = delivery
    return {"ml-data-platform": {"environments": {"dev": env}}}


def test_partition_keys_are_read_from_the_config():
    keys = [
        {"name": "country", "query": ".country", "projection": "enum", "values": ["de", "fr"]},
        {"name": "customer", "query": ".customer.id"},
    ]
    dataset = settings_from_context(context_with(keys), "dev").datasets[0]
    assert dataset.partition_keys == (
        PartitionKey("country", ".country", KeyProjection.ENUM, ("de", "fr")),
        PartitionKey("customer", ".customer.id"),
    )
    assert dataset.layout.firehose_prefix().startswith(
        "orders/country=!{partitionKeyFromQuery:country}/customer=!{partitionKeyFromQuery:customer}/"
    )


AT = "ml-data-platform.environments.dev"


@pytest.mark.parametrize(
    ("keys", "delivery", "message"),
    [
        ([{"name": "year", "query": ".y"}], {}, r"datasets\[0\]\.partition_keys\[0\]\.name: partition key name 'year' reads as a time partition"),
        ([{"name": "c", "query": ".c |"}], {}, r"datasets\[0\]\.partition_keys\[0\]\.query: partition key 'c': query '\.c \|' is not a valid jq"),
        ([{"name": "c", "query": ".c", "projection": "range"}], {}, r"partition_keys\[0\]\.projection: 'range' is not one of injected/enum"),
        ([{"name": "c", "query": ".c", "projection": "enum"}], {}, r"partition_keys\[0\]\.values: partition key 'c': projection ENUM needs values"),
        ([{"name": "c", "query": ".c", "valeus": []}], {}, r"partition_keys\[0\]: unknown keys \['valeus'\]"),
        ([{"name": "c", "query": ".c"}, {"name": "c", "query": ".d"}], {}, r"datasets\[0\]\.partition_keys: partition_keys: keys 'c' and 'c' read alike"),
        ([{"name": "id", "query": ".id"}], {}, r"datasets\[0\]\.columns: dataset 'orders': columns \['id'\] are also dynamic partition keys"),
        ([{"name": "c", "query": ".c"}], {"buffer_interval_seconds": 30}, r"delivery\.buffer_interval_seconds: must be ≥ 60 with dynamic partitioning \(datasets \['orders'\]"),
        ([{"name": "c", "query": ".c"}], {"buffer_size_mib": 32}, r"delivery\.buffer_size_mib: must be ≥ 64 with dynamic partitioning"),
    ],
)  # fmt: skip
def test_bad_partition_keys_in_the_config_name_the_key_path(keys, delivery, message):
    with pytest.raises(
        ConfigError, match=rf"^{AT}\.{message}" if message.startswith("d") else message
    ):
        settings_from_context(context_with(keys, **delivery), "dev")
