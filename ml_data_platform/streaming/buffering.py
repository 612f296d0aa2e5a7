"""Firehose S3 delivery rules checked at synth time: buffering hints and S3 prefixes.

Sources: https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html,
https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html,
https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html and
https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html (limits named once
in ``core/limits.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ml_data_platform.core.inputs import require_int
from ml_data_platform.core.limits import (
    DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_DEFAULT_BUFFER_SIZE_MIB,
    FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MAX_BUFFER_SIZE_MIB,
    FIREHOSE_MAX_PREFIX_LENGTH,
    FIREHOSE_MIN_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MIN_BUFFER_SIZE_MIB,
    FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION,
)
from ml_data_platform.core.names import validate_key_prefix
from ml_data_platform.storage.layout import ERROR_OUTPUT_TYPE, PARTITION_KEY_QUERY

_EXPRESSION = re.compile(r"!\{([^{}]*)\}")
_VALID_EXPRESSION = re.compile(
    r"^(firehose:error-output-type|firehose:random-string|timestamp:[^{}]+|"
    r"partitionKeyFromQuery:[A-Za-z0-9_]+)$"
)


@dataclass(frozen=True)
class BufferingHints:
    """Validated Firehose buffering hints (delivery happens at whichever is reached first).

    Args:
        size_mib: Buffer size in MiB.
        interval_seconds: Buffer interval in seconds.
    """

    size_mib: int
    interval_seconds: int


def resolve_buffering(
    size_mib: int | None,
    interval_seconds: int | None,
    *,
    format_conversion: bool,
    dynamic_partitioning: bool,
) -> BufferingHints:
    """Validate buffering hints against the service limits and fill in defaults.

    - size: 1–128 MiB; ≥ 64 MiB with Parquet conversion or dynamic partitioning.
      Default: 5 MiB, or 128 MiB with conversion/partitioning (fewer, larger files).
    - interval: 0–900 s; ≥ 60 s with dynamic partitioning. Default: 300 s.

    Raises ``ValueError`` naming the prop, the value and the rule.
    """
    needs_large = format_conversion or dynamic_partitioning
    if size_mib is None:
        size_mib = FIREHOSE_MAX_BUFFER_SIZE_MIB if needs_large else FIREHOSE_DEFAULT_BUFFER_SIZE_MIB
    if interval_seconds is None:
        interval_seconds = FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS
    require_int(
        size_mib,
        "buffer_size_mib",
        minimum=FIREHOSE_MIN_BUFFER_SIZE_MIB,
        maximum=FIREHOSE_MAX_BUFFER_SIZE_MIB,
    )
    require_int(
        interval_seconds,
        "buffer_interval_seconds",
        minimum=FIREHOSE_MIN_BUFFER_INTERVAL_SECONDS,
        maximum=FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS,
    )
    if needs_large and size_mib < FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION:
        feature = "Parquet conversion" if format_conversion else "dynamic partitioning"
        raise ValueError(
            f"buffer_size_mib must be ≥ {FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION} with "
            f"{feature}, got {size_mib}"
        )
    if dynamic_partitioning and interval_seconds < DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS:
        raise ValueError(
            f"buffer_interval_seconds must be ≥ {DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS} "
            f"with dynamic partitioning (it has no zero buffering), got {interval_seconds}"
        )
    return BufferingHints(size_mib, interval_seconds)


def validate_prefixes(
    prefix: str, error_prefix: str | None, *, partition_keys: Iterable[str] = ()
) -> str:
    """Check an S3 ``prefix``/``error_prefix`` pair against Firehose's prefix rules.

    - each ≤ 512 characters, expressions of the form ``!{namespace:value}``;
    - the literal part of each (the text before its first ``!{…}``, from which the delivery
      role's S3 object ARNs are built) is a non-empty relative key prefix: no leading ``/``,
      no ``//``, no ``*`` or ``?`` (``core.names.validate_key_prefix``), so the grant can never
      widen to the whole bucket or to a wildcard the IAM5 acknowledgement would hide;
    - an error prefix is required (Firehose requires one when the prefix has ``!{…}``; the
      platform always does, so the role can be scoped to the two prefixes); it must contain
      ``!{firehose:error-output-type}``, which the prefix itself must not contain;
    - ``!{partitionKeyFromQuery:k}`` only in the prefix, and exactly for the ``partition_keys``.

    Returns the error prefix. Raises ``ValueError`` naming the prop, the value and the rule.
    """
    keys = set(partition_keys)
    for prop, value in (("prefix", prefix), ("error_prefix", error_prefix)):
        if value is None:
            continue
        if not isinstance(value, str):
            raise TypeError(f"{prop} must be a string, got {type(value).__name__}: {value!r}")
        if len(value) > FIREHOSE_MAX_PREFIX_LENGTH:
            raise ValueError(
                f"{prop} must be ≤ {FIREHOSE_MAX_PREFIX_LENGTH} characters, got {len(value)}"
            )
        for start in (m.start() for m in re.finditer(r"!\{", value)):
            if not _EXPRESSION.match(value, start):
                raise ValueError(
                    f"{prop} {value!r}: the expression at character {start} "
                    f"({value[start : start + 24]!r}) is not closed with '}}' or contains '{{': "
                    "Firehose expressions are !{namespace:value}"
                )
        for expression in _EXPRESSION.findall(value):
            if not _VALID_EXPRESSION.match(expression):
                raise ValueError(
                    f"{prop} {value!r}: '!{{{expression}}}' is not a Firehose expression "
                    "(firehose:error-output-type, firehose:random-string, timestamp:<format>, "
                    "partitionKeyFromQuery:<key>)"
                )
        validate_key_prefix(
            static_part(value),
            f"{prop} {value!r}: its literal part (before the first !{{...}})",
            allow_empty=False,
        )
    expressions = _EXPRESSION.findall(prefix)
    if not error_prefix:
        reason = (
            "uses !{...} expressions, so Firehose requires"
            if expressions
            else "needs (the delivery role may write only below the two prefixes)"
        )
        raise ValueError(
            f"prefix {prefix!r} {reason} an error_prefix containing {ERROR_OUTPUT_TYPE}"
        )
    if ERROR_OUTPUT_TYPE in prefix:
        raise ValueError(f"prefix {prefix!r} must not contain {ERROR_OUTPUT_TYPE}")
    if ERROR_OUTPUT_TYPE not in error_prefix:
        raise ValueError(f"error_prefix {error_prefix!r} must contain {ERROR_OUTPUT_TYPE}")
    if f"!{{{PARTITION_KEY_QUERY}:" in error_prefix:
        raise ValueError(
            f"error_prefix {error_prefix!r} must not use !{{{PARTITION_KEY_QUERY}:...}} "
            "(records that fail partitioning have no keys)"
        )
    used = {e.split(":", 1)[1] for e in expressions if e.startswith(f"{PARTITION_KEY_QUERY}:")}
    if used - keys:
        raise ValueError(
            f"prefix {prefix!r} uses partition keys {sorted(used - keys)} that the layout "
            f"does not define (defined: {sorted(keys)}; PartitionLayout(keys=...))"
        )
    if keys - used:
        raise ValueError(
            f"the layout's partition keys {sorted(keys - used)} are not used in prefix {prefix!r}: add "
            + ", ".join(f"!{{{PARTITION_KEY_QUERY}:{k}}}" for k in sorted(keys - used))
        )
    return error_prefix


def static_part(prefix: str) -> str:
    """The literal part of ``prefix`` before its first ``!{…}`` expression (for IAM scoping)."""
    return prefix.split("!{", 1)[0]
