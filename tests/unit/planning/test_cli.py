"""``ml-data-platform plan`` end to end through the top-level CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_data_platform.cli import main

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
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("month  GB-months"))
    table = lines[header : header + 15]  # header, rule, 12 months, total
    assert table[-1].startswith("total")
    assert len({len(line) for line in table}) == 1  # right-aligned columns line up
    # month 1: nothing has aged into IA yet, so the lifecycle saves nothing
    assert table[2].split()[-1] == "0.00"
    assert float(table[-1].split()[-1].replace(",", "")) > 0


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
    assert f"written to {target}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--average-events-per-second", "9000"], "must be ≥ average_events_per_second (9000)"),
        (["--region", "eu-west-9"], "no price table for region 'eu-west-9'"),
        (["--env", "Prod"], "env_name 'Prod' must be 1–31 lowercase letters"),
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
