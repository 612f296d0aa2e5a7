"""Partitioned object layout: ``<dataset>/[<key>=<value>/...]year=YYYY/month=MM/day=DD/hour=HH/``.

One source of truth for three consumers: code that writes objects (``prefix_for``), Firehose
(``firehose_prefix``/``firehose_error_prefix``/``partition_queries``) and the Glue table's
partition keys and Athena partition projection (``partition_columns``/``projection_parameters``),
so they can never disagree. Dynamic partition keys (``PartitionKey``: a name, the jq query
Firehose evaluates on each record, and how Athena projects it) come first, in the order given,
then the arrival-time keys.

Projection types: https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
(``injected``: queries must give the value, e.g. ``WHERE country = 'de'``; ``enum``: the
values are listed). Firehose prefixes:
https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-s3bucketprefix.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from ml_data_platform.core.jq import MAX_PARTITION_KEYS, firehose_query, validate_jq
from ml_data_platform.core.names import validate_slug

ERROR_OUTPUT_TYPE = "!{firehose:error-output-type}"
ERROR_PREFIX_ROOT = "errors"
"""Top-level prefix of Firehose's error output in the raw zone (``errors/<dataset>/...``)."""
STAGING_PREFIX_ROOT = "warehouse-staging"
"""Top-level prefix where the warehouse delivery stages objects for COPY (expired after days)."""
BACKUP_PREFIX_ROOT = "warehouse-backup"
"""Top-level prefix of the warehouse delivery's backup copy of every record."""
RESERVED_PREFIX_ROOTS = {
    ERROR_PREFIX_ROOT: "Firehose error output",
    STAGING_PREFIX_ROOT: "the warehouse's COPY staging area, expired after a few days",
    BACKUP_PREFIX_ROOT: "the warehouse delivery's backup copy",
}
"""Prefixes the platform itself writes in a zone: no dataset may be named like one."""
FIRST_PROJECTED_YEAR = 2020
LAST_PROJECTED_YEAR = 2099
PARTITION_KEY_QUERY = "partitionKeyFromQuery"
DYNAMIC_KEY_TYPE = "string"
"""Glue type of a dynamic partition key (the value is a path segment)."""
TIME_KEY_TYPE = "int"
"""Glue type of the time keys (year/month/day/hour), matching integer projection."""
TIME_PARTITION_NAMES = frozenset(
    {
        "year", "month", "week", "day", "hour", "minute", "second", "dt", "date", "datehour",
        "datetime", "time", "timestamp", "ts", "yyyy", "yy", "mm", "dd", "hh",
    }
)  # fmt: skip
"""Names a dynamic key must not take (after normalisation): they read as time partitions."""
MAX_PARTITION_KEY_NAME_LENGTH = 64
_KEY_NAME = re.compile(rf"^[a-z][a-z0-9_]{{0,{MAX_PARTITION_KEY_NAME_LENGTH - 1}}}$")
_ENUM_VALUE_FORBIDDEN = re.compile(r"[/,\\{}$*?\x00-\x1f]")


class PartitionGranularity(Enum):
    """How finely objects are partitioned by arrival time."""

    DAY = ("year", "month", "day")
    """One partition per day: ``year=/month=/day=``."""
    HOUR = ("year", "month", "day", "hour")
    """One partition per hour: ``year=/month=/day=/hour=``."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The time partition keys, outermost first."""
        keys: tuple[str, ...] = self.value
        return keys


class KeyProjection(Enum):
    """How Athena projects a dynamic partition key."""

    INJECTED = "injected"
    """Any value; every query must filter the key with ``=`` or ``IN`` (Athena injects it)."""
    ENUM = "enum"
    """One of ``PartitionKey.values``; queries may omit the key."""


# key -> (strftime, Firehose timestamp format, projection range, digits)
_KEY_FORMATS = {
    "year": ("%Y", "yyyy", f"{FIRST_PROJECTED_YEAR},{LAST_PROJECTED_YEAR}", 4),
    "month": ("%m", "MM", "1,12", 2),
    "day": ("%d", "dd", "1,31", 2),
    "hour": ("%H", "HH", "0,23", 2),
}
TIMESTAMP_FORMATS = {key: formats[1] for key, formats in _KEY_FORMATS.items()}
"""Time key -> the Firehose ``!{timestamp:...}`` format the layout writes it with."""


def normalized_key(name: str) -> str:
    """``Country_Code`` -> ``countrycode``: names that read alike compare equal."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class PartitionKey:
    """A dynamic partition key: Firehose evaluates ``query`` on each record and writes the
    object under ``<name>=<value>/``; the Glue table gets a ``string`` partition key ``name``.

    Args:
        name: Key and partition column name: 1–64 lowercase letters, digits or ``_``, starting
            with a letter; not a time partition name (``year``, ``day``, ``dt``, ...).
        query: jq 1.6 expression on the record, e.g. ``.customer_id`` (checked with jq).
        projection: How Athena projects the key. Default: ``KeyProjection.INJECTED``.
        values: The values, with ``ENUM`` only (required then). Default: none.
    """

    name: str
    query: str
    projection: KeyProjection = KeyProjection.INJECTED
    values: Sequence[str] = ()

    def __post_init__(self) -> None:
        prop = f"partition key {self.name!r}"
        if not isinstance(self.name, str) or not _KEY_NAME.match(self.name):
            raise ValueError(
                f"partition key name {self.name!r} must be 1–{MAX_PARTITION_KEY_NAME_LENGTH} "
                "lowercase letters, digits or '_', starting with a letter (a Glue column name "
                "and a Firehose key)"
            )
        if normalized_key(self.name) in TIME_PARTITION_NAMES:
            raise ValueError(
                f"partition key name {self.name!r} reads as a time partition (reserved: "
                f"{sorted(TIME_PARTITION_NAMES)}); the layout adds year/month/day[/hour] "
                "itself, so this would give paths like year=…/year=…: choose another name"
            )
        validate_jq(self.query, f"{prop}: query", self.name)
        projection = self.projection
        if isinstance(projection, str):
            try:
                projection = KeyProjection(projection.lower())
            except ValueError:
                projection = None  # type: ignore[assignment]
            object.__setattr__(self, "projection", projection)
        if not isinstance(projection, KeyProjection):
            raise ValueError(
                f"{prop}: projection must be a KeyProjection (or one of "
                f"{[p.value for p in KeyProjection]}), got {self.projection!r}"
            )
        if isinstance(self.values, str) or not isinstance(self.values, Sequence):
            raise TypeError(f"{prop}: values must be a sequence of strings, got {self.values!r}")
        values = tuple(self.values)
        object.__setattr__(self, "values", values)
        if projection is KeyProjection.ENUM and not values:
            raise ValueError(f"{prop}: projection ENUM needs values (the values Athena lists)")
        if projection is KeyProjection.INJECTED and values:
            raise ValueError(
                f"{prop}: values are only used with projection ENUM (INJECTED takes any value)"
            )
        for value in values:
            if not isinstance(value, str) or not value or _ENUM_VALUE_FORBIDDEN.search(value):
                raise ValueError(
                    f"{prop}: value {value!r} must be a non-empty string without '/', ',', '\\', "
                    "'{', '}', '$', '*', '?' or control characters (it is a path segment and an "
                    "item of projection.<key>.values)"
                )
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ValueError(f"{prop}: duplicate values {duplicates}")

    @property
    def firehose_segment(self) -> str:
        """``<name>=!{partitionKeyFromQuery:<name>}``: this key's part of the Firehose prefix."""
        return f"{self.name}=!{{{PARTITION_KEY_QUERY}:{self.name}}}"

    def projection_parameters(self) -> dict[str, str]:
        """This key's Athena partition-projection table parameters (type, enum values)."""
        params = {f"projection.{self.name}.type": self.projection.value}
        if self.projection is KeyProjection.ENUM:
            params[f"projection.{self.name}.values"] = ",".join(self.values)
        return params


def partition_keys_from(keys: object, prop: str = "partition_keys") -> tuple[PartitionKey, ...]:
    """``PartitionKey`` objects from a sequence of them, or from ``{name: jq query}`` (each
    then ``INJECTED``); ``ValueError`` when two names read alike after normalisation."""
    if keys is None:
        return ()
    if isinstance(keys, Mapping):
        keys = [PartitionKey(name, query) for name, query in keys.items()]
    if isinstance(keys, (str, bytes, PartitionKey)) or not isinstance(keys, Sequence):
        raise TypeError(
            f"{prop} must be a sequence of PartitionKey (or a mapping of name to jq query), "
            f"got {type(keys).__name__}: {keys!r:.80}"
        )
    result = tuple(keys)
    for key in result:
        if not isinstance(key, PartitionKey):
            raise TypeError(f"{prop}: expected PartitionKey objects, got {key!r:.80}")
    if len(result) > MAX_PARTITION_KEYS:
        raise ValueError(
            f"{prop}: at most {MAX_PARTITION_KEYS} keys (Firehose's limit), got {len(result)}"
        )
    seen: dict[str, str] = {}
    for key in result:
        other = seen.setdefault(normalized_key(key.name), key.name)
        if other != key.name or [k.name for k in result].count(key.name) > 1:
            raise ValueError(
                f"{prop}: keys {other!r} and {key.name!r} read alike (both "
                f"{normalized_key(key.name)!r} ignoring case and '_'): rename one"
            )
    return result


@dataclass(frozen=True)
class PartitionLayout:
    """Where objects of ``dataset`` live in a zone bucket.

    Args:
        dataset: Dataset name, also the top-level prefix (lowercase, digits, ``-``; not a
            prefix the platform writes itself: ``errors``, ``warehouse-staging``,
            ``warehouse-backup``).
        granularity: Partition by day or hour. Default: ``HOUR``.
        keys: Dynamic partition keys, before the time keys, in this order (``PartitionKey``
            objects, or ``{name: jq query}`` for ``INJECTED`` keys). Default: none.
    """

    dataset: str
    granularity: PartitionGranularity = PartitionGranularity.HOUR
    keys: Sequence[PartitionKey] = ()

    def __post_init__(self) -> None:
        validate_slug(self.dataset, "dataset")
        check_dataset_name(self.dataset, "dataset")
        if not isinstance(self.granularity, PartitionGranularity):
            raise TypeError(f"granularity must be a PartitionGranularity, got {self.granularity!r}")
        object.__setattr__(self, "keys", partition_keys_from(self.keys, "keys"))

    @property
    def time_keys(self) -> tuple[str, ...]:
        """``year``, ``month``, ``day`` [, ``hour``]."""
        return self.granularity.keys

    @property
    def partition_keys(self) -> tuple[str, ...]:
        """Every partition key name in path order: the dynamic keys, then the time keys."""
        return tuple(k.name for k in self.keys) + self.time_keys

    @property
    def partition_queries(self) -> dict[str, str]:
        """``{key: jq query}`` for Firehose's metadata extraction (empty: no dynamic keys);
        each query as an object value of jq 1.6 (``core.jq.firehose_query``)."""
        return {k.name: firehose_query(k.query) for k in self.keys}

    @property
    def dataset_prefix(self) -> str:
        """``<dataset>/``: the key prefix above the partitions."""
        return f"{self.dataset}/"

    def partition_columns(self) -> list[tuple[str, str]]:
        """``(name, Glue type)`` of each partition key, in path order."""
        return [(k.name, DYNAMIC_KEY_TYPE) for k in self.keys] + [
            (k, TIME_KEY_TYPE) for k in self.time_keys
        ]

    def prefix_for(self, when: datetime, values: Mapping[str, str] | None = None) -> str:
        """The prefix for objects that arrived at ``when`` (UTC) with the dynamic key
        ``values``, e.g. ``clicks/year=2026/month=11/day=24/hour=20/``."""
        values = dict(values or {})
        names = [k.name for k in self.keys]
        if sorted(values) != sorted(names):
            raise ValueError(f"values must give exactly the dynamic keys {names}, got {values}")
        parts = [f"{k}={values[k]}" for k in names]
        parts += [f"{k}={when.strftime(_KEY_FORMATS[k][0])}" for k in self.time_keys]
        return self.dataset_prefix + "/".join(parts) + "/"

    def firehose_prefix(self) -> str:
        """Firehose S3 prefix: the dynamic keys, then the arrival timestamp."""
        parts = [k.firehose_segment for k in self.keys]
        parts += [f"{k}=!{{timestamp:{TIMESTAMP_FORMATS[k]}}}" for k in self.time_keys]
        return self.dataset_prefix + "/".join(parts) + "/"

    def firehose_error_prefix(self) -> str:
        """Firehose error output prefix (must contain ``!{firehose:error-output-type}``; no
        dynamic keys: records that fail partitioning have none)."""
        parts = (f"{k}=!{{timestamp:{TIMESTAMP_FORMATS[k]}}}" for k in self.time_keys)
        return f"{ERROR_PREFIX_ROOT}/{self.dataset}/{ERROR_OUTPUT_TYPE}/" + "/".join(parts) + "/"

    def location(self, bucket_name: str) -> str:
        """S3 URI of the dataset root in ``bucket_name``."""
        return f"s3://{bucket_name}/{self.dataset_prefix}"

    def projection_parameters(self, bucket_name: str) -> dict[str, str]:
        """Glue table parameters for Athena partition projection over this layout."""
        params = {"projection.enabled": "true"}
        for dynamic in self.keys:
            params.update(dynamic.projection_parameters())
        for key in self.time_keys:
            _, _, value_range, digits = _KEY_FORMATS[key]
            params[f"projection.{key}.type"] = "integer"
            params[f"projection.{key}.range"] = value_range
            params[f"projection.{key}.digits"] = str(digits)
        template = "/".join(f"{k}=${{{k}}}" for k in self.partition_keys)
        params["storage.location.template"] = self.location(bucket_name) + template + "/"
        return params


def check_dataset_name(name: str, prop: str = "dataset name") -> str:
    """``ValueError`` when ``name`` is a prefix the platform writes itself in a zone."""
    if name in RESERVED_PREFIX_ROOTS:
        raise ValueError(
            f"{prop} {name!r} collides with the platform's own prefix '{name}/' "
            f"({RESERVED_PREFIX_ROOTS[name]}): choose another name (reserved: "
            f"{sorted(RESERVED_PREFIX_ROOTS)})"
        )
    return name


@dataclass(frozen=True)
class PathShape:
    """A partitioned path parsed into its literal root and its ``name=<value>`` segments.

    Attributes:
        root: The literal key prefix before the first partition segment (``orders/``).
        keys: The partition key names, in path order.
        values: What fills each segment: ``query:<key>``, ``timestamp:<format>`` or
            ``template:<key>``.
    """

    root: str
    keys: tuple[str, ...]
    values: tuple[str, ...]


_SEGMENT = re.compile(r"^([^=/!{}$]+)=(!\{([^{}]*)\}|\$\{([^{}]*)\})$")


def parse_partitioned_path(path: str) -> PathShape:
    """Parse a Firehose prefix (``orders/country=!{partitionKeyFromQuery:country}/year=
    !{timestamp:yyyy}/``) or a key path of a ``storage.location.template``
    (``orders/country=${country}/year=${year}/``).

    ``ValueError`` when an expression appears outside a ``name=<expression>`` segment (Athena
    can only project Hive-style segments) or a literal segment follows a partition segment.
    """
    segments = [s for s in path.split("/") if s]
    root: list[str] = []
    keys: list[str] = []
    values: list[str] = []
    for segment in segments:
        match = _SEGMENT.match(segment)
        if match is None:
            if "!{" in segment or "${" in segment or keys:
                raise ValueError(
                    f"{path!r}: segment {segment!r} is not a Hive-style partition "
                    "'<name>=<expression>' (Athena projects only those, after a literal root)"
                )
            root.append(segment)
            continue
        keys.append(match[1])
        if match[4] is not None:
            values.append(f"template:{match[4]}")
        elif match[3].startswith(f"{PARTITION_KEY_QUERY}:"):
            values.append(f"query:{match[3].split(':', 1)[1]}")
        else:
            values.append(match[3])
    return PathShape("".join(f"{s}/" for s in root), tuple(keys), tuple(values))


def layout_mismatch(written: PathShape, read: PathShape) -> str | None:
    """Why a table reading ``read`` (from its location template or its location and
    partition keys) would not find what a delivery writing ``written`` puts there, or None.

    The roots must be equal, the key names equal and in the same order, each dynamic key
    filled from its own query, and each time key written with the layout's timestamp format.
    """
    if written.root != read.root:
        return f"the literal paths differ ({written.root!r} written, {read.root!r} read)"
    if written.keys != read.keys:
        return (
            f"the partition keys differ: {list(written.keys)} written, {list(read.keys)} read "
            "(same names in the same order needed)"
        )
    for key, value in zip(written.keys, written.values, strict=True):
        if value.startswith("query:") and value != f"query:{key}":
            return f"segment {key}= is filled from partition key {value[6:]!r}"
        expected = f"timestamp:{TIMESTAMP_FORMATS.get(key, '')}"
        if value.startswith("timestamp:") and key in TIMESTAMP_FORMATS and value != expected:
            return (
                f"segment {key}= is written as !{{{value}}}, but the table projects it "
                f"as !{{{expected}}}"
            )
    return None
