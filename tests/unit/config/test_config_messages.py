"""Config errors word for word (key path, value, rule), values read through unchanged, and
limits on both sides: the behaviours a mutation run of config/ found unpinned (issue 19)."""

import copy

import pytest

from ml_data_platform.config import (
    ConfigError,
    all_environments,
    pipeline_settings,
    settings_from_context,
)
from ml_data_platform.planning import DatasetVolume, compare_ingestion_modes
from tests.conftest import CDK_CONTEXT

AT = "ml-data-platform.environments.dev"
SLUG_RULE = "must be 1–31 lowercase letters, digits or '-', starting with a letter"
COLUMNS = [{"name": "id", "type": "string"}]
MINIMAL = {"ml-data-platform": {"environments": {"dev": {"datasets": [{"name": "events", "columns": COLUMNS}]}}}}  # fmt: skip
PIPELINE = {
    "connection_arn": "arn:aws:codeconnections:us-east-1:111111111111:connection/x",
    "repository": "acme/ml-data-platform",
    "account": "111111111111",
    "region": "us-east-1",
}


def with_env(**overrides):
    context = copy.deepcopy(MINIMAL)
    context["ml-data-platform"]["environments"]["dev"].update(overrides)
    return context


def with_root(**overrides):
    context = copy.deepcopy(MINIMAL)
    context["ml-data-platform"].update(overrides)
    return context


def error_of(read, context):
    with pytest.raises(ConfigError) as raised:
        read(context)
    return str(raised.value)


def dev(context):
    return settings_from_context(context, "dev")


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        ({"name": "Events"}, f"name: dataset name 'Events' {SLUG_RULE}"),
        ({"name": 5}, "name: must be a string, got int 5"),
        ({"name": "e", "format": "csv"}, "format: 'csv' is not one of json-gzip/parquet"),
    ],
)
def test_dataset_errors_name_the_key_the_value_and_the_rule(dataset, message):
    context = with_env(datasets=[{"columns": COLUMNS, **dataset}])
    assert error_of(dev, context) == f"{AT}.datasets[0].{message}"


def test_the_delivery_format_names_the_formats():
    message = error_of(dev, with_env(delivery={"format": "csv"}))
    assert message == f"{AT}.delivery.format: 'csv' is not one of json-gzip/parquet"


def test_an_environment_name_must_be_a_slug():
    context = copy.deepcopy(MINIMAL)
    environments = context["ml-data-platform"]["environments"]
    environments["Dev"] = environments.pop("dev")
    assert error_of(all_environments, context) == (
        f"ml-data-platform.environments.Dev.name: environment name 'Dev' {SLUG_RULE}"
    )


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ("Acme", f"project 'Acme' {SLUG_RULE}"),
        (5, "must be a string, got int 5"),
    ],
)
def test_the_project_must_be_a_slug(project, message):
    context = with_root(project=project)
    assert error_of(all_environments, context) == f"ml-data-platform.project: {message}"


def test_a_warehouse_needs_the_environments_region():
    message = error_of(dev, with_env(warehouse={"enabled": True}))
    assert message == (
        f"{AT}.region: required when warehouse.enabled is true (the warehouse admits Firehose's "
        "CIDR block for the region)"
    )


def test_comments_and_descriptions_are_kept():
    column = {"name": "id", "type": "string", "comment": "the event id"}
    dataset = {"name": "events", "description": "click events", "columns": [column]}
    (read,) = dev(with_env(datasets=[dataset])).datasets
    assert read.description == "click events"
    assert read.columns[0].comment == "the event id"


def test_dynamic_partitioning_allows_a_60_second_buffer_interval_and_not_59():
    keys = [{"name": "country", "query": ".country"}]
    dataset = {"name": "orders", "columns": COLUMNS, "partition_keys": keys}
    at_limit = with_env(datasets=[dataset], delivery={"buffer_interval_seconds": 60})
    assert dev(at_limit).delivery.buffer_interval_seconds == 60
    below = with_env(datasets=[dataset], delivery={"buffer_interval_seconds": 59})
    assert error_of(dev, below) == (
        f"{AT}.delivery.buffer_interval_seconds: must be ≥ 60 with dynamic partitioning "
        "(datasets ['orders'] have partition_keys), got 59"
    )


def test_the_pipeline_section_is_accepted_beside_the_environments_and_must_be_an_object():
    assert sorted(all_environments(with_root(pipeline=PIPELINE))) == ["dev"]
    message = error_of(all_environments, with_root(pipeline="acme/ml-data-platform"))
    assert (
        message == "ml-data-platform.pipeline: must be an object, got str 'acme/ml-data-platform'"
    )


def test_the_pipeline_branch_is_read_and_type_checked():
    settings = pipeline_settings(with_root(pipeline={**PIPELINE, "branch": "release"}))
    assert settings.branch == "release"
    message = error_of(pipeline_settings, with_root(pipeline={**PIPELINE, "branch": 5}))
    assert message == "ml-data-platform.pipeline.branch: must be a string, got int 5"


def with_volume(volume, **dataset):
    return with_env(datasets=[{"name": "events", "columns": COLUMNS, "volume": volume, **dataset}])


def test_a_volume_is_read_with_its_values_and_the_datasets_format_and_granularity():
    volume = {"records_per_second": 0.25, "record_bytes": 1}  # 1 byte: the inclusive minimum
    settings = dev(with_volume(volume, format="parquet", granularity="day"))
    assert settings.volumes == {
        "events": DatasetVolume("events", 0.25, 1, parquet=True, group="day")
    }
    json_hourly = dev(with_volume({"records_per_second": 3, "record_bytes": 700})).volumes
    assert json_hourly == {"events": DatasetVolume("events", 3.0, 700, parquet=False, group="hour")}
    assert isinstance(json_hourly["events"].records_per_second, float)
    assert dev(with_volume(None)).volumes == {}


RATE_RULE = "is not a number > 0 (average records per second)"


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        ({"records_per_second": 0, "record_bytes": 9}, f"records_per_second: 0 {RATE_RULE}"),
        ({"records_per_second": -2, "record_bytes": 9}, f"records_per_second: -2 {RATE_RULE}"),
        ({"records_per_second": True, "record_bytes": 9}, f"records_per_second: True {RATE_RULE}"),
        ({"records_per_second": "5", "record_bytes": 9}, f"records_per_second: '5' {RATE_RULE}"),
        ({"record_bytes": 9}, "records_per_second: missing required key"),
        ({"records_per_second": 1, "record_bytes": 0}, "record_bytes: must be ≥ 1, got 0"),
        ({"records_per_second": 1}, "record_bytes: missing required key"),
        (
            {"records_per_second": 1, "record_bytes": 1.5},
            "record_bytes: must be an integer, got float 1.5",
        ),
    ],
)
def test_a_bad_volume_names_the_key_the_value_and_the_rule(volume, message):
    assert error_of(dev, with_volume(volume)) == f"{AT}.datasets[0].volume.{message}"


def test_volume_is_a_known_dataset_key_even_when_absent():
    """A typo of ``volume`` is named like any other key's; null means no volume, as for every
    optional section."""
    message = error_of(
        dev, with_env(datasets=[{"name": "events", "columns": COLUMNS, "volum": {}}])
    )
    assert message.startswith(
        f"{AT}.datasets[0]: unknown keys ['volum'] (did you mean 'volum' -> 'volume'?); allowed: "
    )
    assert "'volume'" in message.split("allowed: ")[1]


def test_the_analytics_job_takes_the_smallest_values_and_not_below():
    """Parallelism 1 and a 1-second window are allowed (the rules are inclusive); 0 is not."""
    context = copy.deepcopy(CDK_CONTEXT)
    dataset = context["ml-data-platform"]["environments"]["dev"]["datasets"][0]
    dataset["analytics"] = {"enabled": True, "parallelism": 1, "window_seconds": 1}
    (features,) = dev(context).analytics.values()
    assert (features.parallelism, features.window_seconds) == (1, 1)
    dataset["analytics"]["parallelism"] = 0
    assert error_of(dev, context) == (
        f"{AT}.datasets[0].analytics.parallelism: must be from 1 to 64, got 0"
    )


TINY = {"records_per_second": 0.5, "record_bytes": 300}


@pytest.mark.parametrize(("shards", "mode"), [(10, "shared"), (1, "dedicated")])
def test_the_planner_prices_a_provisioned_stream_with_its_shard_count(shards, mode):
    """Three tiny datasets on 10-shard streams are cheaper on one shared stream; on 1-shard
    streams, dedicated (no partitioning charge)."""
    datasets = [{"name": f"t{i}", "columns": COLUMNS, "volume": TINY} for i in range(3)]
    stream = {"mode": "provisioned", "shard_count": shards}
    settings = dev(with_env(datasets=datasets, stream=stream))
    assert {name: i.mode.value for name, i in settings.ingestion.items()} == dict.fromkeys(
        ("t0", "t1", "t2"), mode
    )
    assert all(i.planned for i in settings.ingestion.values())


def test_partitioning_buffer_rules_name_every_reason():
    keys = [{"name": "country", "query": ".country"}]
    datasets = [
        {"name": "orders", "columns": COLUMNS, "partition_keys": keys},
        {"name": "clicks", "columns": COLUMNS, "ingestion": "shared"},
    ]
    context = with_env(datasets=datasets, delivery={"buffer_interval_seconds": 30})
    assert error_of(dev, context) == (
        f"{AT}.delivery.buffer_interval_seconds: must be ≥ 60 with dynamic partitioning "
        "(datasets ['orders'] have partition_keys; datasets ['clicks'] are ingested shared), "
        "got 30"
    )


def test_the_warehouse_of_a_single_shared_dataset_is_refused():
    dataset = {"name": "clicks", "columns": COLUMNS, "ingestion": "shared"}
    context = with_env(datasets=[dataset], region="us-east-1", warehouse={"enabled": True})
    assert error_of(dev, context).startswith(
        f"{AT}.warehouse.dataset: the warehouse loads dataset 'clicks' from its stream, but "
        "'clicks' is ingested shared (shared; group 'hour')"
    )


def test_a_dataset_the_ingestion_map_does_not_name_is_dedicated():
    settings = dev(MINIMAL)
    assert settings.ingestion_of("not-a-dataset") == settings.ingestion_of("events")
    assert settings.ingestion_of("not-a-dataset").mode.value == "dedicated"


def test_services_defaults_are_false_seven_days_and_hot():
    settings = dev(with_env(video={"enabled": True}))
    assert settings.events.restore_notifications is False
    assert (settings.video.retention_hours, settings.video.storage_tier.value) == (168, "HOT")
    assert dev(MINIMAL).video.enabled is False


def test_two_triggers_for_one_prefix_are_refused_word_for_word():
    trigger = {"zone": "raw", "prefix": "in/", "pipeline_name": "p1"}
    context = with_env(events={"pipeline_triggers": [trigger, {**trigger, "pipeline_name": "p2"}]})
    assert error_of(dev, context) == (
        f"{AT}.events.pipeline_triggers: more than one trigger for [('raw', 'in/')] (zone, "
        "prefix): one pipeline per prefix"
    )


def ingestion_error(*datasets):
    return error_of(dev, with_env(datasets=[{"columns": COLUMNS, **d} for d in datasets]))


def test_shared_group_rules_word_for_word():
    assert ingestion_error({"name": "a", "ingestion": "shared", "shared_group": "Small"}) == (
        f"{AT}.datasets[0].shared_group: shared_group 'Small' {SLUG_RULE}"
    )
    assert ingestion_error({"name": "a", "ingestion": "dedicated", "shared_group": "small"}) == (
        f"{AT}.datasets[0].shared_group: 'small' is only for shared ingestion, but "
        f"{AT}.datasets[0].ingestion is 'dedicated': remove one"
    )
    assert ingestion_error({"name": "a", "ingestion": "shared", "format": "parquet"}) == (
        f"{AT}.datasets[0].ingestion: 'shared' needs JSON, but dataset 'a' lands as Parquet "
        "(Firehose converts with one table schema per delivery): use 'dedicated' or "
        '"format": "json-gzip"'
    )
    assert ingestion_error(
        {"name": "a", "ingestion": "shared", "shared_group": "g"},
        {"name": "b", "ingestion": "shared", "shared_group": "g", "granularity": "day"},
    ) == (
        f"{AT}.datasets[1].shared_group: dataset 'b' (granularity day) cannot share group 'g' "
        "with 'a' (granularity hour): one delivery writes one time layout; give it another "
        "shared_group"
    )


def test_the_planner_prices_each_shared_group_apart():
    """Three tiny datasets share a stream when they may (one group); each in its own group,
    each would share with nobody: dedicated."""
    datasets = [
        {"name": f"t{i}", "columns": COLUMNS, "volume": TINY, "shared_group": f"g{i}"}
        for i in range(3)
    ]
    settings = dev(with_env(datasets=datasets))
    assert {n: i.mode.value for n, i in settings.ingestion.items()} == dict.fromkeys(
        ("t0", "t1", "t2"), "dedicated"
    )


@pytest.mark.parametrize(
    ("count", "volume", "delivery", "flipped"),
    [
        # 3 x 47 records/s of 1 KB: one object a minute per dataset costs more than a stream
        (3, {"records_per_second": 47, "record_bytes": 1000}, "buffer_interval_seconds", (60, 900)),
        # 5 x 267.6 records/s of 1 KB fill 64 MiB in ~250 s: 128 MiB halves the objects
        (5, {"records_per_second": 267.6, "record_bytes": 1000}, "buffer_size_mib", (64, 128)),
    ],
    ids=["interval", "size"],
)
def test_the_planner_prices_with_the_environments_buffering(count, volume, delivery, flipped):
    """Near the break-even point the buffering decides: the config prices with the
    environment's, not the planner's defaults (the premise is checked on the planner)."""
    volumes = [DatasetVolume(f"t{i}", **volume) for i in range(count)]
    buffering = {"buffer_size_mib": 64, "buffer_interval_seconds": 900}
    datasets = [{"name": f"t{i}", "columns": COLUMNS, "volume": volume} for i in range(count)]
    for value, mode in zip(flipped, ("dedicated", "shared"), strict=True):
        settings = {**buffering, delivery: value}
        planned = compare_ingestion_modes(volumes, **settings).modes
        assert {m.value for m in planned.values()} == {mode}
        chosen = dev(with_env(datasets=datasets, delivery=settings)).ingestion
        assert {i.mode.value for i in chosen.values()} == {mode}


def test_the_planner_prices_with_the_environments_buffer_interval():
    """With a 0-second buffer interval the datasets cannot be partitioned: dedicated."""
    datasets = [{"name": f"t{i}", "columns": COLUMNS, "volume": TINY} for i in range(3)]
    settings = dev(with_env(datasets=datasets, delivery={"buffer_interval_seconds": 0}))
    assert {i.mode.value for i in settings.ingestion.values()} == {"dedicated"}
    assert {i.mode.value for i in dev(with_env(datasets=datasets)).ingestion.values()} == {"shared"}
