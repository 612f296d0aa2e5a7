"""Datasets: the one description of a dataset that storage, streaming and the catalog share.

A ``Dataset`` names its columns (Glue/Hive types), its partition layout and the format it
lands in. The Firehose prefix, the Glue table location and the Athena partition projection
are all derived from ``Dataset.layout``, so they cannot drift apart.

Type limits (https://docs.aws.amazon.com/athena/latest/ug/data-types.html): ``char(n)`` 1–255,
``varchar(n)`` 1–65,535, ``decimal(p,s)`` with 1 ≤ p ≤ 38 and 0 ≤ s ≤ p.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from ml_data_platform.core.inputs import repeated
from ml_data_platform.core.limits import GLUE_COLUMN_COMMENT_MAX_LENGTH, GLUE_DESCRIPTION_MAX_LENGTH
from ml_data_platform.core.names import glue_name, validate_glue_name, validate_slug
from ml_data_platform.storage.layout import (
    PartitionGranularity,
    PartitionKey,
    PartitionLayout,
    check_dataset_name,
    partition_keys_from,
)

_PRIMITIVE_TYPES = frozenset(
    {
        "boolean",
        "tinyint",
        "smallint",
        "int",
        "integer",
        "bigint",
        "float",
        "double",
        "string",
        "date",
        "timestamp",
        "binary",
    }
)
HIVE_MAX_DECIMAL_PRECISION = 38
HIVE_MAX_CHAR_LENGTH = 255
HIVE_MAX_VARCHAR_LENGTH = 65_535
_DECIMAL = re.compile(r"^decimal\((\d+)(?:,(\d+))?\)$")
_CHARACTER = re.compile(r"^(char|varchar)\((\d+)\)$")
_CHARACTER_MAX_LENGTH = {"char": HIVE_MAX_CHAR_LENGTH, "varchar": HIVE_MAX_VARCHAR_LENGTH}


class DataFormat(Enum):
    """How records land in the raw zone."""

    JSON = "json"
    """JSON lines, GZIP-compressed by Firehose."""
    PARQUET = "parquet"
    """Parquet, converted by Firehose from JSON using the catalog table's schema."""


class DeliveryFormat(Enum):
    """The cdk.json spelling of a ``DataFormat`` (``delivery.format``; the planner writes it)."""

    JSON_GZIP = "json-gzip"
    PARQUET = "parquet"

    @property
    def data_format(self) -> DataFormat:
        return DataFormat.PARQUET if self is DeliveryFormat.PARQUET else DataFormat.JSON


@dataclass(frozen=True)
class Column:
    """A column with a Glue/Hive type such as ``string``, ``decimal(10,2)``,
    ``array<string>`` or ``struct<id:bigint,tags:array<string>>``.

    Args:
        name: Column name (a Glue name: lowercase letters, digits, ``_``).
        type: The Glue/Hive type.
        comment: Free text for the catalog. Default: none.
    """

    name: str
    type: str
    comment: str | None = None

    def __post_init__(self) -> None:
        validate_glue_name(self.name, "column name")
        validate_glue_type(self.type, f"type of column '{self.name}'")
        validate_text(
            self.comment, f"comment of column '{self.name}'", GLUE_COLUMN_COMMENT_MAX_LENGTH
        )


@dataclass(frozen=True)
class Dataset:
    """A dataset ingested into the lake.

    Args:
        name: Dataset name: top-level prefix in the raw zone (lowercase, digits, ``-``).
        columns: Record fields (at least one).
        granularity: Partition by day or hour of arrival. Default: ``HOUR``.
        data_format: Landing format. Default: ``DataFormat.JSON`` (GZIP).
        description: Free text for the catalog table (≤ 2,048 characters). Default: none.
        partition_keys: Dynamic partition keys (``PartitionKey``: name, jq query, projection),
            before the time keys in the path, the Glue table and the projection; or
            ``{name: jq query}`` for ``INJECTED`` keys. A key is not also a column (Athena
            reads its value from the path). Default: none (time partitions only).
    """

    name: str
    columns: Sequence[Column]
    granularity: PartitionGranularity = PartitionGranularity.HOUR
    data_format: DataFormat = DataFormat.JSON
    description: str | None = None
    partition_keys: Sequence[PartitionKey] = ()

    def __post_init__(self) -> None:
        validate_slug(self.name, "dataset name")
        check_dataset_name(self.name)
        prop = f"dataset '{self.name}': partition_keys"
        object.__setattr__(self, "partition_keys", partition_keys_from(self.partition_keys, prop))
        if isinstance(self.columns, (str, bytes, Column)) or not isinstance(self.columns, Sequence):
            raise TypeError(
                f"dataset '{self.name}': columns must be a sequence of Column, got "
                f"{type(self.columns).__name__}: {self.columns!r:.80}"
            )
        for column in self.columns:
            if not isinstance(column, Column):
                raise TypeError(
                    f"dataset '{self.name}': columns must be Column objects, got {column!r:.80}"
                )
        validate_text(
            self.description, f"dataset '{self.name}': description", GLUE_DESCRIPTION_MAX_LENGTH
        )
        if not self.columns:
            raise ValueError(f"dataset '{self.name}': columns must list at least one column")
        names = [c.name for c in self.columns]
        duplicates = repeated(names)
        if duplicates:
            raise ValueError(f"dataset '{self.name}': duplicate columns {duplicates}")
        dynamic = sorted(set(names) & {k.name for k in self.partition_keys})
        if dynamic:
            raise ValueError(
                f"dataset '{self.name}': columns {dynamic} are also dynamic partition keys: "
                "remove them from columns (Athena reads a partition key's value from the path; "
                "a Glue table's partition key must not also be a column)"
            )
        clashes = sorted(set(names) & set(self.layout.partition_keys))
        if clashes:
            raise ValueError(
                f"dataset '{self.name}': columns {clashes} clash with the partition keys "
                f"{list(self.layout.partition_keys)}"
            )

    @property
    def layout(self) -> PartitionLayout:
        """Where the dataset's objects live: its ``PartitionLayout``."""
        return PartitionLayout(self.name, self.granularity, self.partition_keys)

    @property
    def table_name(self) -> str:
        """Glue table name (``-`` becomes ``_``)."""
        return glue_name(self.name)


def validate_text(text: str | None, prop: str, maximum: int) -> str | None:
    """Return ``text`` (or None) if it is a string of at most ``maximum`` characters."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(f"{prop} must be a string, got {type(text).__name__}: {text!r:.80}")
    if len(text) > maximum:
        raise ValueError(f"{prop} must be ≤ {maximum} characters (Glue's limit), got {len(text)}")
    return text


class _OutOfRange(ValueError):
    """A parameterised type whose length, precision or scale is outside Hive's limits."""


def validate_glue_type(type_text: str, prop: str) -> str:
    """Return ``type_text`` if it is a valid Glue/Hive column type; else ``ValueError``."""
    try:
        valid = isinstance(type_text, str) and _is_type(type_text.replace(" ", "").lower())
    except _OutOfRange as error:
        raise ValueError(f"{prop} {type_text!r} is not a valid Glue/Hive type: {error}") from None
    if not valid:
        raise ValueError(
            f"{prop} {type_text!r} is not a Glue/Hive type: use one of "
            f"{sorted(_PRIMITIVE_TYPES)}, decimal(p,s), char(n), varchar(n), array<T>, "
            "map<K,V> or struct<name:T,...>"
        )
    return type_text


def _is_type(text: str) -> bool:
    if text in _PRIMITIVE_TYPES or _is_parameterised(text):
        return True
    for kind, arity in (("array<", 1), ("map<", 2)):
        if text.startswith(kind) and text.endswith(">"):
            parts = _split_top_level(text[len(kind) : -1])
            return len(parts) == arity and all(_is_type(p) for p in parts)
    if text.startswith("struct<") and text.endswith(">"):
        fields = _split_top_level(text[len("struct<") : -1])
        return bool(fields) and all(_is_field(f) for f in fields)
    return False


def _is_parameterised(text: str) -> bool:
    """Whether ``text`` is ``decimal(p[,s])``, ``char(n)`` or ``varchar(n)``; ``_OutOfRange``
    when it is one with a parameter beyond Hive's limits."""
    decimal = _DECIMAL.match(text)
    if decimal:
        precision, scale = int(decimal[1]), int(decimal[2] or 0)
        if not 1 <= precision <= HIVE_MAX_DECIMAL_PRECISION:
            raise _OutOfRange(
                f"{text}: DECIMAL precision must be 1–{HIVE_MAX_DECIMAL_PRECISION}, got {precision}"
            )
        if scale > precision:
            raise _OutOfRange(
                f"{text}: DECIMAL scale ({scale}) must be ≤ its precision ({precision})"
            )
        return True
    character = _CHARACTER.match(text)
    if character:
        kind, length = character[1], int(character[2])
        if not 1 <= length <= _CHARACTER_MAX_LENGTH[kind]:
            raise _OutOfRange(
                f"{text}: {kind.upper()} length must be 1–{_CHARACTER_MAX_LENGTH[kind]}, "
                f"got {length}"
            )
        return True
    return False


def _is_field(text: str) -> bool:
    name, sep, field_type = text.partition(":")
    return (
        bool(sep) and re.fullmatch(r"[a-z_][a-z0-9_]*", name) is not None and _is_type(field_type)
    )


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside ``<>`` or ``()``."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [p for p in parts if p] if text else []


def dataset_id(name: str) -> str:
    """The construct-id stem of a dataset: ``page-views`` -> ``PageViews`` (what the stacks
    name its stream, delivery and table after), so ``events-1`` and ``events1`` collide."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", name) if part)


def name_collision(names: Sequence[str]) -> tuple[int, int] | None:
    """Indices of the first two ``names`` that are equal or share a ``dataset_id``, or None."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        first = seen.setdefault(dataset_id(name), index)
        if first != index:
            return first, index
    return None


def datasets_by_name(datasets: Sequence[Dataset]) -> dict[str, Dataset]:
    """``{name: dataset}``; ``TypeError`` for anything but a sequence of ``Dataset`` (one
    ``Dataset`` included), ``ValueError`` on names that are equal or collide after
    normalisation (``events-1`` and ``events1`` share the construct ids ``Events1...``)."""
    if isinstance(datasets, (str, bytes, Dataset)) or not isinstance(datasets, Sequence):
        hint = " (wrap one dataset in a list: [dataset])" if isinstance(datasets, Dataset) else ""
        raise TypeError(
            f"datasets must be a sequence of Dataset, got {type(datasets).__name__}{hint}"
        )
    for dataset in datasets:
        if not isinstance(dataset, Dataset):
            raise TypeError(f"datasets must be Dataset objects, got {type(dataset).__name__}")
    names = [d.name for d in datasets]
    duplicates = repeated(names)
    if duplicates:
        raise ValueError(f"datasets: duplicate names {duplicates}")
    collision = name_collision(names)
    if collision is not None:
        first, second = (names[i] for i in collision)
        raise ValueError(
            f"datasets: names {first!r} and {second!r} collide after normalisation (both give "
            f"construct ids {dataset_id(first)}...): rename one"
        )
    return {d.name: d for d in datasets}
