"""``send`` without boto3, and the producer's own argument checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ml_data_platform.cli import main
from ml_data_platform.producer import KinesisProducer, records_from_firehose_errors


def test_send_without_boto3_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 -> ImportError
    path = tmp_path / "events.jsonl"
    path.write_text('{"n": 1}\n')

    assert main(["send", "--stream", "events", "--file", str(path)]) == 2

    assert capsys.readouterr().err == (
        "error: 'send' needs boto3: install the producer extra from the checkout or the wheel "
        "(pip install 'path/to/ml-data-platform[producer]')\n"
    )


def test_max_attempts_must_be_at_least_one() -> None:
    with pytest.raises(ValueError) as error:
        KinesisProducer(stream_name="events", client=object(), max_attempts=0)
    assert str(error.value) == "max_attempts must be at least 1, got 0"


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        ('{"rawData": "not base64!"}', ": Error('"),  # binascii.Error
        ('["rawData"]', ": TypeError("),
        ("{not json", ": JSONDecodeError("),
    ],
)
def test_firehose_error_lines_must_carry_base64_raw_data(line: str, detail: str) -> None:
    with pytest.raises(ValueError) as error:
        records_from_firehose_errors(["", line])
    assert str(error.value).startswith(
        "line 2: not a Firehose error record (a JSON object with base64 'rawData'): "
    )
    assert detail in str(error.value)


def test_firehose_error_records_decode_to_the_original_records() -> None:
    lines = ['{"rawData": "eyJ1c2VyIjogInUxIn0K"}', "", b'{"rawData": "eyJuIjogMn0="}']
    records = records_from_firehose_errors(lines, partition_key_field="user")
    assert [(r.data, r.partition_key) for r in records] == [
        (b'{"user": "u1"}', "u1"),
        (b'{"n": 2}', records[1].partition_key),
    ]
    assert len(records[1].partition_key) == 64  # no field: a SHA-256 of the record
