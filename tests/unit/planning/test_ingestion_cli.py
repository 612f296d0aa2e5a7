"""``ml-data-platform plan-ingestion``: arguments and the side-by-side table."""

from __future__ import annotations

import pytest

from ml_data_platform.cli import main
from ml_data_platform.planning.ingestion_cli import parse_dataset


def test_a_dataset_argument_gives_rate_size_parquet_and_group():
    volume = parse_dataset("features:5:2000:parquet:group=daily")
    assert (volume.name, volume.records_per_second, volume.record_bytes) == ("features", 5, 2000)
    assert volume.parquet and volume.group == "daily"
    assert parse_dataset("logs:0.5:300").group == "default"
    assert parse_dataset("orders:5:900:keys").partitioned
    assert not parse_dataset("logs:0.5:300").partitioned


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("logs:1", "expected NAME:RECORDS_PER_SECOND"),
        ("logs:1:300:gzip", "unknown option 'gzip'"),
        ("logs:x:300", "could not convert"),
        ("logs:0:300", "records_per_second"),
    ],
)
def test_bad_dataset_arguments_are_named(text, message):
    with pytest.raises(ValueError, match=message):
        parse_dataset(text)


def test_the_table_shows_both_modes_and_the_totals(capsys):
    # us-east-1, on-demand: four small JSON datasets share, the Parquet one cannot.
    code = main(
        [
            "plan-ingestion",
            *("--dataset", "logs:1:300", "--dataset", "audit:0.5:400"),
            *("--dataset", "metrics:2:200", "--dataset", "clicks:50:800"),
            *("--dataset", "features:5:2000:parquet"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:7]}
    assert rows["logs"][4] == "shared" and rows["features"][4] == "dedicated"
    assert rows["features"][3] == "-"
    # A dedicated on-demand stream alone is 0.04 × 720 = 28.80 a month.
    assert all(float(rows[n][2]) > 28.80 for n in ("logs", "audit", "metrics", "clicks"))
    assert "all dedicated: 183.55   recommended: 149.70   saves 33.85 a month" in out
    assert "jq 720 h/month (assumed" in out


def test_bad_input_exits_2(capsys):
    assert main(["plan-ingestion", "--dataset", "a:1:1", "--shard-count", "2"]) == 2
    assert "shard_count is only valid" in capsys.readouterr().err


def test_env_shows_what_cdk_json_configures_next_to_the_recommendation(capsys):
    # The shipped dev environment: three tiny datasets on the small-events shared stream.
    assert main(["plan-ingestion", "--env", "dev"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[2:5]}
    assert set(rows) == {"search-queries", "item-ratings", "cart-adds"}
    for line in rows.values():
        cells = line.split()
        assert cells[4] == "shared"  # recommended
        assert " ".join(cells[5:7]) == "shared (small-events)"  # configured
    assert "not priced (no 'volume' in the config; they stay dedicated): ['clickstream']" in out
