"""KMS permissions bound to one AWS service (``kms:ViaService``) and, optionally, to one
resource (``kms:EncryptionContext:<key>``).

Sources: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
and https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context-context-key
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

STRING_EQUALS = "StringEquals"
STRING_LIKE = "StringLike"


def via_service(service: str, stack: cdk.Stack) -> str:
    """The ``kms:ViaService`` value for ``service`` in ``stack``'s region, e.g.
    ``s3.us-east-1.amazonaws.com``."""
    return f"{service}.{stack.region}.{stack.url_suffix}"


def kms_conditions(
    *,
    service: str,
    stack: cdk.Stack,
    encryption_context: Mapping[str, object] | None = None,
    context_operator: str = STRING_EQUALS,
) -> dict[str, dict[str, object]]:
    """IAM conditions: the key is used through ``service`` only and, with
    ``encryption_context`` (e.g. ``{"aws:s3:arn": bucket.bucket_arn}``), only for those
    values, compared with ``context_operator`` (``StringLike`` for ARN patterns)."""
    conditions: dict[str, dict[str, object]] = {
        STRING_EQUALS: {"kms:ViaService": via_service(service, stack)}
    }
    context = {
        f"kms:EncryptionContext:{name}": value for name, value in (encryption_context or {}).items()
    }
    if context:
        conditions.setdefault(context_operator, {}).update(context)
    return conditions


def kms_statement(
    *,
    sid: str,
    actions: Sequence[str],
    key: kms.IKey,
    service: str,
    stack: cdk.Stack,
    encryption_context: Mapping[str, object] | None = None,
    context_operator: str = STRING_EQUALS,
) -> iam.PolicyStatement:
    """Allow ``actions`` on ``key`` under ``kms_conditions(...)``."""
    return iam.PolicyStatement(
        sid=sid,
        actions=list(actions),
        resources=[key.key_arn],
        conditions=kms_conditions(
            service=service,
            stack=stack,
            encryption_context=encryption_context,
            context_operator=context_operator,
        ),
    )


def same_key(a: kms.IKey, b: kms.IKey) -> bool:
    """Whether ``a`` and ``b`` are one key: the same construct (jsii may hand back a new proxy
    for it, so by path, not identity), or two imports of one literal key ARN."""
    if a is b or a.node.path == b.node.path:
        return True
    arns = (a.key_arn, b.key_arn)
    return not any(cdk.Token.is_unresolved(arn) for arn in arns) and arns[0] == arns[1]
