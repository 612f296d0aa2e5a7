"""Firehose buffering and prefix rules (pure Python, no synth)."""

import pytest

from ml_data_platform.streaming import (
    BufferingHints,
    resolve_buffering,
    validate_prefixes,
)
from ml_data_platform.streaming.buffering import static_part

ERR = "!{firehose:error-output-type}"


@pytest.mark.parametrize(
    ("size", "interval", "conversion", "partitioning", "expected"),
    [
        (None, None, False, False, BufferingHints(5, 300)),
        (None, None, True, False, BufferingHints(128, 300)),
        (None, None, False, True, BufferingHints(128, 300)),
        (1, 0, False, False, BufferingHints(1, 0)),
        (128, 900, False, False, BufferingHints(128, 900)),
        (64, 60, True, True, BufferingHints(64, 60)),
    ],
)
def test_buffering_defaults_and_bounds(size, interval, conversion, partitioning, expected):
    hints = resolve_buffering(
        size, interval, format_conversion=conversion, dynamic_partitioning=partitioning
    )
    assert hints == expected


@pytest.mark.parametrize(
    ("size", "interval", "conversion", "partitioning", "error", "message"),
    [
        (0, None, False, False, ValueError, r"buffer_size_mib must be ≥ 1, got 0"),
        (129, None, False, False, ValueError, r"buffer_size_mib must be ≤ 128, got 129"),
        (None, -1, False, False, ValueError, r"buffer_interval_seconds must be ≥ 0, got -1"),
        (None, 901, False, False, ValueError, r"buffer_interval_seconds must be ≤ 900, got 901"),
        (
            63,
            None,
            True,
            False,
            ValueError,
            r"buffer_size_mib must be ≥ 64 with Parquet conversion, got 63",
        ),
        (
            32,
            None,
            False,
            True,
            ValueError,
            r"buffer_size_mib must be ≥ 64 with dynamic partitioning, got 32",
        ),
        (
            64,
            0,
            False,
            True,
            ValueError,
            r"buffer_interval_seconds must be ≥ 60 with dynamic partitioning .*got 0",
        ),
        (5.5, None, False, False, TypeError, r"buffer_size_mib must be an integer, got float"),
        (None, True, False, False, TypeError, r"buffer_interval_seconds must be an integer"),
    ],
)
def test_buffering_rejects_values_outside_service_limits(
    size, interval, conversion, partitioning, error, message
):
    with pytest.raises(error, match=message):
        resolve_buffering(
            size, interval, format_conversion=conversion, dynamic_partitioning=partitioning
        )


def test_valid_prefixes_pass_and_return_the_error_prefix():
    assert validate_prefixes("clicks/", f"errors/{ERR}/") == f"errors/{ERR}/"
    prefix = "clicks/c=!{partitionKeyFromQuery:c}/y=!{timestamp:yyyy}/"
    assert validate_prefixes(prefix, f"e/{ERR}/", partition_keys=["c"]) == f"e/{ERR}/"


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "keys", "message"),
    [
        (
            "clicks/!{timestamp:yyyy}/",
            None,
            (),
            r"prefix 'clicks/!\{timestamp:yyyy\}/' uses !\{...\} expressions, so Firehose "
            r"requires an error_prefix containing !\{firehose:error-output-type\}",
        ),
        ("clicks/", None, (), r"prefix 'clicks/' needs .* an error_prefix containing"),
        (
            "clicks/!{timestamp:yyyy}/",
            "errors/!{timestamp:yyyy}/",
            (),
            r"error_prefix 'errors/!\{timestamp:yyyy\}/' must contain "
            r"!\{firehose:error-output-type\}",
        ),
        (
            f"clicks/{ERR}/",
            f"errors/{ERR}/",
            (),
            r"prefix 'clicks/!\{firehose:error-output-type\}/' must not contain",
        ),
        ("x" * 513, f"e/{ERR}", (), r"prefix must be ≤ 512 characters, got 513"),
        ("clicks/", f"e/{ERR}/" + "x" * 510, (), r"error_prefix must be ≤ 512 characters"),
        (
            "clicks/!{bogus:x}/",
            f"e/{ERR}/",
            (),
            r"'!\{bogus:x\}' is not a Firehose expression",
        ),
        (
            "c=!{partitionKeyFromQuery:c}/",
            f"e/{ERR}/",
            (),
            r"uses partition keys \['c'\] that the layout does not define",
        ),
        (
            "clicks/",
            f"e/{ERR}/",
            ("c",),
            r"the layout's partition keys \['c'\] are not used in prefix 'clicks/': add "
            r"!\{partitionKeyFromQuery:c\}",
        ),
        (
            "c=!{partitionKeyFromQuery:c}/",
            f"e/{ERR}/!{{partitionKeyFromQuery:c}}/",
            ("c",),
            r"error_prefix .* must not use !\{partitionKeyFromQuery:...\}",
        ),
    ],
)
def test_prefix_rules(prefix, error_prefix, keys, message):
    with pytest.raises(ValueError, match=message):
        validate_prefixes(prefix, error_prefix, partition_keys=keys)


LITERAL = r"its literal part \(before the first !\{\.\.\.\}\)"


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "message"),
    [
        # The object ARNs of the delivery role end in '<literal part>*': an empty literal part
        # would grant <bucket>/*, and '*'/'?' or a leading '/' would widen or break the grant.
        (
            "!{timestamp:yyyy}/",
            f"e/{ERR}/",
            rf"prefix '!\{{timestamp:yyyy\}}/': {LITERAL} must not be empty \(that would cover "
            r"the whole bucket\)",
        ),
        ("", f"e/{ERR}/", rf"prefix '': {LITERAL} must not be empty"),
        (
            "a*/",
            f"e/{ERR}/",
            rf"prefix 'a\*/': {LITERAL} 'a\*/' must be a relative key prefix: no leading '/', "
            r"no '//', no '\*' or '\?'",
        ),
        (
            "a?/!{timestamp:yyyy}/",
            f"e/{ERR}/",
            rf"prefix 'a\?/!\{{timestamp:yyyy\}}/': {LITERAL} 'a\?/' must be a relative",
        ),
        ("/clicks/", f"e/{ERR}/", rf"prefix '/clicks/': {LITERAL} '/clicks/' must be a relative"),
        (
            "clicks/",
            f"{ERR}/",
            rf"error_prefix '!\{{firehose:error-output-type\}}/': {LITERAL} must not be empty",
        ),
        (
            "clicks/",
            f"err*/{ERR}/",
            rf"error_prefix 'err\*/!\{{firehose:error-output-type\}}/': {LITERAL} 'err\*/' "
            "must be a relative key prefix",
        ),
        (
            "clicks/",
            f"/e/{ERR}/",
            rf"error_prefix '/e/!\{{firehose:error-output-type\}}/': {LITERAL} '/e/' must be",
        ),
    ],
)
def test_literal_part_of_each_prefix_must_scope_the_grant(prefix, error_prefix, message):
    with pytest.raises(ValueError, match=message):
        validate_prefixes(prefix, error_prefix)


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "message"),
    [
        (b"clicks/", f"e/{ERR}/", r"prefix must be a string, got bytes: b'clicks/'"),
        ("clicks/", 7, r"error_prefix must be a string, got int: 7"),
    ],
)
def test_prefixes_must_be_strings(prefix, error_prefix, message):
    with pytest.raises(TypeError, match=message):
        validate_prefixes(prefix, error_prefix)


def test_static_part_is_the_text_before_the_first_expression():
    assert static_part("clicks/year=!{timestamp:yyyy}/") == "clicks/year="
    assert static_part("clicks/") == "clicks/"


def test_prefixes_of_exactly_512_characters_are_accepted():
    """The limit itself is allowed (513 is rejected above)."""
    prefix = "p/" + "x" * 509 + "/"
    error_prefix = f"e/{ERR}/" + "x" * (512 - len(f"e/{ERR}/"))
    assert (len(prefix), len(error_prefix)) == (512, 512)
    assert validate_prefixes(prefix, error_prefix) == error_prefix


def test_static_part_stops_at_the_first_of_several_expressions():
    assert static_part("c/!{timestamp:yyyy}/x/!{timestamp:MM}/") == "c/"


def test_prefix_errors_exactly():
    with pytest.raises(ValueError) as error:
        validate_prefixes("clicks/!{timestamp:yyyy/", f"e/{ERR}/")
    assert str(error.value) == (
        "prefix 'clicks/!{timestamp:yyyy/': the expression at character 7 "
        "('!{timestamp:yyyy/') is not closed with '}' or contains '{': "
        "Firehose expressions are !{namespace:value}"
    )
    with pytest.raises(ValueError) as error:
        validate_prefixes("clicks/!{bogus:x}/", f"e/{ERR}/")
    assert str(error.value) == (
        "prefix 'clicks/!{bogus:x}/': '!{bogus:x}' is not a Firehose expression "
        "(firehose:error-output-type, firehose:random-string, timestamp:<format>, "
        "partitionKeyFromQuery:<key>)"
    )
    with pytest.raises(ValueError) as error:
        validate_prefixes(
            "c=!{partitionKeyFromQuery:c}/",
            f"e/{ERR}/!{{partitionKeyFromQuery:c}}/",
            partition_keys=["c"],
        )
    assert str(error.value) == (
        f"error_prefix 'e/{ERR}/!{{partitionKeyFromQuery:c}}/' must not use "
        "!{partitionKeyFromQuery:...} (records that fail partitioning have no keys)"
    )
    with pytest.raises(ValueError) as error:
        validate_prefixes("clicks/", f"e/{ERR}/", partition_keys=["b", "a"])
    assert str(error.value) == (
        "the layout's partition keys ['a', 'b'] are not used in prefix 'clicks/': add "
        "!{partitionKeyFromQuery:a}, !{partitionKeyFromQuery:b}"
    )


def test_the_literal_part_of_a_prefix_may_not_be_empty():
    with pytest.raises(ValueError, match="must not be empty"):
        validate_prefixes("!{timestamp:yyyy}/", f"e/{ERR}/")


def test_an_unclosed_expression_is_quoted_with_its_first_24_characters():
    prefix = "data/!{timestamp:yyyy/MM/dd/HH/more-text-here"
    with pytest.raises(ValueError) as raised:
        validate_prefixes(prefix, "errors/!{firehose:error-output-type}/")
    assert str(raised.value) == (
        f"prefix {prefix!r}: the expression at character 5 ('!{{timestamp:yyyy/MM/dd/H') is "
        "not closed with '}' or contains '{': Firehose expressions are !{namespace:value}"
    )
