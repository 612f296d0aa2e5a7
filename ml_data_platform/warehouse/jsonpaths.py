"""COPY's jsonpaths file: which JSON value goes into which column.

``JSON 'auto'`` needs top-level keys named like the columns. When records nest values or use
other names, COPY reads a jsonpaths file instead: ``{"jsonpaths": ["$['id']", "$.user.id", ...]}``
with one expression per column of the COPY column list, in order. ``JsonPaths`` builds and
validates that document from a ``RedshiftTable``; ``RedshiftTableSetup`` writes it to the lake at
deploy time, and ``WarehouseDeliveryStream`` points COPY at the ``JsonPathsFile``.

Rules (Redshift "COPY from JSON format", JSONPath expressions): each expression starts at the
root ``$`` and names members with bracket (``['name']``) or dot (``.name``) notation, or array
elements by index (``[0]``); no wildcards or filters; at most 255 characters.
https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-json.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from ml_data_platform.core.inputs import Kind, optional_kind, require_kind
from ml_data_platform.core.kms import kms_statement
from ml_data_platform.warehouse.ddl import RedshiftTable

JSONPATHS_PREFIX_ROOT = "warehouse-jsonpaths"
MAX_EXPRESSION_LENGTH = 255
_SEGMENT = r"(?:\.[A-Za-z_][A-Za-z0-9_]*|\['[^'\\]+'\]|\[\d+\])"
_EXPRESSION = re.compile(rf"^\${_SEGMENT}+$")


@dataclass(frozen=True)
class JsonPaths:
    """JSONPath expressions for a table's columns.

    Args:
        paths: ``{column name: JSONPath expression}``. Default: none; every column not named
            here is read from the top-level key of its own name (``$['<column>']``).
    """

    paths: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", MappingProxyType(dict(self.paths)))
        for column, expression in self.paths.items():
            if not isinstance(expression, str) or not _EXPRESSION.match(expression):
                raise ValueError(
                    f"JsonPaths: expression {expression!r} for column {column!r} must start at "
                    "'$' and use only .name, ['name'] or [index] steps (no wildcards or filters)"
                )
            if len(expression) > MAX_EXPRESSION_LENGTH:
                raise ValueError(
                    f"JsonPaths: expression for column {column!r} has {len(expression)} "
                    f"characters, at most {MAX_EXPRESSION_LENGTH}"
                )

    def expressions(self, table: RedshiftTable) -> list[str]:
        """One expression per column of ``table``, in column order."""
        unknown = sorted(set(self.paths) - set(table.column_names))
        if unknown:
            raise ValueError(
                f"JsonPaths: columns {unknown} are not in {table.qualified_name} "
                f"(columns: {list(table.column_names)})"
            )
        return [self.paths.get(name, f"$['{name}']") for name in table.column_names]

    def document(self, table: RedshiftTable) -> str:
        """The jsonpaths file for ``table``."""
        return json.dumps({"jsonpaths": self.expressions(table)}, indent=2)

    @staticmethod
    def object_key(table: RedshiftTable) -> str:
        """Where ``RedshiftTableSetup`` writes the file for ``table``."""
        return f"{JSONPATHS_PREFIX_ROOT}/{table.schema}/{table.name}.json"


@dataclass(frozen=True)
class JsonPathsFile:
    """A jsonpaths file in S3 that COPY reads (Firehose's role is granted read on it).

    Args:
        bucket: The bucket holding the file.
        key: The object key (no leading ``/``).
        encryption_key: The KMS key of the bucket's SSE-KMS encryption. Default: none (SSE-S3).
    """

    bucket: s3.IBucket
    key: str
    encryption_key: kms.IKey | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "bucket", require_kind(self.bucket, Kind.BUCKET, "JsonPathsFile.bucket")
        )
        object.__setattr__(
            self,
            "encryption_key",
            optional_kind(self.encryption_key, Kind.KEY, "JsonPathsFile.encryption_key"),
        )
        if not isinstance(self.key, str) or not self.key or self.key.startswith("/"):
            raise ValueError(
                f"JsonPathsFile.key must be an object key without a leading '/', got {self.key!r}"
            )
        if "'" in self.key:
            raise ValueError(
                f"JsonPathsFile.key must not contain quotes (COPY option), got {self.key!r}"
            )

    @property
    def uri(self) -> str:
        """``s3://<bucket>/<key>`` as COPY's ``JSON '<uri>'`` option takes it."""
        return f"s3://{self.bucket.bucket_name}/{self.key}"

    @property
    def object_arn(self) -> str:
        """The ARN of the file's object."""
        return self.bucket.arn_for_objects(self.key)

    def key_statement(
        self, *actions: str, sid: str, stack: cdk.Stack
    ) -> iam.PolicyStatement | None:
        """``actions`` on ``encryption_key`` through S3 for this file only; None without a key."""
        if self.encryption_key is None:
            return None
        return kms_statement(
            sid=sid,
            actions=actions,
            key=self.encryption_key,
            service="s3",
            stack=stack,
            # The bucket ARN with an S3 Bucket Key, else the object ARN.
            encryption_context={"aws:s3:arn": [self.bucket.bucket_arn, self.object_arn]},
        )
