"""``ReplicaStack``: the disaster-recovery replica of chosen zones, in a second region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from ml_data_platform.storage.replication import ReplicaSite


class ReplicaStack(cdk.Stack):
    """A stack (deploy it in the replica region) holding one ``ReplicaSite``: the replica key
    (fixed alias) and one replica bucket per replicated zone (fixed names).

    Args:
        bucket_names: ``{zone name: replica bucket name}``.
        key_alias: The replica key's alias.
        removal_policy: ``RETAIN`` (default) or ``DESTROY`` (needs the allow-destroy context).
        **kwargs: ``cdk.Stack`` props (``env`` in the replica region, ``stack_name``, ...).

    Attributes:
        site: The ``ReplicaSite``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_names: Mapping[str, str],
        key_alias: str,
        removal_policy: cdk.RemovalPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.site = ReplicaSite(
            self,
            "Replica",
            bucket_names=bucket_names,
            key_alias=key_alias,
            removal_policy=removal_policy,
        )
