"""Physical name rule of Kinesis data streams and Firehose delivery streams (synth-time).

Sources: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html
(``StreamName``) and
https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html
(``DeliveryStreamName``): ``[a-zA-Z0-9_.-]+``, up to a length in ``core.limits``.
"""

from __future__ import annotations

import re

import aws_cdk as cdk

_STREAM_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def validate_stream_name(name: str | None, prop: str, *, max_length: int) -> str | None:
    """Return ``name`` if it is 1–``max_length`` letters, digits, ``_``, ``.`` or ``-``.

    ``None`` (a generated name) and unresolved tokens pass through. Raises ``TypeError`` or
    ``ValueError`` naming ``prop``, the value and the rule.
    """
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"{prop} must be a string, got {type(name).__name__}: {name!r}")
    if cdk.Token.is_unresolved(name):
        return name
    if not _STREAM_NAME.match(name) or len(name) > max_length:
        shown = name if len(name) <= max_length else f"{name[:20]}…"
        raise ValueError(
            f"{prop} {shown!r} ({len(name)} characters) must be 1–{max_length} letters, "
            "digits, '_', '.' or '-'"
        )
    return name
