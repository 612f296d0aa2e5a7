"""The shipped environments (cdk.json): every dataset of every environment, through the data
path, from the same synthesized platform the nag tests check (``platform_synth``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ml_data_platform.config.settings import settings_from_context
from ml_data_platform.local import MotoServer
from tests.conftest import CDK_CONTEXT
from tests.datapath.harness import DatasetPath, as_dicts, time_partitions
from tests.datapath.template import Templates
from tests.datapath.trino import TrinoServer

RECORDS = 8
ARRIVAL = datetime(2026, 5, 4, 13, 20, 0)


def _split(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += char in "<("
        depth -= char in ">)"
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]]


def value_for(hive_type: str, i: int, name: str) -> tuple[Any, Any]:
    """(the JSON value a producer sends, the value the query must return) for column type."""
    text = hive_type.replace(" ", "").lower()
    if text in ("string",) or re.fullmatch(r"(var)?char\(\d+\)", text):
        return f"{name}-{i}", f"{name}-{i}"
    if text in ("int", "integer", "bigint", "smallint", "tinyint"):
        return i, i
    if text in ("double", "float"):
        return i + 0.5, i + 0.5
    if text == "boolean":
        return i % 2 == 0, i % 2 == 0
    if text == "timestamp":
        when = datetime(2026, 5, 4, 12, 0, 0, 250000) + timedelta(minutes=i)
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", when
    decimal = re.fullmatch(r"decimal\((\d+)(?:,(\d+))?\)", text)
    if decimal:
        scale = int(decimal[2] or 0)
        value = Decimal(i * 3 + 1).scaleb(-scale) if scale else Decimal(i * 3 + 1)
        return float(value), value
    if text.startswith("array<"):
        sent, want = value_for(text[6:-1], i, name)
        return [sent, sent], [want, want]
    if text.startswith("map<"):
        _key_type, value_type = _split(text[4:-1])
        sent, want = value_for(value_type, i, name)
        return {f"k{i}": sent}, {f"k{i}": want}
    if text.startswith("struct<"):
        fields = [f.split(":", 1) for f in _split(text[7:-1])]
        pairs = {n: value_for(t, i, n) for n, t in fields}
        return {n: p[0] for n, p in pairs.items()}, {n: p[1] for n, p in pairs.items()}
    raise NotImplementedError(f"no test value for {hive_type!r}")


def environments() -> list[tuple[str, str]]:
    names = CDK_CONTEXT["ml-data-platform"]["environments"]
    return [
        (env, d.name) for env in names for d in settings_from_context(CDK_CONTEXT, env).datasets
    ]


@pytest.fixture(scope="module")
def templates(platform_synth: tuple[dict, dict]) -> dict[str, Templates]:
    stages, _ = platform_synth
    return {
        name.lower(): Templates.from_assembly(stage.synth().stacks_recursively)
        for name, stage in stages.items()
    }


@pytest.mark.parametrize(("environment", "dataset"), environments())
def test_shipped_dataset_reads_back_every_record(
    templates: dict[str, Templates],
    lake_moto: MotoServer,
    trino: TrinoServer,
    environment: str,
    dataset: str,
) -> None:
    path = DatasetPath.find(templates[environment], dataset)
    path.create(lake_moto)
    columns = path.table_input["StorageDescriptor"]["Columns"]
    sent, expected = [], []
    for i in range(RECORDS):
        pairs = {c["Name"]: value_for(c["Type"], i, c["Name"]) for c in columns}
        # On a shared stream the producer names the dataset in each record.
        sent.append({n: p[0] for n, p in pairs.items()} | path.routing)
        expected.append(
            {n: p[1] for n, p in pairs.items()} | time_partitions(ARRIVAL, path.partition_columns)
        )
    first = columns[0]["Name"]
    path.deliver(lake_moto, path.produce(lake_moto, [(ARRIVAL, sent)], partition_key_field=first))
    path.define(trino)
    where = " AND ".join(
        f"{k} = {v}" for k, v in time_partitions(ARRIVAL, path.partition_columns).items()
    )

    rows, stats = path.select(trino, where)

    assert sorted((as_dicts(r) for r in rows), key=lambda r: r[first]) == sorted(
        expected, key=lambda r: r[first]
    )
    assert stats["processedRows"] == RECORDS
