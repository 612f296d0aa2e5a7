"""``ml-data-platform plan`` end to end through the top-level CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ml_data_platform.cli import main
from ml_data_platform.config import (
    CONTEXT_KEY,
    DeliveryFormat,
    DeliverySettings,
    settings_from_context,
)
from ml_data_platform.planning import LineItem, Plan, WorkloadProfile
from ml_data_platform.planning import cli as plan_cli
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset

EXAMPLE = [
    "plan",
    "--events-per-second", "5000",
    "--average-events-per-second", "2000",
    "--event-bytes", "2048",
    "--retention-days", "365",
    "--parquet",
    "--region", "us-east-1",
]  # fmt: skip


def test_prints_settings_and_aligned_cost_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(EXAMPLE) == 0
    out = capsys.readouterr().out
    assert "provisioned, 13 shards, 24 h" in out
    assert "128 MiB / 900 s, parquet" in out
    assert "hour (datasets[].granularity)" in out  # 2,000 x 2,048 B/s: ~14 GiB an hour
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("month  GB-months"))
    assert lines[header].split()[:5] == ["month", "GB-months", "Kinesis", "Firehose", "Athena"]
    table = lines[header : header + 15]  # header, rule, 12 months, total
    assert table[-1].startswith("total")
    assert len({len(line) for line in table}) == 1  # right-aligned columns line up
    # month 1: nothing has aged into IA yet, so the lifecycle saves nothing
    assert table[2].split()[-1] == "0.00"
    assert float(table[-1].split()[-1].replace(",", "")) > 0
    # no queries: no Athena (the total row has no GB-months cell)
    assert [row.split()[4] for row in table[2:-1]] + [table[-1].split()[3]] == ["0.00"] * 13


def test_query_flags_reach_the_profile_and_price_athena(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles: list[WorkloadProfile] = []
    real_plan = plan_cli.plan

    def recording_plan(profile: WorkloadProfile, **kwargs: Any) -> Plan:
        profiles.append(profile)
        return real_plan(profile, **kwargs)

    monkeypatch.setattr(plan_cli, "plan", recording_plan)
    argv = [*EXAMPLE, "--queries-per-day", "1000", "--query-scanned-mib", "1"]
    assert main(argv) == 0
    assert (profiles[0].queries_per_day, profiles[0].query_scanned_mib) == (1000, 1.0)
    out = capsys.readouterr().out
    # 1,000 queries/day × 1 MiB, each billed the 10 MB minimum: 300,000 MB / 2^20 TB × $5
    # = 1.43 a month, 17.17 over 12 months
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("month  GB-months"))
    months, total = lines[header + 2 : header + 14], lines[header + 14]
    assert [row.split()[4] for row in months] == ["1.43"] * 12
    assert total.split()[0] == "total" and total.split()[3] == "17.17"  # no GB-months cell
    assert (
        "- Athena: 1,000 queries/day, each scanning 1.0 MiB (query_scanned_mib), billed as "
        "10 MB each"
    ) in out
    totals = real_plan(profiles[0]).costs.totals
    assert totals[LineItem.ATHENA] == pytest.approx(12 * 1.430511, abs=1e-5)


def test_query_scanned_mib_defaults_to_one_day_of_stored_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*EXAMPLE, "--queries-per-day", "1", "--compression-ratio", "8"]) == 0
    # 2,000 events/s × 2,048 B × 86,400 s / 8 = 44,236,800,000 B = 42,187.5 MiB a query
    assert (
        "Athena: 1 query/day, each scanning 42,187.5 MiB (default: one day of raw data as "
        "stored), billed as 42,188 MB each"
    ) in capsys.readouterr().out


def test_writes_the_context_snippet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "context.json"
    assert main([*EXAMPLE, "--env", "prod", "--write-context", str(target)]) == 0
    context = json.loads(target.read_text())
    environment = context["ml-data-platform"]["environments"]["prod"]
    assert environment["stream"] == {
        "mode": "provisioned",
        "shard_count": 13,
        "retention_hours": 24,
    }
    assert environment["lifecycle"]["raw"] == {"preset": "archive", "expire_after_days": 365}
    out = capsys.readouterr().out
    assert f"written to {target}" in out
    assert "note:" not in out


def test_dynamic_partitioning_is_sized_but_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "context.json"
    assert main([*EXAMPLE, "--dynamic-partitioning", "--write-context", str(target)]) == 0
    delivery = json.loads(target.read_text())["ml-data-platform"]["environments"]["dev"]["delivery"]
    assert delivery == {"buffer_interval_seconds": 600, "buffer_size_mib": 128, "format": "parquet"}
    assert capsys.readouterr().out.splitlines()[-1] == (
        "note: the context does not turn on dynamic partitioning (it needs partition keys: jq "
        "queries on your records); its buffering allows for it: add each dataset's partition_keys"
    )


def test_the_written_context_loads_with_the_planned_retention(tmp_path: Path) -> None:
    target = tmp_path / "context.json"
    argv = [*EXAMPLE, "--stream-retention-hours", "72", "--env", "prod"]
    assert main([*argv, "--write-context", str(target)]) == 0
    context = json.loads(target.read_text())
    context[CONTEXT_KEY]["environments"]["prod"]["datasets"] = [
        {"name": "events", "columns": [{"name": "id", "type": "string"}]}
    ]
    settings = settings_from_context(context, "prod")
    assert settings.stream.retention_hours == 72
    assert settings.lifecycle["raw"] == Lifecycle.preset(
        LifecyclePreset.ARCHIVE, expire_after_days=365
    )
    assert settings.delivery == DeliverySettings(900, 128, DeliveryFormat.PARQUET)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--average-events-per-second", "9000"], "must be ≥ average_events_per_second (9000)"),
        (["--region", "eu-west-9"], "no price table for region 'eu-west-9'"),
        (["--env", "Prod"], "env_name 'Prod' must be 1–31 lowercase letters"),
        (["--query-scanned-mib", "0"], "query_scanned_mib must be a positive number, got 0.0"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*EXAMPLE, *extra]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_unwritable_context_file_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*EXAMPLE, "--write-context", str(tmp_path)]) == 1
    assert f"cannot write {tmp_path}" in capsys.readouterr().err


def test_a_short_retention_is_planned_with_a_preset_that_fits_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "context.json"
    argv = ["plan", "--events-per-second", "10", "--event-bytes", "100", "--retention-days", "30"]
    assert main([*argv, "--write-context", str(target)]) == 0
    out = capsys.readouterr().out
    assert (
        "- raw zone: retention_days 30 does not outlast the archive preset's last transition "
        "(DEEP_ARCHIVE at day 180) of access pattern monthly-then-rare; planned with standard "
        "instead (choose another with --raw-access / zone_access)"
    ) in out.splitlines()
    raw = json.loads(target.read_text())[CONTEXT_KEY]["environments"]["dev"]["lifecycle"]["raw"]
    assert raw == {"preset": "standard", "expire_after_days": 30}
