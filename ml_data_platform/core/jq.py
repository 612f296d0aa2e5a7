"""jq expressions for Firehose dynamic partitioning, checked at synth time with a real jq.

Firehose's metadata extraction runs one jq 1.6 program built from every partition key,
``{"key1":<query1>,"key2":<query2>}`` (the CDK's ``MetadataExtractionProcessor.jq16``). In jq
1.6 an object value may only be a pipe of terms (``.a // "x"`` compiles alone but not there),
so every query that is not a plain path is put in parentheses (``firehose_query``), and the
program is compiled exactly as Firehose will run it.

We compile with the ``jq`` package (PyPI; the C jq library itself, maintained bindings with
wheels for every platform we support): a real parser, not a pattern that only looks for a
leading ``.``. That library is newer than 1.6, so builtins added after 1.6 are rejected by
name (Firehose would fail the delivery stream's records, not the deployment).
Sources: https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-partitioning-keys.html
and the jq 1.7/1.8 release notes (new builtins).
"""

from __future__ import annotations

import json
import re

import jq

FIREHOSE_JQ_VERSION = "1.6"
MAX_PARTITION_KEYS = 50
"""Firehose's metadata extraction takes at most 50 keys (the CDK enforces it too)."""
JQ_BUILTINS_AFTER_1_6 = frozenset(
    {
        "pick",
        "abs",
        "toarray",
        "have_literal_numbers",
        "have_decnum",
        "trim",
        "ltrim",
        "rtrim",
        "trimstr",
        "significand",
        "$__loc__",
        "@base32d",
        "@urid",
    }
)
"""Builtins jq 1.7/1.8 added that Firehose's jq 1.6 does not know."""
_PLAIN_PATH = re.compile(r"^(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_IDENTIFIER = re.compile(r"(\$__loc__|@[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def firehose_query(query: str) -> str:
    """``query`` as an object value of jq 1.6: a plain path as is, anything else in parentheses."""
    return query if _PLAIN_PATH.match(query) else f"({query})"


def firehose_extraction_query(queries: dict[str, str]) -> str:
    """The jq program Firehose runs for ``{key: query}`` (as the CDK's ``jq16`` builds it from
    ``PartitionLayout.partition_queries``, where each query is already ``firehose_query``)."""
    return "{" + ",".join(f"{json.dumps(k)}:{firehose_query(q)}" for k, q in queries.items()) + "}"


def validate_jq(query: object, prop: str, key: str = "key") -> str:
    """Return ``query`` if it is a jq 1.6 expression Firehose can run as the value of ``key``.

    Raises ``TypeError`` for a non-string and ``ValueError`` naming ``prop``, the query and
    jq's own message for a syntax error, an unknown function or a post-1.6 builtin.
    """
    if not isinstance(query, str):
        raise TypeError(f"{prop} must be a jq expression string, got {type(query).__name__}")
    if not query.strip():
        raise ValueError(f"{prop} must be a jq expression such as '.customer_id', got {query!r}")
    for text, where in (
        (query, ""),
        (firehose_extraction_query({key: query}), " as Firehose runs it"),
    ):
        try:
            jq.compile(text)
        except ValueError as error:
            detail = " ".join(str(error).split())
            raise ValueError(
                f"{prop} {query!r} is not a valid jq expression{where} ({text}): {detail}"
            ) from None
    newer = sorted(set(_IDENTIFIER.findall(_STRING.sub('""', query))) & JQ_BUILTINS_AFTER_1_6)
    if newer:
        raise ValueError(
            f"{prop} {query!r} uses {newer}, which Firehose's jq {FIREHOSE_JQ_VERSION} does not have"
        )
    return query
