"""core.names: the name and key-prefix rules shared by the constructs."""

import re

import aws_cdk as cdk
import pytest

from ml_data_platform.core.names import (
    glue_name,
    stack_scoped_path,
    validate_bucket_name,
    validate_glue_name,
    validate_key_prefix,
    validate_slug,
)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("", ""), ("a", "a/"), ("a/b/", "a/b/"), ("year=2024/x", "year=2024/x/")],
)
def test_key_prefixes_are_normalised_to_end_in_a_slash(prefix, expected):
    assert validate_key_prefix(prefix, "prefix") == expected


@pytest.mark.parametrize("prefix", ["/a/", "a//b/", "a*/", "a?/"])
def test_key_prefixes_that_would_widen_an_arn_are_rejected(prefix):
    with pytest.raises(ValueError, match=rf"prefix {re.escape(repr(prefix))} must be a relative"):
        validate_key_prefix(prefix, "prefix")


def test_empty_key_prefix_can_be_refused_and_non_strings_are_type_errors():
    with pytest.raises(ValueError, match=r"results_prefix must not be empty"):
        validate_key_prefix("", "results_prefix", allow_empty=False)
    with pytest.raises(TypeError, match=r"prefix must be a string, got list"):
        validate_key_prefix(["a/"], "prefix")


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Bad_Bucket", "3–63 characters"),
        ("a..b", "no two adjacent periods"),
        ("192.168.1.1", "not formatted as an IP address"),
        ("xn--bucket", "no reserved prefix or suffix"),
    ],
)
def test_bucket_names_follow_the_s3_rules(name, rule):
    with pytest.raises(
        ValueError, match=rf"bucket_name {name!r} is not a valid S3 bucket name.*{rule}"
    ):
        validate_bucket_name(name)


def test_glue_names_and_slugs():
    assert glue_name("ML-Platform.dev") == "ml_platform_dev"
    assert validate_glue_name("events_v2", "table") == "events_v2"
    with pytest.raises(ValueError, match=r"table 'Events' is not a valid Glue/Athena name"):
        validate_glue_name("Events", "table")
    with pytest.raises(ValueError, match=r"zone name 'Raw' must be 1–31 lowercase letters"):
        validate_slug("Raw", "zone name")


def test_stack_scoped_paths_use_the_top_level_stack_name():
    app = cdk.App()
    stage = cdk.Stage(app, "Prod")
    stack = cdk.Stack(stage, "Storage", stack_name="mldp-prod-storage")
    layer = cdk.NestedStack(stack, "Layer")
    assert stack_scoped_path(layer) == "mldp-prod-storage/Layer"
    construct = cdk.CfnResource(layer, "Thing", type="AWS::SNS::Topic")
    assert stack_scoped_path(construct) == "mldp-prod-storage/Layer/Thing"
