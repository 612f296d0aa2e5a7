"""Validate Kinesis records and split them into ``PutRecords`` batches (pure functions).

Limits: at most 500 records and 5 MiB (data + partition keys) per call; one record (data +
partition key) at most 1 MiB by default. Since 2025 a stream can be configured
(``UpdateMaxRecordSize``, ``CreateStream.MaxRecordSizeInKiB``: 1,024-10,240 KiB) to accept
records up to 10 MiB, so the per-record limit is a parameter with the 1 MiB default; see
https://docs.aws.amazon.com/streams/latest/dev/large-records.html and
https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateMaxRecordSize.html
(checked 2026-11). The current PutRecords reference allows a 10 MiB call with large records;
we keep 5 MiB per call and let a call grow only to ``max_record_bytes`` when that is larger.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MIB = 1024 * 1024
MAX_RECORDS_PER_REQUEST = 500
MAX_REQUEST_BYTES = 5 * MIB
DEFAULT_MAX_RECORD_BYTES = 1 * MIB
LARGE_RECORD_MAX_BYTES = 10 * MIB
MIN_PARTITION_KEY_CHARS = 1
MAX_PARTITION_KEY_CHARS = 256
MAX_EXPLICIT_HASH_KEY = 2**128 - 1


@dataclass(frozen=True)
class Record:
    """One Kinesis record: data blob, partition key and optional explicit hash key."""

    data: bytes
    partition_key: str
    explicit_hash_key: str | None = None

    @property
    def size(self) -> int:
        """Bytes counted against the record and request limits: data + UTF-8 partition key."""
        return len(self.data) + len(self.partition_key.encode("utf-8"))


def request_byte_limit(max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> int:
    """Bytes allowed per PutRecords call: 5 MiB, or one large record if the stream allows more."""
    return max(MAX_REQUEST_BYTES, max_record_bytes)


def validate_record(
    record: Record, index: int, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> None:
    """Raise ValueError, naming ``index``, if ``record`` breaks a per-record limit."""
    key_chars = len(record.partition_key)
    if not MIN_PARTITION_KEY_CHARS <= key_chars <= MAX_PARTITION_KEY_CHARS:
        raise ValueError(
            f"record {index}: partition key has {key_chars} characters; it must have "
            f"{MIN_PARTITION_KEY_CHARS} to {MAX_PARTITION_KEY_CHARS}"
        )
    if record.size > max_record_bytes:
        raise ValueError(
            f"record {index}: {record.size} bytes (data + partition key) exceeds the "
            f"{max_record_bytes}-byte record limit"
        )
    hash_key = record.explicit_hash_key
    if hash_key is not None and not (
        hash_key.isascii() and hash_key.isdigit() and int(hash_key) <= MAX_EXPLICIT_HASH_KEY
    ):
        raise ValueError(
            f"record {index}: explicit hash key {hash_key[:50]!r} is not a decimal "
            f"integer from 0 to 2**128 - 1"
        )


def split_batches(
    records: Iterable[Record], max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> Iterator[list[Record]]:
    """Yield consecutive, order-preserving batches that each fit one PutRecords call.

    Each record is validated as it is reached (``ValueError`` names its 0-based index), so
    batches before a bad record have already been yielded: materialize with ``list()`` to
    validate everything first.
    """
    if not 0 < max_record_bytes <= LARGE_RECORD_MAX_BYTES:
        raise ValueError(
            f"max_record_bytes is {max_record_bytes}; Kinesis allows 1 to "
            f"{LARGE_RECORD_MAX_BYTES} bytes per record"
        )
    byte_limit = request_byte_limit(max_record_bytes)
    batch: list[Record] = []
    batch_bytes = 0
    for index, record in enumerate(records):
        validate_record(record, index, max_record_bytes)
        if len(batch) == MAX_RECORDS_PER_REQUEST or batch_bytes + record.size > byte_limit:
            yield batch
            batch, batch_bytes = [], 0
        batch.append(record)
        batch_bytes += record.size
    if batch:
        yield batch
