"""End-to-end data check on the deployed emulator: what can honestly be shown to work.

1. ``KinesisProducer`` -> the deployed Kinesis stream (moto's real Kinesis API) -> read the
   records back with GetShardIterator/GetRecords.
2. PutObject into the deployed raw bucket at ``PartitionLayout(dataset).prefix_for(now)``,
   then list and read it back.
3. No Firehose delivery is claimed: moto does not emulate delivery streams.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ml_data_platform.local.deploy import DeployReport
from ml_data_platform.producer import KinesisProducer, Record
from ml_data_platform.storage.layout import PartitionLayout

FIREHOSE_NOTE = (
    "Firehose (AWS::KinesisFirehose::DeliveryStream) is NOT emulated: nothing was delivered "
    "from the stream to the lake and no Firehose delivery is claimed; the object above was "
    "written directly with PutObject."
)


@dataclass
class DataCheckResult:
    lines: list[str] = field(default_factory=list)
    ok: bool = True
    stream: str | None = None
    records_sent: int = 0
    records_read: int = 0
    bucket: str | None = None
    key: str | None = None

    def fail(self, line: str) -> None:
        self.ok = False
        self.lines.append(f"FAILED: {line}")


def run_data_check(
    client: Callable[[str], Any],
    report: DeployReport,
    dataset: str = "clickstream",
    records: int = 5,
    now: datetime | None = None,
) -> DataCheckResult:
    """Send ``records`` records through the first deployed stream and write one object to
    the raw bucket (the created bucket whose logical ID contains ``raw``)."""
    result = DataCheckResult()
    now = now or datetime.now(timezone.utc)
    run_id = uuid.uuid4().hex[:12]
    _stream_check(client, report, result, run_id, records)
    _bucket_check(client, report, result, run_id, dataset, now)
    result.lines.append(FIREHOSE_NOTE)
    return result


def _stream_check(
    client: Callable[[str], Any],
    report: DeployReport,
    result: DataCheckResult,
    run_id: str,
    count: int,
) -> None:
    streams = report.created("AWS::Kinesis::Stream")
    if not streams:
        result.lines.append("Kinesis: no stream deployed; stream check skipped")
        return
    name = report.physical_id(streams[0])
    result.stream = name
    kinesis = client("kinesis")
    sent = [
        Record(json.dumps({"run": run_id, "seq": i}).encode(), partition_key=f"{run_id}-{i}")
        for i in range(count)
    ]
    send = KinesisProducer(stream_name=name, client=kinesis).send(sent)
    result.records_sent = send.records_sent
    if not send.ok:
        result.fail(f"Kinesis: {send.records_failed} of {count} records rejected by {name}")
        return
    read = [r for r in _read_stream(kinesis, name) if r.get("run") == run_id]
    result.records_read = len(read)
    if sorted(r["seq"] for r in read) == list(range(count)):
        result.lines.append(
            f"Kinesis: KinesisProducer sent {count} records to {streams[0].logical_id} "
            f"({name}); all {count} read back with GetShardIterator/GetRecords"
        )
    else:
        result.fail(f"Kinesis: sent {count} records to {name}, read back {len(read)}")


def _read_stream(kinesis: Any, name: str) -> list[dict[str, Any]]:
    found = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            for record in response["Records"]:
                try:
                    found.append(json.loads(record["Data"]))
                except ValueError:
                    continue
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    return found


def _bucket_check(
    client: Callable[[str], Any],
    report: DeployReport,
    result: DataCheckResult,
    run_id: str,
    dataset: str,
    now: datetime,
) -> None:
    raw = [r for r in report.created("AWS::S3::Bucket") if "raw" in r.logical_id.lower()]
    if not raw:
        result.lines.append("S3: no raw bucket deployed (logical ID containing 'raw'); skipped")
        return
    bucket = report.physical_id(raw[0])
    key = f"{PartitionLayout(dataset).prefix_for(now)}local-check-{run_id}.json"
    body = json.dumps({"run": run_id, "dataset": dataset}).encode()
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    prefix = key.rsplit("/", 1)[0] + "/"
    listed = [
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    ]
    got = s3.get_object(Bucket=bucket, Key=key)
    data = got["Body"].read()
    result.bucket, result.key = bucket, key
    if key in listed and data == body:
        sse = got.get("ServerSideEncryption", "none")
        kms_key = got.get("SSEKMSKeyId")
        encryption = f"{sse}" + (f" with {kms_key.rsplit('/', 1)[-1]}" if kms_key else "")
        result.lines.append(
            f"S3: wrote s3://{bucket}/{key} ({raw[0].logical_id}); listed under {prefix} and "
            f"read back byte-identical; the emulator reports encryption {encryption}"
        )
    else:
        result.fail(f"S3: s3://{bucket}/{key} listed={key in listed} same={data == body}")
