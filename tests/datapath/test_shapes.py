"""Every dataset shape the platform supports, from producer to the query an ML user writes.

One environment ("matrix") declares a dataset per shape in the cdk.json format; it is synthesized
with ``build_platform`` as the CLI would, and each dataset's records go through the data path
(see ``harness``). The table is the synthesized Glue table, queried in Trino.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from trino.exceptions import TrinoQueryError

from ml_data_platform.local import MotoServer
from ml_data_platform.stacks import build_platform
from tests.conftest import CDK_CONTEXT, make_app
from tests.datapath.firehose import FORMAT_CONVERSION_FAILED
from tests.datapath.harness import DatasetPath, as_dicts, time_partitions
from tests.datapath.template import Templates
from tests.datapath.trino import TrinoServer

COLUMNS = [
    {"name": "order_id", "type": "string"},
    {"name": "placed_at", "type": "timestamp"},
    {"name": "total", "type": "decimal(12,2)"},
    {"name": "quantity", "type": "int"},
    {"name": "weight", "type": "double"},
    {"name": "gift", "type": "boolean"},
    {"name": "attributes", "type": "map<string,string>"},
    {"name": "items", "type": "array<struct<sku:string,qty:int,price:decimal(10,2)>>"},
    {"name": "tags", "type": "array<string>"},
]
SHAPES = {
    "orders-hourly": {"granularity": "hour", "format": "json-gzip"},
    "orders-daily": {"granularity": "day", "format": "json-gzip"},
    "orders-parquet": {"granularity": "hour", "format": "parquet"},
    "orders-by-country": {
        "granularity": "day",
        "format": "json-gzip",
        "partition_keys": [{"name": "country", "query": ".country"}],
    },
    "orders-by-channel": {
        "granularity": "hour",
        "format": "parquet",
        "partition_keys": [
            {"name": "channel", "query": ".channel", "projection": "enum", "values": ["web", "app"]}
        ],
    },
}
COUNTRIES = ("de", "fr", "us")
KEY_FILTERS = {"country": f"country IN {COUNTRIES}", "channel": "channel IN ('web', 'app')"}
"""Every key's values: an injected key must be filtered (Athena cannot list its values)."""
ENVIRONMENT = {
    "removal": "destroy",
    "stream": {"mode": "on-demand", "retention_hours": 24},
    "delivery": {"buffer_interval_seconds": 60, "buffer_size_mib": 64, "format": "json-gzip"},
    "datasets": [
        {"name": name, "columns": COLUMNS, "description": f"shape {name}", **shape}
        for name, shape in SHAPES.items()
    ],
    "warehouse": {"enabled": False},
}
# (arrival, the partition time its records must get). Firehose names an object by the arrival
# of its OLDEST record: records arriving at 00:00:05 join the buffer opened at 23:59:50 (the
# template's 60 s interval has not passed) and land in day 2, hour 23; those at 00:01:10 open
# a new buffer and land in day 3, hour 0.
ROUNDS = [
    (datetime(2026, 3, 1, 10, 15, 0), datetime(2026, 3, 1, 10)),
    (datetime(2026, 3, 1, 11, 5, 0), datetime(2026, 3, 1, 11)),
    (datetime(2026, 3, 2, 23, 59, 50), datetime(2026, 3, 2, 23)),
    (datetime(2026, 3, 3, 0, 0, 5), datetime(2026, 3, 2, 23)),
    (datetime(2026, 3, 3, 0, 1, 10), datetime(2026, 3, 3, 0)),
]
PER_ROUND = 6
DAYS = "year = 2026 AND month = 3 AND day BETWEEN 1 AND 3"
HOURS = " AND hour IN (0, 10, 11, 23)"
"""The rounds' hours: an hourly table is projected over 72 hours otherwise (each a listing)."""


def all_rounds(path: DatasetPath) -> str:
    keys = [KEY_FILTERS[k] for k in path.partition_columns if k in KEY_FILTERS]
    return " AND ".join([DAYS + (HOURS if "hour" in path.partition_columns else ""), *keys])


def order(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A record as the producer sends it (JSON) and the row the query must return."""
    placed = datetime(2026, 2, 28, 9, 30, 15, 123000 * (i % 2)).replace(minute=i % 60)
    stamp = [
        placed.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",  # ISO-8601, UTC
        placed.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],  # java.sql.Timestamp
        int((placed - datetime(1970, 1, 1)).total_seconds() * 1000),  # epoch milliseconds
    ][i % 3]
    total = Decimal(f"{i * 1234}.{i % 100:02d}")
    items = [
        {"sku": f"sku-{i}-{n}", "qty": n + 1, "price": Decimal(f"{n}.{(i + n) % 100:02d}")}
        for n in range(i % 3)
    ]
    attributes = {} if i % 4 == 0 else {"channel": ["web", "app"][i % 2], "campaign": f"c{i}"}
    sent = {
        "order_id": f"o-{i}",
        "placed_at": stamp,
        "total": float(total),
        "quantity": i,
        "weight": i * 0.25,
        "gift": i % 2 == 0,
        "attributes": attributes,
        "items": [{**item, "price": float(item["price"])} for item in items],
        "tags": [f"t{n}" for n in range(i % 4)],
        "country": COUNTRIES[i % 3],
        "channel": ["web", "app"][i % 2],
    }
    expected = {
        "order_id": f"o-{i}",
        "placed_at": placed,
        "total": total,
        "quantity": i,
        "weight": i * 0.25,
        "gift": i % 2 == 0,
        "attributes": attributes,
        "items": items,
        "tags": sent["tags"],
    }
    return sent, expected


@pytest.fixture(scope="module")
def matrix() -> Templates:
    context = {
        **CDK_CONTEXT,
        "ml-data-platform": {
            "project": "mldp",
            "environments": {"matrix": ENVIRONMENT},
        },
    }
    app = make_app()
    build_platform(app, context)
    return Templates.from_assembly(app.synth().stacks_recursively)


@pytest.fixture(scope="module")
def delivered(
    matrix: Templates, lake_moto: MotoServer, trino: TrinoServer
) -> dict[str, tuple[DatasetPath, list[dict[str, Any]]]]:
    """Every shape's records produced, delivered and its table defined; ``{dataset: (path,
    expected rows with their arrival partitions)}``."""
    result = {}
    for index, dataset in enumerate(SHAPES):
        path = DatasetPath.find(matrix, dataset)
        path.create(lake_moto)
        rounds, expected = [], []
        for r, (when, partition_time) in enumerate(ROUNDS):
            pairs = [order(index * 100 + r * PER_ROUND + n) for n in range(PER_ROUND)]
            rounds.append((when, [sent for sent, _ in pairs]))
            partitions = time_partitions(partition_time, path.partition_columns)
            expected += [
                {
                    **row,
                    **partitions,
                    **{k: sent[k] for k in KEY_FILTERS if k in path.partition_columns},
                }
                for sent, row in pairs
            ]
        path.deliver(lake_moto, path.produce(lake_moto, rounds, partition_key_field="order_id"))
        path.define(trino)
        result[dataset] = (path, expected)
    return result


@pytest.mark.parametrize("dataset", list(SHAPES))
def test_every_record_comes_back_with_equal_values(
    delivered: dict, trino: TrinoServer, dataset: str
) -> None:
    path, expected = delivered[dataset]

    rows, _ = path.select(trino, all_rounds(path))

    assert len(rows) == len(ROUNDS) * PER_ROUND
    by_id = {row["order_id"]: as_dicts(row) for row in rows}
    for want in expected:
        assert by_id[want["order_id"]] == want


@pytest.mark.parametrize("dataset", list(SHAPES))
def test_a_time_range_reads_only_its_partitions(
    delivered: dict, trino: TrinoServer, dataset: str
) -> None:
    path, expected = delivered[dataset]
    hourly = "hour" in path.partition_columns
    where = " AND ".join(
        ["year = 2026 AND month = 3 AND day = 1" + (" AND hour = 11" if hourly else "")]
        + [KEY_FILTERS[k] for k in path.partition_columns if k in KEY_FILTERS]
    )
    wanted = {e["order_id"] for e in expected if e["day"] == 1 and e.get("hour", 11) == 11}

    rows, stats = path.select(trino, where, ["order_id"])

    assert {row["order_id"] for row in rows} == wanted
    assert len(wanted) == PER_ROUND * (1 if hourly else 2)
    # Pruned, not filtered: only the matching partitions' files were read.
    assert stats["processedRows"] == len(wanted)


@pytest.mark.parametrize("dataset", list(SHAPES))
def test_records_land_under_the_prefix_the_template_names(delivered: dict, dataset: str) -> None:
    path, _ = delivered[dataset]
    (delivery,) = path.deliveries
    hourly = "hour" in path.partition_columns
    suffix = ".parquet" if path.delivery.conversion else ".gz"
    keys = [k for k in path.partition_columns if k in KEY_FILTERS]
    values = {"country": COUNTRIES, "channel": ("web", "app")}
    combinations = [""]
    for key in keys:  # dynamic keys come first, in their order
        combinations = [f"{c}{key}={v}/" for c in combinations for v in values[key]]
    expected_dirs = {
        f"{dataset}/{c}year=2026/month=03/day=0{w.day}/" + (f"hour={w.hour:02d}/" if hourly else "")
        for _, w in ROUNDS
        for c in combinations
    }
    assert {k.rsplit("/", 1)[0] + "/" for k in delivery.objects} == expected_dirs
    assert all(k.endswith(suffix) for k in delivery.objects)
    assert not delivery.errors


def test_json_records_the_serde_cannot_parse_show_as_nulls_or_a_failed_query(
    delivered: dict, lake_moto: MotoServer, trino: TrinoServer
) -> None:
    """JSON is not converted: Firehose delivers every record as it came. The OpenX JSON reader
    reads a value it cannot parse as NULL (found with ``WHERE placed_at IS NULL``), and a line
    that is not JSON fails every query that reads its file, naming the file."""
    path, _ = delivered["orders-hourly"]
    bad_value = {**order(998)[0], "order_id": "bad-time", "placed_at": "yesterday"}
    arrived = path.produce(
        lake_moto,
        [(datetime(2026, 4, 1, 8, 0), [bad_value]), (datetime(2026, 4, 1, 9, 0), [b"{oops"])],
        partition_key_field="order_id",
    )
    delivery = path.deliver(lake_moto, arrived)
    assert not delivery.errors
    value_key, line_key = sorted(delivery.objects)
    assert value_key.startswith("orders-hourly/year=2026/month=04/day=01/hour=08/")
    assert line_key.startswith("orders-hourly/year=2026/month=04/day=01/hour=09/")

    rows, _ = path.select(
        trino, "year = 2026 AND month = 4 AND day = 1 AND hour = 8", ["order_id", "placed_at"]
    )
    assert [(r["order_id"], r["placed_at"]) for r in rows] == [("bad-time", None)]
    with pytest.raises(TrinoQueryError, match="HIVE_CURSOR_ERROR") as raised:
        path.select(trino, "year = 2026 AND month = 4 AND day = 1 AND hour = 9")
    assert f"s3://{path.delivery.bucket}/{line_key}" in str(raised.value)
    # The other partitions still read.
    rows, _ = path.select(trino, all_rounds(path), ["order_id"])
    assert len(rows) == len(ROUNDS) * PER_ROUND


def test_a_parquet_record_firehose_cannot_convert_goes_to_the_error_prefix(
    delivered: dict, lake_moto: MotoServer, trino: TrinoServer
) -> None:
    path, _ = delivered["orders-parquet"]
    good, _ = order(500)
    bad = {**order(501)[0], "order_id": "bad", "quantity": "many"}
    when = datetime(2026, 4, 2, 9, 0)
    arrived = path.produce(lake_moto, [(when, [good, bad])], partition_key_field="order_id")

    delivery = path.deliver(lake_moto, arrived)

    (error_key,) = delivery.errors[FORMAT_CONVERSION_FAILED]
    assert error_key.startswith(
        "errors/orders-parquet/format-conversion-failed/year=2026/month=04/day=02/hour=09/"
    )
    body = lake_moto.client("s3").get_object(Bucket=path.delivery.bucket, Key=error_key)["Body"]
    (line,) = [json.loads(x) for x in body.read().splitlines()]
    assert line["lastErrorCode"] == "DataFormatConversion.MalformedData"
    assert json.loads(base64.b64decode(line["rawData"])) == bad
    rows, _ = path.select(trino, "year = 2026 AND month = 4 AND day = 2 AND hour = 9", ["order_id"])
    assert rows == [{"order_id": good["order_id"], "year": 2026, "month": 4, "day": 2, "hour": 9}]


def test_json_objects_are_gzip_newline_delimited(delivered: dict, lake_moto: MotoServer) -> None:
    path, _ = delivered["orders-daily"]
    key = path.deliveries[0].objects[0]
    body = lake_moto.client("s3").get_object(Bucket=path.delivery.bucket, Key=key)["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    assert lines and all(json.loads(line)["order_id"] for line in lines)


@pytest.mark.parametrize(
    ("dataset", "where", "values"),
    [
        ("orders-by-country", "country = 'fr'", {"fr"}),
        ("orders-by-channel", "channel = 'app'", {"app"}),
    ],
)
def test_a_partition_key_reads_only_its_partitions(
    delivered: dict, trino: TrinoServer, dataset: str, where: str, values: set[str]
) -> None:
    path, expected = delivered[dataset]
    (key,) = [k for k in path.partition_columns if k in KEY_FILTERS]
    time = DAYS + (HOURS if "hour" in path.partition_columns else "")
    wanted = {e["order_id"] for e in expected if e[key] in values}

    rows, stats = path.select(trino, f"{time} AND {where}", ["order_id"])

    assert {row["order_id"] for row in rows} == wanted
    assert {row[key] for row in rows} == values
    assert 0 < len(wanted) < len(expected)
    assert stats["processedRows"] == len(wanted)


def test_a_record_without_its_partition_key_goes_to_the_error_prefix(
    delivered: dict, lake_moto: MotoServer
) -> None:
    path, _ = delivered["orders-by-country"]
    sent = order(700)[0]
    del sent["country"]
    arrived = path.produce(
        lake_moto, [(datetime(2026, 4, 3, 7, 30), [sent])], partition_key_field="order_id"
    )

    delivery = path.deliver(lake_moto, arrived)

    assert not delivery.objects
    (key,) = delivery.errors["partitioning-failed"]
    assert key.startswith("errors/orders-by-country/partitioning-failed/year=2026/month=04/day=03/")
    body = lake_moto.client("s3").get_object(Bucket=path.delivery.bucket, Key=key)["Body"]
    (line,) = [json.loads(x) for x in body.read().splitlines()]
    assert json.loads(base64.b64decode(line["rawData"])) == sent
