"""core.inputs: the checks that give a wrong object a clear error (tested on their own here,
and through every construct that uses them)."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from ml_data_platform.core.inputs import (
    Kind,
    optional_kind,
    reject_string,
    repeated,
    require_int,
    require_kind,
)
from tests.conftest import make_app


@pytest.fixture(scope="module")
def resources():
    stack = cdk.Stack(make_app(), "Inputs")
    bucket = s3.Bucket.from_bucket_name(stack, "Imported", "imported-bucket")
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    return bucket, key


def test_require_kind_returns_the_object_itself(resources):
    bucket, key = resources
    assert require_kind(bucket, Kind.BUCKET, "bucket") is bucket
    assert require_kind(key, Kind.KEY, "encryption_key") is key


def test_require_kind_names_the_prop_the_kind_and_what_it_got(resources):
    _, key = resources
    with pytest.raises(TypeError) as error:
        require_kind(key, Kind.BUCKET, "bucket")
    assert str(error.value).startswith("bucket must be an IBucket (aws_s3), got ")
    assert type(key).__name__ in str(error.value)
    with pytest.raises(TypeError) as error:
        require_kind(None, Kind.STREAM, "source_stream")
    assert str(error.value) == "source_stream must be an IStream (aws_kinesis), got NoneType: None"


@pytest.mark.parametrize("value", ["bucket_arn", b"bucket_arn"])
def test_require_kind_refuses_strings_even_when_they_have_the_attribute(value):
    """A str has no ``bucket_arn``, but a subclass could: strings and bytes are never
    resources (a bucket name is not an IBucket)."""

    class Named(type(value)):
        bucket_arn = "arn:aws:s3:::x"

    with pytest.raises(TypeError, match=r"^bucket must be an IBucket \(aws_s3\), got Named"):
        require_kind(Named(value), Kind.BUCKET, "bucket")


def test_require_kind_accepts_any_object_with_the_identifying_attribute():
    class Duck:
        def __init__(self):
            self.role_arn = "arn:aws:iam::111122223333:role/r"

    duck = Duck()
    assert require_kind(duck, Kind.ROLE, "role") is duck


def test_require_kind_error_truncates_long_values():
    with pytest.raises(TypeError) as error:
        require_kind(["x" * 200], Kind.KEY, "encryption_key")
    assert str(error.value) == (
        "encryption_key must be an IKey (aws_kms), got list: " + repr(["x" * 200])[:80]
    )


def test_optional_kind_lets_none_through_and_checks_the_rest(resources):
    bucket, _ = resources
    assert optional_kind(None, Kind.BUCKET, "bucket") is None
    assert optional_kind(bucket, Kind.BUCKET, "bucket") is bucket
    with pytest.raises(TypeError, match=r"^alarm_topic must be an ITopic \(aws_sns\), got int"):
        optional_kind(3, Kind.TOPIC, "alarm_topic")


def test_every_kind_has_a_label_and_an_identifying_attribute():
    assert {kind.attribute for kind in Kind} == {
        "bucket_arn",
        "key_arn",
        "stream_arn",
        "role_arn",
        "secret_arn",
        "topic_arn",
        "vpc_id",
        "log_group_arn",
    }
    assert all(kind.label.startswith("I") and "(aws_" in kind.label for kind in Kind)


def test_reject_string_refuses_only_strings():
    with pytest.raises(TypeError) as error:
        reject_string("raw", "zones", "zone names")
    assert str(error.value) == "zones must be a sequence of zone names, got the string 'raw'"
    assert reject_string(["raw"], "zones", "zone names") is None
    assert reject_string(("raw",), "zones", "zone names") is None


@pytest.mark.parametrize(
    ("value", "minimum", "maximum"), [(0, 0, None), (5, 1, 5), (-3, None, None), (10, None, 10)]
)
def test_require_int_returns_values_within_inclusive_bounds(value, minimum, maximum):
    assert require_int(value, "count", minimum=minimum, maximum=maximum) == value


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, "count must be an integer, got bool: True"),
        (1.0, TypeError, "count must be an integer, got float: 1.0"),
        ("3", TypeError, "count must be an integer, got str: '3'"),
        (0, ValueError, "count must be ≥ 1, got 0"),
        (11, ValueError, "count must be ≤ 10, got 11"),
    ],
)
def test_require_int_rejects_non_integers_and_values_out_of_bounds(value, error, message):
    with pytest.raises(error) as raised:
        require_int(value, "count", minimum=1, maximum=10)
    assert str(raised.value) == message


class _Ours:
    """Stands for one of our constructs (their module is ml_data_platform.*)."""

    def __init__(self, **attributes):
        vars(self).update(attributes)


_Ours.__module__ = "ml_data_platform.storage.fake"


class _Theirs(_Ours):
    """The same shape from another package: not unwrapped."""


_Theirs.__module__ = "someone_else.constructs"


def test_our_construct_is_accepted_for_the_resource_it_wraps(resources):
    bucket, key = resources
    assert require_kind(_Ours(bucket=bucket), Kind.BUCKET, "bucket") is bucket
    assert require_kind(_Ours(key=key, bucket=bucket), Kind.KEY, "encryption_key") is key


def test_another_package_s_wrapper_is_not_unwrapped(resources):
    bucket, _ = resources
    with pytest.raises(TypeError) as error:
        require_kind(_Theirs(bucket=bucket), Kind.BUCKET, "bucket")
    assert str(error.value).startswith("bucket must be an IBucket (aws_s3), got _Theirs: ")


def test_our_construct_without_the_resource_names_the_attributes_that_fit(resources):
    bucket, key = resources
    wrapper = _Ours(logs=bucket, access=bucket, _private=bucket, encryption=key, bucket="x")
    with pytest.raises(TypeError) as error:
        require_kind(wrapper, Kind.BUCKET, "bucket")
    assert str(error.value) == (
        "bucket must be an IBucket (aws_s3), got _Ours; pass one of its attributes: .access, .logs"
    )


def test_our_lake_points_to_a_zone_s_bucket_and_a_bare_construct_says_what_it_lacks(resources):
    bucket, _ = resources
    with pytest.raises(TypeError) as error:
        require_kind(_Ours(zones={"raw": object(), "curated": object()}), Kind.BUCKET, "bucket")
    assert str(error.value) == (
        "bucket must be an IBucket (aws_s3), got _Ours; pass one of its zones' buckets: "
        ".zone('raw').bucket"
    )
    with pytest.raises(TypeError) as error:
        require_kind(_Ours(zones={}), Kind.BUCKET, "bucket")
    assert (
        str(error.value)
        == "bucket must be an IBucket (aws_s3), got _Ours; _Ours has no IBucket attribute"
    )
    with pytest.raises(TypeError) as error:
        require_kind(_Ours(zones={"raw": bucket}), Kind.KEY, "encryption_key")
    assert str(error.value) == (
        "encryption_key must be an IKey (aws_kms), got _Ours; _Ours has no IKey attribute"
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        (["a", "b"], []),
        (["b", "a", "b"], ["b"]),
        (["c", "a", "c", "a", "a", "b"], ["a", "c"]),  # each once, sorted
        ([("raw", "x/"), ("raw", "x/"), ("raw", "y/")], [("raw", "x/")]),
    ],
)
def test_repeated_lists_each_value_given_more_than_once_sorted(values, expected):
    assert repeated(values) == expected
    assert repeated(iter(values)) == expected  # any iterable, read once
