"""The data path of one dataset, end to end: produce -> Kinesis (moto) -> emulated Firehose
(from the synthesized delivery stream) -> S3 (moto) -> the synthesized Glue table in Trino."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jq

from ml_data_platform.producer import KinesisProducer, Record
from tests.datapath.firehose import Delivery, DeliveryConfig, SourceRecord, deliver, read_source
from tests.datapath.template import Templates
from tests.datapath.trino import TrinoServer

SHARDS = 2
ROUTED_PREFIX = "!{partitionKeyFromQuery:dataset}/"
"""A shared delivery's prefix: the dataset key first (``SharedLayout``)."""


@dataclass
class DatasetPath:
    """The deployed pieces of one dataset, found in the synthesized templates."""

    dataset: str
    templates: Templates
    delivery: DeliveryConfig
    stream_name: str
    table_input: dict[str, Any]
    database: str
    tables: dict[tuple[str, str], dict[str, Any]]
    sent: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    table: str = ""
    routing: dict[str, str] = field(default_factory=dict)
    """Fields a producer adds to each record (``{"dataset": name}`` on a shared stream)."""

    @classmethod
    def find(cls, templates: Templates, dataset: str) -> DatasetPath:
        """The delivery stream writing ``<dataset>/`` (its own, or a shared one whose routing
        query sends ``{"dataset": <dataset>}`` records there) and the Glue table reading it."""
        streams = [
            (r, templates.resolved(r))
            for r in templates.resources("AWS::KinesisFirehose::DeliveryStream")
        ]
        writers = [
            (r, p)
            for r, p in streams
            if "ExtendedS3DestinationConfiguration" in p
            and _writes(p["ExtendedS3DestinationConfiguration"], dataset)
        ]
        assert len(writers) == 1, f"{dataset}: delivery streams writing it: {writers}"
        resource, properties = writers[0]
        tables = {}
        for table in templates.resources("AWS::Glue::Table"):
            resolved = templates.resolved(table)
            tables[(resolved["DatabaseName"], resolved["TableInput"]["Name"])] = resolved[
                "TableInput"
            ]
        config = DeliveryConfig.from_template(
            templates.physical_name(resource.stack, resource.logical_id), properties
        )
        reading = [
            (key, table)
            for key, table in tables.items()
            if table["StorageDescriptor"]["Location"] == f"s3://{config.bucket}/{dataset}/"
        ]
        assert len(reading) == 1, f"{dataset}: Glue tables located at its prefix: {reading}"
        (database, _), table_input = reading[0]
        source = properties["KinesisStreamSourceConfiguration"]["KinesisStreamARN"]
        return cls(
            dataset=dataset,
            templates=templates,
            delivery=config,
            stream_name=source.rsplit("/", 1)[1],
            table_input=table_input,
            database=database,
            tables=tables,
            routing=(
                {"dataset": dataset}
                if properties["ExtendedS3DestinationConfiguration"]["Prefix"].startswith(
                    ROUTED_PREFIX
                )
                else {}
            ),
        )

    @property
    def columns(self) -> list[str]:
        return [c["Name"] for c in self.table_input["StorageDescriptor"]["Columns"]]

    @property
    def partition_columns(self) -> list[str]:
        return [c["Name"] for c in self.table_input.get("PartitionKeys", [])]

    def create(self, moto: Any) -> None:
        """The stream and the bucket in the emulator (the local deploy creates them for real;
        here only the two this path needs, under the names the templates give)."""
        kinesis, s3 = moto.client("kinesis"), moto.client("s3")
        if self.stream_name in kinesis.list_streams()["StreamNames"]:
            # A shared stream another dataset created: only what is sent from now on is ours.
            self.seen |= {
                (r.shard_id, r.sequence_number) for r in read_source(kinesis, self.stream_name)
            }
        else:
            kinesis.create_stream(StreamName=self.stream_name, ShardCount=SHARDS)
            kinesis.get_waiter("stream_exists").wait(
                StreamName=self.stream_name, WaiterConfig={"Delay": 0.1}
            )
        existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        if self.delivery.bucket not in existing:
            s3.create_bucket(Bucket=self.delivery.bucket)

    def produce(
        self,
        moto: Any,
        rounds: Sequence[tuple[datetime, Iterable[dict[str, Any] | bytes]]],
        *,
        partition_key_field: str,
    ) -> list[SourceRecord]:
        """Send each round with ``KinesisProducer`` and read it back as Firehose's source does.

        moto stamps ``ApproximateArrivalTimestamp`` with the wall clock and has no clock to set:
        each round's arrival times are shifted, together, so that its first record arrived at
        the round's time (the only input the test alters; the gaps within a round are real).
        """
        kinesis = moto.client("kinesis")
        producer = KinesisProducer(stream_name=self.stream_name, client=kinesis)
        arrived: list[SourceRecord] = []
        for when, records in rounds:
            batch = []
            for record in records:
                data = record if isinstance(record, bytes) else json.dumps(record).encode()
                key = (
                    str(record.get(partition_key_field, "x")) if isinstance(record, dict) else "raw"
                )
                batch.append(Record(data, key))
                if isinstance(record, dict):
                    self.sent.append((when, record))
            report = producer.send(batch)
            assert report.ok, report
            new = [
                r
                for r in read_source(kinesis, self.stream_name)
                if (r.shard_id, r.sequence_number) not in self.seen
            ]
            assert sorted(r.data for r in new) == sorted(r.data for r in batch)
            shift = when - min(r.arrival for r in new).replace(tzinfo=None)
            arrived += [
                SourceRecord(
                    r.data, r.arrival.replace(tzinfo=None) + shift, r.sequence_number, r.shard_id
                )
                for r in new
            ]
            self.seen |= {(r.shard_id, r.sequence_number) for r in new}
        return arrived

    def deliver(self, moto: Any, records: Sequence[SourceRecord]) -> Delivery:
        delivery = deliver(self.delivery, records, moto.client("s3"), tables=self.tables)
        self.deliveries.append(delivery)
        return delivery

    def define(self, trino: TrinoServer) -> str:
        self.table = trino.define_table(self.database, self.table_input)
        return self.table

    def select(
        self, trino: TrinoServer, where: str, columns: Sequence[str] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Rows (as dicts) of ``SELECT <columns + partition columns> ... WHERE where``, and the
        query's statistics (``processedRows``: rows read from the files)."""
        names = [*(columns or self.columns), *self.partition_columns]
        rows, stats = trino.execute(f"SELECT {', '.join(names)} FROM {self.table} WHERE {where}")
        return [dict(zip(names, row, strict=True)) for row in rows], stats


def _writes(destination: Mapping[str, Any], dataset: str) -> bool:
    """Whether a delivery with this S3 destination writes ``dataset``'s records."""
    prefix = destination.get("Prefix", "")
    if prefix.startswith(f"{dataset}/"):
        return True
    if not prefix.startswith(ROUTED_PREFIX):
        return False
    config = destination.get("ProcessingConfiguration", {})
    for processor in config.get("Processors", []):
        for parameter in processor.get("Parameters", []):
            if parameter["ParameterName"] == "MetadataExtractionQuery":
                program = jq.compile(parameter["ParameterValue"])
                try:
                    return bool(
                        program.input_value({"dataset": dataset}).first() == {"dataset": dataset}
                    )
                except ValueError:  # the routing query refuses non-members
                    return False
    return False


def time_partitions(when: datetime, keys: Sequence[str]) -> dict[str, int]:
    """The time partition values a record arriving at ``when`` must get."""
    values = {"year": when.year, "month": when.month, "day": when.day, "hour": when.hour}
    return {k: values[k] for k in keys if k in values}


def hours(start: datetime, *offsets: float) -> list[datetime]:
    return [start + timedelta(hours=o) for o in offsets]


def as_dicts(value: Any) -> Any:
    """Trino's row values (tuples with field names) as dicts, recursively, for comparison."""
    names = getattr(value, "_names", None)
    if names is not None:
        return {n: as_dicts(v) for n, v in zip(names, value, strict=True)}
    if isinstance(value, list):
        return [as_dicts(v) for v in value]
    if isinstance(value, Mapping):
        return {k: as_dicts(v) for k, v in value.items()}
    return value
