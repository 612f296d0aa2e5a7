"""``datasets[].ingestion`` / ``shared_group``: explicit modes, the planner's default from
``volume``, and every rule reported at its key path."""

from __future__ import annotations

import pytest

from ml_data_platform.config import ConfigError, settings_from_context
from ml_data_platform.config.ingestion import DatasetIngestion
from ml_data_platform.planning.ingestion_mode import IngestionMode, compare_ingestion_modes

SHARED, DEDICATED = IngestionMode.SHARED, IngestionMode.DEDICATED
COLUMNS = [{"name": "id", "type": "string"}]
TINY = {"records_per_second": 0.5, "record_bytes": 300}
BIG = {"records_per_second": 3000, "record_bytes": 2000}


def dataset(name, **keys):
    return {"name": name, "columns": COLUMNS, **keys}


def settings_of(*datasets, **environment):
    context = {
        "ml-data-platform": {"environments": {"dev": {"datasets": list(datasets), **environment}}}
    }
    return settings_from_context(context, "dev")


def test_explicit_modes_and_groups():
    settings = settings_of(
        dataset("a", ingestion="shared"),
        dataset("b", ingestion="shared", shared_group="small"),
        dataset("c", ingestion="dedicated"),
        dataset("d"),
        dataset("e", granularity="day", ingestion="shared"),
    )
    assert settings.ingestion == {
        "a": DatasetIngestion(SHARED, "hour"),  # default group: the granularity
        "b": DatasetIngestion(SHARED, "small"),
        "c": DatasetIngestion(DEDICATED),
        "d": DatasetIngestion(DEDICATED),  # no ingestion, no volume: dedicated
        "e": DatasetIngestion(SHARED, "day"),
    }
    assert {g: [d.name for d in m] for g, m in settings.shared_groups().items()} == {
        "hour": ["a"],
        "small": ["b"],
        "day": ["e"],
    }


def test_without_ingestion_the_planner_decides_from_volume():
    datasets = [dataset(n, volume=TINY) for n in ("t1", "t2", "t3")] + [dataset("big", volume=BIG)]
    settings = settings_of(*datasets)
    expected = compare_ingestion_modes(
        [settings.volumes[n] for n in ("t1", "t2", "t3", "big")],
        buffer_size_mib=settings.delivery.buffer_size_mib,
        buffer_interval_seconds=settings.delivery.buffer_interval_seconds,
    ).modes
    # Three tiny datasets save two streams' charges; the big one pays more in partitioning
    # (per GB) than a stream of its own costs.
    assert expected == {"t1": SHARED, "t2": SHARED, "t3": SHARED, "big": DEDICATED}
    assert settings.ingestion == {
        "t1": DatasetIngestion(SHARED, "hour", planned=True),
        "t2": DatasetIngestion(SHARED, "hour", planned=True),
        "t3": DatasetIngestion(SHARED, "hour", planned=True),
        "big": DatasetIngestion(DEDICATED, planned=True),
    }


def test_one_tiny_dataset_alone_stays_dedicated():
    # A shared stream for one dataset costs a stream plus jq hours: more than its own stream.
    settings = settings_of(dataset("t1", volume=TINY))
    assert settings.ingestion["t1"] == DatasetIngestion(DEDICATED, planned=True)


def test_an_explicit_mode_overrides_the_planner_and_parquet_is_never_planned_shared():
    settings = settings_of(
        *(dataset(n, volume=TINY) for n in ("t1", "t2", "t3")),
        dataset("pinned", volume=TINY, ingestion="dedicated"),
        dataset("features", volume=TINY, format="parquet"),
        dataset("keyed", volume=TINY, partition_keys=[{"name": "country", "query": ".c"}]),
    )
    assert settings.ingestion["pinned"] == DatasetIngestion(DEDICATED)
    assert settings.ingestion["features"] == DatasetIngestion(DEDICATED)
    assert settings.ingestion["keyed"] == DatasetIngestion(DEDICATED)
    assert settings.ingestion["t1"].mode is SHARED


@pytest.mark.parametrize(
    ("datasets", "environment", "message"),
    [
        (
            [dataset("a", ingestion="both")],
            {},
            r"datasets\[0\]\.ingestion: .*'dedicated' or 'shared'",
        ),
        (
            [dataset("a", ingestion="shared", format="parquet")],
            {},
            r"datasets\[0\]\.ingestion: 'shared' needs JSON, but dataset 'a' lands as Parquet",
        ),
        (
            [dataset("a", ingestion="shared", partition_keys=[{"name": "k", "query": ".k"}])],
            {},
            r"datasets\[0\]\.ingestion: 'shared' partitions by dataset and time only, but "
            r"dataset 'a' has partition_keys \['k'\]",
        ),
        (
            [dataset("a", ingestion="dedicated", shared_group="small")],
            {},
            r"datasets\[0\]\.shared_group: 'small' is only for shared ingestion",
        ),
        (
            [dataset("a", ingestion="shared", shared_group="Small")],
            {},
            r"datasets\[0\]\.shared_group: .*must be 1–31 lowercase",
        ),
        (
            [
                dataset("a", ingestion="shared", shared_group="g"),
                dataset("b", ingestion="shared", shared_group="g", granularity="day"),
            ],
            {},
            r"datasets\[1\]\.shared_group: dataset 'b' \(granularity day\) cannot share group "
            r"'g' with 'a' \(granularity hour\)",
        ),
        (
            [dataset("a", ingestion="shared")],
            {"delivery": {"buffer_size_mib": 32}},
            r"delivery\.buffer_size_mib: must be ≥ 64 with dynamic partitioning \(datasets "
            r"\['a'\] are ingested shared\), got 32",
        ),
        (
            [dataset("a", ingestion="shared")],
            {"delivery": {"buffer_interval_seconds": 30}},
            r"delivery\.buffer_interval_seconds: must be ≥ 60 with dynamic partitioning",
        ),
        (
            [dataset("a", ingestion="shared"), dataset("b")],
            {"region": "us-east-1", "warehouse": {"enabled": True, "dataset": "a"}},
            r"warehouse\.dataset: the warehouse loads dataset 'a' from its stream, but 'a' is "
            r"ingested shared \(shared; group 'hour'\)",
        ),
    ],
)
def test_bad_ingestion_fails_at_its_key_path(datasets, environment, message):
    with pytest.raises(ConfigError, match=message):
        settings_of(*datasets, **environment)


def test_a_group_too_large_for_one_routing_query_fails_at_the_last_member():
    names = [f"dataset-number-{i:04d}-abcdefgh" for i in range(200)]
    with pytest.raises(
        ConfigError, match=r"datasets\[199\]\.shared_group: shared group 'hour': 200 datasets make"
    ):
        settings_of(*(dataset(n, ingestion="shared") for n in names))


def test_planner_chosen_warehouse_source_is_named_as_such():
    with pytest.raises(ConfigError, match=r"\(the planner chose 'shared' from its volume;"):
        settings_of(
            *(dataset(n, volume=TINY) for n in ("t1", "t2", "t3")),
            region="us-east-1",
            warehouse={"enabled": True, "dataset": "t1"},
        )


def test_streaming_features_cannot_read_a_shared_stream():
    columns = [
        {"name": "user_id", "type": "string"},
        {"name": "event_type", "type": "string"},
        {"name": "event_time", "type": "timestamp"},
    ]
    with pytest.raises(
        ConfigError,
        match=r"datasets\[0\]\.analytics: the streaming-features job reads dataset 'clicks' "
        r"from its stream, but 'clicks' is ingested shared \(group 'hour'\)",
    ):
        settings_of(
            {
                "name": "clicks",
                "columns": columns,
                "ingestion": "shared",
                "analytics": {"enabled": True},
            }
        )


@pytest.mark.parametrize(
    ("delivery", "mode"),
    [
        ({"buffer_size_mib": 63}, DEDICATED),
        ({"buffer_size_mib": 64}, SHARED),
        ({"buffer_interval_seconds": 59}, DEDICATED),
        ({"buffer_interval_seconds": 60}, SHARED),
    ],
)
def test_the_planner_shares_only_when_the_buffering_allows_partitioning(delivery, mode):
    # Three tiny datasets would share, but a shared delivery needs >= 64 MiB and >= 60 s: with
    # less the planner is not asked (the datasets stay dedicated, as if no volume were given)
    # instead of failing a config the user never asked to share.
    settings = settings_of(
        *(dataset(n, volume=TINY) for n in ("t1", "t2", "t3")), delivery=delivery
    )
    assert {i.mode for i in settings.ingestion.values()} == {mode}
    assert {i.planned for i in settings.ingestion.values()} == {mode is SHARED}
