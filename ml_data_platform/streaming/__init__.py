"""Streaming ingestion: Kinesis Data Streams into the data lake through Amazon Data Firehose."""

from ml_data_platform.streaming.buffering import (
    BufferingHints,
    resolve_buffering,
    validate_prefixes,
)
from ml_data_platform.streaming.ingestion_stream import IngestionStream, kinesis_key_conditions
from ml_data_platform.streaming.lake_delivery import LakeDeliveryStream
from ml_data_platform.streaming.shared import SharedLayout

__all__ = [
    "BufferingHints",
    "IngestionStream",
    "LakeDeliveryStream",
    "SharedLayout",
    "kinesis_key_conditions",
    "resolve_buffering",
    "validate_prefixes",
]
