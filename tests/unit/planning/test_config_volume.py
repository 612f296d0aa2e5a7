"""A dataset's expected traffic (``datasets[].volume``): read, validated at its key path, and
priced by ``ml-data-platform plan-ingestion --env``."""

from __future__ import annotations

import copy
import json

import pytest

from ml_data_platform.cli import main
from ml_data_platform.config import ConfigError, settings_from_context
from ml_data_platform.planning import DatasetVolume

EVENTS = {"name": "events", "columns": [{"name": "id", "type": "string"}]}


def context_with(*datasets, **environment):
    return {
        "ml-data-platform": {"environments": {"dev": {"datasets": list(datasets), **environment}}}
    }


def test_a_volume_is_read_with_the_dataset_format_and_granularity():
    logs = dict(
        EVENTS,
        name="logs",
        granularity="day",
        volume={"records_per_second": 2, "record_bytes": 300},
    )
    clicks = dict(
        EVENTS,
        name="clicks",
        format="parquet",
        volume={"records_per_second": 0.5, "record_bytes": 900},
    )
    orders = dict(
        EVENTS,
        name="orders",
        partition_keys=[{"name": "country", "query": ".country"}],
        volume={"records_per_second": 1, "record_bytes": 400},
    )
    settings = settings_from_context(context_with(logs, clicks, orders, EVENTS), "dev")
    assert settings.volumes == {
        "logs": DatasetVolume("logs", 2.0, 300, parquet=False, group="day"),
        "clicks": DatasetVolume("clicks", 0.5, 900, parquet=True, group="hour"),
        "orders": DatasetVolume("orders", 1.0, 400, group="hour", partitioned=True),
    }


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        (
            {"records_per_second": 0, "record_bytes": 300},
            r"datasets\[0\]\.volume\.records_per_second: .*a number > 0",
        ),
        (
            {"records_per_second": True, "record_bytes": 300},
            r"datasets\[0\]\.volume\.records_per_second",
        ),
        ({"records_per_second": 1, "record_bytes": 0}, r"datasets\[0\]\.volume\.record_bytes"),
        ({"records_per_second": 1}, r"datasets\[0\]\.volume\.record_bytes: missing required key"),
        (
            {"records_per_second": 1, "record_bytes": 9, "peak": 2},
            r"datasets\[0\]\.volume: unknown keys \['peak'\]",
        ),
    ],
)
def test_a_bad_volume_names_its_key_path(volume, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_context(context_with(dict(EVENTS, volume=volume)), "dev")


def test_plan_ingestion_prices_an_environment_from_cdk_json(tmp_path, capsys):
    datasets = [
        dict(EVENTS, name=f"small-{i}", volume={"records_per_second": 1, "record_bytes": 500})
        for i in range(3)
    ]
    context = context_with(*datasets, copy.deepcopy(EVENTS))
    (tmp_path / "cdk.json").write_text(json.dumps({"context": context}))
    code = main(["plan-ingestion", "--env", "dev", "--context", str(tmp_path / "cdk.json")])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line.split() for line in out.splitlines()[2:5]]
    assert [(r[0], r[4]) for r in rows] == [(f"small-{i}", "shared") for i in range(3)]
    assert "not priced (no 'volume' in the config; they stay dedicated): ['events']" in out


def test_plan_ingestion_keeps_a_dataset_with_partition_keys_dedicated(tmp_path, capsys):
    """Three small datasets share; a fourth as small, with partition keys, cannot (the config
    refuses to share it), and its own delivery pays dynamic partitioning and jq."""
    volume = {"records_per_second": 1, "record_bytes": 500}
    datasets = [dict(EVENTS, name=f"small-{i}", volume=volume) for i in range(3)]
    keyed = dict(
        EVENTS, name="keyed", partition_keys=[{"name": "country", "query": ".c"}], volume=volume
    )
    context = context_with(*datasets, keyed, delivery={"buffer_size_mib": 64})
    (tmp_path / "cdk.json").write_text(json.dumps({"context": context}))
    code = main(["plan-ingestion", "--env", "dev", "--context", str(tmp_path / "cdk.json")])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:6]}
    # name, group, dedicated, shared ("-": not offered), recommended, configured, why
    assert rows["keyed"][3:5] == ["-", "dedicated"], rows["keyed"]
    assert "partition keys: a shared delivery partitions by dataset and time only" in out
    assert all(rows[f"small-{i}"][4] == "shared" for i in range(3))
    # its own jq all month (720 h x 0.07 = 50.40) and a few cents of partitioning on top
    extra = float(rows["keyed"][2]) - float(rows["small-0"][2])
    assert 50.40 <= extra < 50.50


def test_plan_ingestion_needs_exactly_one_source(tmp_path, capsys):
    (tmp_path / "cdk.json").write_text(json.dumps({"context": context_with(EVENTS)}))
    assert main(["plan-ingestion"]) == 2
    assert "give either --env or --dataset" in capsys.readouterr().err
    assert main(["plan-ingestion", "--env", "dev", "--context", str(tmp_path / "cdk.json")]) == 2
    assert "no dataset gives a 'volume'" in capsys.readouterr().err
