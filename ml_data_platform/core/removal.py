"""The removal guard: data is destroyed only after two deliberate steps.

Stateful resources (buckets, keys, streams, databases, warehouses) default to
``RemovalPolicy.RETAIN``. ``RemovalPolicy.DESTROY`` is honoured only when the construct tree
also carries the context flag :data:`ALLOW_DESTROY_CONTEXT` (set it in ``cdk.json``, with
``-c ml-data-platform:allow-destroy=true``, or through an environment whose config says
``"removal": "destroy"``). Otherwise synthesis fails with an explanation, never silently.
``RETAIN_ON_UPDATE_OR_DELETE`` is accepted too; ``SNAPSHOT`` is rejected, because CloudFormation
supports it only for a few resource types (not buckets, keys, streams, log groups, Glue
databases or Redshift Serverless namespaces) and would fail the deployment.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

ALLOW_DESTROY_CONTEXT = "ml-data-platform:allow-destroy"
SUPPORTED_REMOVAL_POLICIES = (
    cdk.RemovalPolicy.RETAIN,
    cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    cdk.RemovalPolicy.DESTROY,
)


def resolve_removal_policy(
    scope: IConstruct, removal_policy: cdk.RemovalPolicy | None, *, prop: str = "removal_policy"
) -> cdk.RemovalPolicy:
    """Return the removal policy to apply to a stateful resource under ``scope``.

    Default: ``RETAIN``. Raises ``TypeError`` for anything but a ``cdk.RemovalPolicy``,
    ``ValueError`` for ``SNAPSHOT`` and for ``DESTROY`` without the context flag.
    """
    if removal_policy is None:
        return cdk.RemovalPolicy.RETAIN
    if not isinstance(removal_policy, cdk.RemovalPolicy):
        raise TypeError(
            f"{prop} must be a cdk.RemovalPolicy, got {type(removal_policy).__name__}: "
            f"{removal_policy!r:.80}"
        )
    if removal_policy not in SUPPORTED_REMOVAL_POLICIES:
        supported = ", ".join(policy.name for policy in SUPPORTED_REMOVAL_POLICIES)
        raise ValueError(
            f"{prop}={removal_policy.name} at '{scope.node.path}' is not supported: use one of "
            f"{supported} (CloudFormation accepts SNAPSHOT only for a few resource types, none "
            "of which this platform creates)"
        )
    if removal_policy == cdk.RemovalPolicy.DESTROY and not destroy_allowed(scope):
        raise ValueError(
            f"{prop}=DESTROY at '{scope.node.path}' would delete data when the stack is deleted; "
            f"confirm it by setting the context flag {ALLOW_DESTROY_CONTEXT}=true "
            '(or an environment config with "removal": "destroy"), or use RETAIN'
        )
    return removal_policy


def destroy_allowed(scope: IConstruct) -> bool:
    """Whether the context flag that permits destroying data is set for ``scope``."""
    return str(scope.node.try_get_context(ALLOW_DESTROY_CONTEXT)).lower() == "true"
