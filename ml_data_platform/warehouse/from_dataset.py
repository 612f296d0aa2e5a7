"""Derive the Redshift table for a ``Dataset`` (Glue/Hive types → Redshift types)."""

from __future__ import annotations

import re

from ml_data_platform.datasets import Dataset
from ml_data_platform.warehouse.ddl import RedshiftColumn, RedshiftTable, RedshiftType

# Redshift VARCHAR holds bytes; the largest size avoids COPY rejecting long UTF-8 strings.
STRING_TYPE = RedshiftType.varchar(65535)
_SIMPLE = {
    "string": STRING_TYPE,
    "boolean": RedshiftType.BOOLEAN,
    "tinyint": RedshiftType.SMALLINT,
    "smallint": RedshiftType.SMALLINT,
    "int": RedshiftType.INTEGER,
    "integer": RedshiftType.INTEGER,
    "bigint": RedshiftType.BIGINT,
    "float": RedshiftType.REAL,
    "double": RedshiftType.DOUBLE_PRECISION,
    "date": RedshiftType.DATE,
    "timestamp": RedshiftType.TIMESTAMP,
}
_COMPLEX = re.compile(r"^(array|map|struct)<")


def redshift_type_for(glue_type: str) -> RedshiftType:
    """The Redshift type that COPY ... JSON loads a Glue/Hive type into (complex → SUPER)."""
    normal = glue_type.replace(" ", "").lower()
    if normal in _SIMPLE:
        return _SIMPLE[normal]
    if _COMPLEX.match(normal):
        return RedshiftType.SUPER
    if normal.startswith(("decimal(", "char(", "varchar(")):
        return RedshiftType.parse(normal)
    raise ValueError(f"Glue type {glue_type!r} has no Redshift equivalent for COPY")


def redshift_table_for(dataset: Dataset, table_name: str | None = None) -> RedshiftTable:
    """A table with the dataset's columns, sorted by its first timestamp column (if any).

    Default table name: the dataset's Glue table name.
    """
    columns = [RedshiftColumn(c.name, redshift_type_for(c.type)) for c in dataset.columns]
    timestamps = [c.name for c in columns if c.type == RedshiftType.TIMESTAMP]
    return RedshiftTable(
        name=table_name or dataset.table_name, columns=columns, sort_keys=timestamps[:1]
    )
