"""Send records to a Kinesis data stream with ``PutRecords``, retrying only failed entries."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ml_data_platform.producer.batching import (
    DEFAULT_MAX_RECORD_BYTES,
    Record,
    split_batches,
)

JsonLines = Iterable[str] | Iterable[bytes] | str | os.PathLike[str]


class FailedRecord(NamedTuple):
    """A record that still failed after the last attempt (0-based index into the records)."""

    index: int  # type: ignore[assignment]  # the field shadows tuple.index, as documented
    error_code: str
    error_message: str


@dataclass(frozen=True)
class SendReport:
    """Outcome of one ``send``.

    ``batches`` counts PutRecords calls (retry calls included); ``retries`` counts record
    re-submissions (a record retried twice counts twice); ``bytes_sent`` counts data +
    partition key bytes of the records that were accepted.
    """

    records_sent: int = 0
    records_failed: int = 0
    batches: int = 0
    retries: int = 0
    bytes_sent: int = 0
    failed: list[FailedRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every record was accepted."""
        return self.records_failed == 0


class KinesisProducer:
    """Batching ``PutRecords`` producer for one stream (by name or ARN, exactly one).

    Entries that come back with an ``ErrorCode`` are re-sent, alone, up to ``max_attempts``
    attempts in all; before retry n (1, 2, ...) it sleeps with full jitter
    ``uniform(0, min(max_delay_seconds, base_delay_seconds * 2 ** (n - 1)))``. A retried
    record lands after records that were accepted before it, so under throttling the order
    per partition key is not kept. Whole-call errors (throttling, network) are left to
    botocore's own retries and raise. ``client`` defaults to ``boto3.client("kinesis")``;
    ``max_record_bytes`` is 1 MiB unless the stream was configured for large records
    (up to 10 MiB, see ``batching``).
    """

    def __init__(
        self,
        stream_name: str | None = None,
        stream_arn: str | None = None,
        client: Any = None,
        max_attempts: int = 5,
        base_delay_seconds: float = 0.1,
        max_delay_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    ) -> None:
        if (stream_name is None) == (stream_arn is None):
            raise ValueError("give exactly one of stream_name and stream_arn")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if client is None:
            import boto3

            client = boto3.client("kinesis")
        self._stream = (
            {"StreamName": stream_name} if stream_name is not None else {"StreamARN": stream_arn}
        )
        self._client = client
        self.max_attempts = max_attempts
        self.base_delay_seconds = base_delay_seconds
        self.max_delay_seconds = max_delay_seconds
        self._sleep = sleep
        self.max_record_bytes = max_record_bytes

    def send(self, records: Iterable[Record]) -> SendReport:
        """Validate all records (ValueError before anything is sent), then send them in order."""
        batches = list(split_batches(records, self.max_record_bytes))
        totals = {"records_sent": 0, "batches": 0, "retries": 0, "bytes_sent": 0}
        failed: list[FailedRecord] = []
        offset = 0
        for batch in batches:
            failed += self._send_batch(list(enumerate(batch, start=offset)), totals)
            offset += len(batch)
        return SendReport(**totals, records_failed=len(failed), failed=failed)

    def send_json_lines(
        self, source: JsonLines, partition_key_field: str | None = None
    ) -> SendReport:
        """Send each JSON object of a JSON-lines source (a path, or an iterable of lines)."""
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as lines:
                records = records_from_json_lines(lines, partition_key_field)
        else:
            records = records_from_json_lines(source, partition_key_field)
        return self.send(records)

    def _send_batch(
        self, pending: list[tuple[int, Record]], totals: dict[str, int]
    ) -> list[FailedRecord]:
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self._sleep(self._backoff(attempt - 1))
                totals["retries"] += len(pending)
            response = self._client.put_records(
                Records=[_entry(record) for _, record in pending], **self._stream
            )
            totals["batches"] += 1
            failures: list[tuple[int, Record, dict[str, Any]]] = []
            for (index, record), result in zip(pending, response["Records"], strict=True):
                if result.get("ErrorCode"):
                    failures.append((index, record, result))
                else:
                    totals["records_sent"] += 1
                    totals["bytes_sent"] += record.size
            if not failures:
                return []
            pending = [(index, record) for index, record, _ in failures]
        return [
            FailedRecord(index, result["ErrorCode"], result.get("ErrorMessage", ""))
            for index, _, result in failures
        ]

    def _backoff(self, retry: int) -> float:
        cap = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (retry - 1))
        return random.uniform(0, cap)


def records_from_json_lines(
    lines: Iterable[str | bytes], partition_key_field: str | None = None
) -> list[Record]:
    """Parse JSON lines (blank lines skipped) into records whose data is the line's bytes.

    The partition key is the object's ``partition_key_field`` value (strings as-is, other
    values as compact JSON); when there is no field or no value, a SHA-256 of the line, so
    identical lines land on the same shard. A line that is not a JSON object raises
    ValueError with its 1-based line number.
    """
    records = []
    for line_number, raw in enumerate(lines, start=1):
        try:
            text = (raw.decode("utf-8") if isinstance(raw, bytes) else raw).strip()
            if not text:
                continue
            obj = json.loads(text)
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
            raise ValueError(f"line {line_number}: invalid JSON: {error}") from None
        if not isinstance(obj, dict):
            kind = type(obj).__name__
            raise ValueError(f"line {line_number}: expected a JSON object, got {kind}")
        data = text.encode("utf-8")
        records.append(Record(data, _partition_key(obj, partition_key_field, data)))
    return records


def records_from_firehose_errors(
    lines: Iterable[str | bytes], partition_key_field: str | None = None
) -> list[Record]:
    """The original records of a Firehose error file, to send again.

    Firehose writes what it could not convert or deliver (``errors/<dataset>/<error type>/...``
    in the lake) as JSON lines such as ``{"errorCode": ..., "rawData": "<base64>", ...}``:
    each ``rawData`` is decoded and parsed as by ``records_from_json_lines`` (blank lines
    skipped). Errors name the 1-based line of the error file.
    """
    return records_from_json_lines(_raw_data(lines), partition_key_field)


def _raw_data(lines: Iterable[str | bytes]) -> Iterator[bytes]:
    for line_number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            yield (
                base64.b64decode(json.loads(text)["rawData"], validate=True)
                if text.strip()
                else b""
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"line {line_number}: not a Firehose error record (a JSON object with base64 "
                f"'rawData'): {error!r}"
            ) from None


def _partition_key(obj: dict[str, Any], key_field: str | None, data: bytes) -> str:
    value = obj.get(key_field) if key_field is not None else None
    if value is None:
        return hashlib.sha256(data).hexdigest()
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _entry(record: Record) -> dict[str, Any]:
    entry: dict[str, Any] = {"Data": record.data, "PartitionKey": record.partition_key}
    if record.explicit_hash_key is not None:
        entry["ExplicitHashKey"] = record.explicit_hash_key
    return entry
