"""Checks for construct inputs, so that a wrong object fails with a clear message.

jsii interfaces (``IBucket``, ``IKey``, ...) are not runtime-checkable in Python, and passing
the wrong kind of object otherwise fails deep inside jsii (aws/aws-cdk#33414:
``_bind is not a function``). We check for the attributes that identify each kind.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")


class Kind(Enum):
    """Kinds of AWS resource a construct accepts, with the attribute that identifies each."""

    BUCKET = ("IBucket (aws_s3)", "bucket_arn")
    KEY = ("IKey (aws_kms)", "key_arn")
    STREAM = ("IStream (aws_kinesis)", "stream_arn")
    ROLE = ("IRole (aws_iam)", "role_arn")
    SECRET = ("ISecret (aws_secretsmanager)", "secret_arn")
    TOPIC = ("ITopic (aws_sns)", "topic_arn")
    VPC = ("IVpc (aws_ec2)", "vpc_id")
    LOG_GROUP = ("ILogGroup (aws_logs)", "log_group_arn")

    def __init__(self, label: str, attribute: str) -> None:
        self.label = label
        self.attribute = attribute


def require_kind(value: Any, kind: Kind, prop: str) -> Any:
    """Return ``value`` if it is an object of ``kind``; raise ``TypeError`` naming ``prop``."""
    # The class first: on a jsii object, reading the attribute is a call into Node.
    has_attribute = hasattr(type(value), kind.attribute) or hasattr(value, kind.attribute)
    if not has_attribute or isinstance(value, (str, bytes)):
        raise TypeError(
            f"{prop} must be an {kind.label}, got {type(value).__name__}: {value!r:.80}"
        )
    return value


def optional_kind(value: T | None, kind: Kind, prop: str) -> T | None:
    """Like :func:`require_kind` but lets ``None`` through."""
    return None if value is None else require_kind(value, kind, prop)


def reject_string(value: Any, prop: str, items: str) -> None:
    """Raise ``TypeError`` if ``value`` is a string where a sequence of ``items`` belongs (a
    string is a sequence too: it would be read character by character)."""
    if isinstance(value, str):
        raise TypeError(f"{prop} must be a sequence of {items}, got the string {value!r}")


def require_int(
    value: Any, prop: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` if it is an int (not a bool) within the inclusive bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{prop} must be an integer, got {type(value).__name__}: {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{prop} must be ≥ {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{prop} must be ≤ {maximum}, got {value}")
    return value
