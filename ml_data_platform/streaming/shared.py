"""``SharedLayout``: the records of several datasets on one stream, routed by Firehose to each
dataset's own layout.

One Kinesis stream and one Firehose delivery carry a group of datasets; each record names its
dataset in a field (``"dataset": "clicks"``), and Firehose's dynamic partitioning writes it
under that dataset's prefix (``clicks/year=…/``), exactly where the dataset's ``LakeTable``
reads. The routing query accepts only the group's dataset names: a record whose field is
missing, not a string or not a member fails key extraction and goes to the group's error prefix
(https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-error-handling.html),
never to a prefix outside the group. Members must share what one Firehose prefix and one
delivery fix: the time granularity, JSON (Firehose converts to Parquet with one table schema
per delivery) and no dynamic partition keys of their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ml_data_platform.core.inputs import repeated
from ml_data_platform.core.jq import firehose_extraction_query, firehose_query, validate_jq
from ml_data_platform.core.limits import FIREHOSE_MAX_PROCESSOR_PARAMETER_LENGTH
from ml_data_platform.core.names import validate_slug
from ml_data_platform.datasets import DataFormat, Dataset
from ml_data_platform.storage.layout import (
    ERROR_OUTPUT_TYPE,
    ERROR_PREFIX_ROOT,
    PARTITION_KEY_QUERY,
    PartitionGranularity,
    PartitionLayout,
)

DATASET_FIELD = "dataset"
"""Default record field that names the record's dataset (the producer sets it)."""
ROUTING_KEY = "dataset"
"""The dynamic partitioning key Firehose fills with the dataset name."""
SHARED_ERROR_ROOT = f"{ERROR_PREFIX_ROOT}/_shared"
"""Error output of shared groups: ``errors/_shared/<group>/`` (``_`` is not allowed in dataset
names, so it never meets a dataset's own ``errors/<dataset>/``)."""
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class SharedLayout:
    """Where the records of a group of datasets on one delivery land: each under its dataset's
    own ``PartitionLayout`` (``<dataset>/year=…/``), chosen per record by ``field``.

    Args:
        group: Group name (lowercase letters, digits, ``-``): the construct ids of its stream
            and delivery, and its error prefix ``errors/_shared/<group>/``.
        datasets: The members (at least one, unique names, JSON, no dynamic partition keys, one
            granularity).
        field: Top-level record field naming the dataset. Default: ``"dataset"``.
    """

    group: str
    datasets: Sequence[Dataset]
    field: str = DATASET_FIELD

    def __post_init__(self) -> None:
        validate_slug(self.group, "shared group")
        members = tuple(self.datasets)
        object.__setattr__(self, "datasets", members)
        where = f"shared group '{self.group}'"
        if not members:
            raise ValueError(f"{where}: datasets must list at least one dataset")
        for member in members:
            if not isinstance(member, Dataset):
                raise TypeError(f"{where}: datasets must be Dataset objects, got {member!r}")
        names = [d.name for d in members]
        duplicates = repeated(names)
        if duplicates:
            raise ValueError(f"{where}: datasets {duplicates} are listed more than once")
        if not isinstance(self.field, str) or not _FIELD.match(self.field):
            raise ValueError(
                f"{where}: field {self.field!r} must be a top-level JSON field name (a letter "
                "or '_', then letters, digits or '_', at most 64)"
            )
        for member in members:
            if member.data_format is not DataFormat.JSON:
                raise ValueError(
                    f"{where}: dataset '{member.name}' lands as {member.data_format.value}: a "
                    "shared delivery writes JSON only (Firehose converts with one table schema "
                    "per delivery); give it a dedicated stream"
                )
            if member.partition_keys:
                raise ValueError(
                    f"{where}: dataset '{member.name}' has dynamic partition keys "
                    f"{[k.name for k in member.partition_keys]}: a shared delivery partitions "
                    "by dataset and time only; give it a dedicated stream"
                )
            if member.granularity is not members[0].granularity:
                raise ValueError(
                    f"{where}: dataset '{member.name}' is partitioned by "
                    f"{member.granularity.name.lower()} but '{members[0].name}' by "
                    f"{members[0].granularity.name.lower()}: one delivery writes one time "
                    "layout; put them in different groups"
                )
        validate_jq(self.routing_query, f"{where}: routing query", ROUTING_KEY)
        program = firehose_extraction_query(self.partition_queries)
        if len(program) > FIREHOSE_MAX_PROCESSOR_PARAMETER_LENGTH:
            raise ValueError(
                f"{where}: {len(members)} datasets make a routing query of {len(program)} "
                f"characters, more than Firehose's {FIREHOSE_MAX_PROCESSOR_PARAMETER_LENGTH}: "
                "split the group"
            )

    @property
    def granularity(self) -> PartitionGranularity:
        """The members' time granularity."""
        return self.datasets[0].granularity

    @property
    def dataset_names(self) -> tuple[str, ...]:
        """The members' names, in order."""
        return tuple(d.name for d in self.datasets)

    @property
    def routing_query(self) -> str:
        """jq: the record's ``field`` when it names a member, else an error (error prefix)."""
        members = ", ".join(json.dumps(name) for name in self.dataset_names)
        return (
            f"if (.{self.field} | IN({members})) then .{self.field} "
            f'else error("{self.field} is not one of the group\'s datasets") end'
        )

    @property
    def partition_queries(self) -> dict[str, str]:
        """``{"dataset": routing query}`` for Firehose's metadata extraction."""
        return {ROUTING_KEY: firehose_query(self.routing_query)}

    def firehose_prefix(self) -> str:
        """``!{partitionKeyFromQuery:dataset}/year=…/``: each member's own layout."""
        template = PartitionLayout(self.datasets[0].name, self.granularity).firehose_prefix()
        routed = f"!{{{PARTITION_KEY_QUERY}:{ROUTING_KEY}}}/"
        return routed + template.removeprefix(f"{self.datasets[0].name}/")

    def firehose_error_prefix(self) -> str:
        """``errors/_shared/<group>/<error type>/year=…/``."""
        template = PartitionLayout(self.datasets[0].name, self.granularity).firehose_error_prefix()
        time_part = template.split(f"{ERROR_OUTPUT_TYPE}/", 1)[1]
        return f"{SHARED_ERROR_ROOT}/{self.group}/{ERROR_OUTPUT_TYPE}/{time_part}"

    def member_prefixes(self) -> Mapping[str, str]:
        """``{dataset: the Firehose prefix its records get}``, as its ``LakeTable`` reads it."""
        return {d.name: d.layout.firehose_prefix() for d in self.datasets}
