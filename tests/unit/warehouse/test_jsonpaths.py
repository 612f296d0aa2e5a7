"""JsonPaths (COPY's jsonpaths document) and JsonPathsFile: validation and rendering."""

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from ml_data_platform.warehouse import (
    JsonPaths,
    JsonPathsFile,
    RedshiftColumn,
    RedshiftTable,
    RedshiftTableSetup,
)
from tests.conftest import TEST_ENV, make_app

TABLE = RedshiftTable(
    "clicks",
    [
        RedshiftColumn("event_id", "varchar(64)"),
        RedshiftColumn("user_id", "varchar(64)"),
        RedshiftColumn("ts", "timestamp"),
    ],
    schema="ml",
)


def test_unmapped_columns_read_their_own_top_level_key_in_column_order():
    paths = JsonPaths({"user_id": "$.user.id", "ts": "$['meta']['time'][0]"})
    assert paths.expressions(TABLE) == ["$['event_id']", "$.user.id", "$['meta']['time'][0]"]
    assert json.loads(paths.document(TABLE)) == {
        "jsonpaths": ["$['event_id']", "$.user.id", "$['meta']['time'][0]"]
    }
    assert JsonPaths.object_key(TABLE) == "warehouse-jsonpaths/ml/clicks.json"


@pytest.mark.parametrize(
    "expression", ["user.id", "$", "$.user[*]", "$..id", "$['unclosed", "$.1abc", "$[?(@.a)]"]
)
def test_expressions_outside_redshifts_jsonpath_subset_are_rejected(expression):
    with pytest.raises(ValueError, match=rf"expression {re_escape(expression)} for column 'ts'"):
        JsonPaths({"ts": expression})


def re_escape(expression):
    return re.escape(repr(expression))


def test_expressions_are_at_most_255_characters():
    with pytest.raises(ValueError, match=r"column 'ts' has 258 characters, at most 255"):
        JsonPaths({"ts": "$." + "a" * 256})


def test_columns_must_exist_in_the_table():
    with pytest.raises(ValueError, match=r"columns \['userid'\] are not in ml.clicks"):
        JsonPaths({"userid": "$.user.id"}).expressions(TABLE)


def test_jsonpaths_file_validates_its_inputs():
    stack = cdk.Stack(make_app(), "Files", env=TEST_ENV)
    bucket = s3.Bucket.from_bucket_name(stack, "B", "acme-raw")
    assert JsonPathsFile(bucket, "a/b.json").uri == "s3://acme-raw/a/b.json"
    with pytest.raises(ValueError, match=r"key must be an object key without a leading '/'"):
        JsonPathsFile(bucket, "/a/b.json")
    with pytest.raises(ValueError, match=r"key must not contain quotes"):
        JsonPathsFile(bucket, "a'b.json")
    with pytest.raises(
        TypeError, match=r"JsonPathsFile.bucket must be an IBucket \(aws_s3\), got str"
    ):
        JsonPathsFile("acme-raw", "a/b.json")


def test_table_setup_needs_a_bucket_for_the_file_and_a_jsonpaths_object():
    from tests.unit.warehouse.test_delivery import inputs

    stack = cdk.Stack(make_app(), "Setup", env=TEST_ENV)
    endpoint = inputs(stack)["warehouse"]
    with pytest.raises(ValueError, match=r"jsonpaths_bucket is required with jsonpaths"):
        RedshiftTableSetup(stack, "A", endpoint=endpoint, table=TABLE, jsonpaths=JsonPaths())
    with pytest.raises(TypeError, match=r"jsonpaths must be a JsonPaths, got dict"):
        RedshiftTableSetup(stack, "B", endpoint=endpoint, table=TABLE, jsonpaths={"ts": "$.t"})


def test_jsonpaths_file_key_statement_is_scoped_to_the_file_through_s3():
    stack = cdk.Stack(make_app(), "FileKey", env=TEST_ENV)
    bucket = s3.Bucket.from_bucket_name(stack, "B", "acme-raw")
    assert (
        JsonPathsFile(bucket, "a/b.json").key_statement("kms:Decrypt", sid="D", stack=stack) is None
    )
    key = kms.Key(stack, "Key")
    file = JsonPathsFile(bucket, "a/b.json", encryption_key=key)
    statement = stack.resolve(
        file.key_statement("kms:Decrypt", sid="D", stack=stack).to_statement_json()
    )
    assert statement["Sid"] == "D"
    assert statement["Action"] == "kms:Decrypt"
    context = statement["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"]
    assert context == [stack.resolve(bucket.bucket_arn), stack.resolve(file.object_arn)]


def test_a_table_too_wide_for_one_data_api_statement_fails_at_synth():
    from tests.unit.warehouse.test_delivery import inputs

    stack = cdk.Stack(make_app(), "Wide", env=TEST_ENV)
    endpoint = inputs(stack)["warehouse"]
    wide = RedshiftTable(
        "wide",
        [
            RedshiftColumn(f"column_number_{i:04d}_with_long_name", "varchar(64)")
            for i in range(400)
        ],
    )
    with pytest.raises(
        ValueError,
        match=r"table public.wide: with 400 columns its setup SQL has a statement of 113,724 "
        r"bytes, over the Redshift Data API's 100,000",
    ):
        RedshiftTableSetup(stack, "Setup", endpoint=endpoint, table=wide)
    narrow = RedshiftTable("narrow", wide.columns[:300])
    assert RedshiftTableSetup(stack, "Ok", endpoint=endpoint, table=narrow).statement_id
