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
from tests.conftest import make_app


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
    app = make_app()
    stage = cdk.Stage(app, "Prod")
    stack = cdk.Stack(stage, "Storage", stack_name="mldp-prod-storage")
    layer = cdk.NestedStack(stack, "Layer")
    assert stack_scoped_path(layer) == "mldp-prod-storage/Layer"
    construct = cdk.CfnResource(layer, "Thing", type="AWS::SNS::Topic")
    assert stack_scoped_path(construct) == "mldp-prod-storage/Layer/Thing"


# Gaps a mutation run found (issue 19).


def test_an_unresolved_bucket_name_passes_through_unchanged():
    stack = cdk.Stack(make_app(), "Names")
    token = cdk.Fn.join("-", ["data", cdk.Aws.ACCOUNT_ID])
    assert validate_bucket_name(token) == token
    parameter = cdk.CfnParameter(stack, "BucketName").value_as_string
    assert validate_bucket_name(parameter) is parameter


@pytest.mark.parametrize(
    "name",
    ["abc", "my-bucket.logs", "a" * 63, "0bucket9", "xn-bucket", "bucket-s3alias-x"],
)
def test_valid_bucket_names_come_back_unchanged(name):
    assert validate_bucket_name(name, "bucket_name") == name


@pytest.mark.parametrize("name", ["ab", "a" * 64, "-bucket", "bucket-", "my_bucket"])
def test_bucket_names_outside_3_to_63_allowed_characters_are_rejected(name):
    with pytest.raises(ValueError, match="3–63 characters"):
        validate_bucket_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "sthree-data",
        "amzn-s3-demo-data",
        "data-s3alias",
        "data--ol-s3",
        "data.mrap",
        "data--x-s3",
        "data--table-s3",
    ],
)
def test_every_reserved_bucket_prefix_and_suffix_is_rejected(name):
    with pytest.raises(ValueError, match="no reserved prefix or suffix"):
        validate_bucket_name(name)


def test_valid_glue_names_slugs_and_prefixes_come_back_unchanged():
    assert validate_glue_name("a" * 255, "table") == "a" * 255
    assert validate_slug("a" + "-" * 30, "zone") == "a" + "-" * 30
    assert validate_key_prefix("a/b/", "prefix", allow_empty=False) == "a/b/"
    with pytest.raises(ValueError, match="not a valid Glue/Athena name"):
        validate_glue_name("a" * 256, "table")
    with pytest.raises(ValueError, match="must be 1–31 lowercase"):
        validate_slug("a" * 32, "zone")


GLUE_RULE = (
    "is not a valid Glue/Athena name: use lowercase letters, digits and '_', starting with a "
    "letter (at most 255 characters)"
)
BUCKET_RULE = "is not a valid S3 bucket name: must be "
BUCKET_CHARACTERS = (
    "3–63 characters of lowercase letters, digits, '.' and '-', starting and ending with a "
    "letter or digit"
)


@pytest.mark.parametrize(
    ("name", "problems"),
    [
        ("Bad..Name", f"{BUCKET_CHARACTERS}; no two adjacent periods"),
        ("192.168.1.1", "not formatted as an IP address"),
        ("xn--bucket", "no reserved prefix or suffix"),
    ],
)
def test_bucket_name_errors_list_every_broken_rule_exactly(name, problems):
    with pytest.raises(ValueError) as error:
        validate_bucket_name(name, "bucket_name")
    assert str(error.value) == f"bucket_name {name!r} {BUCKET_RULE}{problems}"


def test_glue_name_and_key_prefix_errors_exactly():
    with pytest.raises(ValueError) as error:
        validate_glue_name("Events", "table")
    assert str(error.value) == f"table 'Events' {GLUE_RULE}"
    with pytest.raises(ValueError) as error:
        glue_name("123")
    assert str(error.value) == f"derived name '123' {GLUE_RULE}"
    with pytest.raises(ValueError) as error:
        validate_key_prefix("/a", "prefix")
    assert str(error.value) == (
        "prefix '/a' must be a relative key prefix: no leading '/', no '//', no '*' or '?'"
    )
