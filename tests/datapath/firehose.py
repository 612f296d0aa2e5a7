"""The one emulated step of the data path: Firehose's S3 delivery, driven by the synthesized
``AWS::KinesisFirehose::DeliveryStream`` (its ``ExtendedS3DestinationConfiguration``), not by our
Python layout objects. moto's Firehose never reads from Kinesis, so this writer does what the
deployed delivery stream would do with the records read from the emulator's stream.

Each rule and the page it is based on (``docs.aws.amazon.com/firehose/latest/...``):

- Reading the source: every record of every shard with its ``ApproximateArrivalTimestamp``
  (``dev/writing-with-kinesis-streams.html``).
- Processors, in the template's order: ``MetadataExtraction`` evaluates the jq query on the
  JSON record and must yield a value for each key (``dev/dynamic-partitioning.html``,
  "partitioning keys with inline parsing"); a record that is not JSON or whose key is missing or
  null goes to the error prefix with error type ``partitioning-failed``
  (``dev/dynamic-partitioning-error-handling.html``). ``AppendDelimiterToRecord`` appends ``\\n``
  (``APIReference/API_Processor.html``).
- Buffering: one buffer per partition (per distinct key values with dynamic partitioning); an
  object is written when the buffer reaches ``SizeInMBs`` or ``IntervalInSeconds`` has passed
  since its oldest record (``APIReference/API_BufferingHints.html``, ``dev/buffering.html``).
- Object key: ``<evaluated prefix><stream name>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid>
  <file extension>`` (``dev/s3-object-name.html``); the extension is ``.gz`` for GZIP and
  ``.parquet`` for Parquet conversion (what Firehose writes; the page names ``<file extension>``
  and ``FileExtension`` overrides it: ``APIReference/API_ExtendedS3DestinationConfiguration.html``).
- Prefix expressions (``dev/s3-prefixes.html``): ``!{timestamp:<Java DateTimeFormatter pattern>}``
  with the approximate arrival time of the oldest record in the object, in UTC (no
  ``CustomTimeZone``), all instances in one prefix evaluated at the same instant;
  ``!{firehose:random-string}`` (11 characters) and ``!{firehose:error-output-type}`` (error
  prefix only); ``!{partitionKeyFromQuery:<key>}``
  (``dev/dynamic-partitioning-s3bucketprefix.html``). A prefix without a timestamp (and without
  dynamic partitioning) gets ``!{timestamp:yyyy/MM/dd/HH/}`` appended (``dev/s3-prefixes.html``).
- Compression: ``GZIP`` gzips the whole object (``APIReference/API_ExtendedS3DestinationConfiguration.html``).
- Format conversion (``dev/record-format-conversion.html``): the OpenX JSON deserializer, keys
  matched case-insensitively (``APIReference/API_OpenXJsonSerDe.html``: ``CaseInsensitive``
  defaults to true), values converted to the Glue table's column types, timestamps accepted in
  the formats the page lists for the OpenX SerDe; Parquet written with the table's schema and
  SNAPPY compression (``APIReference/API_ParquetSerDe.html``). A record that cannot be converted
  goes to the error prefix with error type ``format-conversion-failed`` and error code
  ``DataFormatConversion.MalformedData``; error objects are JSON lines with the base64
  ``rawData`` (``dev/record-format-conversion.html``, error handling).

Not emulated (nothing the tests rely on): retries, KMS encryption of the objects (moto's buckets
are plain), Lambda processing, multi-stage buffering delays, ``CustomTimeZone``.
"""

from __future__ import annotations

import base64
import decimal
import gzip
import io
import json
import random
import re
import string
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jq
import pyarrow as pa
import pyarrow.parquet as pq

MIB = 1024 * 1024
_EXPRESSION = re.compile(r"!\{([A-Za-z]+):([^{}]*)\}")
PARTITIONING_FAILED = "partitioning-failed"
FORMAT_CONVERSION_FAILED = "format-conversion-failed"
DEFAULT_TIME_PREFIX = "!{timestamp:yyyy/MM/dd/HH/}"


@dataclass(frozen=True)
class SourceRecord:
    """A Kinesis record as Firehose receives it."""

    data: bytes
    arrival: datetime
    sequence_number: str
    shard_id: str = ""


@dataclass
class Delivery:
    """What one ``deliver`` wrote: data object keys and error object keys (with their type)."""

    objects: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


def read_source(kinesis: Any, stream_name: str) -> list[SourceRecord]:
    """Every record of every shard of the stream (GetRecords from TRIM_HORIZON)."""
    records: list[SourceRecord] = []
    for shard in kinesis.list_shards(StreamName=stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records += [
                SourceRecord(
                    r["Data"],
                    r["ApproximateArrivalTimestamp"].astimezone(UTC),
                    r["SequenceNumber"],
                    shard["ShardId"],
                )
                for r in response["Records"]
            ]
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    return records


# --- !{timestamp:...}: Java DateTimeFormatter patterns ----------------------------------------

_JAVA_FIELDS: dict[str, Callable[[datetime], str]] = {
    "yyyy": lambda t: f"{t.year:04d}",
    "uuuu": lambda t: f"{t.year:04d}",
    "yy": lambda t: f"{t.year % 100:02d}",
    "MM": lambda t: f"{t.month:02d}",
    "M": lambda t: str(t.month),
    "dd": lambda t: f"{t.day:02d}",
    "d": lambda t: str(t.day),
    "HH": lambda t: f"{t.hour:02d}",
    "H": lambda t: str(t.hour),
    "mm": lambda t: f"{t.minute:02d}",
    "ss": lambda t: f"{t.second:02d}",
    "DDD": lambda t: f"{t.timetuple().tm_yday:03d}",
}


def java_datetime_format(pattern: str, when: datetime) -> str:
    """Format ``when`` with a Java ``DateTimeFormatter`` pattern (letters repeated as a field,
    ``'...'`` literal text, ``''`` a quote). Fields beyond ``_JAVA_FIELDS`` raise, so a prefix
    using one fails the test instead of being guessed."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = pattern.find("'", i + 1)
            if end == -1:
                raise ValueError(f"unterminated quote in DateTimeFormatter pattern {pattern!r}")
            out.append(pattern[i + 1 : end] if end > i + 1 else "'")
            i = end + 1
        elif char.isalpha():
            end = i
            while end < len(pattern) and pattern[end] == char:
                end += 1
            token = pattern[i:end]
            if token not in _JAVA_FIELDS:
                raise NotImplementedError(f"DateTimeFormatter field {token!r} in {pattern!r}")
            out.append(_JAVA_FIELDS[token](when))
            i = end
        else:
            out.append(char)
            i += 1
    return "".join(out)


def evaluate_prefix(
    prefix: str,
    oldest_arrival: datetime,
    *,
    keys: Mapping[str, str] | None = None,
    error_type: str | None = None,
) -> str:
    """Evaluate every ``!{namespace:value}`` of ``prefix`` (one instant for all timestamps)."""

    def substitute(match: re.Match[str]) -> str:
        namespace, value = match.groups()
        if namespace == "timestamp":
            return java_datetime_format(value, oldest_arrival)
        if namespace == "partitionKeyFromQuery":
            if keys is None or value not in keys:
                raise KeyError(f"prefix {prefix!r}: no partition key {value!r}")
            return keys[value]
        if namespace == "firehose" and value == "random-string":
            return "".join(random.choices(string.ascii_letters + string.digits, k=11))
        if namespace == "firehose" and value == "error-output-type":
            if error_type is None:
                raise ValueError(f"{prefix!r}: error-output-type outside the error prefix")
            return error_type
        raise NotImplementedError(f"Firehose expression !{{{namespace}:{value}}}")

    return _EXPRESSION.sub(substitute, prefix)


# --- the delivery stream's configuration, from the template -----------------------------------


@dataclass(frozen=True)
class DeliveryConfig:
    """The parts of a resolved ``ExtendedS3DestinationConfiguration`` that shape the objects."""

    name: str
    bucket: str
    prefix: str
    error_prefix: str
    buffer_seconds: int
    buffer_bytes: int
    compression: str
    processors: tuple[tuple[str, dict[str, str]], ...]
    dynamic_partitioning: bool
    conversion: dict[str, Any] | None

    @classmethod
    def from_template(cls, name: str, properties: Mapping[str, Any]) -> DeliveryConfig:
        """``properties``: the delivery stream's resolved CloudFormation properties."""
        s3 = properties["ExtendedS3DestinationConfiguration"]
        processing = s3.get("ProcessingConfiguration", {})
        processors = tuple(
            (p["Type"], {q["ParameterName"]: q["ParameterValue"] for q in p.get("Parameters", [])})
            for p in (processing.get("Processors", []) if processing.get("Enabled") else [])
        )
        conversion = s3.get("DataFormatConversionConfiguration")
        hints = s3.get("BufferingHints", {})
        return cls(
            name=name,
            bucket=s3["BucketARN"].split(":::", 1)[1],
            prefix=s3.get("Prefix", ""),
            error_prefix=s3.get("ErrorOutputPrefix", ""),
            buffer_seconds=int(hints.get("IntervalInSeconds", 300)),
            buffer_bytes=int(hints.get("SizeInMBs", 5)) * MIB,
            compression=s3.get("CompressionFormat", "UNCOMPRESSED"),
            processors=processors,
            dynamic_partitioning=bool(
                s3.get("DynamicPartitioningConfiguration", {}).get("Enabled")
            ),
            conversion=conversion if conversion and conversion.get("Enabled", True) else None,
        )

    @property
    def partition_query(self) -> str | None:
        for kind, parameters in self.processors:
            if kind == "MetadataExtraction":
                engine = parameters.get("JsonParsingEngine")
                if engine != "JQ-1.6":
                    raise NotImplementedError(f"{self.name}: JsonParsingEngine {engine!r}")
                return parameters["MetadataExtractionQuery"]
        return None

    @property
    def extension(self) -> str:
        if self.conversion is not None:
            return ".parquet"
        return {"GZIP": ".gz", "UNCOMPRESSED": ""}[self.compression]


# --- the writer -----------------------------------------------------------------------------


class RecordError(Exception):
    """A record Firehose would send to the error prefix (``error_type``, ``code``)."""

    def __init__(self, error_type: str, code: str, message: str) -> None:
        super().__init__(message)
        self.error_type, self.code, self.message = error_type, code, message


def deliver(
    config: DeliveryConfig,
    records: Iterable[SourceRecord],
    s3: Any,
    *,
    tables: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> Delivery:
    """Write ``records`` into ``config.bucket`` as Firehose would; ``tables`` maps
    ``(database, table)`` to the resolved Glue ``TableInput`` that format conversion reads."""
    schema = None
    if config.conversion is not None:
        schema_config = config.conversion["SchemaConfiguration"]
        table = (tables or {})[(schema_config["DatabaseName"], schema_config["TableName"])]
        schema = TableSchema(table["StorageDescriptor"]["Columns"])
        for part in ("InputFormatConfiguration", "OutputFormatConfiguration"):
            (serde,) = config.conversion[part]["Deserializer" if part[0] == "I" else "Serializer"]
            if serde not in ("OpenXJsonSerDe", "ParquetSerDe"):
                raise NotImplementedError(f"{config.name}: {part} {serde}")
    query = jq.compile(config.partition_query) if config.partition_query else None
    buffers: dict[tuple[tuple[str, str], ...], list[tuple[SourceRecord, Any]]] = {}
    errors: dict[str, list[tuple[SourceRecord, RecordError]]] = {}
    delivery = Delivery()

    def flush(partition: tuple[tuple[str, str], ...]) -> None:
        batch = buffers.pop(partition)
        oldest = min(r.arrival for r, _ in batch)
        key = evaluate_prefix(_with_default_time(config), oldest, keys=dict(partition))
        key += _suffix(config, oldest)
        if schema is not None:
            body = schema.parquet([row for _, row in batch])
        else:
            body = b"".join(item for _, item in batch)
            if config.compression == "GZIP":
                body = gzip.compress(body)
        s3.put_object(Bucket=config.bucket, Key=key, Body=body)
        delivery.objects.append(key)

    for record in sorted(records, key=lambda r: r.arrival):
        try:
            keys = _partition_keys(query, record) if query is not None else {}
            item: Any = _process(config, record.data)
            if schema is not None:
                item = schema.row(record.data)
        except RecordError as error:
            errors.setdefault(error.error_type, []).append((record, error))
            continue
        partition = tuple(sorted(keys.items()))
        buffer = buffers.get(partition)
        if buffer and (
            record.arrival - buffer[0][0].arrival >= timedelta(seconds=config.buffer_seconds)
            or sum(len(r.data) for r, _ in buffer) + len(record.data) > config.buffer_bytes
        ):
            flush(partition)
        buffers.setdefault(partition, []).append((record, item))
    for partition in list(buffers):
        flush(partition)
    for error_type, failed in errors.items():
        oldest = min(r.arrival for r, _ in failed)
        key = evaluate_prefix(config.error_prefix, oldest, error_type=error_type)
        key += _suffix(config, oldest, extension="")
        lines = [_error_line(record, error, config) for record, error in failed]
        s3.put_object(Bucket=config.bucket, Key=key, Body="".join(lines).encode())
        delivery.errors.setdefault(error_type, []).append(key)
    return delivery


def _with_default_time(config: DeliveryConfig) -> str:
    if "!{timestamp:" in config.prefix or config.dynamic_partitioning:
        return config.prefix
    return config.prefix + DEFAULT_TIME_PREFIX


def _suffix(config: DeliveryConfig, when: datetime, extension: str | None = None) -> str:
    stamp = when.strftime("%Y-%m-%d-%H-%M-%S")
    return f"{config.name}-1-{stamp}-{uuid.uuid4()}{config.extension if extension is None else extension}"


def _process(config: DeliveryConfig, data: bytes) -> bytes:
    for kind, _parameters in config.processors:
        if kind == "AppendDelimiterToRecord":
            data += b"\n"
        elif kind != "MetadataExtraction":
            raise NotImplementedError(f"{config.name}: processor {kind}")
    return data


def _partition_keys(query: Any, record: SourceRecord) -> dict[str, str]:
    try:
        document = json.loads(record.data)
    except ValueError as error:
        raise RecordError(
            PARTITIONING_FAILED,
            "DynamicPartitioning.MetadataExtractionFailed",
            f"not JSON: {error}",
        ) from None
    try:
        result = query.input_value(document).first()
    except ValueError as error:
        raise RecordError(
            PARTITIONING_FAILED, "DynamicPartitioning.MetadataExtractionFailed", str(error)
        ) from None
    keys = {}
    for name, value in (result or {}).items():
        if value is None or isinstance(value, (dict, list)):
            raise RecordError(
                PARTITIONING_FAILED,
                "DynamicPartitioning.MetadataExtractionFailed",
                f"partition key {name!r} evaluated to {json.dumps(value)}",
            )
        keys[name] = value if isinstance(value, str) else json.dumps(value)
    return keys


def _error_line(record: SourceRecord, error: RecordError, config: DeliveryConfig) -> str:
    arrival_ms = int(record.arrival.timestamp() * 1000)
    line: dict[str, Any] = {
        "attemptsMade": 1,
        "arrivalTimestamp": arrival_ms,
        "attemptEndingTimestamp": arrival_ms,
        "rawData": base64.b64encode(record.data).decode(),
        "sequenceNumber": record.sequence_number,
    }
    if error.error_type == FORMAT_CONVERSION_FAILED:
        schema_config = (config.conversion or {})["SchemaConfiguration"]
        line |= {
            "lastErrorCode": error.code,
            "lastErrorMessage": error.message,
            "dataCatalogTable": {
                "databaseName": schema_config["DatabaseName"],
                "tableName": schema_config["TableName"],
            },
        }
    else:
        line |= {"errorCode": error.code, "errorMessage": error.message}
    return json.dumps(line) + "\n"


# --- format conversion: OpenX JSON -> the Glue table's types -> Parquet ------------------------

_ISO_Z = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")
_SQL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")
EPOCH_MILLIS_FROM = 10**12
"""An integer epoch at or above this is milliseconds, below it seconds (the page lists both
without saying how they are told apart; magnitude is the rule that matches its examples)."""


def parse_timestamp(value: Any) -> datetime:
    """The OpenX timestamp formats of ``dev/record-format-conversion.html``: ISO with ``Z``
    (up to 9 fraction digits), ``yyyy-[M]M-[d]d HH:mm:ss[.S]``, epoch seconds, epoch
    milliseconds, floating-point epoch seconds. Naive UTC; fractions beyond µs truncated."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | decimal.Decimal | float):
        number = decimal.Decimal(str(value))
        seconds = (
            number / 1000
            if number == number.to_integral() and abs(number) >= EPOCH_MILLIS_FROM
            else number
        )
        return datetime(1970, 1, 1) + timedelta(microseconds=int(seconds * 1_000_000))
    if isinstance(value, str):
        match = _ISO_Z.match(value) or _SQL.match(value)
        if match:
            *parts, fraction = match.groups()
            micros = int((fraction or "0").ljust(9, "0")[:6])
            return datetime(*(int(p) for p in parts), micros)
    raise ValueError(f"not a timestamp in a format Firehose's OpenX SerDe parses: {value!r}")


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]]


_PRIMITIVES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "timestamp": pa.timestamp("ms"),
    "date": pa.date32(),
    "binary": pa.binary(),
}


def arrow_type(hive_type: str) -> pa.DataType:
    """The Parquet (Arrow) type of a Glue/Hive column type."""
    text = hive_type.replace(" ", "").lower()
    if text in _PRIMITIVES:
        return _PRIMITIVES[text]
    if re.fullmatch(r"(var)?char\(\d+\)", text):
        return pa.string()
    decimal_match = re.fullmatch(r"decimal\((\d+)(?:,(\d+))?\)", text)
    if decimal_match:
        return pa.decimal128(int(decimal_match[1]), int(decimal_match[2] or 0))
    if text.startswith("array<"):
        return pa.list_(arrow_type(text[6:-1]))
    if text.startswith("map<"):
        key, value = _split_top_level(text[4:-1])
        return pa.map_(arrow_type(key), arrow_type(value))
    if text.startswith("struct<"):
        fields = [f.split(":", 1) for f in _split_top_level(text[7:-1])]
        return pa.struct([pa.field(name, arrow_type(t)) for name, t in fields])
    raise NotImplementedError(f"Glue type {hive_type!r}")


def convert(value: Any, kind: pa.DataType, path: str) -> Any:
    """One JSON value as a value of ``kind`` (OpenX rules); ``ValueError`` names ``path``."""
    if value is None:
        return None
    try:
        if pa.types.is_string(kind):
            return value if isinstance(value, str) else json.dumps(value, default=str)
        if pa.types.is_boolean(kind):
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError(f"not a boolean: {value!r}")
        if pa.types.is_integer(kind):
            if isinstance(value, bool):
                raise ValueError(f"not an integer: {value!r}")
            number = decimal.Decimal(str(value))
            if number != number.to_integral():
                raise ValueError(f"not an integer: {value!r}")
            bits = kind.bit_width - 1
            if not -(2**bits) <= int(number) < 2**bits:
                raise ValueError(f"{value!r} out of range for {kind}")
            return int(number)
        if pa.types.is_floating(kind):
            return float(decimal.Decimal(str(value)))
        if pa.types.is_decimal(kind):
            if isinstance(value, bool):
                raise ValueError(f"not a decimal: {value!r}")
            number = decimal.Decimal(str(value)).quantize(
                decimal.Decimal(1).scaleb(-kind.scale), rounding=decimal.ROUND_HALF_UP
            )
            if len(number.as_tuple().digits) > kind.precision:
                raise ValueError(f"{value!r} does not fit {kind}")
            return number
        if pa.types.is_timestamp(kind):
            return parse_timestamp(value)
        if pa.types.is_date32(kind):
            return datetime.strptime(value, "%Y-%m-%d").date()
        if pa.types.is_list(kind):
            if not isinstance(value, list):
                raise ValueError(f"not an array: {value!r}")
            return [convert(v, kind.value_type, f"{path}[{i}]") for i, v in enumerate(value)]
        if pa.types.is_map(kind):
            if not isinstance(value, dict):
                raise ValueError(f"not an object: {value!r}")
            return [
                (convert(k, kind.key_type, path), convert(v, kind.item_type, f"{path}.{k}"))
                for k, v in value.items()
            ]
        if pa.types.is_struct(kind):
            if not isinstance(value, dict):
                raise ValueError(f"not an object: {value!r}")
            lowered = {str(k).lower(): v for k, v in value.items()}
            return {f.name: convert(lowered.get(f.name), f.type, f"{path}.{f.name}") for f in kind}
    except (ArithmeticError, TypeError) as error:
        raise ValueError(f"{value!r}: {error}") from None
    raise NotImplementedError(f"{path}: {kind}")


class TableSchema:
    """The Glue table's columns as the Parquet schema Firehose converts records to."""

    def __init__(self, columns: Iterable[Mapping[str, Any]]) -> None:
        self.schema = pa.schema([pa.field(c["Name"], arrow_type(c["Type"])) for c in columns])

    def row(self, data: bytes) -> dict[str, Any]:
        try:
            document = json.loads(data, parse_float=decimal.Decimal)
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
            lowered = {str(k).lower(): v for k, v in document.items()}
            return {f.name: convert(lowered.get(f.name), f.type, f.name) for f in self.schema}
        except ValueError as error:
            raise RecordError(
                FORMAT_CONVERSION_FAILED, "DataFormatConversion.MalformedData", str(error)
            ) from None

    def parquet(self, rows: list[dict[str, Any]]) -> bytes:
        buffer = io.BytesIO()
        table = pa.Table.from_pylist(rows, schema=self.schema)
        # Hive's Parquet writer (which Firehose's ParquetSerDe is) stores timestamps as INT96.
        pq.write_table(table, buffer, compression="snappy", use_deprecated_int96_timestamps=True)
        return buffer.getvalue()
