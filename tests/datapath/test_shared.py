"""A shared stream, end to end: the records of two of its datasets and some strays, mixed on dev's
``small-events`` stream, go through the synthesized routing delivery; each dataset's own table
returns exactly its records, and every stray lands in the group's error prefix."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest

from ml_data_platform.local import MotoServer
from tests.datapath.firehose import PARTITIONING_FAILED
from tests.datapath.harness import DatasetPath, as_dicts, time_partitions
from tests.datapath.template import Templates
from tests.datapath.trino import TrinoServer

ARRIVAL = datetime(2026, 6, 1, 9, 30, 0)
STRAYS = [
    {"dataset": "orders", "user_id": "u-x"},  # not a member of the group
    {"user_id": "u-y"},  # no dataset field
    {"dataset": ["search-queries"], "user_id": "u-z"},  # not a string
]


@pytest.fixture(scope="module")
def paths(platform_synth: tuple[dict, dict]) -> dict[str, DatasetPath]:
    stages, _ = platform_synth
    templates = Templates.from_assembly(stages["Dev"].synth().stacks_recursively)
    return {name: DatasetPath.find(templates, name) for name in ("search-queries", "item-ratings")}


def test_both_datasets_are_written_by_one_delivery_from_one_stream(paths):
    queries, ratings = paths["search-queries"], paths["item-ratings"]
    assert queries.delivery.name == ratings.delivery.name
    assert queries.stream_name == ratings.stream_name
    assert queries.routing == {"dataset": "search-queries"}


def test_mixed_records_reach_their_own_tables_and_strays_the_error_prefix(
    paths: dict[str, DatasetPath], lake_moto: MotoServer, trino: TrinoServer
) -> None:
    queries, ratings = paths["search-queries"], paths["item-ratings"]
    queries.create(lake_moto)
    ratings.create(lake_moto)
    sent_queries = [
        {"dataset": "search-queries", "user_id": f"u{i}", "query": f"q{i}", "results": i}
        for i in range(5)
    ]
    sent_ratings = [
        {"dataset": "item-ratings", "user_id": f"u{i}", "item_id": f"i{i}", "rating": i % 5}
        for i in range(3)
    ]
    # Interleaved, as producers of both datasets share the stream.
    mixed = [*sent_queries[:2], *sent_ratings, *STRAYS, *sent_queries[2:]]
    records = queries.produce(lake_moto, [(ARRIVAL, mixed)], partition_key_field="user_id")
    delivery = queries.deliver(lake_moto, records)

    written = sorted(delivery.objects)
    assert [key.split("/", 1)[0] for key in written] == ["item-ratings", "search-queries"]
    for path, sent in ((queries, sent_queries), (ratings, sent_ratings)):
        path.define(trino)
        where = " AND ".join(
            f"{k} = {v}" for k, v in time_partitions(ARRIVAL, path.partition_columns).items()
        )
        rows, stats = path.select(
            trino, where, columns=[c for c in path.columns if c != "event_time"]
        )
        expected = [
            {k: v for k, v in record.items() if k != "dataset"}
            | time_partitions(ARRIVAL, path.partition_columns)
            for record in sent
        ]
        assert sorted((as_dicts(r) for r in rows), key=lambda r: r["user_id"]) == sorted(
            expected, key=lambda r: r["user_id"]
        )
        assert stats["processedRows"] == len(sent)  # only its own prefix was read

    (error_key,) = delivery.errors[PARTITIONING_FAILED]
    assert error_key.startswith(f"errors/_shared/small-events/{PARTITIONING_FAILED}/year=2026/")
    body = lake_moto.client("s3").get_object(Bucket=queries.delivery.bucket, Key=error_key)
    lines = [json.loads(line) for line in body["Body"].read().decode().splitlines()]
    strays = [json.loads(base64.b64decode(line["rawData"])) for line in lines]
    assert sorted(map(canonical, strays)) == sorted(map(canonical, STRAYS))
    assert {line["errorCode"] for line in lines} == {"DynamicPartitioning.MetadataExtractionFailed"}


def canonical(record: object) -> str:
    return json.dumps(record, sort_keys=True)
