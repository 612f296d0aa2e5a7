"""The streaming-features application's line (Managed Service for Apache Flink) against
hand-computed amounts: KPU-hours for ceil(parallelism / parallelism per KPU) KPUs plus one
orchestration KPU, 50 GB of running application storage per KPU, snapshots per GB-month.
A month is 720 hours (``prices.HOURS_PER_MONTH``)."""

from __future__ import annotations

import copy
import dataclasses
import json
from importlib import resources
from pathlib import Path

import pytest

from ml_data_platform.cli import main
from ml_data_platform.planning import (
    LineItem,
    WorkloadProfile,
    analytics_costs,
    estimate_costs,
    load_prices,
    plan,
)
from ml_data_platform.planning.prices import FlinkPrices, PriceTable, flink_kpus
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset
from tests.conftest import ROOT

PROFILE = WorkloadProfile(
    peak_events_per_second=5_000, average_events_per_second=2_000, average_event_bytes=2_048
)
RAW_ARCHIVE = {"raw": Lifecycle.preset(LifecyclePreset.ARCHIVE)}
FAKE = FlinkPrices(kpu_hour=1.0, running_storage_gb_month=0.01, backup_gb_month=1.0)


def raw_table() -> dict:
    path = resources.files("ml_data_platform.planning.prices") / "us-east-1.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("parallelism", "per_kpu", "kpus"),
    [(1, 1, 1), (4, 1, 4), (4, 2, 2), (5, 2, 3), (1, 8, 1), (64, 8, 8), (65, 8, 9)],
)
def test_kpus_are_parallelism_over_parallelism_per_kpu_rounded_up(
    parallelism: int, per_kpu: int, kpus: int
) -> None:
    assert flink_kpus(parallelism, per_kpu) == kpus


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0, 1), ValueError, "parallelism must be ≥ 1, got 0"),
        ((1, 9), ValueError, "parallelism_per_kpu must be ≤ 8, got 9"),
        ((1, 0), ValueError, "parallelism_per_kpu must be ≥ 1, got 0"),
        ((1.5, 1), TypeError, "parallelism must be an integer"),
    ],
)
def test_kpus_reject_bad_settings(args: tuple, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        flink_kpus(*args)


def test_fake_prices_by_hand() -> None:
    # parallelism 3 → 3 KPUs + 1: 4 × 720 h × 1.0 = 2,880; storage 3 × 50 GB × 0.01 = 1.50;
    # backups 2 GB × 1.0 = 2.00
    assert FAKE.kpu_monthly(3) == 2880
    assert FAKE.storage_monthly(3) == pytest.approx(1.5)
    assert FAKE.monthly(3) == pytest.approx(2881.5)
    assert FAKE.monthly(3, backup_gb=2) == pytest.approx(2883.5)
    # parallelism 3 at 2 per KPU → 2 KPUs + 1: 3 × 720 = 2,160; storage 100 GB × 0.01 = 1.00
    assert FAKE.monthly(3, 2) == pytest.approx(2161.0)
    with pytest.raises(ValueError, match="backup_gb must be a number ≥ 0, got -1"):
        FAKE.monthly(1, backup_gb=-1)


def test_us_east_1_prices_and_their_provenance() -> None:
    table = load_prices("us-east-1")
    assert table.flink == FlinkPrices(
        kpu_hour=0.11, running_storage_gb_month=0.10, backup_gb_month=0.023
    )
    assert "https://aws.amazon.com/managed-service-apache-flink/pricing/" in table.sources
    flink_notes = [note for note in table.notes if "Managed Service for Apache Flink" in note]
    assert len(flink_notes) == 1 and "UNCONFIRMED" in flink_notes[0]


@pytest.mark.parametrize(
    ("parallelism", "per_kpu", "backup_gb", "monthly"),
    [
        # the construct's default: 1 KPU + 1: 2 × 720 × 0.11 = 158.40; 50 GB × 0.10 = 5.00
        (1, 1, 0, 163.40),
        # 4 KPUs + 1: 5 × 720 × 0.11 = 396.00; 200 GB × 0.10 = 20.00; 10 GB × 0.023 = 0.23
        (4, 1, 10, 416.23),
        # ceil(5 / 2) = 3 KPUs + 1: 4 × 720 × 0.11 = 316.80; 150 GB × 0.10 = 15.00
        (5, 2, 0, 331.80),
    ],
)
def test_us_east_1_month_by_hand(
    parallelism: int, per_kpu: int, backup_gb: float, monthly: float
) -> None:
    flink = load_prices("us-east-1").flink
    assert flink is not None
    assert flink.monthly(parallelism, per_kpu, backup_gb) == pytest.approx(monthly)


def test_the_estimate_adds_the_line_to_both_totals_and_not_to_the_savings() -> None:
    without = plan(PROFILE).costs
    profile = dataclasses.replace(PROFILE, analytics_parallelism=4, analytics_backup_gb=10)
    assert profile.analytics_kpus == 4 and PROFILE.analytics_kpus is None
    with_flink = plan(profile).costs
    for bare, month in zip(without.months, with_flink.months, strict=True):
        assert bare.flink == 0 and bare.items[LineItem.FLINK] == 0
        assert month.flink == pytest.approx(416.23) == month.items[LineItem.FLINK]
        assert month.total - bare.total == pytest.approx(416.23)
        assert month.standard_only_total - bare.standard_only_total == pytest.approx(416.23)
        assert month.total == pytest.approx(sum(month.items.values()))
    assert with_flink.totals[LineItem.FLINK] == pytest.approx(12 * 416.23)
    assert with_flink.savings == pytest.approx(without.savings)
    (note,) = [n for n in with_flink.notes if n.startswith("Flink:")]
    assert note.startswith(
        "Flink: parallelism 4 at 1 per KPU = 4 KPUs + 1 for orchestration, running all month "
        "(396.00); 200 GB running storage (20.00); 10 GB of snapshots."
    )
    assert not [n for n in without.notes if n.startswith("Flink:")]


def test_a_price_table_without_flink_prices_is_refused_for_an_application() -> None:
    data = raw_table()
    del data["flink"]
    table = PriceTable.from_dict(data)
    assert table.flink is None
    profile = dataclasses.replace(PROFILE, analytics_parallelism=1)
    with pytest.raises(ValueError, match="analytics_parallelism: the us-east-1 price table has"):
        estimate_costs(profile, RAW_ARCHIVE, prices=table)
    # without an application it is not needed
    assert estimate_costs(PROFILE, RAW_ARCHIVE, prices=table).months


def test_a_bad_flink_price_names_its_key() -> None:
    data = copy.deepcopy(raw_table())
    del data["flink"]["kpu_hour"]
    with pytest.raises(ValueError, match=r"missing key 'flink\.kpu_hour'"):
        PriceTable.from_dict(data)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("analytics_parallelism", 0, "analytics_parallelism must be ≥ 1, got 0"),
        ("analytics_parallelism_per_kpu", 9, "analytics_parallelism_per_kpu must be ≤ 8, got 9"),
        ("analytics_backup_gb", -1, "analytics_backup_gb must be a number ≥ 0, got -1"),
        ("analytics_backup_gb", True, "analytics_backup_gb must be a number ≥ 0, got True"),
    ],
)
def test_the_profile_rejects_bad_analytics_settings(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(PROFILE, **{field: value})


def test_the_cli_prints_the_flink_column_and_note(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "--events-per-second", "5000", "--average-events-per-second", "2000"]
    base += ["--event-bytes", "2048"]
    assert main(base) == 0
    assert "Flink" not in capsys.readouterr().out  # off: no column, no note
    argv = [*base, "--analytics-parallelism", "4", "--analytics-backup-gb", "10"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("month  GB-months"))
    assert lines[header].split()[:6] == [
        "month", "GB-months", "Kinesis", "Firehose", "Athena", "Flink"
    ]  # fmt: skip
    months, total = lines[header + 2 : header + 14], lines[header + 14]
    assert [row.split()[5] for row in months] == ["416.23"] * 12
    assert total.split()[4] == "4,994.76"  # 12 × 416.23 (the total row has no GB-months cell)
    assert any(
        line.startswith("analytics") and "4 KPU + 1 orchestration KPU" in line for line in lines
    )
    assert any(line.startswith("- Flink: parallelism 4 at 1 per KPU = 4 KPUs") for line in lines)


def test_analytics_costs_per_dataset_by_hand() -> None:
    # clicks: 1 KPU + 1 = 2 × 720 × 0.11 = 158.40, 50 GB × 0.10 = 5.00 → 163.40
    # orders: 4 KPUs + 1 = 5 × 720 × 0.11 = 396.00, 200 GB × 0.10 = 20.00 → 416.00
    clicks, orders = analytics_costs({"clicks": 1, "orders": 4}, load_prices("us-east-1"))
    assert (clicks.dataset, clicks.kpus, orders.dataset, orders.kpus) == ("clicks", 1, "orders", 4)
    assert clicks.kpu_hours == pytest.approx(158.40) and clicks.running_storage == pytest.approx(5)
    assert clicks.total == pytest.approx(163.40) and orders.total == pytest.approx(416.00)
    with pytest.raises(ValueError, match="parallelism must be ≥ 1"):
        analytics_costs({"clicks": 0}, load_prices("us-east-1"))


def test_plan_ingestion_prices_each_analytics_dataset_of_an_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the shipped cdk.json: dev's clickstream has analytics and no volume (its three shared
    # datasets have volumes: the ingestion table first), prod neither
    shipped = ["plan-ingestion", "--context", str(ROOT / "cdk.json"), "--env"]
    assert main([*shipped, "dev"]) == 0
    out = capsys.readouterr().out
    assert "search-queries  small-events" in out
    assert out.splitlines()[-2:] == [
        "Streaming features per month (USD; Managed Service for Apache Flink, running all "
        "month; snapshots not priced)",
        "- clickstream: parallelism 1 = 1 KPU + 1 orchestration KPU: 158.40 KPU-hours + 5.00 "
        "running storage = 163.40",
    ]
    assert main([*shipped, "prod"]) == 2
    assert "no dataset gives a 'volume'" in capsys.readouterr().err
    # with volumes: the ingestion table, then the analytics line of each dataset that has it
    columns = [
        {"name": "user_id", "type": "string"},
        {"name": "event_type", "type": "string"},
        {"name": "event_time", "type": "timestamp"},
    ]
    volume = {"records_per_second": 10, "record_bytes": 500}
    datasets = [
        {"name": "clicks", "columns": columns, "volume": volume, "analytics": {"enabled": True}},
        {"name": "orders", "columns": columns, "analytics": {"enabled": True, "parallelism": 4}},
        {"name": "logs", "columns": columns, "volume": volume},
    ]
    context = {"ml-data-platform": {"environments": {"dev": {"datasets": datasets}}}}
    (tmp_path / "cdk.json").write_text(json.dumps({"context": context}))
    assert main(["plan-ingestion", "--context", str(tmp_path / "cdk.json"), "--env", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.index("Ingestion per month") < out.index("Streaming features per month")
    assert "not priced (no 'volume' in the config; they stay dedicated): ['orders']" in out
    assert out.rstrip().splitlines()[-2:] == [
        "- clicks: parallelism 1 = 1 KPU + 1 orchestration KPU: 158.40 KPU-hours + 5.00 "
        "running storage = 163.40",
        "- orders: parallelism 4 = 4 KPU + 1 orchestration KPU: 396.00 KPU-hours + 20.00 "
        "running storage = 416.00",
    ]
