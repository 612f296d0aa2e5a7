"""Kinesis producer: record validation and batching, ``PutRecords`` with per-entry retries.

Sending needs boto3 (the ``producer`` extra); the batching functions are pure Python.
"""

from ml_data_platform.producer.batching import (
    DEFAULT_MAX_RECORD_BYTES,
    LARGE_RECORD_MAX_BYTES,
    MAX_PARTITION_KEY_CHARS,
    MAX_RECORDS_PER_REQUEST,
    MAX_REQUEST_BYTES,
    MIN_PARTITION_KEY_CHARS,
    Record,
    split_batches,
    validate_record,
)
from ml_data_platform.producer.kinesis_producer import (
    FailedRecord,
    KinesisProducer,
    SendReport,
    records_from_firehose_errors,
    records_from_json_lines,
)

__all__ = [
    "DEFAULT_MAX_RECORD_BYTES",
    "LARGE_RECORD_MAX_BYTES",
    "MAX_PARTITION_KEY_CHARS",
    "MAX_RECORDS_PER_REQUEST",
    "MAX_REQUEST_BYTES",
    "MIN_PARTITION_KEY_CHARS",
    "FailedRecord",
    "KinesisProducer",
    "Record",
    "SendReport",
    "records_from_firehose_errors",
    "records_from_json_lines",
    "split_batches",
    "validate_record",
]
