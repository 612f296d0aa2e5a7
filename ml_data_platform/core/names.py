"""Name rules shared by the constructs, checked at synth time.

- S3 bucket names: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
- Glue/Athena names: https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from constructs import IConstruct

CONTEXT_KEY = "ml-data-platform"
"""The cdk.json context key that holds the platform's configuration."""

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_GLUE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,254}$")
_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_BUCKET_PREFIXES_RESERVED = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES_RESERVED = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def validate_bucket_name(name: str, prop: str = "bucket_name") -> str:
    """Return ``name`` if it is a valid general-purpose S3 bucket name (tokens pass through)."""
    if cdk.Token.is_unresolved(name):
        return name
    problems = []
    if not _BUCKET_NAME.match(name):
        problems.append(
            "3–63 characters of lowercase letters, digits, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    if ".." in name:
        problems.append("no two adjacent periods")
    if _IP_ADDRESS.match(name):
        problems.append("not formatted as an IP address")
    if name.startswith(_BUCKET_PREFIXES_RESERVED) or name.endswith(_BUCKET_SUFFIXES_RESERVED):
        problems.append("no reserved prefix or suffix")
    if problems:
        raise ValueError(
            f"{prop} {name!r} is not a valid S3 bucket name: must be " + "; ".join(problems)
        )
    return name


def validate_glue_name(name: str, prop: str) -> str:
    """Return ``name`` if it is a valid Glue/Athena database, table or column name."""
    if not isinstance(name, str) or not _GLUE_NAME.match(name):
        raise ValueError(
            f"{prop} {name!r} is not a valid Glue/Athena name: use lowercase letters, digits and "
            "'_', starting with a letter (at most 255 characters)"
        )
    return name


def glue_name(text: str) -> str:
    """Derive a Glue-safe name from ``text`` (lowercase, ``-``/``.``/space become ``_``)."""
    return validate_glue_name(re.sub(r"[^a-z0-9_]", "_", text.lower()), "derived name")


def validate_slug(name: str, prop: str) -> str:
    """Return ``name`` if it is safe inside resource names (zones, stages, datasets)."""
    if not isinstance(name, str) or not _SLUG.match(name):
        raise ValueError(
            f"{prop} {name!r} must be 1–31 lowercase letters, digits or '-', starting with a letter"
        )
    return name


def validate_key_prefix(prefix: str, prop: str, *, allow_empty: bool = True) -> str:
    """Return ``prefix`` as a relative S3 key prefix ending in ``/`` (``""`` stays ``""``).

    Rejected, because IAM resources and policies are built from it: a leading ``/``, ``*`` or
    ``?`` (they would widen an ARN pattern), ``//``, and ``""`` when ``allow_empty`` is False
    (the whole bucket).
    """
    if not isinstance(prefix, str):
        raise TypeError(f"{prop} must be a string, got {type(prefix).__name__}: {prefix!r}")
    if not prefix and not allow_empty:
        raise ValueError(f"{prop} must not be empty (that would cover the whole bucket)")
    if prefix.startswith("/") or "//" in prefix or "*" in prefix or "?" in prefix:
        raise ValueError(
            f"{prop} {prefix!r} must be a relative key prefix: no leading '/', no '//', "
            "no '*' or '?'"
        )
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def stack_scoped_path(scope: IConstruct) -> str:
    """``<stack name>/<path inside the stack>`` for naming ``scope``'s physical resources.

    The stack name is unique in an account and region (the platform names stacks
    ``<project>-<env>-<layer>``), so names built from it never collide across projects or
    environments, whatever the stage ids. A nested stack's resources use their top-level
    stack's name (a nested stack's own name is only known at deploy time).
    """
    stack = cdk.Stack.of(scope)
    while stack.nested_stack_parent is not None:
        stack = stack.nested_stack_parent
    inside = scope.node.path.removeprefix(stack.node.path + "/")
    return f"{stack.stack_name}/{inside}"
