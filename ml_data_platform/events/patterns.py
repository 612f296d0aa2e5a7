"""EventBridge event patterns for S3 object events (``source: aws.s3``).

Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_events as events
from aws_cdk import aws_s3 as s3

S3_SOURCE = "aws.s3"


def object_event_pattern(
    buckets: s3.IBucket | Sequence[s3.IBucket], detail_type: str, *, prefix: str = ""
) -> events.EventPattern:
    """Events of ``detail_type`` (e.g. ``Object Created``) for objects in ``buckets``, under
    ``prefix`` when it is not empty."""
    bucket_list = [buckets] if hasattr(buckets, "bucket_name") else list(buckets)
    detail: dict[str, object] = {"bucket": {"name": [b.bucket_name for b in bucket_list]}}
    if prefix:
        detail["object"] = {"key": [{"prefix": prefix}]}
    return events.EventPattern(source=[S3_SOURCE], detail_type=[detail_type], detail=detail)
