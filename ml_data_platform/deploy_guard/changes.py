"""Read ``cdk diff`` output and pick the changes that would lose data.

The CDK CLI (pinned in package.json) prints one line per changed resource::

    [-] AWS::Kinesis::Stream Platform/Ingestion/ClicksStream/Stream ClicksStream7A92171B orphan
    [~] AWS::KMS::Alias Platform/Storage/DataLake/Key/Key/Alias DataLakeKeyAlias8C3EE3A4 replace

after a ``Stack <id> (<name>)`` header. The impact word is the CLI's own verdict from the
CloudFormation resource specification (or a change set): ``destroy`` (deleted),
``orphan`` (removed from the stack but retained: no longer managed, still billed),
``replace`` / ``may be replaced`` (a new, empty resource takes its place). For a data-bearing
resource each of them means the platform loses the data it held.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DATA_BEARING_TYPES: dict[str, str] = {
    "AWS::S3::Bucket": "objects of the data lake, logs or query results",
    "AWS::KMS::Key": "the key that decrypts everything written under it",
    "AWS::Kinesis::Stream": "records not yet delivered (up to the retention period)",
    "AWS::KinesisVideo::Stream": "retained video fragments",
    "AWS::Glue::Database": "the tables (schemas, partitions) of a zone",
    "AWS::SQS::Queue": "messages not yet processed (e.g. a dead-letter queue's failed events)",
    "AWS::RedshiftServerless::Namespace": "the warehouse's tables and snapshots",
    "AWS::Redshift::Cluster": "the warehouse's tables",
    "AWS::CloudFormation::Stack": "every resource of the nested stack, data-bearing ones included",
}
"""Resource types whose deletion, orphaning or replacement loses data, and what is lost."""

LOSING_IMPACTS = ("destroy", "orphan", "replace", "may be replaced")

_STACK_HEADER = re.compile(r"^Stack (?P<stack>\S+)")
_RESOURCE_LINE = re.compile(
    r"^\[(?P<op>[-~])\] (?P<type>AWS::\S+) (?P<path>\S+) (?P<logical_id>\S+) "
    r"(?P<impact>destroy|orphan|replace|may be replaced)\s*$"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class DataLossChange:
    """One data-bearing resource that a deploy would delete, orphan or replace."""

    stack: str
    resource_type: str
    construct_path: str
    logical_id: str
    impact: str

    def __str__(self) -> str:
        lost = DATA_BEARING_TYPES[self.resource_type]
        return (
            f"{self.stack}: {self.resource_type} {self.logical_id} ({self.construct_path}) "
            f"would be {_PAST[self.impact]}: {lost}"
        )


_PAST = {
    "destroy": "deleted",
    "orphan": "orphaned (left behind, unmanaged, still billed)",
    "replace": "replaced by an empty one",
    "may be replaced": "possibly replaced by an empty one",
}


def data_loss_changes(diff_output: str | Iterable[str]) -> list[DataLossChange]:
    """The data-bearing resources that ``cdk diff`` output says would be lost."""
    lines = diff_output.splitlines() if isinstance(diff_output, str) else diff_output
    changes = []
    stack = "?"
    for raw in lines:
        line = _ANSI.sub("", raw).rstrip()
        header = _STACK_HEADER.match(line)
        if header:
            stack = header["stack"]
            continue
        match = _RESOURCE_LINE.match(line)
        if match and match["type"] in DATA_BEARING_TYPES:
            changes.append(
                DataLossChange(
                    stack=stack,
                    resource_type=match["type"],
                    construct_path=match["path"],
                    logical_id=match["logical_id"],
                    impact=match["impact"],
                )
            )
    return changes
