"""Checks for construct inputs, so that a wrong object fails with a clear message.

jsii interfaces (``IBucket``, ``IKey``, ...) are not runtime-checkable in Python, and passing
the wrong kind of object otherwise fails deep inside jsii (aws/aws-cdk#33414:
``_bind is not a function``). We check for the attributes that identify each kind, and accept
our own constructs where the resource they wrap belongs (a ``DataLakeBucket`` where an
``IBucket`` goes means its ``.bucket``; an ``IngestionStream`` its ``.stream``; ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")


class Kind(Enum):
    """Kinds of AWS resource a construct accepts, with the attribute that identifies each."""

    BUCKET = ("IBucket (aws_s3)", "bucket_arn", "bucket")
    KEY = ("IKey (aws_kms)", "key_arn", "key")
    STREAM = ("IStream (aws_kinesis)", "stream_arn", "stream")
    ROLE = ("IRole (aws_iam)", "role_arn", "role")
    SECRET = ("ISecret (aws_secretsmanager)", "secret_arn", "secret")
    TOPIC = ("ITopic (aws_sns)", "topic_arn", "topic")
    VPC = ("IVpc (aws_ec2)", "vpc_id", "vpc")
    LOG_GROUP = ("ILogGroup (aws_logs)", "log_group_arn", "log_group")

    def __init__(self, label: str, attribute: str, wrapped: str) -> None:
        self.label = label
        self.attribute = attribute
        self.wrapped = wrapped
        """The attribute by which our constructs expose the resource of this kind."""


def require_kind(value: Any, kind: Kind, prop: str) -> Any:
    """Return ``value`` if it is an object of ``kind``, or the resource of that kind one of our
    constructs wraps (``DataLakeBucket`` -> its ``.bucket``); else raise ``TypeError`` naming
    ``prop`` and, for our constructs, the attributes that would fit."""
    if _is_kind(value, kind):
        return value
    if _is_ours(value):
        wrapped = getattr(value, kind.wrapped, None)
        if _is_kind(wrapped, kind):
            return wrapped
        fits = sorted(
            name
            for name, attribute in vars(value).items()
            if not name.startswith("_") and _is_kind(attribute, kind)
        )
        zones = getattr(value, "zones", None)
        if kind is Kind.BUCKET and isinstance(zones, dict) and zones:
            hint = f"; pass one of its zones' buckets: .zone({next(iter(zones))!r}).bucket"
        elif fits:
            hint = f"; pass one of its attributes: {', '.join('.' + n for n in fits)}"
        else:
            hint = f"; {type(value).__name__} has no {kind.label.split(' ')[0]} attribute"
        raise TypeError(f"{prop} must be an {kind.label}, got {type(value).__name__}{hint}")
    raise TypeError(f"{prop} must be an {kind.label}, got {type(value).__name__}: {value!r:.80}")


def _is_kind(value: Any, kind: Kind) -> bool:
    # The class first: on a jsii object, reading the attribute is a call into Node.
    has_attribute = hasattr(type(value), kind.attribute) or hasattr(value, kind.attribute)
    return has_attribute and not isinstance(value, (str, bytes)) and value is not None


def _is_ours(value: Any) -> bool:
    return type(value).__module__.startswith("ml_data_platform.")


def optional_kind(value: T | None, kind: Kind, prop: str) -> T | None:
    """Like :func:`require_kind` but lets ``None`` through."""
    return None if value is None else require_kind(value, kind, prop)


def reject_string(value: Any, prop: str, items: str) -> None:
    """Raise ``TypeError`` if ``value`` is a string where a sequence of ``items`` belongs (a
    string is a sequence too: it would be read character by character)."""
    if isinstance(value, str):
        raise TypeError(f"{prop} must be a sequence of {items}, got the string {value!r}")


def require_int(
    value: object, prop: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` if it is an int (not a bool) within the inclusive bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{prop} must be an integer, got {type(value).__name__}: {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{prop} must be ≥ {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{prop} must be ≤ {maximum}, got {value}")
    return value


def repeated(values: Iterable[Any]) -> list[Any]:
    """The values that occur more than once in ``values``, sorted (what a "duplicate names"
    error lists)."""
    return sorted(value for value, count in Counter(values).items() if count > 1)
