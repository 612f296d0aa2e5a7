"""Redshift DDL from a typed table spec: validated names and types, idempotent ``CREATE TABLE``
and an idempotent step that adds columns missing from an existing table.

Sources:
- Identifiers: https://docs.aws.amazon.com/redshift/latest/dg/r_names.html (standard identifiers
  are 1–127 bytes of letters, digits, ``_`` and ``$``, not starting with a digit; delimited
  identifiers are double-quoted, with ``"`` doubled).
- Reserved words: https://docs.aws.amazon.com/redshift/latest/dg/r_pg_keywords.html
- Types: https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html
  (DECIMAL precision ≤ 38; CHAR ≤ 4,096 bytes; VARCHAR ≤ 65,535 bytes).
- ``CREATE TABLE``: https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_TABLE_NEW.html
  (a compound sort key has at most 400 columns).
- ``ALTER TABLE ... ADD COLUMN`` (one column per statement, no ``IF NOT EXISTS``, a new column
  cannot be a sort or distribution key): https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_TABLE.html
- Stored procedures (``IF``, ``EXECUTE``, DDL inside; ``CALL`` inside a transaction):
  https://docs.aws.amazon.com/redshift/latest/dg/c_PLpgSQL-statements.html

Adding columns: Redshift has no ``ADD COLUMN IF NOT EXISTS``, and the Data API runs a batch as
one transaction, so a plain ``ALTER TABLE ... ADD COLUMN`` for a column that exists would roll
back the whole batch. ``setup_statements()`` therefore creates a temporary procedure that adds
each column only when ``information_schema.columns`` does not list it, calls it and drops it:
re-running is safe, and a column added to the spec is added to the table. Columns are added
nullable (existing rows have no value); a changed type, a removed column or changed keys are
not migrated (see docs/operations.md).

Names are restricted further than Redshift requires: lowercase only, and no reserved words,
because Firehose writes ``DataTableName`` and ``DataTableColumns`` into its ``COPY`` statement
unquoted. The generated DDL quotes every identifier anyway.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar

from ml_data_platform.core.inputs import repeated

MAX_IDENTIFIER_BYTES = 127
MAX_DECIMAL_PRECISION = 38
MAX_CHAR_LENGTH = 4_096
MAX_VARCHAR_LENGTH = 65_535
MAX_COMPOUND_SORT_KEY_COLUMNS = 400
ADD_COLUMNS_PROCEDURE_PREFIX = "ml_data_platform_add_columns_"
"""Name prefix of the temporary procedure ``setup_statements()`` creates, calls and drops."""
_PROCEDURE_BODY_QUOTE = "$$"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]*$")
RESERVED_WORDS = frozenset(
    """
    aes128 aes256 all allowoverwrite analyse analyze and any array as asc authorization az64
    backup between binary blanksasnull both bytedict bzip2 case cast check collate column
    constraint create credentials cross current_date current_time current_timestamp
    current_user current_user_id default deferrable deflate defrag delta delta32k desc disable
    distinct do else emptyasnull enable encode encrypt encryption end except explicit false for
    foreign freeze from full globaldict256 globaldict64k grant group gzip having identity
    ignore ilike in initially inner intersect interval into is isnull join language leading
    left like limit localtime localtimestamp lun luns lzo lzop minus mostly16 mostly32 mostly8
    natural new not notnull null nulls off offline offset oid old on only open or order outer
    overlaps parallel partition percent permissions pivot placing primary raw readratio recover
    references rejectlog resort respect restore right select session_user similar snapshot
    some sysdate system table tag tdes text255 text32k then timestamp to top trailing true
    truncatecolumns union unique unnest unpivot user using verbose wallet when where with
    without
    """.split()  # noqa: SIM905 - one word list, as on the reserved-words page
)


def validate_identifier(name: str, prop: str) -> str:
    """Return ``name`` if it is a lowercase Redshift identifier that needs no quoting in COPY."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(
            f"{prop} {name!r} is not a valid Redshift name here: use lowercase letters, digits, "
            "'_' and '$', starting with a letter or '_'"
        )
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        raise ValueError(
            f"{prop} {name!r} is {len(name.encode())} bytes long; Redshift names are at most "
            f"{MAX_IDENTIFIER_BYTES} bytes"
        )
    if name in RESERVED_WORDS:
        raise ValueError(
            f"{prop} {name!r} is a Redshift reserved word; Firehose's COPY does not quote "
            "names, so choose another name"
        )
    return name


def quote_identifier(name: str) -> str:
    """``name`` as a delimited identifier: ``"name"`` with any ``"`` doubled."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class RedshiftType:
    """A Redshift column type. Use the constants (``RedshiftType.BIGINT``), the factories
    (``RedshiftType.decimal(12, 2)``, ``.varchar(256)``, ``.char(2)``) or
    ``RedshiftType.parse("VARCHAR(256)")``.

    Attributes:
        sql: The type as Redshift DDL spells it (``VARCHAR(256)``).
        SMALLINT, INTEGER, BIGINT, REAL, DOUBLE_PRECISION, BOOLEAN, DATE, TIMESTAMP,
            TIMESTAMPTZ, SUPER: The types without parameters.
    """

    sql: str

    # Set below the class: the types without parameters.
    SMALLINT: ClassVar[RedshiftType]
    INTEGER: ClassVar[RedshiftType]
    BIGINT: ClassVar[RedshiftType]
    REAL: ClassVar[RedshiftType]
    DOUBLE_PRECISION: ClassVar[RedshiftType]
    BOOLEAN: ClassVar[RedshiftType]
    DATE: ClassVar[RedshiftType]
    TIMESTAMP: ClassVar[RedshiftType]
    TIMESTAMPTZ: ClassVar[RedshiftType]
    SUPER: ClassVar[RedshiftType]

    @staticmethod
    def decimal(precision: int, scale: int = 0) -> RedshiftType:
        """``DECIMAL(p,s)``: 1 ≤ p ≤ 38, 0 ≤ s ≤ p."""
        _check_int(precision, "DECIMAL precision", 1, MAX_DECIMAL_PRECISION)
        _check_int(scale, "DECIMAL scale", 0, precision)
        return RedshiftType(f"DECIMAL({precision},{scale})")

    @staticmethod
    def char(length: int) -> RedshiftType:
        """``CHAR(n)``: 1 ≤ n ≤ 4,096 bytes."""
        _check_int(length, "CHAR length", 1, MAX_CHAR_LENGTH)
        return RedshiftType(f"CHAR({length})")

    @staticmethod
    def varchar(length: int) -> RedshiftType:
        """``VARCHAR(n)``: 1 ≤ n ≤ 65,535 bytes."""
        _check_int(length, "VARCHAR length", 1, MAX_VARCHAR_LENGTH)
        return RedshiftType(f"VARCHAR({length})")

    @staticmethod
    def parse(text: RedshiftType | str) -> RedshiftType:
        """Parse ``"BIGINT"``, ``"decimal(10, 2)"``, ``"varchar(64)"``... (case-insensitive)."""
        if isinstance(text, RedshiftType):
            return text
        if not isinstance(text, str):
            raise TypeError(f"Redshift type must be a RedshiftType or str, got {text!r}")
        normal = re.sub(r"\s+", " ", text.strip().upper())
        normal = re.sub(r"\s*([(),])\s*", r"\1", normal)
        normal = _ALIASES.get(normal, normal)
        if normal in _SIMPLE:
            return _SIMPLE[normal]
        match = re.fullmatch(r"(DECIMAL|NUMERIC)\((\d+)(?:,(\d+))?\)", normal)
        if match:
            return RedshiftType.decimal(int(match[2]), int(match[3] or 0))
        match = re.fullmatch(r"(CHAR|VARCHAR)\((\d+)\)", normal)
        if match:
            return (RedshiftType.char if match[1] == "CHAR" else RedshiftType.varchar)(
                int(match[2])
            )
        raise ValueError(
            f"unsupported Redshift type {text!r}: use one of {sorted(_SIMPLE)}, "
            "DECIMAL(p,s), CHAR(n) or VARCHAR(n)"
        )

    @property
    def sortable(self) -> bool:
        """Whether the type can be a distribution or sort key (SUPER cannot)."""
        return self.sql != "SUPER"


def _check_int(value: int, prop: str, minimum: int, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{prop} must be an integer, got {value!r}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{prop} must be {minimum}–{maximum}, got {value}")


_SIMPLE: dict[str, RedshiftType] = {
    "SMALLINT": RedshiftType("SMALLINT"),
    "INTEGER": RedshiftType("INTEGER"),
    "BIGINT": RedshiftType("BIGINT"),
    "REAL": RedshiftType("REAL"),
    "DOUBLE PRECISION": RedshiftType("DOUBLE PRECISION"),
    "BOOLEAN": RedshiftType("BOOLEAN"),
    "DATE": RedshiftType("DATE"),
    "TIMESTAMP": RedshiftType("TIMESTAMP"),
    "TIMESTAMPTZ": RedshiftType("TIMESTAMPTZ"),
    "SUPER": RedshiftType("SUPER"),
}
# Redshift's aliases, mapped to the canonical names the DDL writes.
_ALIASES = {
    "INT2": "SMALLINT",
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "INT8": "BIGINT",
    "FLOAT4": "REAL",
    "FLOAT8": "DOUBLE PRECISION",
    "FLOAT": "DOUBLE PRECISION",
    "BOOL": "BOOLEAN",
}
for _name, _type in _SIMPLE.items():
    setattr(RedshiftType, _name.replace(" ", "_"), _type)


@dataclass(frozen=True)
class RedshiftColumn:
    """A column: lowercase name, Redshift type (``RedshiftType`` or a string such as
    ``"VARCHAR(64)"``), and whether it may be NULL.

    Args:
        name: Column name (lowercase identifier, not a reserved word).
        type: A ``RedshiftType`` or its DDL string; stored parsed.
        nullable: Whether the column may be NULL (else ``NOT NULL``). Default: True.
    """

    name: str
    type: RedshiftType | str
    nullable: bool = True

    def __post_init__(self) -> None:
        validate_identifier(self.name, "column name")
        try:
            parsed = RedshiftType.parse(self.type)
        except (TypeError, ValueError) as error:
            raise type(error)(f"column '{self.name}': {error}") from None
        object.__setattr__(self, "type", parsed)

    def to_sql(self) -> str:
        """The column's DDL: quoted name, type, ``NOT NULL`` unless nullable."""
        not_null = "" if self.nullable else " NOT NULL"
        return f"{quote_identifier(self.name)} {self.type.sql}{not_null}"  # type: ignore[union-attr]


class DistStyle(Enum):
    """Distribution styles (``AUTO`` lets Redshift choose and change it)."""

    AUTO = "AUTO"
    EVEN = "EVEN"
    KEY = "KEY"
    ALL = "ALL"


@dataclass(frozen=True)
class RedshiftTable:
    """A Redshift table that Firehose loads into.

    Args:
        name: Table name (lowercase identifier, not a reserved word).
        columns: The columns, in order (at least one; JSON keys map to them by name).
        schema: Schema name. Default: ``public``.
        dist_style: Distribution style. Default: ``KEY`` if ``dist_key`` is set, else ``AUTO``.
        dist_key: The distribution key column (needs ``dist_style`` ``KEY`` or unset).
            Default: none.
        sort_keys: Compound sort key columns, in order. Default: none (Redshift's AUTO).
    """

    name: str
    columns: Sequence[RedshiftColumn]
    schema: str = "public"
    dist_style: DistStyle | None = None
    dist_key: str | None = None
    sort_keys: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        validate_identifier(self.name, "table name")
        validate_identifier(self.schema, "schema name")
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "sort_keys", tuple(self.sort_keys))
        where = f"table '{self.qualified_name}'"
        if not self.columns:
            raise ValueError(f"{where}: columns must list at least one column")
        for column in self.columns:
            if not isinstance(column, RedshiftColumn):
                raise TypeError(f"{where}: columns must be RedshiftColumn, got {column!r}")
        names = [c.name for c in self.columns]
        duplicates = repeated(names)
        if duplicates:
            raise ValueError(f"{where}: duplicate columns {duplicates}")
        by_name = {c.name: c for c in self.columns}
        style = self.dist_style
        if style is not None and not isinstance(style, DistStyle):
            raise TypeError(f"{where}: dist_style must be a DistStyle, got {style!r}")
        if self.dist_key is not None:
            if style is not None and style is not DistStyle.KEY:
                raise ValueError(
                    f"{where}: dist_key '{self.dist_key}' needs dist_style KEY, got {style.name}"
                )
            self._check_key_column(by_name, self.dist_key, "dist_key")
            object.__setattr__(self, "dist_style", DistStyle.KEY)
        elif style is DistStyle.KEY:
            raise ValueError(f"{where}: dist_style KEY needs a dist_key column")
        elif style is None:
            object.__setattr__(self, "dist_style", DistStyle.AUTO)
        for key in self.sort_keys:
            self._check_key_column(by_name, key, "sort key")
        if len(set(self.sort_keys)) != len(self.sort_keys):
            raise ValueError(f"{where}: sort_keys {list(self.sort_keys)} repeat a column")
        if len(self.sort_keys) > MAX_COMPOUND_SORT_KEY_COLUMNS:
            raise ValueError(
                f"{where}: a compound sort key has at most {MAX_COMPOUND_SORT_KEY_COLUMNS} "
                f"columns, got {len(self.sort_keys)}"
            )
        quoted = [n for n in (self.schema, self.name, *names) if _PROCEDURE_BODY_QUOTE in n]
        if quoted:
            raise ValueError(
                f"{where}: names {quoted} contain '{_PROCEDURE_BODY_QUOTE}', which ends the "
                "body of the procedure that adds missing columns"
            )

    def _check_key_column(self, by_name: dict[str, RedshiftColumn], key: str, prop: str) -> None:
        where = f"table '{self.qualified_name}'"
        if key not in by_name:
            raise ValueError(
                f"{where}: {prop} '{key}' is not a column; columns are {list(by_name)}"
            )
        if not by_name[key].type.sortable:  # type: ignore[union-attr]
            raise ValueError(f"{where}: {prop} '{key}' is SUPER, which cannot be a key")

    @property
    def qualified_name(self) -> str:
        """``schema.table``, unquoted, as Firehose's ``DataTableName`` expects."""
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)

    def create_schema_sql(self) -> str | None:
        """``CREATE SCHEMA IF NOT EXISTS`` for a schema other than ``public``; else None."""
        if self.schema == "public":
            return None
        return f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(self.schema)};"

    def create_table_sql(self) -> str:
        """Idempotent DDL: ``CREATE TABLE IF NOT EXISTS "schema"."table" (...) DISTSTYLE ...``."""
        lines = [
            f"CREATE TABLE IF NOT EXISTS {quote_identifier(self.schema)}."
            f"{quote_identifier(self.name)} ("
        ]
        lines.append(",\n".join(f"  {c.to_sql()}" for c in self.columns))
        lines.append(")")
        lines.append(f"DISTSTYLE {self.dist_style.value}")  # type: ignore[union-attr]
        if self.dist_key is not None:
            lines.append(f"DISTKEY ({quote_identifier(self.dist_key)})")
        if self.sort_keys:
            lines.append("SORTKEY (" + ", ".join(quote_identifier(k) for k in self.sort_keys) + ")")
        return "\n".join(lines) + ";"

    def add_missing_columns_sql(self) -> list[str]:
        """Create, call and drop a procedure that adds every column ``information_schema``
        does not list for the table (nullable; a no-op when all exist)."""
        procedure = (
            f"{quote_identifier(self.schema)}."
            f"{quote_identifier(ADD_COLUMNS_PROCEDURE_PREFIX + self._digest())}()"
        )
        table = f"{quote_identifier(self.schema)}.{quote_identifier(self.name)}"
        steps = [
            f"  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = "
            f"'{self.schema}' AND table_name = '{self.name}' AND column_name = '{column.name}') "
            f"THEN\n"
            f"    EXECUTE 'ALTER TABLE {table} ADD COLUMN {quote_identifier(column.name)} "
            f"{column.type.sql}';\n"  # type: ignore[union-attr]
            "  END IF;"
            for column in self.columns
        ]
        body = "\n".join(["BEGIN", *steps, "END;"])
        quote = _PROCEDURE_BODY_QUOTE
        return [
            f"CREATE OR REPLACE PROCEDURE {procedure}\nAS {quote}\n{body}\n{quote} LANGUAGE plpgsql;",
            f"CALL {procedure};",
            f"DROP PROCEDURE {procedure};",
        ]

    def setup_statements(self) -> list[str]:
        """The statements that make the table exist with every column, safe to re-run: the
        schema (if not ``public``), ``CREATE TABLE IF NOT EXISTS``, then the columns an
        existing table lacks (``add_missing_columns_sql``). Run them as one batch."""
        schema = self.create_schema_sql()
        return [
            *([schema] if schema else []),
            self.create_table_sql(),
            *self.add_missing_columns_sql(),
        ]

    def _digest(self) -> str:
        """A short hash of the table's DDL: the procedure name differs per table version."""
        return hashlib.sha256(self.create_table_sql().encode()).hexdigest()[:16]
