"""``LakeTable``: a Glue external table over a dataset's objects, with partition projection.

The table location, partition keys and Athena partition projection come from the dataset's
``PartitionLayout``, the same object that produces the Firehose prefix, so the table always
reads where Firehose writes. Projection parameters:
https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING

import aws_cdk as cdk
import jsii
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct, IValidation

from ml_data_platform.core.inputs import Kind, repeated, require_kind
from ml_data_platform.core.limits import GLUE_DESCRIPTION_MAX_LENGTH
from ml_data_platform.core.names import validate_glue_name, validate_key_prefix
from ml_data_platform.datasets import (
    Column,
    DataFormat,
    Dataset,
    validate_glue_type,
    validate_text,
)
from ml_data_platform.storage.layout import (
    TIME_KEY_TYPE,
    PartitionLayout,
    PathShape,
    layout_mismatch,
    parse_partitioned_path,
)

if TYPE_CHECKING:  # streaming builds on the catalog (see validate)
    from ml_data_platform.streaming.lake_delivery import LakeDeliveryStream

PARTITION_KEY_TYPE = TIME_KEY_TYPE
"""Layout time keys (year/month/day/hour) are integers, matching integer projection; dynamic
partition keys are strings (``DYNAMIC_KEY_TYPE``)."""


class TableFormat(Enum):
    """Storage format of a table: (classification, input format, output format, SerDe).

    Attributes:
        classification: The Glue ``classification`` table parameter (``json``, ``parquet``,
            ``csv``).
        input_format: The Hadoop input format class.
        output_format: The Hadoop output format class.
        serde: The serialization library (SerDe) class.
    """

    JSON = (
        "json",
        "org.apache.hadoop.mapred.TextInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "org.openx.data.jsonserde.JsonSerDe",
    )
    """JSON lines (OpenX JSON SerDe); the text input format reads GZIP files transparently."""
    PARQUET = (
        "parquet",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    )
    """Apache Parquet (ParquetHiveSerDe), as Firehose's record format conversion writes it."""
    CSV = (
        "csv",
        "org.apache.hadoop.mapred.TextInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
    )
    """Comma-separated text (LazySimpleSerDe, typed columns, no quoting)."""

    def __init__(self, classification: str, input_format: str, output_format: str, serde: str):
        self.classification = classification
        self.input_format = input_format
        self.output_format = output_format
        self.serde = serde

    @staticmethod
    def of(data_format: DataFormat) -> TableFormat:
        """The table format of a dataset's landing ``DataFormat``."""
        return {DataFormat.JSON: TableFormat.JSON, DataFormat.PARQUET: TableFormat.PARQUET}[
            data_format
        ]

    def serde_parameters(self) -> dict[str, str]:
        """The SerDe's parameters (field delimiter for CSV, serialization format)."""
        if self is TableFormat.CSV:
            return {"field.delim": ",", "serialization.format": ","}
        return {"serialization.format": "1"}


class LakeTable(Construct):
    """A Glue ``EXTERNAL_TABLE`` over objects in a lake bucket.

    Either from a ``Dataset`` (columns, format, location and partitioning all derived), or from
    explicit ``table_name``/``columns``/``table_format``/``location_prefix`` with optional
    ``layout`` (date partitions + projection) or ``partition_keys`` (partitions added by a
    crawler or ``MSCK REPAIR``).

    Args:
        database: The database: a ``CfnDatabase`` (referenced, so the table is created after
            it) or a database name.
        bucket: The bucket holding the objects.
        dataset: The dataset. Default: none (then ``table_name`` and ``columns`` are needed).
        table_name: Table name. Default: ``dataset.table_name``.
        columns: ``Column`` objects or ``(name, type)`` pairs (explicit path only).
        table_format: Storage format. Default: from ``dataset.data_format`` (JSON for the
            explicit path).
        location_prefix: Key prefix of the objects (explicit path without ``layout``), e.g.
            ``"exports/"``; relative (no leading ``/``, no ``//``, ``*`` or ``?``). Default: the
            bucket root; ``<layout.dataset>/`` with a layout.
        layout: A ``PartitionLayout`` (explicit path only). Default: ``dataset.layout``.
        partition_keys: Explicit partition key columns (explicit path, without ``layout``).
        partition_projection: Add Athena partition projection for the layout. Default: True.
        projection_overrides: Extra/replacement projection parameters (validated), e.g.
            ``{"projection.year.range": "2024,2030"}``. Default: none.
        description: Table description. Default: ``dataset.description``.

    The table is deleted with its stack: it holds only metadata that this construct fully
    defines (the objects stay in S3, and projection needs no stored partitions).

    Attributes:
        table: The ``CfnTable`` (Firehose Parquet conversion takes it).
        table_name: The table name.
        database_name: The database name (a ``Ref`` when ``database`` is a ``CfnDatabase``).
        bucket: The bucket; ``location_prefix``: the key prefix; ``location``: the S3 URI.
        columns: The ``Column`` objects. ``partition_keys``: the partition key ``Column``
            objects. ``table_format``: the ``TableFormat``.
        parameters: The table parameters.
        layout: The ``PartitionLayout`` (None on the explicit path without one).

    At synth, every ``LakeDeliveryStream`` of the app that writes into this table's bucket at
    or below its location is checked against it: the literal path, the partition key names
    and their order must be the same (they are when both come from one ``Dataset`` or
    ``PartitionLayout``); otherwise Athena would silently return no rows, so the synth fails
    naming both constructs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: glue.CfnDatabase | str,
        bucket: s3.IBucket,
        dataset: Dataset | None = None,
        table_name: str | None = None,
        columns: Sequence[Column | tuple[str, str]] | None = None,
        table_format: TableFormat | None = None,
        location_prefix: str | None = None,
        layout: PartitionLayout | None = None,
        partition_keys: Sequence[Column | tuple[str, str]] | None = None,
        partition_projection: bool = True,
        projection_overrides: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        bucket = require_kind(bucket, Kind.BUCKET, "bucket")
        self.database_name = _database_name(database)
        self.bucket = bucket
        if dataset is not None:
            if not isinstance(dataset, Dataset):
                raise TypeError(f"dataset must be a Dataset, got {type(dataset).__name__}")
            given = {
                "columns": columns,
                "location_prefix": location_prefix,
                "layout": layout,
                "partition_keys": partition_keys,
            }
            clash = sorted(k for k, v in given.items() if v is not None)
            if clash:
                raise ValueError(
                    f"table '{dataset.name}': {clash} come from the dataset; pass either "
                    "dataset or explicit columns/layout, not both"
                )
            table_name = table_name or dataset.table_name
            column_list = list(dataset.columns)
            table_format = table_format or TableFormat.of(dataset.data_format)
            layout = dataset.layout
            description = description or dataset.description
        else:
            if table_name is None or columns is None:
                raise ValueError("LakeTable needs either dataset, or table_name and columns")
            column_list = _columns(columns, f"table '{table_name}' columns")
            table_format = table_format or TableFormat.JSON
            for other, value in (
                ("partition_keys", partition_keys),
                ("location_prefix", location_prefix),
            ):
                if layout is not None and value is not None:
                    raise ValueError(
                        f"table '{table_name}': pass layout or {other}, not both (the layout "
                        "defines the location and the partition keys)"
                    )
            if layout is not None and not isinstance(layout, PartitionLayout):
                raise TypeError(f"layout must be a PartitionLayout, got {type(layout).__name__}")
        if not isinstance(table_format, TableFormat):
            raise TypeError(
                f"table_format must be a TableFormat, got {type(table_format).__name__}"
            )
        self.table_name = validate_glue_name(table_name, "table_name")
        validate_text(
            description, f"table '{self.table_name}': description", GLUE_DESCRIPTION_MAX_LENGTH
        )
        if not column_list:
            raise ValueError(f"table '{self.table_name}': columns must list at least one column")
        if layout is not None:
            keys = [Column(name, kind) for name, kind in layout.partition_columns()]
            location_prefix = layout.dataset_prefix
        else:
            keys = _columns(partition_keys or (), f"table '{self.table_name}' partition_keys")
        self.location_prefix = validate_key_prefix(
            "" if location_prefix is None else location_prefix,
            f"table '{self.table_name}': location_prefix",
        )
        _check_unique(self.table_name, column_list, keys)
        self.columns = column_list
        self.partition_keys = keys
        self.table_format = table_format
        self.location = f"s3://{bucket.bucket_name}/{self.location_prefix}"

        parameters = {"classification": table_format.classification, "EXTERNAL": "TRUE"}
        if dataset is not None and dataset.data_format is DataFormat.JSON:
            parameters["compressionType"] = "gzip"
        if partition_projection and layout is not None:
            # The layout is the one source of truth shared with the Firehose prefix.
            projection = layout.projection_parameters(bucket.bucket_name)
            projection.update(projection_overrides or {})
            validate_projection(projection, [k.name for k in keys], self.table_name)
            parameters.update(projection)
        elif projection_overrides:
            raise ValueError(
                f"table '{self.table_name}': projection_overrides need a layout and "
                "partition_projection=True"
            )
        self.parameters = parameters
        self.layout = layout
        self.node.add_validation(_MatchesDeliveries(self))

        self.table = glue.CfnTable(
            self,
            "Table",
            catalog_id=cdk.Stack.of(self).account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=self.table_name,
                description=description,
                table_type="EXTERNAL_TABLE",
                parameters=parameters,
                partition_keys=[_cfn_column(c) for c in keys] or None,
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[_cfn_column(c) for c in column_list],
                    location=self.location,
                    input_format=table_format.input_format,
                    output_format=table_format.output_format,
                    compressed=False,
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=table_format.serde,
                        parameters=table_format.serde_parameters(),
                    ),
                    stored_as_sub_directories=False,
                ),
            ),
        )

    @property
    def table_arn(self) -> str:
        """The Glue table ARN (``arn:…:table/<database>/<table>``)."""
        return cdk.Stack.of(self).format_arn(
            service="glue",
            resource="table",
            resource_name=f"{self.database_name}/{self.table_name}",
        )

    @property
    def database_arn(self) -> str:
        """The Glue database ARN of the table's database."""
        return cdk.Stack.of(self).format_arn(
            service="glue", resource="database", resource_name=self.database_name
        )


@jsii.implements(IValidation)
class _MatchesDeliveries:
    """Synth-time check that the deliveries writing where ``table`` reads use its layout."""

    def __init__(self, table: LakeTable) -> None:
        self._table = table

    def validate(self) -> list[str]:
        # Imported here: streaming builds on the catalog's tables (Parquet), not the reverse.
        from ml_data_platform.streaming.lake_delivery import deliveries_in

        table = self._table
        read = _read_shape(table)
        errors = []
        # The deliveries register by their root: walking the whole tree once per table would
        # make synthesis quadratic in the number of datasets.
        for construct in deliveries_in(table.node.root):
            if not _same_bucket(construct.bucket, table.bucket):
                continue
            for prefix in construct.written_prefixes:
                problem = _written_mismatch(prefix, table, read)
                if problem is not None:
                    errors.append(_mismatch(table, construct, problem, prefix))
        return errors


def _written_mismatch(prefix: str, table: LakeTable, read: PathShape) -> str | None:
    """Why ``table`` would not read what a delivery writes under ``prefix`` (None: it reads it,
    or ``prefix`` is elsewhere)."""
    try:
        written = parse_partitioned_path(prefix)
    except ValueError as error:
        written_root = prefix.split("!{", 1)[0]
        if written_root.startswith(table.location_prefix) and table.location_prefix:
            return str(error)
        return None
    if not _overlap(written.root, read.root):
        return None
    return layout_mismatch(written, read)


def _read_shape(table: LakeTable) -> PathShape:
    template = table.parameters.get("storage.location.template")
    if template is not None and not cdk.Token.is_unresolved(template.split("/", 3)[-1]):
        # s3://<bucket>/<key path>: the bucket part may be a token.
        return parse_partitioned_path(template.split("/", 3)[3])
    names = tuple(k.name for k in table.partition_keys)
    return PathShape(table.location_prefix, names, tuple(f"template:{n}" for n in names))


def _overlap(written_root: str, read_root: str) -> bool:
    if not written_root or not read_root:
        return written_root == read_root
    return written_root.startswith(read_root) or read_root.startswith(written_root)


def _same_bucket(a: s3.IBucket, b: s3.IBucket) -> bool:
    if a is b or a.node.path == b.node.path:
        return True
    names = (a.bucket_name, b.bucket_name)
    return not any(cdk.Token.is_unresolved(n) for n in names) and names[0] == names[1]


def _mismatch(table: LakeTable, delivery: LakeDeliveryStream, problem: str, written: str) -> str:
    template = table.parameters.get("storage.location.template")
    if template is not None:
        read = f"{template.split('/', 3)[-1]} (storage.location.template)"
    else:
        read = table.location_prefix + "".join(f"{k.name}=…/" for k in table.partition_keys)
    return (
        f"LakeTable '{table.node.path}' (table '{table.table_name}') reads {read}, but "
        f"LakeDeliveryStream '{delivery.node.path}' writes {written} into the same "
        f"bucket: {problem}. Athena would return no rows for what it writes. Build both from "
        "one Dataset (dataset=...) or one PartitionLayout (layout=...), with the dynamic "
        "partition keys in it (Dataset(partition_keys=...), PartitionLayout(keys=...))."
    )


_PROJECTION_TYPES = {"integer", "date", "enum", "injected"}
_INT_RANGE = re.compile(r"^(-?\d+),(-?\d+)$")


def validate_projection(params: Mapping[str, str], keys: Sequence[str], table: str) -> None:
    """Check Athena partition-projection parameters for the partition ``keys``.

    Raises ``ValueError`` naming the table and the parameter for: a key without a projection
    type, an unknown type, an integer range that is not ``min,max`` with min ≤ max, a date
    range without two bounds, an empty enum, a parameter for an unknown key, or a
    ``storage.location.template`` that is not an S3 URI with a ``${key}`` per key.
    """
    where = f"table '{table}' partition projection"
    for name, value in params.items():
        if not isinstance(value, str):
            raise ValueError(f"{where}: {name} must be a string, got {value!r}")
        match = re.match(r"^projection\.([^.]+)\.", name)
        if match and match.group(1) not in keys:
            raise ValueError(f"{where}: {name} names no partition key (keys are {list(keys)})")
    if params.get("projection.enabled") != "true":
        raise ValueError(f"{where}: projection.enabled must be 'true'")
    for key in keys:
        kind = params.get(f"projection.{key}.type")
        if kind not in _PROJECTION_TYPES:
            raise ValueError(
                f"{where}: projection.{key}.type must be one of {sorted(_PROJECTION_TYPES)}, "
                f"got {kind!r}"
            )
        value_range = params.get(f"projection.{key}.range", "")
        if kind == "integer":
            match = _INT_RANGE.match(value_range)
            if not match or int(match.group(1)) > int(match.group(2)):
                raise ValueError(
                    f"{where}: projection.{key}.range must be 'min,max' integers with "
                    f"min ≤ max, got {value_range!r}"
                )
        elif kind == "date" and len([p for p in value_range.split(",") if p.strip()]) != 2:
            raise ValueError(
                f"{where}: projection.{key}.range must be 'start,end' (e.g. "
                f"'2024/01/01,NOW'), got {value_range!r}"
            )
        elif kind == "date" and not params.get(f"projection.{key}.format"):
            raise ValueError(f"{where}: projection.{key}.format is required for type date")
        elif kind == "enum" and not params.get(f"projection.{key}.values", "").strip(","):
            raise ValueError(f"{where}: projection.{key}.values must list at least one value")
    template = params.get("storage.location.template")
    if template is not None:
        missing = [k for k in keys if f"${{{k}}}" not in template]
        if missing:
            raise ValueError(f"{where}: storage.location.template lacks ${{}} for {missing}")
        if not cdk.Token.is_unresolved(template) and not template.startswith("s3://"):
            raise ValueError(f"{where}: storage.location.template must be an s3:// URI")


def _database_name(database: glue.CfnDatabase | str) -> str:
    if isinstance(database, glue.CfnDatabase):
        return database.ref  # Ref of AWS::Glue::Database is its name.
    if isinstance(database, str):
        return validate_glue_name(database, "database")
    raise TypeError(
        f"database must be a CfnDatabase or a database name, got {type(database).__name__}"
    )


def _columns(columns: Sequence[Column | tuple[str, str]], prop: str) -> list[Column]:
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Sequence):
        raise TypeError(f"{prop} must be a sequence of Column or (name, type), got {columns!r}")
    result = []
    for column in columns:
        if isinstance(column, Column):
            # Re-check: a Column built with object.__new__ or replace() may bypass checks.
            validate_glue_name(column.name, f"{prop}: column name")
            validate_glue_type(column.type, f"{prop}: type of column '{column.name}'")
            result.append(column)
        elif isinstance(column, tuple) and len(column) == 2:
            result.append(Column(*column))
        else:
            raise TypeError(f"{prop}: expected a Column or a (name, type) pair, got {column!r}")
    return result


def _check_unique(table: str, columns: Sequence[Column], keys: Sequence[Column]) -> None:
    for what, items in (("columns", columns), ("partition keys", keys)):
        names = [c.name for c in items]
        duplicates = repeated(names)
        if duplicates:
            raise ValueError(f"table '{table}': duplicate {what} {duplicates}")
    clashes = sorted({c.name for c in columns} & {k.name for k in keys})
    if clashes:
        raise ValueError(
            f"table '{table}': partition keys {clashes} duplicate columns; a partition key "
            "must not also be a column"
        )


def _cfn_column(column: Column) -> glue.CfnTable.ColumnProperty:
    return glue.CfnTable.ColumnProperty(name=column.name, type=column.type, comment=column.comment)
