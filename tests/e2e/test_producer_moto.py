"""KinesisProducer, its CLI and MotoServer against a real moto server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ml_data_platform.cli import main
from ml_data_platform.local import MotoServer
from ml_data_platform.producer import KinesisProducer, Record, SendReport

MIB = 1024 * 1024
THROTTLED = {
    "ErrorCode": "ProvisionedThroughputExceededException",
    "ErrorMessage": "Rate exceeded for shard shardId-000000000000",
}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def kinesis(moto: MotoServer) -> Any:
    return moto.client("kinesis")


@pytest.fixture
def stream(kinesis: Any) -> str:
    name = f"events-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=3)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return name


def read_stream(kinesis: Any, name: str) -> dict[str, list[dict[str, Any]]]:
    """Every record of every shard, in shard order."""
    by_shard = {}
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while True:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            if not response["Records"]:
                break
            records += response["Records"]
            iterator = response["NextShardIterator"]
        by_shard[shard["ShardId"]] = records
    return by_shard


def events(count: int) -> list[Record]:
    return [
        Record(json.dumps({"seq": i, "user": f"u{i % 7}"}).encode(), f"u{i % 7}")
        for i in range(count)
    ]


class WithheldEntries:
    """Wraps a real Kinesis client: entries picked by ``fail(call, position, entry)`` are not
    sent to moto and come back as throttled, like a partially failed PutRecords."""

    def __init__(self, client: Any, fail: Callable[[int, int, dict[str, Any]], bool]) -> None:
        self._client = client
        self._fail = fail
        self.calls: list[list[dict[str, Any]]] = []

    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        entries = kwargs["Records"]
        call = len(self.calls)
        self.calls.append(entries)
        failing = {i for i, entry in enumerate(entries) if self._fail(call, i, entry)}
        to_send = [entry for i, entry in enumerate(entries) if i not in failing]
        sent = self._client.put_records(**{**kwargs, "Records": to_send}) if to_send else {}
        accepted = iter(sent.get("Records", []))
        results = [THROTTLED if i in failing else next(accepted) for i in range(len(entries))]
        return {"FailedRecordCount": len(failing), "Records": results}


def test_1200_records_arrive_once_in_order_per_shard(kinesis: Any, stream: str) -> None:
    records = events(1_200)
    report = KinesisProducer(stream_name=stream, client=kinesis).send(records)

    assert report == SendReport(
        records_sent=1_200, batches=3, bytes_sent=sum(r.size for r in records)
    )
    assert report.ok
    by_shard = read_stream(kinesis, stream)
    assert sum(len(shard) for shard in by_shard.values()) == 1_200
    assert sum(1 for shard in by_shard.values() if shard) > 1  # keys really spread
    received = set()
    for shard in by_shard.values():
        seqs = [json.loads(r["Data"])["seq"] for r in shard]
        assert seqs == sorted(seqs)
        received |= {(r["PartitionKey"], r["Data"]) for r in shard}
    assert received == {(r.partition_key, r.data) for r in records}


def test_stream_arn_and_explicit_hash_key_are_passed_through(kinesis: Any, stream: str) -> None:
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    last_shard = max(
        kinesis.list_shards(StreamName=stream)["Shards"],
        key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]),
    )
    # The shard's first key: moto 5.2 treats EndingHashKey as exclusive, so 2**128 - 1 finds
    # no shard there (HTTP 500) although AWS accepts it.
    start_key = last_shard["HashKeyRange"]["StartingHashKey"]
    record = Record(b"pinned", "any-key", explicit_hash_key=start_key)

    report = KinesisProducer(stream_arn=arn, client=kinesis).send([record])

    assert report.ok and report.records_sent == 1
    assert [r["Data"] for r in read_stream(kinesis, stream)[last_shard["ShardId"]]] == [b"pinned"]


def test_only_failed_entries_are_retried_and_all_arrive(kinesis: Any, stream: str) -> None:
    records = events(600)
    client = WithheldEntries(kinesis, lambda call, pos, _: call == 0 and pos in {0, 7, 499})
    sleeps: list[float] = []

    report = KinesisProducer(stream_name=stream, client=client, sleep=sleeps.append).send(records)

    assert [len(entries) for entries in client.calls] == [500, 3, 100]
    assert [e["Data"] for e in client.calls[1]] == [records[i].data for i in (0, 7, 499)]
    assert report == SendReport(
        records_sent=600, batches=3, retries=3, bytes_sent=sum(r.size for r in records)
    )
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.1
    received = [r["Data"] for shard in read_stream(kinesis, stream).values() for r in shard]
    assert sorted(received) == sorted(r.data for r in records)


def test_entries_failing_every_attempt_are_reported(kinesis: Any, stream: str) -> None:
    records = events(20)
    poison = {records[3].data, records[11].data}
    client = WithheldEntries(kinesis, lambda _call, _pos, entry: entry["Data"] in poison)
    sleeps: list[float] = []
    producer = KinesisProducer(
        stream_name=stream,
        client=client,
        max_attempts=4,
        base_delay_seconds=0.5,
        max_delay_seconds=1.5,
        sleep=sleeps.append,
    )

    report = producer.send(records)

    assert not report.ok
    assert (report.records_sent, report.records_failed) == (18, 2)
    assert (report.batches, report.retries) == (4, 6)
    assert report.failed == [(3, *THROTTLED.values()), (11, *THROTTLED.values())]
    assert len(sleeps) == 3
    assert all(0 <= delay <= cap for delay, cap in zip(sleeps, [0.5, 1.0, 1.5], strict=True))
    received = sum(len(shard) for shard in read_stream(kinesis, stream).values())
    assert received == 18


def test_a_5_mib_batch_of_1_mib_records_is_accepted_by_moto(kinesis: Any, stream: str) -> None:
    records = [Record(b"x" * (MIB - 2), f"k{i}") for i in range(5)] + [Record(b"!", "k")]

    report = KinesisProducer(stream_name=stream, client=kinesis).send(records)

    assert report.ok and report.batches == 2 and report.bytes_sent == 5 * MIB + 2
    assert sum(len(shard) for shard in read_stream(kinesis, stream).values()) == 6


def test_send_json_lines_uses_the_field_or_a_stable_hash(kinesis: Any, stream: str) -> None:
    lines = ['{"user_id": "alice", "n": 1}\n', "\n", '{"n": 2}\n', '{"user_id": 7}\n']

    report = KinesisProducer(stream_name=stream, client=kinesis).send_json_lines(
        lines, partition_key_field="user_id"
    )

    assert report.ok and report.records_sent == 3
    received = {
        r["Data"]: r["PartitionKey"]
        for shard in read_stream(kinesis, stream).values()
        for r in shard
    }
    assert received[b'{"user_id": "alice", "n": 1}'] == "alice"
    assert received[b'{"user_id": 7}'] == "7"
    assert received[b'{"n": 2}'] == hashlib.sha256(b'{"n": 2}').hexdigest()


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [("{not json", "line 2: invalid JSON"), ("[1, 2]", "line 2: expected a JSON object")],
)
def test_a_bad_json_line_raises_with_its_number_before_anything_is_sent(
    kinesis: Any, stream: str, bad_line: str, message: str
) -> None:
    producer = KinesisProducer(stream_name=stream, client=kinesis)

    with pytest.raises(ValueError, match=f"^{message}"):
        producer.send_json_lines(['{"a": 1}', bad_line, '{"a": 3}'])

    assert sum(len(shard) for shard in read_stream(kinesis, stream).values()) == 0


@pytest.mark.parametrize("streams", [{}, {"stream_name": "a", "stream_arn": "arn:aws:x"}])
def test_exactly_one_of_stream_name_and_arn_is_required(kinesis: Any, streams: dict) -> None:
    with pytest.raises(ValueError, match="exactly one of stream_name and stream_arn"):
        KinesisProducer(client=kinesis, **streams)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials for the CLI's default boto3 session, isolated from ~/.aws."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def send_cli(moto: MotoServer, stream: str, path: Path, *extra: str) -> int:
    return main(
        [
            *("send", "--stream", stream, "--file", str(path)),
            *("--endpoint-url", moto.endpoint_url, "--region", "us-east-1", *extra),
        ]
    )


@pytest.mark.usefixtures("aws_env")
def test_cli_send_reports_and_delivers(
    moto: MotoServer, kinesis: Any, stream: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    lines = [json.dumps({"user_id": f"user-{i % 4}", "n": i}) for i in range(30)]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")

    exit_code = send_cli(moto, stream, path, "--partition-key-field", "user_id")

    size = sum(len(line) + len(f"user-{i % 4}") for i, line in enumerate(lines))
    assert exit_code == 0
    assert capsys.readouterr().out == f"sent=30 failed=0 batches=1 retries=0 bytes={size}\n"
    received = [r for shard in read_stream(kinesis, stream).values() for r in shard]
    assert sorted((r["PartitionKey"], r["Data"].decode()) for r in received) == sorted(
        (json.loads(line)["user_id"], line) for line in lines
    )


@pytest.mark.usefixtures("aws_env")
def test_cli_exit_codes_for_bad_input_and_missing_stream(
    moto: MotoServer, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n{oops\n')
    assert send_cli(moto, "any", path) == 2
    assert "line 2: invalid JSON" in capsys.readouterr().err

    path.write_text('{"a": 1}\n')
    assert send_cli(moto, "no-such-stream", path) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err

    assert send_cli(moto, "any", tmp_path / "missing.jsonl") == 2
    assert "No such file" in capsys.readouterr().err


@pytest.fixture
def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, no region, no config files: a machine without AWS configuration."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.mark.usefixtures("no_aws_config")
def test_cli_send_to_a_local_emulator_needs_no_aws_configuration(
    moto: MotoServer, kinesis: Any, stream: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"n": 1}\n{"n": 2}\n')
    local = moto.endpoint_url.replace("127.0.0.1", "localhost")

    exit_code = main(["send", "--stream", stream, "--file", str(path), "--endpoint-url", local])

    assert (exit_code, capsys.readouterr().err) == (0, "")
    received = [r["Data"] for shard in read_stream(kinesis, stream).values() for r in shard]
    assert sorted(received) == [b'{"n": 1}', b'{"n": 2}']


@pytest.mark.usefixtures("no_aws_config")
def test_cli_send_without_a_region_says_how_to_give_one(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"n": 1}\n')

    assert main(["send", "--stream", "events", "--file", str(path)]) == 2

    assert capsys.readouterr().err == (
        "error: no AWS region: pass --region, or set AWS_REGION or a region in your AWS profile\n"
    )


@pytest.mark.usefixtures("no_aws_config")
def test_cli_send_without_credentials_says_how_to_give_them(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"n": 1}\n')
    # A non-loopback endpoint that is never reached: signing fails first.
    argv = ["send", "--stream", "events", "--file", str(path), "--region", "us-east-1"]

    assert main([*argv, "--endpoint-url", "http://192.0.2.1:4566"]) == 2

    assert capsys.readouterr().err == (
        "error: no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY), or pass a local emulator's --endpoint-url\n"
    )


def firehose_error_line(record: dict[str, Any]) -> str:
    """One line of a Firehose error file, as Firehose writes it for a failed conversion."""
    raw = base64.b64encode(json.dumps(record).encode()).decode()
    return json.dumps(
        {
            "attemptsMade": 1,
            "arrivalTimestamp": 1732492800000,
            "lastErrorCode": "DataFormatConversion.MalformedData",
            "lastErrorMessage": "The schema is invalid.",
            "attemptEndingTimestamp": 1732492801000,
            "rawData": raw,
            "sequenceNumber": "4963",
            "dataCatalogTable": {"databaseName": "mldp_dev_raw", "tableName": "events"},
        }
    )


@pytest.mark.usefixtures("aws_env")
def test_cli_replays_the_records_of_a_firehose_error_file(
    moto: MotoServer, kinesis: Any, stream: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    records = [{"user_id": "u1", "n": 1}, {"user_id": "u2", "n": 2}]
    path = tmp_path / "errors.json"
    path.write_text("\n".join(firehose_error_line(r) for r in records) + "\n")

    exit_code = send_cli(
        moto, stream, path, "--firehose-errors", "--partition-key-field", "user_id"
    )

    assert exit_code == 0
    assert capsys.readouterr().out.startswith("sent=2 failed=0 batches=1")
    received = [r for shard in read_stream(kinesis, stream).values() for r in shard]
    assert sorted((r["PartitionKey"], json.loads(r["Data"])) for r in received) == [
        ("u1", records[0]),
        ("u2", records[1]),
    ]


@pytest.mark.usefixtures("aws_env")
def test_cli_rejects_a_file_that_is_not_a_firehose_error_file(
    moto: MotoServer, kinesis: Any, stream: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(firehose_error_line({"n": 1}) + '\n{"n": 2}\n')

    assert send_cli(moto, stream, path, "--firehose-errors") == 2

    assert capsys.readouterr().err.startswith(
        f"error: {path}: line 2: not a Firehose error record (a JSON object with base64 "
        "'rawData'): KeyError('rawData')"
    )
    assert sum(len(shard) for shard in read_stream(kinesis, stream).values()) == 0


def test_moto_server_clients_do_not_touch_the_environment(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    sqs = moto.client("sqs")
    assert sqs.meta.endpoint_url == moto.endpoint_url
    assert sqs.meta.region_name == "us-east-1"
    assert sqs.create_queue(QueueName="q")["QueueUrl"].endswith("/q")
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_moto_server_start_failure_shows_its_output() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        server = MotoServer(port=taken.getsockname()[1])
        with pytest.raises(RuntimeError, match=r"(?s)moto_server exited with code \d+.*in use"):
            server.start()
    with pytest.raises(RuntimeError, match="not running"):
        server.endpoint_url  # noqa: B018
